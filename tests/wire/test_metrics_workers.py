"""Metrics that add up across workers: gunicorn with three workers (with and without
``--preload``) and uvicorn with ``--workers 2`` serve one port with ``PROMETHEUS_MULTIPROC_DIR``
set; one scrape of ``/metrics``, answered by any worker, has the exact totals of the pool.

Each test sends a known number of violating and clean requests from a bounded pool of client
threads (each request on its own connection, so they spread over the workers), scrapes, and
checks the totals per rule, status and action; then kills the worker that counted most, waits
for the server to start another, sends more, and checks the totals again: the dead worker's
counts stay, the new worker's are added.  The gunicorn configuration is the ``child_exit``
hook of docs/production.md, taken from the page.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from support.servers import (
    HOST,
    TESTS_DIR,
    Server,
    ServerError,
    _environment,
    _http_ready,
    _OutputPump,
)
from support.snippets import snippet

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX servers")

APP = "apps.metrics_workers"
CLIENTS = 6  # concurrent client threads
TIMEOUT = 15.0  # per request, and to wait for a restarted worker

# What each violating route counts (fix mode): rule, status, action.
NO_CONTENT = ("content-forbidden", "204", "fixed")
LOGIN = ("www-authenticate-missing", "401", "reported")

Totals = dict[tuple[str, str, str], int]


def gunicorn_conf(tmp_path: Path) -> Path:
    """The ``# gunicorn.conf.py`` block of docs/production.md, as a file."""
    conf = snippet("production.md", "gunicorn.conf.py")
    assert "mark_process_dead(worker.pid)" in conf
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(conf, encoding="utf-8")
    return path


def start_pool(command: list[str], fd: socket.socket, env: dict[str, str]) -> Server:
    """Start ``command`` with ``fd`` (bound to 127.0.0.1:0, listening) inherited."""
    port = int(fd.getsockname()[1])
    try:
        proc = subprocess.Popen(
            command,
            cwd=TESTS_DIR,
            env=_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(fd.fileno(),),
            start_new_session=True,
        )
    finally:
        fd.close()  # the server holds its own copy
    assert proc.stdout is not None
    srv = Server(command[2], APP, HOST, port, proc, _OutputPump(proc.stdout.fileno()))
    try:
        _http_ready(srv, time.monotonic() + 30.0)
    except BaseException as exc:
        srv.stop()
        if isinstance(exc, ServerError):
            raise ServerError(f"{exc}\n--- logs ---\n{srv.logs()}") from None
        raise
    return srv


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(128)
    return sock


@contextlib.contextmanager
def gunicorn(tmp_path: Path, *, preload: bool) -> Iterator[Server]:
    sock = listening_socket()
    command = [
        *(sys.executable, "-m", "gunicorn"),
        *("--bind", f"fd://{sock.fileno()}", "--workers", "3", "--worker-class", "sync"),
        *("--config", str(gunicorn_conf(tmp_path)), "--graceful-timeout", "3"),
        *("--no-control-socket", "--error-logfile", "-", "--log-level", "info"),
        *(["--preload"] if preload else []),
        f"{APP}:wsgi",
    ]
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "METRICS_WARMUP": "wsgi"}
    srv = start_pool(command, sock, env)
    try:
        yield srv
    finally:
        srv.stop()


@contextlib.contextmanager
def uvicorn(tmp_path: Path) -> Iterator[Server]:
    sock = listening_socket()
    command = [
        *(sys.executable, "-m", "uvicorn", f"{APP}:asgi"),
        *("--fd", str(sock.fileno()), "--workers", "2", "--lifespan", "off"),
        *("--no-access-log", "--timeout-graceful-shutdown", "3"),
    ]
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "METRICS_WARMUP": "asgi"}
    srv = start_pool(command, sock, env)
    try:
        yield srv
    finally:
        srv.stop()


def get(srv: Server, path: str) -> tuple[int, bytes]:
    """One request on a connection of its own."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def send(srv: Server, counts: dict[str, int]) -> None:
    """Send ``counts[path]`` requests to each path, from a bounded pool of clients, and check
    each answer (the 204 repaired, the 401 reported as it was, the rest clean)."""
    paths = [path for path, n in counts.items() for _ in range(n)]
    expected = {"/no-content": (204, b""), "/login": (401, b"log in first"), "/ok": (200, b"ok")}
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda path: (path, get(srv, path)), paths))
    for path, answer in answers:
        assert answer == expected[path], (path, answer)


def scrape(srv: Server) -> tuple[Totals, float]:
    """The pool's violation totals and internal errors, from one scrape of /metrics."""
    status, body = get(srv, "/metrics")
    assert status == 200
    totals: Totals = {}
    internal = 0.0
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "statusguard_violations_total":
                labels = sample.labels
                key = (labels["rule"], labels["status"], labels["action"])
                totals[key] = totals.get(key, 0) + int(sample.value)
            elif sample.name == "statusguard_internal_errors_total":
                internal += sample.value
    return totals, internal


