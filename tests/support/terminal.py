"""Run ``statusguard`` in a process of its own with one of its streams on a pseudo-terminal.

What a person sees depends on whether a stream is a terminal (the progress bar, the report's
layout), so the tests that pin it give the command a real one (:func:`pty.openpty`) and read
everything written to it until the command exits.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Ran:
    screen: bytes  # what reached the terminal, as written (CR LF line ends, escapes)
    piped: bytes  # the other stream, on a pipe
    returncode: int


def on_a_terminal(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    terminal: Literal["stdout", "stderr"],
    timeout: float,
) -> Ran:
    """Run ``python -m statusguard *argv`` with ``terminal`` on a pseudo-terminal and the
    other stream on a pipe; stop it if it has not finished within ``timeout`` seconds of
    silence."""
    controller, tty = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "statusguard", *argv],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=tty if terminal == "stdout" else subprocess.PIPE,
        stderr=tty if terminal == "stderr" else subprocess.PIPE,
        env=dict(env),
    )
    os.close(tty)
    screen = b""
    try:
        while True:
            readable, _, _ = select.select([controller], [], [], timeout)
            if not readable:
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            screen += chunk
        out, err = process.communicate(timeout=timeout)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait()
    return Ran(screen, err if terminal == "stdout" else out, process.returncode)
