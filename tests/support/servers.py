"""Start real HTTP servers on 127.0.0.1 for the wire-level tests.

``serve(server, "module:attribute")`` runs one of :data:`WSGI_SERVERS` / :data:`ASGI_SERVERS` as a
subprocess and yields a :class:`Server` once it answers HTTP requests.  The app path is imported
by the server process with ``tests/`` (and ``src/``) on ``PYTHONPATH`` and ``tests/`` as the
working directory, so ``apps.wsgi_routes:app`` or a later ``apps.guarded:wsgi_fix`` work.

Listening sockets are never "guessed free ports":

* gunicorn (with uvicorn's worker too), uvicorn, hypercorn and daphne get a socket this process
  bound to ``127.0.0.1:0`` and put in ``listen()`` state, handed over as an inherited file
  descriptor (``-b fd://N``, ``--fd N``, ``--bind fd://N``); the parent closes its copy right
  after the spawn.
* wsgiref and werkzeug run :mod:`support.run_wsgi`, which binds port 0 itself and prints the port.
* waitress, cheroot, granian and uWSGI bind ``127.0.0.1:0`` themselves; the port is read back
  from ``/proc``.

Readiness is an HTTP round trip (``GET /`` — any status will do), polled together with the
process state, so a server that dies during start-up fails fast with its logs.  Every process
is started in its own session; on exit it gets SIGTERM, a bounded wait, then SIGKILL for the
whole process group (gunicorn workers included), and the output pipe is closed.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

WSGI_SERVERS: tuple[str, ...] = ("gunicorn-sync", "gunicorn-gthread", "wsgiref", "werkzeug")
ASGI_SERVERS: tuple[str, ...] = ("uvicorn-h11", "uvicorn-httptools", "hypercorn")
ALL_SERVERS: tuple[str, ...] = WSGI_SERVERS + ASGI_SERVERS

# The setups of issue 12.  Unguarded they are in tests/wire/test_wire_baseline.py,
# test_wire_h2.py and test_server_detection.py; guarded (fix mode: HTTP/1.1, and h2c on
# granian) in tests/wire/test_guarded_servers.py, which lists them itself.  The lists above
# are the servers of test_wsgi_wire.py and test_asgi_wire.py.
OTHER_WSGI_SERVERS: tuple[str, ...] = ("waitress", "cheroot", "granian-wsgi", "uwsgi")
OTHER_ASGI_SERVERS: tuple[str, ...] = ("granian-asgi", "daphne", "gunicorn-uvicorn")
EVERY_WSGI_SERVER: tuple[str, ...] = WSGI_SERVERS + OTHER_WSGI_SERVERS
EVERY_ASGI_SERVER: tuple[str, ...] = ASGI_SERVERS + OTHER_ASGI_SERVERS
EVERY_SERVER: tuple[str, ...] = EVERY_WSGI_SERVER + EVERY_ASGI_SERVER
# ASGI servers that answer HTTP/2 with prior knowledge (h2c) on the same plain-text port;
# granian's WSGI runner does too, and the tests that serve a WSGI app over h2c add it.
H2C_SERVERS: tuple[str, ...] = ("hypercorn", "granian-asgi")

HOST = "127.0.0.1"
TESTS_DIR = Path(__file__).resolve().parent.parent
SRC_DIR = TESTS_DIR.parent / "src"

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_POLL = 0.05
_READY_LINE = re.compile(r"^LISTENING (\S+) (\d+)$", re.MULTILINE)


class ServerError(RuntimeError):
    """A server could not be started (the message carries its logs)."""


def kind_of(server: str) -> Literal["wsgi", "asgi"]:
    if server in EVERY_WSGI_SERVER:
        return "wsgi"
    if server in EVERY_ASGI_SERVER:
        return "asgi"
    raise ValueError(f"unknown server {server!r}; expected one of {EVERY_SERVER}")


class _OutputPump:
    """Drains a child's merged stdout/stderr pipe into memory on a background thread."""

    def __init__(self, pipe: int) -> None:
        self._fd = pipe
        self._chunks: list[bytes] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name=f"server-output-{pipe}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                readable, _, _ = select.select([self._fd], [], [], 0.1)
            except (OSError, ValueError):  # the pipe was closed under us
                readable = []
                self._stopping = True
            if not readable:
                if self._stopping:
                    return
                continue
            try:
                data = os.read(self._fd, 65536)
            except OSError:
                data = b""
            with self._cond:
                if data:
                    self._chunks.append(data)
                self._cond.notify_all()
            if not data:
                return

    def size(self) -> int:
        with self._cond:
            return sum(len(chunk) for chunk in self._chunks)

    def text(self, since: int = 0) -> str:
        with self._cond:
            data = b"".join(self._chunks)
        return data[since:].decode("utf-8", errors="replace")

    def wait_for(
        self, pattern: re.Pattern[str], timeout: float, since: int = 0
    ) -> re.Match[str] | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                data = b"".join(self._chunks)[since:]
                match = pattern.search(data.decode("utf-8", errors="replace"))
                remaining = deadline - time.monotonic()
                if match is not None or remaining <= 0 or not self._thread.is_alive():
                    return match
                self._cond.wait(min(remaining, 0.1))

    def stop(self, timeout: float) -> None:
        self._stopping = True
        self._thread.join(timeout)


