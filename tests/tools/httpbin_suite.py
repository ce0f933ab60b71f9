"""httpbin's own test suite, from the ``httpbin==0.10.4`` sdist on PyPI, fetched once and cached.

The wheel has no tests: the sdist has ``tests/test_httpbin.py`` beside the ``httpbin`` package.
``pip download`` fetches it (the ordinary client, so the machine's index settings apply); its
dependencies come from the ``test`` extra, which pins ``httpbin==0.10.4`` too.  Used by
``tests/tools/test_pytest_plugin_httpbin.py`` and ``benchmarks/pytest_overhead.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["VERSION", "UnreachableError", "fetch"]

VERSION = "0.10.4"
NAME = f"httpbin-{VERSION}"

# What pip says when it cannot reach the index at all (as opposed to any other failure, which
# is a real error and must not turn into a skip).
_NETWORK_ERRORS = (
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
)


class UnreachableError(Exception):
    """The package index could not be reached: the suite cannot be fetched here."""


def fetch(cache: Path, *, timeout: float = 600) -> Path:
    """The extracted sdist (``tests/`` and ``httpbin/``) under ``cache``, downloaded if needed."""
    root = cache / NAME
    if (root / "tests" / "test_httpbin.py").is_file():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"{NAME}.tar.gz"
    if not archive.is_file():
        _download(cache, archive, timeout)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(f"{NAME}/")]
            if hasattr(tarfile, "data_filter"):  # refuses links and paths out of the folder
                tar.extractall(scratch, members=members, filter="data")
            else:  # pragma: no cover - Python without the tarfile filters (before 3.10.12)
                tar.extractall(scratch, members=members)
        try:
            os.replace(Path(scratch) / NAME, root)
        except OSError:
            if not (root / "tests" / "test_httpbin.py").is_file():  # not a concurrent run's
                raise
    return root


def _download(cache: Path, archive: Path, timeout: float) -> None:
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--disable-pip-version-check",
            "--timeout",
            "30",
            "--retries",
            "1",
            "--dest",
            scratch,
            f"httpbin=={VERSION}",
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise UnreachableError(f"pip download did not finish in {timeout:.0f} s") from exc
        output = done.stdout + done.stderr
        if done.returncode != 0:
            if any(sign in output for sign in _NETWORK_ERRORS):
                last = [line for line in output.splitlines() if line.strip()][-1:]
                raise UnreachableError(f"pip download failed: {' '.join(last)}")
            raise RuntimeError(f"pip download of httpbin=={VERSION} failed:\n{output}")
        shutil.move(str(Path(scratch) / archive.name), archive)
