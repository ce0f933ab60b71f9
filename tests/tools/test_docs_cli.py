"""The shell sessions of docs/cli.md are what the command line prints.

Every ```` ```console ```` block of the page is a session: each line starting with ``$ `` is
run in one bash process (in an empty directory, with the virtualenv's ``statusguard`` on
``PATH`` and ``COLUMNS=80``), and the lines under it must be its output, exactly.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from support.snippets import DOCS, Block, blocks

SESSIONS = [block for block in blocks(DOCS / "cli.md") if block.language == "console"]


def _script(block: Block) -> str:
    lines = ["set +e"]
    for line in block.code.splitlines():
        if line.startswith("$ "):
            command = line[2:]
            # Echo the prompt line, then give the command the previous command's $?.
            lines.append("__status=$?")
            lines.append(f"printf '%s\\n' {shlex.quote(line)}")
            lines.append("(exit $__status)")
            lines.append(command)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("block", SESSIONS, ids=[block.id for block in SESSIONS])
def test_session(block: Block, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "STATUSGUARD"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "80"
    out = subprocess.run(
        ["bash", "-c", _script(block)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.stderr == ""
    assert out.stdout == block.code, f"{block.id}: the command line now prints:\n{out.stdout}"


def test_the_sessions_are_found() -> None:
    assert len(SESSIONS) >= 4
    assert all(block.code.startswith("$ ") for block in SESSIONS)
