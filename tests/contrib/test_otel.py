"""OpenTelemetry: the SDK's in-memory reader sees the same totals, with the same bounded
attributes, as the guards' counters; nothing of OpenTelemetry is imported unless used."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from support.drive import call_asgi_async, call_wsgi

from statusguard import ASGIStatusGuard, Stats, WSGIStatusGuard
from statusguard.contrib.otel import OTelCounters, instrument

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from support.drive import Message, Receive, Send

SRC = Path(__file__).resolve().parents[2] / "src"


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """``/<status line>``: that status with a text body."""
    start_response(environ["PATH_INFO"][1:].replace("_", " "), [("Content-Type", "text/plain")])
    return [b"body"]


async def asgi_app(scope: Message, receive: Receive, send: Send) -> None:
    status = int(scope["path"][1:4])
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"body"})


Reader = tuple[InMemoryMetricReader, OTelCounters, MeterProvider]


@pytest.fixture
def reader() -> Iterator[Reader]:
    memory = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[memory])
    counters = instrument(provider)
    try:
        yield memory, counters, provider
    finally:
        counters.close()
        provider.shutdown()


def points(memory: InMemoryMetricReader, name: str) -> dict[tuple[str, ...], int]:
    """The cumulative value of each attribute set of the metric ``name``."""
    found: dict[tuple[str, ...], int] = {}
    data = memory.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "statusguard"
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    assert isinstance(point, NumberDataPoint)
                    attributes = point.attributes or {}
                    key = tuple(str(attributes[k]) for k in sorted(attributes))
                    found[key] = found.get(key, 0) + int(point.value)
    return found


def test_the_in_memory_reader_sees_the_guards_exact_totals(
    reader: Reader,
) -> None:
    memory, counters, provider = reader
    wsgi = WSGIStatusGuard(wsgi_app, mode="fix", logger="sg.otel")
    asgi = ASGIStatusGuard(asgi_app, mode="fix", logger="sg.otel")
    for _ in range(7):
        call_wsgi(wsgi, "/204_No_Content")  # content-forbidden, fixed
    for _ in range(3):
        call_wsgi(wsgi, "/401_Unauthorized")  # www-authenticate-missing, reported
        call_wsgi(wsgi, "/200_OK")  # clean
    for _ in range(5):
        asyncio.run(call_asgi_async(asgi, "/299"))  # a code outside the table: status 2xx
    wsgi.engine.reporter.internal_error(RuntimeError("x"), "GET /x")

    stats = Stats.combine([wsgi.stats(), asgi.stats()])
    # Attributes in sorted key order: action, rule, status.
    expected = {
        ("fixed", "content-forbidden", "204"): 7,
        ("reported", "www-authenticate-missing", "401"): 3,
    }
    seen = points(memory, "statusguard.violations")
    assert {k: v for k, v in seen.items() if k[2] != "2xx"} == expected
    assert sum(seen.values()) == stats.total
    assert {k[2] for k in seen} == {"204", "401", "2xx"}
    assert points(memory, "statusguard.internal_errors") == {(): 1}
    assert instrument(provider) is counters  # once per provider


def test_a_closed_instrument_stops_counting(
    reader: Reader,
) -> None:
    memory, counters, _ = reader
    guard = WSGIStatusGuard(wsgi_app, mode="fix", logger="sg.otel")
    call_wsgi(guard, "/204_No_Content")
    counters.close()
    call_wsgi(guard, "/204_No_Content")
    assert points(memory, "statusguard.violations") == {("fixed", "content-forbidden", "204"): 1}
    assert guard.stats().total == 2


NOTHING_IMPORTED = textwrap.dedent(
    """
    import json, sys
    from statusguard import ASGIStatusGuard, WSGIStatusGuard, check
    from statusguard.contrib import flask  # an integration that is not a metrics one

    def app(environ, start_response):
        start_response("204 No Content", [])
        return [b"body"]

    guard = WSGIStatusGuard(app, mode="fix")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.url_scheme": "http"}
    b"".join(guard(environ, lambda *args: None))
    check(204, [], b"x")
    loaded = sorted({name.split(".")[0] for name in sys.modules})
    print(json.dumps([name for name in loaded if name in ("opentelemetry", "prometheus_client")]))
    """
)


def test_nothing_of_opentelemetry_or_prometheus_is_imported_unless_used() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", NOTHING_IMPORTED],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
