"""Counts that are right across ``fork()``: a forked child starts from zero, its parent keeps
its own, and ``stats()`` says since when (and in which process) it counts.

gunicorn ``--preload`` builds the guard in the master and forks the workers: without this,
every worker would start with the master's counts, and the sum over workers over-count.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client import CollectorRegistry
from support.drive import call_wsgi

from statusguard import WSGIStatusGuard
from statusguard.contrib.prometheus import instrument, multiprocess_mode

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")

CHILD_DEADLINE = 60.0  # a child that has not exited by then is stuck (a lock held across fork)


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("204 No Content", [])
    return [b"body"]


def in_child(work: Callable[[], object]) -> Any:
    """Run ``work`` in a forked child and return what it returned (as JSON)."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns when a process with threads forks; none of them is ours.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 0
        try:
            os.close(read)
            try:
                payload = {"ok": work()}
            except BaseException:
                payload = {"error": traceback.format_exc()}
                code = 1
            os.write(write, json.dumps(payload).encode())
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + CHILD_DEADLINE
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read)
            pytest.fail("the forked child did not finish: a lock held across fork()?")
        time.sleep(0.01)
    with os.fdopen(read, "rb") as pipe:
        payload = json.loads(pipe.read() or b"{}")
    assert "error" not in payload, payload["error"]
    assert os.waitstatus_to_exitcode(status) == 0
    return payload["ok"]


@pytest.fixture
def logger(request: pytest.FixtureRequest) -> logging.Logger:
    log = logging.getLogger(f"statusguard.test.{request.node.name}")
    log.propagate = False
    log.addHandler(logging.NullHandler())
    return log


def test_a_forked_child_counts_from_zero_and_the_parent_keeps_its_counts(
    logger: logging.Logger,
) -> None:
    guard = WSGIStatusGuard(app, mode="fix", logger=logger)
    for _ in range(5):
        call_wsgi(guard, "/x")
    parent = guard.stats()
    assert parent.violations == {("content-forbidden", 204, "fixed"): 5}
    assert parent.pid == os.getpid()

    def child() -> object:
        start = guard.stats()
        for _ in range(2):
            assert call_wsgi(guard, "/x").body == b""
        return {"start": start.as_dict(), "after": guard.stats().as_dict(), "pid": os.getpid()}

    seen = in_child(child)
    assert seen["start"]["violations"] == [] and seen["start"]["internal_errors"] == 0
    assert seen["after"]["violations"] == [
        {"rule": "content-forbidden", "status": 204, "action": "fixed", "count": 2}
    ]
    # The child says since when it counts: the fork, not the guard's creation.
    assert seen["start"]["since"] > parent.since
    assert seen["start"]["pid"] == seen["pid"] != os.getpid()
    # The parent keeps its own counts, and goes on counting.
    assert guard.stats() == parent
    call_wsgi(guard, "/x")
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): 6}


def test_a_child_forked_while_another_thread_reports_can_still_report(
    logger: logging.Logger,
) -> None:
    guard = WSGIStatusGuard(app, mode="fix", logger=logger)
    call_wsgi(guard, "/x")
    reporter = guard.engine.reporter
    # Forking while the reporter's lock is held (as when another thread is counting) leaves
    # the child a copy of a lock nobody will release; the child gets a lock of its own.
    with reporter._lock:
        seen = in_child(lambda: (call_wsgi(guard, "/x"), guard.stats().total)[1])
    assert seen == 1
    assert guard.stats().total == 1


def test_the_log_state_starts_afresh_in_the_child(logger: logging.Logger) -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(getattr(record, "statusguard_event", ""))

    logger.addHandler(Keep())
    guard = WSGIStatusGuard(app, mode="fix", logger=logger)
    call_wsgi(guard, "/x")
    call_wsgi(guard, "/x")  # a repeat, pending for the next summary
    assert records == ["violation"]

    def child() -> object:
        guard.flush()  # the parent's pending repeat is the parent's to log
        call_wsgi(guard, "/x")  # a first occurrence in this worker
        return records

    assert in_child(child) == ["violation", "violation"]
    guard.flush()
    assert records == ["violation", "summary"]


@pytest.mark.skipif(multiprocess_mode(), reason="PROMETHEUS_MULTIPROC_DIR is set")
def test_prometheus_counters_of_a_single_process_start_from_zero_in_the_child(
    logger: logging.Logger,
) -> None:
    registry = CollectorRegistry()
    counters = instrument(registry)
    try:
        guard = WSGIStatusGuard(app, mode="fix", logger=logger)
        for _ in range(3):
            call_wsgi(guard, "/x")
        labels = {"rule": "content-forbidden", "status": "204", "action": "fixed"}

        def value() -> float | None:
            return registry.get_sample_value("statusguard_violations_total", labels)

        assert value() == 3

        def child() -> object:
            before = value()
            call_wsgi(guard, "/x")
            return [before, value()]

        assert in_child(child) == [None, 1]
        assert value() == 3
    finally:
        counters.close()


def test_opentelemetry_totals_start_from_zero_in_the_child(logger: logging.Logger) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from statusguard.contrib.otel import instrument as instrument_otel

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    counters = instrument_otel(provider)
    try:
        guard = WSGIStatusGuard(app, mode="fix", logger=logger)
        for _ in range(3):
            call_wsgi(guard, "/x")

        def violations() -> list[int]:
            data = reader.get_metrics_data()
            assert data is not None
            return [
                int(point.value)  # type: ignore[union-attr]
                for resource in data.resource_metrics
                for scope in resource.scope_metrics
                for metric in scope.metrics
                if metric.name == "statusguard.violations"
                for point in metric.data.data_points
            ]

        assert violations() == [3]

        def child() -> object:
            before = violations()
            call_wsgi(guard, "/x")
            return [before, violations()]

        assert in_child(child) == [[], [1]]
        assert violations() == [3]
    finally:
        counters.close()
        provider.shutdown()
