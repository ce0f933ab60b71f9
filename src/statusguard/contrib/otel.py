"""OpenTelemetry metrics for statusguard (needs the ``otel`` extra: ``opentelemetry-api``).

:func:`instrument` counts every violation of every guard of the process in an OpenTelemetry
counter, ``statusguard.violations`` with the attributes ``rule``, ``status`` and ``action``
(the labels of the Prometheus exporter, bounded the same way), and the failures inside
statusguard in ``statusguard.internal_errors``.  Whatever SDK and exporter the application set
up (an OTLP collector, Prometheus through the collector) gets them; with the API alone, no SDK,
the counters are no-ops.  Nothing here is imported unless the application imports this module,
and only a violating response pays (one ``Counter.add``).
"""

from __future__ import annotations

import threading

from opentelemetry import metrics

from .. import __version__
from ..report import add_exporter, metric_status, remove_exporter

__all__ = ["OTelCounters", "instrument"]

VIOLATIONS = "statusguard.violations"
INTERNAL_ERRORS = "statusguard.internal_errors"

_Attributes = dict[str, str]


class OTelCounters:
    """The two counters, fed by every guard of the process (see :func:`instrument`)."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.violations = meter.create_counter(
            VIOLATIONS,
            unit="{violation}",
            description="HTTP rule violations seen by statusguard, by rule, status and action.",
        )
        self.internal_errors = meter.create_counter(
            INTERNAL_ERRORS,
            unit="{error}",
            description="Failures inside statusguard; the response went out unchanged.",
        )
        # The attribute dicts, made once per label set (bounded like the labels).
        self._attributes: dict[tuple[str, int, str], _Attributes] = {}

    def count(self, rule: str, status: int, action: str) -> None:
        key = (rule, status, action)
        attributes = self._attributes.get(key)
        if attributes is None:
            attributes = self._attributes[key] = {
                "rule": rule,
                "status": metric_status(status),
                "action": action,
            }
        self.violations.add(1, attributes)

    def count_internal_error(self) -> None:
        self.internal_errors.add(1)

    def close(self) -> None:
        """Stop counting."""
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
