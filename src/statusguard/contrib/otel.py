"""OpenTelemetry metrics for statusguard (needs the ``otel`` extra: ``opentelemetry-api``).

:func:`instrument` counts every violation of every guard of the process in an OpenTelemetry
counter, ``statusguard.violations`` with the attributes ``rule``, ``status`` and ``action``
(the labels of the Prometheus exporter, bounded the same way), and the failures inside
statusguard in ``statusguard.internal_errors``.  Whatever SDK and exporter the application set
up (an OTLP collector, Prometheus through the collector) gets them; with the API alone, no SDK,
nothing is reported.  Nothing here is imported unless the application imports this module.

The counters are observable (asynchronous) counters: a violation adds one to a dict, as the
guard's own counters do, and the SDK reads the totals when it collects (every export
interval).  An SDK ``Counter.add`` on the response path would cost a violating response ten
to a hundred times more (it checks and hashes the attributes on every call; both are measured
in ``benchmarks/bench_metrics.py``).  A forked child starts from zero, as the guards do.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

from opentelemetry import metrics

from .. import __version__
from ..report import add_exporter, metric_status, remove_exporter

__all__ = ["OTelCounters", "instrument"]

VIOLATIONS = "statusguard.violations"
INTERNAL_ERRORS = "statusguard.internal_errors"


class OTelCounters:
    """The totals behind the two counters, fed by every guard of the process (see
    :func:`instrument`) and read by the SDK when it collects."""

    def __init__(self, meter: metrics.Meter) -> None:
        self._reset()
        self.violations = meter.create_observable_counter(
            VIOLATIONS,
            callbacks=[self._observe_violations],
            unit="{violation}",
            description="HTTP rule violations seen by statusguard, by rule, status and action.",
        )
        self.internal_errors = meter.create_observable_counter(
            INTERNAL_ERRORS,
            callbacks=[self._observe_internal_errors],
            unit="{error}",
            description="Failures inside statusguard; the response went out unchanged.",
        )

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, str], int] = {}  # bounded like the labels
        self._internal_errors = 0

    def count(self, rule: str, status: int, action: str) -> None:
        key = (rule, status, action)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def count_internal_error(self) -> None:
        with self._lock:
            self._internal_errors += 1

    def _observe_violations(
        self, options: metrics.CallbackOptions
    ) -> Iterable[metrics.Observation]:
        with self._lock:
            counts = list(self._counts.items())
        totals: dict[tuple[str, str, str], int] = {}
        for (rule, status, action), count in counts:
            labels = (rule, metric_status(status), action)
            totals[labels] = totals.get(labels, 0) + count
        return [
            metrics.Observation(count, {"rule": rule, "status": status, "action": action})
            for (rule, status, action), count in sorted(totals.items())
        ]

    def _observe_internal_errors(
        self, options: metrics.CallbackOptions
    ) -> Iterable[metrics.Observation]:
        with self._lock:
            return [metrics.Observation(self._internal_errors)]

    def close(self) -> None:
        """Stop counting (the SDK goes on reading the totals reached)."""
        remove_exporter(self)


_INSTRUMENTS: dict[int, tuple[object, OTelCounters]] = {}
_LOCK = threading.Lock()


def instrument(meter_provider: metrics.MeterProvider | None = None) -> OTelCounters:
    """Count every violation of every guard of this process with a meter named
    ``"statusguard"`` of ``meter_provider`` (default: the global one, which may be set later:
    the API forwards to it), from now on; the same object for the same provider."""
    with _LOCK:
        found = _INSTRUMENTS.get(id(meter_provider))
        if found is not None and found[0] is meter_provider:
            counters = found[1]
        else:
            meter = metrics.get_meter("statusguard", __version__, meter_provider=meter_provider)
            counters = OTelCounters(meter)
            _INSTRUMENTS[id(meter_provider)] = (meter_provider, counters)
        add_exporter(counters)
        return counters


def _after_fork() -> None:
    for _, counters in list(_INSTRUMENTS.values()):
        counters._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