@dataclass
class Server:
    """A running server subprocess listening on ``host:port``."""

    name: str
    app: str
    host: str
    port: int
    process: subprocess.Popen[bytes] = field(repr=False)
    _output: _OutputPump = field(repr=False)

    @property
    def kind(self) -> Literal["wsgi", "asgi"]:
        return kind_of(self.name)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def logs(self, since: int = 0) -> str:
        """Everything the server wrote to stdout and stderr so far (from mark ``since``)."""
        return self._output.text(since)

    def log_mark(self) -> int:
        """A position in the logs, for :meth:`logs` / :meth:`wait_for_log` ``since=``."""
        return self._output.size()

    def wait_for_log(self, text: str, timeout: float = 5.0, *, since: int = 0) -> bool:
        """Wait until ``text`` appears in the logs after mark ``since`` (servers log late)."""
        pattern = re.compile(re.escape(text))
        return self._output.wait_for(pattern, timeout, since) is not None

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        """Ask the server to stop (SIGTERM) without waiting; :meth:`stop` then finishes."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """Terminate the server and its process group; idempotent."""
        proc = self.process
        try:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    _kill_group(proc.pid)
                    proc.wait(STOP_TIMEOUT)
            # Workers (gunicorn) normally exit with their master; make sure none is left.
            _reap_group(proc.pid)
        finally:
            self._output.stop(STOP_TIMEOUT)
            if proc.stdout is not None:
                proc.stdout.close()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _reap_group(pgid: int) -> None:
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(_POLL)
    _kill_group(pgid)


def _command(server: str, app: str, fd: int | None) -> list[str]:
    py = [sys.executable, "-m"]
    if server in ("gunicorn-sync", "gunicorn-gthread"):
        worker = ["--worker-class", "sync"]
        if server == "gunicorn-gthread":
            worker = ["--worker-class", "gthread", "--threads", "4"]
        return [
            *py,
            "gunicorn",
            "--bind",
            f"fd://{fd}",
            "--workers",
            "1",
            *worker,
            "--graceful-timeout",
            "3",
            "--no-control-socket",  # gunicorn 27 otherwise shares ~/.gunicorn/gunicorn.ctl
            "--error-logfile",
            "-",
            app,
        ]
    if server in ("uvicorn-h11", "uvicorn-httptools"):
        return [
            *py,
            "uvicorn",
            app,
            "--fd",
            str(fd),
            "--http",
            server.removeprefix("uvicorn-"),
            "--workers",
            "1",
            "--lifespan",
            "on",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "3",
        ]
    if server == "hypercorn":
        return [
            *py,
            "hypercorn",
            "--bind",
            f"fd://{fd}",
            # 0 = the single worker runs in the main process (1 would spawn a child process).
            "--workers",
            "0",
            "--graceful-timeout",
            "3",
            "--error-logfile",
            "-",
            app,
        ]
    if server == "gunicorn-uvicorn":
        return [
            *py,
            "gunicorn",
            "--bind",
            f"fd://{fd}",
            "--workers",
            "1",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--graceful-timeout",
            "3",
            "--no-control-socket",
            "--error-logfile",
            "-",
            app,
        ]
    if server == "daphne":
        return [*py, "daphne", "--fd", str(fd), "--verbosity", "1", app]
    if server in ("wsgiref", "werkzeug"):
        return [*py, "support.run_wsgi", server, app, "--host", HOST, "--port", "0"]
    # The servers below bind port 0 themselves; start() reads the port back from /proc.
    if server == "waitress":
        return [*py, "waitress", f"--listen={HOST}:0", "--threads=4", app]
    if server == "cheroot":
        return [*py, "cheroot", "--bind", f"{HOST}:0", "--threads", "4", app]
    if server in ("granian-wsgi", "granian-asgi"):
        return [
            *py,
            "granian",
            "--interface",
            server.removeprefix("granian-"),
            "--host",
            HOST,
            "--port",
            "0",
            "--workers",
            "1",
            "--blocking-threads",
            "4" if server == "granian-wsgi" else "1",
            "--no-access-log",
            "--workers-kill-timeout",
            "3",
            app,
        ]
    if server == "uwsgi":
        return [
            str(Path(sys.executable).parent / "pyuwsgi"),
            "--strict",
            "--http-socket",
            f"{HOST}:0",
            "--module",
            app,
            "--need-app",
            # No --master: its shutdown buries the worker on a 1 s tick; one worker process
            # answers the same bytes (the wire under test does not involve the master).
            "--processes",
            "1",
            "--die-on-term",  # SIGTERM is a "brutal reload" for the uWSGI 2.0 master otherwise
            "--disable-logging",
        ]
    raise ValueError(f"unknown server {server!r}; expected one of {EVERY_SERVER}")


INHERITS_FD = frozenset(
    {"gunicorn-sync", "gunicorn-gthread", "gunicorn-uvicorn", "uvicorn-h11"}
    | {"uvicorn-httptools", "hypercorn", "daphne"}
)
PRINTS_PORT = frozenset({"wsgiref", "werkzeug"})
# The rest bind 127.0.0.1:0 themselves and print nothing usable (granian logs port 0,
# cheroot nothing): their port is read back from /proc.


def _group_pids(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` (the server and its workers)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


def _listening_ports(pgid: int) -> set[int]:
    """Ports of the TCP sockets on 127.0.0.1 that processes of ``pgid`` hold in LISTEN."""
    inodes = set()
    for pid in _group_pids(pgid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            address, _, port = local.partition(":")
            if state == "0A" and address == "0100007F" and inode in inodes:
                ports.add(int(port, 16))
    return ports


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(TESTS_DIR), str(SRC_DIR)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONWARNINGS", None)
    if extra:
        env.update(extra)
    return env


def _http_ready(srv: Server, deadline: float, *, port_from_proc: bool = False) -> None:
    """Wait for one HTTP response on a fresh connection, watching the process meanwhile.

    ``port_from_proc``: the server bound port 0 itself; before each try, take the one port its
    process group listens on (a socket a master opened and dropped again is not mistaken for
    the worker's: the try fails and the port is read again).
    """
    while True:
        if not srv.alive():
            raise ServerError(f"{srv.name} exited with status {srv.process.returncode}")
        if time.monotonic() >= deadline:
            raise ServerError(f"{srv.name} did not answer on {srv.host}:{srv.port} in time")
        if port_from_proc:
            ports = _listening_ports(srv.process.pid)
            if len(ports) != 1:
                time.sleep(_POLL)
                continue
            srv.port = ports.pop()
        request = f"GET / HTTP/1.1\r\nHost: {srv.host}:{srv.port}\r\nConnection: close\r\n\r\n"
        try:
            with socket.create_connection(srv.address, timeout=1.0) as sock:
                sock.sendall(request.encode("ascii"))
                while time.monotonic() < deadline:
                    readable, _, _ = select.select([sock], [], [], _POLL)
                    if readable:
                        if sock.recv(1):
                            return
                        break  # closed without a byte: not ready yet, try again
                    if not srv.alive():
                        break
        except OSError:
            pass
        time.sleep(_POLL)


def start(
    server: str,
    app: str,
    *,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = READY_TIMEOUT,
) -> Server:
    """Start ``server`` serving ``app`` and wait until it answers; see :func:`serve`."""
    kind_of(server)
    listener: socket.socket | None = None
    fd: int | None = None
    if server in INHERITS_FD:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((HOST, 0))
        listener.listen(128)
        fd = listener.fileno()
    deadline = time.monotonic() + ready_timeout
    try:
        proc = subprocess.Popen(
            _command(server, app, fd),
            cwd=TESTS_DIR,
            env=_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=() if fd is None else (fd,),
            start_new_session=True,
        )
        port = 0 if listener is None else int(listener.getsockname()[1])
    finally:
        if listener is not None:
            listener.close()  # the child holds its own copy
    assert proc.stdout is not None
    srv = Server(server, app, HOST, port, proc, _OutputPump(proc.stdout.fileno()))
    try:
        port_from_proc = server not in INHERITS_FD and server not in PRINTS_PORT
        if server in PRINTS_PORT:
            match = srv._output.wait_for(_READY_LINE, max(0.0, deadline - time.monotonic()))
            if match is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(1.0)  # output ended: the runner is exiting
                if proc.returncode is not None:
                    raise ServerError(f"{server} exited with status {proc.returncode}")
                raise ServerError(f"{server} did not report its port in time")
            srv.port = int(match.group(2))
        _http_ready(srv, deadline, port_from_proc=port_from_proc)
    except BaseException as exc:
        srv.stop()
        if isinstance(exc, ServerError):
            raise ServerError(f"{exc}; app={app}\n--- logs ---\n{srv.logs()}") from None
        raise
    return srv


@contextlib.contextmanager
def serve(
    server: str,
    app: str,
    *,
    env: dict[str, str] | None = None,
    ready_timeout: float = READY_TIMEOUT,
) -> Iterator[Server]:
    """Run ``app`` (``module:attribute``) under ``server`` on 127.0.0.1 for the with-block."""
    srv = start(server, app, env=env, ready_timeout=ready_timeout)
    try:
        yield srv
    finally:
        srv.stop()


@contextlib.contextmanager
def serve_command(
    name: str,
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = READY_TIMEOUT,
) -> Iterator[Server]:
    """Run a server started the way its users start it (``flask run``, ``manage.py
    runserver``, ``uvicorn --reload``), told to listen on 127.0.0.1 port 0: the port is read
    from the listening socket its process group holds.  Stopped with its process group."""
    deadline = time.monotonic() + ready_timeout
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=_environment(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    srv = Server(name, " ".join(argv), HOST, 0, proc, _OutputPump(proc.stdout.fileno()))
    try:
        try:
            _http_ready(srv, deadline, port_from_proc=True)
        except ServerError as exc:
            raise ServerError(f"{exc}\n--- logs ---\n{srv.logs()}") from None
        yield srv
    finally:
        srv.stop()


GetServer = Callable[[str], Server]


def stop_all(servers: Iterable[Server]) -> None:
    """Stop several servers at once: all are signalled before any is waited for."""
    servers = list(servers)
    for srv in servers:
        srv.terminate()
    for srv in servers:
        srv.stop()


@contextlib.contextmanager
def serve_lazily(
    server: str, module: str, *, env: dict[str, str] | None = None
) -> Iterator[GetServer]:
    """``get(attr)`` serves ``module:attr`` with ``server``, started on first use and kept
    until the block ends (a module-scoped fixture starts each app once)."""
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}

        def get(attr: str) -> Server:
            if attr not in servers:
                servers[attr] = stack.enter_context(serve(server, f"{module}:{attr}", env=env))
            return servers[attr]

        yield get
