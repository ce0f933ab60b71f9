"""Prometheus: the scrape-time collector reads the guards' exact counters; ``instrument()``
counts as it happens, also in ``prometheus_client``'s multiprocess mode, across fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from support.drive import call_wsgi
from support.exchange import respond

from statusguard import WSGIStatusGuard
from statusguard.contrib.prometheus import PrometheusCounters, instrument, register
from statusguard.engine import Config, Engine
from statusguard.report import metric_status

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SRC = Path(__file__).resolve().parents[2] / "src"
FIXED_204 = {"rule": "content-forbidden", "status": "204", "action": "fixed"}


def test_counters_are_exported_exactly() -> None:
    engines = [
        Engine("asgi", Config.from_options(mode="fix", server_date="if-absent", logger="sg.p"))
        for _ in range(2)
    ]
    for n, engine in enumerate(engines):
        for _ in range(3 + n):
            respond(engine, 204, [(b"Date", b"Sun, 06 Nov 1994 08:49:37 GMT")], b"x")
    engines[0].reporter.internal_error(RuntimeError("x"), "GET /x")
    registry = CollectorRegistry()
    register(*engines, registry=registry)
    text = generate_latest(registry).decode()
    assert (
        'statusguard_violations_total{action="fixed",rule="content-forbidden",status="204"} 7.0'
        in text
    )
    assert "statusguard_internal_errors_total 1.0" in text
    assert (
        registry.get_sample_value(
            "statusguard_violations_total",
            {"rule": "content-forbidden", "status": "204", "action": "fixed"},
        )
        == 7
    )


def status_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """``/<status line>``: that status with a body (a 204 with content, a 299...)."""
    start_response(environ["PATH_INFO"][1:].replace("_", " "), [("Content-Type", "text/plain")])
    return [b"body"]


@pytest.fixture
def counters() -> Iterator[tuple[PrometheusCounters, CollectorRegistry]]:
    registry = CollectorRegistry()
    found = instrument(registry)
    try:
        yield found, registry
    finally:
        found.close()


def test_the_status_label_is_bounded() -> None:
    assert metric_status(204) == "204"
    assert metric_status(449) == "449"  # non-standard, but in the table (the seed)
    assert metric_status(299) == "2xx"
    assert metric_status(0) == "0"
    assert metric_status(1042) == "0"
    assert len({metric_status(code) for code in range(-5, 2_000)}) <= 72


def test_collector_and_counters_label_statuses_the_same_bounded_way(
    counters: tuple[PrometheusCounters, CollectorRegistry],
) -> None:
    _, instrumented = counters
    guard = WSGIStatusGuard(status_app, mode="fix", logger="sg.p")
    for status in ("204_No_Content", "299_Whatever", "298_Other", "600_Beyond"):
        call_wsgi(guard, f"/{status}")
    collected = CollectorRegistry()
    register(guard, registry=collected)
    for registry in (collected, instrumented):
        samples = {
            (s.labels["rule"], s.labels["status"], s.labels["action"]): s.value
            for metric in registry.collect()
            if metric.name == "statusguard_violations"
            for s in metric.samples
            if s.name == "statusguard_violations_total"
        }
        assert samples[("content-forbidden", "204", "fixed")] == 1
        assert {status for _, status, _ in samples} == {"204", "2xx", "0"}
        assert sum(count for (rule, status, _), count in samples.items() if status == "2xx") == 2


def test_instrument_counts_every_guard_exactly_as_it_happens(
    counters: tuple[PrometheusCounters, CollectorRegistry],
) -> None:
    found, registry = counters
    assert instrument(registry) is found  # once per registry
    guards = [WSGIStatusGuard(status_app, mode=mode, logger="sg.p") for mode in ("fix", "warn")]
    for _ in range(3):
        call_wsgi(guards[0], "/204_No_Content")
    with pytest.warns(UserWarning, match="content-forbidden"):  # the first occurrence
        for _ in range(2):
            call_wsgi(guards[1], "/204_No_Content")
    call_wsgi(guards[0], "/200_OK")  # clean: never reaches the counters
    guards[0].engine.reporter.internal_error(RuntimeError("x"), "GET /x")
    value = registry.get_sample_value
    assert value("statusguard_violations_total", FIXED_204) == 3
    assert value("statusguard_violations_total", {**FIXED_204, "action": "reported"}) == 2
    assert value("statusguard_internal_errors_total") == 1
    total = sum(guard.stats().total for guard in guards)
    assert total == 5
    found.close()
    call_wsgi(guards[0], "/204_No_Content")
    assert value("statusguard_violations_total", FIXED_204) == 3  # closed: no longer counting


# A guard built before fork() (gunicorn --preload), three forked workers, one scrape of the
# multiprocess directory.  In a subprocess: prometheus_client chooses its mode at import.
MULTIPROCESS = textwrap.dedent(
    """
    import json, os, sys
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector
    from statusguard import WSGIStatusGuard
    from statusguard.contrib.prometheus import instrument, multiprocess_mode

    def app(environ, start_response):
        start_response(environ["PATH_INFO"][1:].replace("_", " "), [])
        return [b"body"]

    def call(guard, path):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_PROTOCOL": "HTTP/1.1",
                   "SERVER_SOFTWARE": "gunicorn/27", "wsgi.url_scheme": "http"}
        body = guard(environ, lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    instrument()
    guard = WSGIStatusGuard(app, mode="fix")
    call(guard, "/204_No_Content")  # in the master, before the fork: counted once
    children = []
    for n in (1, 2, 3):
        pid = os.fork()
        if pid == 0:
            assert guard.stats().total == 0, guard.stats()
            for _ in range(n):
                call(guard, "/204_No_Content")
            call(guard, "/405_Method_Not_Allowed")
            os._exit(0)
        children.append(pid)
    for pid in children:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    samples = {
        ",".join(s.labels[k] for k in ("rule", "status", "action")): s.value
        for metric in registry.collect() for s in metric.samples
        if s.name == "statusguard_violations_total"
    }
    print(json.dumps({"mode": multiprocess_mode(), "samples": samples,
                      "master": guard.stats().total, "files": sorted(os.listdir(sys.argv[1]))}))
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_multiprocess_counts_add_up_across_forked_workers(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(SRC)}
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", MULTIPROCESS, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["mode"] is True
    assert result["samples"] == {
        "content-forbidden,204,fixed": 1 + 1 + 2 + 3,
        "allow-missing,405,reported": 3,
        "content-type-missing,405,reported": 3,
    }
    assert result["master"] == 1  # the master's own count, never the workers'
    assert len([name for name in result["files"] if name.startswith("counter_")]) == 4
