"""Run Debian's nginx on 127.0.0.1 as a reverse proxy in front of one upstream server.

The configuration is the usual one for an application server with keep-alive to the upstream
(``proxy_http_version 1.1``, an empty ``Connection``, an ``upstream`` block with ``keepalive``)
with a short ``proxy_read_timeout`` (:data:`READ_TIMEOUT`) and one worker process, so that
every request goes through the same pool of upstream connections.
``/pass-date/...`` is the same proxy with ``proxy_pass_header Date`` (nginx otherwise drops the
upstream's ``Date`` and sends its own).

nginx refuses ``listen ...:0``, so the port is never guessed either: this process binds
``127.0.0.1:0`` and hands the listening socket over the way nginx inherits its own sockets on a
binary upgrade (the ``NGINX`` environment variable names the descriptors; nginx logs "using
inherited sockets"), and the configuration listens on that port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
READY_PATH = "/__nginx_ready"
STOP_TIMEOUT = 5.0
# nginx's proxy_read_timeout (60 s by default): how long it waits for an upstream that sent less
# than it announced.  Shorter than the upstreams' own keep-alive timeouts (gunicorn 2 s, uvicorn
# 5 s), so nginx is the one that gives up, after the same time every run.
READ_TIMEOUT = 1.0

CONFIG = """\
daemon off;
master_process on;
worker_processes 1;
{user}
error_log {dir}/error.log info;
pid {dir}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    upstream app {{
        server {upstream};
        keepalive 8;
    }}
    server {{
        listen {host}:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_read_timeout {read_timeout};
        location = {ready} {{ return 204; }}
        location / {{ proxy_pass http://app; }}
        location /pass-date/ {{
            proxy_pass http://app/;
            proxy_pass_header Date;
        }}
    }}
}}
"""


class NginxError(RuntimeError):
    """nginx could not be started (the message carries its error log)."""


def executable() -> str | None:
    """The nginx binary, on PATH or where Debian puts it."""
    found = shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    return found


def version(binary: str) -> str:
    """``nginx -v`` (it prints to stderr): e.g. ``nginx/1.22.1``."""
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=True)
    return (out.stderr or out.stdout).strip().removeprefix("nginx version: ")


@dataclass
class Nginx:
    """A running nginx proxying to ``upstream``."""

    port: int
    upstream: tuple[str, int]
    directory: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.port)

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_mark(self) -> int:
        """A position in the error log, for :meth:`errors_since`."""
        return len(self.error_log())

    def errors_since(self, mark: int) -> list[str]:
        """The ``[error]``/``[warn]`` lines of the error log after ``mark``, without the time
        and the process ids."""
        lines = []
        for line in self.error_log()[mark:].splitlines():
            for level in ("[error]", "[warn]", "[crit]"):
                if level in line:
                    text = line.split(level, 1)[1].split(": ", 1)[-1]
                    lines.append(f"{level} {text.split(', client:', 1)[0]}")
        return lines

    def stop(self) -> None:
        proc = self.process
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)  # nginx: fast shutdown
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # a worker left behind
        shutil.rmtree(self.directory, ignore_errors=True)


def _ready(proxy: Nginx, deadline: float) -> None:
    request = f"GET {READY_PATH} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
    while True:
        if proxy.process.poll() is not None:
            raise NginxError(
                f"nginx exited with status {proxy.process.returncode}\n{proxy.error_log()}"
            )
        if time.monotonic() >= deadline:
            raise NginxError(f"nginx did not answer in time\n{proxy.error_log()}")
        try:
            with socket.create_connection(proxy.address, timeout=1.0) as sock:
                sock.sendall(request)
                if sock.recv(12).startswith(b"HTTP/1.1 204"):
                    return
        except OSError:
            pass
        time.sleep(0.05)


def start(
    binary: str,
    upstream: tuple[str, int],
    *,
    read_timeout: float = READ_TIMEOUT,
    ready_timeout: float = 15.0,
) -> Nginx:
    """Start nginx in front of ``upstream`` and wait until it answers."""
    directory = Path(tempfile.mkdtemp(prefix="statusguard-nginx-"))
    directory.chmod(0o755)  # the worker process may run as another user
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, 0))
        listener.listen(128)
        port = int(listener.getsockname()[1])
        config = directory / "nginx.conf"
        config.write_text(
            CONFIG.format(
                dir=directory,
                host=HOST,
                port=port,
                upstream=f"{upstream[0]}:{upstream[1]}",
                ready=READY_PATH,
                read_timeout=f"{read_timeout:g}s",
                # As root, nginx's workers would run as "nobody"; keep them as this user.
                user="user root;" if os.geteuid() == 0 else "",
            )
        )
        fd = listener.fileno()
        env = {"PATH": os.environ.get("PATH", ""), "NGINX": f"{fd};"}
        process = subprocess.Popen(
            [binary, "-p", str(directory), "-c", str(config), "-e", str(directory / "error.log")],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(fd,),
            start_new_session=True,
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    finally:
        listener.close()  # nginx holds its own copy
    proxy = Nginx(port, upstream, directory, process)
    try:
        _ready(proxy, time.monotonic() + ready_timeout)
    except BaseException:
        proxy.stop()
        raise
    return proxy


@contextlib.contextmanager
def proxy(
    binary: str, upstream: tuple[str, int], *, read_timeout: float = READ_TIMEOUT
) -> Iterator[Nginx]:
    """nginx in front of ``upstream`` for the with-block."""
    running = start(binary, upstream, read_timeout=read_timeout)
    try:
        yield running
    finally:
        running.stop()