def counted_by_pid(directory: Path) -> dict[int, int]:
    """Violations in each process's counter file (``counter_<pid>.db``)."""
    counted: dict[int, int] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        total = 0
        for metric in MultiProcessCollector.merge([str(path)]):  # type: ignore[no-untyped-call]
            total += sum(
                int(s.value) for s in metric.samples if s.name == "statusguard_violations_total"
            )
        counted[pid] = total
    return counted


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False


def kill_busiest_worker(srv: Server, directory: Path) -> int:
    """SIGKILL the live worker whose file counts most; returns its pid."""
    counted = counted_by_pid(directory)
    workers = [pid for pid in counted if pid != srv.process.pid and alive(pid)]
    assert workers, counted
    victim = max(workers, key=lambda pid: counted[pid])
    assert counted[victim] > 0
    os.kill(victim, signal.SIGKILL)
    return victim


def wait_for_new_worker(srv: Server, pattern: str, since: int, known: set[int]) -> int:
    """Wait until the server logs a worker pid matching ``pattern`` not in ``known``."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for match in regex.finditer(srv.logs(since)):
            pid = int(match.group(1))
            if pid not in known:
                return pid
        assert srv.alive(), srv.logs()
        time.sleep(0.05)
    raise AssertionError(f"no new worker was started:\n{srv.logs(since)}")


def worker_stats(srv: Server, expected: set[int] | int) -> dict[int, dict[str, Any]]:
    """Ask /stats on fresh connections until ``expected`` workers (a number, or these pids)
    have answered: the whole pool serves the port.  Returns each worker's ``stats()``."""
    deadline = time.monotonic() + TIMEOUT
    answered: dict[int, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        with ThreadPoolExecutor(CLIENTS) as pool:
            for status, body in pool.map(lambda _: get(srv, "/stats"), range(CLIENTS)):
                assert status == 200
                answer = json.loads(body)
                answered[answer["pid"]] = answer["stats"]
        if isinstance(expected, set):
            if expected <= answered.keys():
                return answered
        elif len(answered) >= expected:
            return answered
        assert srv.alive(), srv.logs()
    raise AssertionError(f"only {sorted(answered)} answered, expected {expected}")


def check_pool(
    srv: Server, directory: Path, workers: int, worker_pid: str, imports: Callable[[], int]
) -> None:
    """The scenario of the module docstring on a running pool of ``workers``.  ``imports()``:
    how many processes imported the app so far (each counted one warm-up violation)."""
    before = worker_stats(srv, workers)
    send(srv, {"/no-content": 30, "/login": 12, "/ok": 40})
    totals, internal = scrape(srv)
    assert totals == {NO_CONTENT: 30 + imports(), LOGIN: 12}
    assert internal == 0
    # Each worker's stats() count what it served, and its own warm-up if it imported the app:
    # nothing of a master it was forked from.  Their sum is the scrape, less the master's.
    after = worker_stats(srv, set(before))
    by_workers = sum(sum(v["count"] for v in stats["violations"]) for stats in after.values())
    master = counted_by_pid(directory).get(srv.process.pid, 0)
    assert by_workers + master == sum(totals.values())
    assert all(stats["pid"] == pid for pid, stats in after.items())

    mark = srv.log_mark()
    known = {int(pid) for pid in re.findall(worker_pid, srv.logs())}
    victim = kill_busiest_worker(srv, directory)
    new = wait_for_new_worker(srv, worker_pid, mark, known | {victim})
    worker_stats(srv, {new})
    # The dead worker's counts are still in the total.
    assert scrape(srv)[0] == {NO_CONTENT: 30 + imports(), LOGIN: 12}
    assert not alive(victim)
    # More requests, until the new worker has counted some of them (a few batches at most).
    sent = 0
    while sent < 5 and not counted_by_pid(directory).get(new):
        send(srv, {"/no-content": 8, "/login": 2, "/ok": 10})
        sent += 1
    assert counted_by_pid(directory).get(new), "the new worker never counted anything"
    totals, internal = scrape(srv)
    assert totals == {NO_CONTENT: 30 + 8 * sent + imports(), LOGIN: 12 + 2 * sent}
    assert internal == 0


@pytest.mark.parametrize("preload", [False, True], ids=["import-per-worker", "preload"])
def test_gunicorn_three_workers_add_up_across_a_worker_restart(
    tmp_path: Path, preload: bool
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    booted = r"Booting worker with pid: (\d+)"
    with gunicorn(tmp_path, preload=preload) as srv:
        # With --preload only the master imports the app (its warm-up is counted once, in
        # its own file); otherwise every worker that boots does.
        imports = (lambda: 1) if preload else (lambda: len(re.findall(booted, srv.logs())))
        check_pool(srv, directory, 3, booted, imports)
        assert "Traceback" not in srv.logs(), srv.logs()
        if preload:
            assert counted_by_pid(directory)[srv.process.pid] == 1


def test_uvicorn_two_workers_add_up_across_a_worker_restart(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    started = r"Started server process \[(\d+)\]"
    with uvicorn(tmp_path) as srv:
        check_pool(srv, directory, 2, started, lambda: len(re.findall(started, srv.logs())))
        assert "Traceback" not in srv.logs(), srv.logs()
