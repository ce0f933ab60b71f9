"""End to end: requests/s of real servers with and without the guard.

gunicorn (sync worker) and uvicorn (httptools) each serve the clean 200 of the
micro-benchmarks twice, raw and behind the guard in fix mode, on 127.0.0.1 with ports the OS
chose (the listening socket is bound here and inherited by the server).  A second process loads
them for a bounded time — ``wrk`` when it is installed, else :mod:`benchmarks.load_client` —
alternating raw and guarded for several rounds; the result is the median requests/s of each
and their ratio.  On a machine with two cores or more the server is pinned to one core and the
load generator to another.  Every process started here is stopped before returning.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import e2e_apps
from .cases import CASES

__all__ = ["SERVERS", "E2EResult", "run", "serving", "table"]

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVERS = ("gunicorn-sync", "uvicorn-httptools")
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class E2EResult:
    server: str
    tool: str
    plain: list[float]  # requests/s, one per round
    guarded: list[float]
    # The server's CPU time per request (µs, all its processes), one per round, where the
    # platform tells (Linux): less sensitive than requests/s to other jobs on the machine.
    plain_cpu: list[float]
    guarded_cpu: list[float]
    # The guard's overhead on this response measured in process (µs, same machine, same run).
    overhead: float | None = None

    @property
    def cpu_ratio(self) -> float | None:
        """Median CPU per request without the guard over with it (a throughput ratio)."""
        if not self.plain_cpu or not self.guarded_cpu:
            return None
        return statistics.median(self.plain_cpu) / statistics.median(self.guarded_cpu)

    @property
    def expected(self) -> float | None:
        """The ratio the in-process overhead predicts: CPU per request without the guard over
        the same plus the overhead."""
        if not self.plain_cpu or self.overhead is None:
            return None
        cpu = statistics.median(self.plain_cpu)
        return cpu / (cpu + self.overhead)

    @property
    def ratio(self) -> float:
        """Median requests/s with the guard over the median without."""
        return statistics.median(self.guarded) / statistics.median(self.plain)

    @property
    def paired(self) -> list[float]:
        """With ÷ without, round by round (each round loads both, one after the other)."""
        return [g / p for g, p in zip(self.guarded, self.plain, strict=True)]


def _command(server: str, app: str, fd: int) -> list[str]:
    if server == "gunicorn-sync":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"fd://{fd}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--no-control-socket",
            "--log-level",
            "warning",
            f"benchmarks.e2e_apps:wsgi_{app}",
        ]
    if server == "uvicorn-httptools":
        # Not `uvicorn --fd`: see benchmarks/serve_uvicorn.py (Nagle on inherited sockets).
        return [
            sys.executable,
            "-m",
            "benchmarks.serve_uvicorn",
            f"benchmarks.e2e_apps:asgi_{app}",
            str(fd),
        ]
    raise ValueError(f"unknown server {server!r}; expected one of {SERVERS}")


def _cores() -> tuple[set[int], set[int]] | None:
    """(server cores, client cores) when the machine has two cores or more."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None
    if len(cores) < 2:
        return None
    return {cores[0]}, set(cores[1:])


@dataclass
class _Server:
    name: str
    app: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        proc = self.process
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(STOP_TIMEOUT)
        # gunicorn's worker leaves with its master; make sure nothing of the group is left.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _start(server: str, app: str, cores: set[int] | None) -> _Server:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        sock.listen(1024)
        port = sock.getsockname()[1]
        fd = sock.fileno()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])]
        )
        env.pop("PYTHONWARNINGS", None)
        env.pop("STATUSGUARD_MODE", None)

        def pin() -> None:
            if cores:
                os.sched_setaffinity(0, cores)

        process = subprocess.Popen(
            _command(server, app, fd),
            cwd=ROOT,
            env=env,
            pass_fds=(fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=pin,
        )
    finally:
        sock.close()  # the server holds its own copy
    srv = _Server(server, app, port, process)
    try:
        _wait_ready(srv)
    except BaseException:
        srv.stop()
        raise
    return srv


def _wait_ready(srv: _Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    request = f"GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode("ascii")
    while time.monotonic() < deadline:
        if srv.process.poll() is not None:
            raise RuntimeError(f"{srv.name} ({srv.app}) exited with {srv.process.returncode}")
        try:
            with socket.create_connection((HOST, srv.port), timeout=2.0) as sock:
                sock.sendall(request)
                if sock.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{srv.name} ({srv.app}) did not answer within {READY_TIMEOUT} s")


_WRK_RATE = re.compile(r"Requests/sec:\s+([0-9.]+)")
_WRK_COUNT = re.compile(r"([0-9]+) requests in ")


def _group_cpu(pgid: int) -> float | None:
    """CPU seconds (user + system) used so far by the processes of group ``pgid`` (Linux)."""
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # After the command: state, ppid, pgrp, ..., utime (14th field), stime (15th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _load(
    port: int, duration: float, connections: int, cores: set[int] | None, tool: str
) -> tuple[float, int]:
    """Requests/s and requests of one bounded load run from a second process."""
    if tool == "wrk":
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            f"http://{HOST}:{port}/",
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "benchmarks.load_client",
            HOST,
            str(port),
            "--duration",
            str(duration),
            "--connections",
            str(connections),
        ]

    def pin() -> None:
        if cores:
            os.sched_setaffinity(0, cores)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=duration + 30,
        check=True,
        preexec_fn=pin,
    )
    if tool == "wrk":
        rate, count = _WRK_RATE.search(completed.stdout), _WRK_COUNT.search(completed.stdout)
        if rate is None or count is None:
            raise RuntimeError(f"cannot read wrk's output:\n{completed.stdout}")
        return float(rate.group(1)), int(count.group(1))
    data = json.loads(completed.stdout)
    return float(data["requests"]) / float(data["seconds"]), int(data["requests"])


