"""Prometheus metrics for statusguard guards (needs the ``prometheus`` extra).

The counters are read from the guards at scrape time, so the response path pays nothing and the
exported numbers are the guards' exact counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client.core import REGISTRY, CollectorRegistry, CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from ..report import Stats

__all__ = ["StatusGuardCollector", "register"]


class _HasStats(Protocol):
    def stats(self) -> Stats: ...


class StatusGuardCollector(Collector):
    """Exports ``statusguard_violations_total{rule,status,action}`` and
    ``statusguard_internal_errors_total`` summed over the given guards."""

    def __init__(self, *guards: _HasStats) -> None:
        self.guards = guards

    def collect(self) -> Iterator[Metric]:
        violations = CounterMetricFamily(
            "statusguard_violations",
            "HTTP rule violations seen by statusguard, by rule, status and action.",
            labels=["rule", "status", "action"],
        )
        totals: dict[tuple[str, int, str], int] = {}
        internal = 0
        for guard in self.guards:
            stats = guard.stats()
            internal += stats.internal_errors
            for key, count in stats.violations.items():
                totals[key] = totals.get(key, 0) + count
        for (rule, status, action), count in sorted(totals.items()):
            violations.add_metric([rule, str(status), action], count)
        yield violations
        yield CounterMetricFamily(
            "statusguard_internal_errors",
            "Failures inside statusguard; the response went out unchanged.",
            value=internal,
        )


def register(*guards: _HasStats, registry: CollectorRegistry = REGISTRY) -> StatusGuardCollector:
    """Register a collector for ``guards`` (WSGIStatusGuard, ASGIStatusGuard or Engine)."""
    collector = StatusGuardCollector(*guards)
    registry.register(collector)
    return collector
