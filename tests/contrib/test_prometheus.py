"""The Prometheus exporter reads the guards' exact counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from support.exchange import respond

from statusguard.contrib.prometheus import register
from statusguard.engine import Config, Engine


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
