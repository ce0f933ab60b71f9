"""Prometheus metrics for statusguard guards (needs the ``prometheus`` extra).

Two ways, the same metric names and labels:

* :func:`register` adds a collector that reads the given guards' counters at scrape time: the
  response path pays nothing, and the numbers are the guards' exact counts.  Right for one
  process per scrape target.
* :func:`instrument` counts every violation of every guard of the process in
  ``prometheus_client`` counters as it happens.  Under ``PROMETHEUS_MULTIPROC_DIR`` those write
  to per-process files that ``prometheus_client.multiprocess.MultiProcessCollector`` adds up,
  so one scrape of any worker of a gunicorn or uvicorn pool sees the whole pool.  Only a
  violating response pays (one counter increment); a clean one never reaches the reporter.

Labels are bounded: ``rule`` is a rule id of the catalogue or of a guard's ``extra_rules``,
``status`` a code of the status-code table or its class (``"2xx"``, see
:func:`statusguard.report.metric_status`), ``action`` one of reported, fixed, raised.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Protocol

from prometheus_client import Counter, values
from prometheus_client.core import REGISTRY, CollectorRegistry, CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from ..report import Stats, add_exporter, metric_status, remove_exporter

__all__ = ["PrometheusCounters", "StatusGuardCollector", "instrument", "register"]

VIOLATIONS = "statusguard_violations"
VIOLATIONS_HELP = "HTTP rule violations seen by statusguard, by rule, status and action."
INTERNAL_ERRORS = "statusguard_internal_errors"
INTERNAL_ERRORS_HELP = "Failures inside statusguard; the response went out unchanged."
LABELS = ("rule", "status", "action")


class _HasStats(Protocol):
    def stats(self) -> Stats: ...


class StatusGuardCollector(Collector):
    """Exports ``statusguard_violations_total{rule,status,action}`` and
    ``statusguard_internal_errors_total`` summed over the given guards."""

    def __init__(self, *guards: _HasStats) -> None:
        self.guards = guards

    def collect(self) -> Iterator[Metric]:
        violations = CounterMetricFamily(VIOLATIONS, VIOLATIONS_HELP, labels=LABELS)
        stats = Stats.combine(guard.stats() for guard in self.guards)
        totals: dict[tuple[str, str, str], int] = {}
        for (rule, status, action), count in stats.violations.items():
            labels = (rule, metric_status(status), action)
            totals[labels] = totals.get(labels, 0) + count
        for labels, count in sorted(totals.items()):
            violations.add_metric(list(labels), count)
        yield violations
        yield CounterMetricFamily(
            INTERNAL_ERRORS, INTERNAL_ERRORS_HELP, value=stats.internal_errors
        )


def register(*guards: _HasStats, registry: CollectorRegistry = REGISTRY) -> StatusGuardCollector:
    """Register a collector for ``guards`` (WSGIStatusGuard, ASGIStatusGuard, the Django
    middleware or an Engine): one process per scrape target.  For several worker processes
    behind one port, use :func:`instrument` with ``PROMETHEUS_MULTIPROC_DIR``."""
    collector = StatusGuardCollector(*guards)
    registry.register(collector)
    return collector


def multiprocess_mode() -> bool:
    """Whether ``prometheus_client`` writes its values to ``PROMETHEUS_MULTIPROC_DIR``: it
    decides once, when it is first imported."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


class PrometheusCounters:
    """The two counters, fed by every guard of the process (see :func:`instrument`)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.violations = Counter(VIOLATIONS, VIOLATIONS_HELP, LABELS, registry=registry)
        self.internal_errors = Counter(INTERNAL_ERRORS, INTERNAL_ERRORS_HELP, registry=registry)
        # One child per label set, made on first use: the labels are bounded, so is this.
        self._children: dict[tuple[str, int, str], Counter] = {}

    def count(self, rule: str, status: int, action: str) -> None:
        key = (rule, status, action)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.violations.labels(
                rule, metric_status(status), action
            )
        child.inc()

    def count_internal_error(self) -> None:
        self.internal_errors.inc()

    def _after_fork(self) -> None:
        # A forked worker counts from zero, as its guards do.  In multiprocess mode
        # prometheus_client does that itself (a new pid, a new file); in a single process
        # the inherited values would be the parent's.
        if not multiprocess_mode():
            self._children = {}
            self.violations.clear()
            self.internal_errors.reset()

    def close(self) -> None:
        """Stop counting (the counters stay registered, with their values)."""
        remove_exporter(self)


_INSTRUMENTS: dict[int, PrometheusCounters] = {}
_INSTRUMENTS_LOCK = threading.Lock()


def instrument(registry: CollectorRegistry = REGISTRY) -> PrometheusCounters:
    """Count every violation of every guard of this process in ``prometheus_client`` counters
    registered in ``registry``, from now on; the same object for the same registry.

    With several worker processes on one port, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty
    directory, before the server starts) and serve the metrics from a fresh registry with a
    ``MultiProcessCollector``; see docs/production.md."""
    with _INSTRUMENTS_LOCK:
        counters = _INSTRUMENTS.get(id(registry))
        if counters is None or counters.registry is not registry:
            counters = _INSTRUMENTS[id(registry)] = PrometheusCounters(registry)
        add_exporter(counters)
        return counters


def _after_fork() -> None:
    for counters in list(_INSTRUMENTS.values()):
        counters._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