@contextlib.contextmanager
def serving(server: str, cores: set[int] | None = None) -> Iterator[dict[str, _Server]]:
    """The raw and the guarded app served by ``server``; both stopped on exit."""
    started: dict[str, _Server] = {}
    try:
        for app in ("plain", "guarded"):
            started[app] = _start(server, app, cores)
        yield started
    finally:
        for srv in started.values():
            srv.stop()


def run(
    *,
    servers: Sequence[str] = SERVERS,
    rounds: int = 3,
    duration: float = 5.0,
    warmup: float = 1.0,
    connections: int = 8,
    tool: str | None = None,
) -> list[E2EResult]:
    """Alternate raw and guarded ``rounds`` times per server; ``tool`` is ``"wrk"``,
    ``"python"`` or ``None`` (wrk when installed)."""
    if tool is None:
        tool = "wrk" if shutil.which("wrk") else "python"
    pinning = _cores()
    server_cores, client_cores = pinning if pinning else (None, None)
    results = []
    for server in servers:
        rates: dict[str, list[float]] = {"plain": [], "guarded": []}
        cpu: dict[str, list[float]] = {"plain": [], "guarded": []}
        with serving(server, server_cores) as started:
            for srv in started.values():
                if warmup > 0:
                    _load(srv.port, warmup, connections, client_cores, tool)
            for index in range(rounds):
                order = ("plain", "guarded") if index % 2 == 0 else ("guarded", "plain")
                for app in order:
                    group = started[app].process.pid
                    before = _group_cpu(group)
                    rate, count = _load(
                        started[app].port, duration, connections, client_cores, tool
                    )
                    after = _group_cpu(group)
                    rates[app].append(rate)
                    if before is not None and after is not None and count:
                        cpu[app].append((after - before) / count * 1e6)
        results.append(
            E2EResult(
                server,
                tool,
                rates["plain"],
                rates["guarded"],
                cpu["plain"],
                cpu["guarded"],
                _overhead(server),
            )
        )
    return results


def _overhead(server: str, rounds: int = 30) -> float:
    """The fix-mode guard's overhead on the served response, in µs, measured in process."""
    from . import bench_asgi, bench_wsgi
    from ._quiet import quiet
    from .harness import Contender, measure

    case = CASES[0]
    with quiet():
        if server.startswith("gunicorn"):
            contenders = [
                Contender("direct", bench_wsgi.contender_batch(e2e_apps.wsgi_plain, case)),
                Contender("guard", bench_wsgi.contender_batch(e2e_apps.wsgi_guarded, case)),
            ]
            return measure("e2e", "e2e", contenders, rounds=rounds).overhead("guard") / 1e3
        loop = asyncio.new_event_loop()
        try:
            contenders = [
                Contender("direct", bench_asgi.contender_batch(loop, e2e_apps.asgi_plain, case)),
                Contender("guard", bench_asgi.contender_batch(loop, e2e_apps.asgi_guarded, case)),
            ]
            return measure("e2e", "e2e", contenders, rounds=rounds).overhead("guard") / 1e3
        finally:
            loop.close()


def table(results: Sequence[E2EResult]) -> str:
    lines = [
        "| server | load | rounds | requests/s without guard | with guard (fix) | ratio "
        "| ratio per round (min–max) | server CPU per request without / with | CPU ratio "
        "| expected from the in-process overhead |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        paired = result.paired
        cpu = result.cpu_ratio
        cpu_cells = (
            f"{statistics.median(result.plain_cpu):.0f} µs / "
            f"{statistics.median(result.guarded_cpu):.0f} µs | {cpu:.3f}×"
            if cpu is not None
            else "n/a | n/a"
        )
        lines.append(
            f"| {result.server} | {result.tool} | {len(paired)} | "
            f"{statistics.median(result.plain):,.0f} | "
            f"{statistics.median(result.guarded):,.0f} | {result.ratio:.3f}× | "
            f"{min(paired):.3f}–{max(paired):.3f} | {cpu_cells} | "
            + (
                f"{result.expected:.3f}× (+{result.overhead:.2f} µs)"
                if result.expected is not None and result.overhead is not None
                else "n/a"
            )
            + " |"
        )
    return "\n".join(lines)
