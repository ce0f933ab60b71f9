"""Headless Chromium (Debian's ``chromium`` package) driven over the DevTools protocol on a
pipe: open a page, evaluate JavaScript in it, take a screenshot.  No websocket, no port, no
driver: ``--remote-debugging-pipe`` reads commands on fd 3 and answers on fd 4, each message
a JSON object ended by a NUL byte.  ``scripts/ensure-chromium.sh`` installs the browser."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Browser", "ChromiumError", "browser", "find"]


class ChromiumError(RuntimeError):
    """The browser did not answer as the protocol says."""


def find() -> str | None:
    """The Chromium executable, or ``None``."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int):
        self.process = process
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.buffer = b""
        self.next_id = 0

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise ChromiumError("no answer from Chromium in time")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise ChromiumError(f"Chromium closed the pipe (exit {self.process.poll()})")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        parsed = json.loads(message)
        assert isinstance(parsed, dict)
        return parsed

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """One command; its result (events received meanwhile are dropped)."""
        self.next_id += 1
        command: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            command["sessionId"] = session
        os.write(self.to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise ChromiumError(f"{method}: {message['error']}")
                result = message.get("result", {})
                assert isinstance(result, dict)
                return result

    def open(self, url: str, width: int = 1400, height: int = 900) -> str:
        """A new tab on ``url``, loaded; its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        self.send("Page.enable", {}, session)
        self.send("Page.navigate", {"url": url}, session)
        for _ in range(600):  # a bounded wait for the load, not a timing assertion
            if self.evaluate(session, "document.readyState") == "complete":
                return str(session)
            time.sleep(0.05)
        raise ChromiumError(f"{url} did not finish loading")

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
        )
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> None:
        size = self.evaluate(
            session,
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]",
        )
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        data = self.send("Page.captureScreenshot", {"format": "png"}, session)["data"]
        path.write_bytes(base64.b64decode(data))


def _high(*fds: int) -> tuple[int, ...]:
    """The fds moved to 10 and above, so that putting one on fd 3 cannot overwrite the other
    (a pipe end may well be fd 3 or 4 itself)."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved


@contextlib.contextmanager
def browser(executable: str) -> Iterator[Browser]:
    """Start headless Chromium with the protocol on a pipe; stop it at the end."""
    to_browser_r, to_browser_w = _high(*os.pipe())
    from_browser_r, from_browser_w = _high(*os.pipe())
    profile = tempfile.mkdtemp(prefix="statusguard-chromium-")
    # A trampoline puts our pipe ends on the fds Chromium expects (3: commands in, 4: answers)
    # and execs it (a shell would do, but dash cannot name an fd above 9).
    command = [
        sys.executable,
        "-c",
        "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
        "os.execv(sys.argv[3], sys.argv[3:])",
        str(to_browser_r),
        str(from_browser_w),
        executable,
        "--headless",
        "--remote-debugging-pipe",
        "--no-sandbox",  # as root in a container there is no user namespace to sandbox in
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        f"--user-data-dir={profile}",
    ]
    process = subprocess.Popen(
        command,
        pass_fds=(to_browser_r, from_browser_w),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(to_browser_r)
    os.close(from_browser_w)
    session = Browser(process, to_browser_w, from_browser_r)
    try:
        yield session
    finally:
        with contextlib.suppress(Exception):
            session.send("Browser.close")
        os.close(to_browser_w)
        os.close(from_browser_r)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait(5)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    """``python tests/tools/chromium.py REPORT.html OUT.png [CSS-SELECTOR-TO-OPEN]``: the
    screenshot of docs/audit.md (a report, with one ``<details>`` opened)."""
    page, picture, *selector = argv
    executable = find()
    if executable is None:
        print("chromium is not installed (scripts/ensure-chromium.sh)", file=sys.stderr)
        return 1
    with browser(executable) as session:
        tab = session.open(Path(page).resolve().as_uri(), width=1400)
        if selector:
            session.evaluate(tab, f"document.querySelector({json.dumps(selector[0])}).open = true")
        session.screenshot(tab, Path(picture))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
