"""Reporting: exact counters, aggregated logs, warnings and callbacks.

Counting is exact and thread-safe.  Logging is bounded: the first occurrence of each distinct
violation (rule, status, method, route) is logged at once, repeats are summed and logged as one
summary per interval, so a bug that repeats a million times a second stays readable.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import StatusGuardWarning
from .model import Severity, Violation

__all__ = ["Listener", "Reporter", "Stats", "add_listener", "remove_listener"]

Listener = Callable[[Violation, str], None]
# Process-wide listeners (the pytest plugin's collector); called for every violation of every
# guard.  Empty in production, so the cost is one truth test per violation.
_LISTENERS: list[Listener] = []

_MAX_KEYS = 10_000  # distinct (rule, status, method, route) keys tracked for first occurrences
# A route is usually the path the client sent: it is kept short and printable in the keys and the
# logs, so that ten thousand keys stay small and a "%0d%0a" in a URL cannot forge a log line.
_MAX_ROUTE = 200
_SUMMARY_PARTS = 20  # keys named in one summary line; the others are added up


def add_listener(listener: Listener) -> None:
    _LISTENERS.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


@dataclass(frozen=True, slots=True)
class Stats:
    """A snapshot of a guard's counters.

    ``violations`` maps ``(rule_id, status, action)`` to the exact number of violations since
    the guard was created; ``action`` is ``"reported"``, ``"fixed"`` or ``"raised"``; a
    status outside 100..599 (or one that is not a number) is counted as ``0``.
    ``internal_errors`` counts failures inside statusguard itself (the response went out
    unchanged).
    """

    violations: dict[tuple[str, int, str], int]
    internal_errors: int
    # (step id, status, server) → how many responses a server-compatibility step repaired.
    steps: dict[tuple[str, int, str], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.violations.values())

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form: ``{"violations": [{rule, status, action, count}], ...}``."""
        return {
            "violations": [
                {"rule": rule, "status": status, "action": action, "count": count}
                for (rule, status, action), count in sorted(self.violations.items())
            ],
            "internal_errors": self.internal_errors,
            "steps": [
                {"step": step, "status": status, "server": server, "count": count}
                for (step, status, server), count in sorted(self.steps.items())
            ],
        }


class Reporter:
    """Counts, logs and forwards the violations of one guard."""

    def __init__(
        self,
        *,
        logger: logging.Logger,
        interval: float,
        on_violation: Callable[[Violation], None] | None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self.on_violation = on_violation
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, str], int] = {}
        self._seen: set[tuple[str, int, str, str]] = set()
        self._pending: dict[tuple[str, int, str, str], int] = {}
        self._last_flush = clock()
        self._internal_errors = 0
        self._seen_errors: set[tuple[str, str]] = set()
        self._steps: dict[tuple[str, int, str], int] = {}

    def report(
        self,
        violation: Violation,
        method: str,
        route: str,
        warn: bool = False,
        *,
        loud: bool = False,
    ) -> None:
        """Count ``violation``; log it (first occurrence) or add it to the next summary;
        issue a ``StatusGuardWarning`` with the first occurrence when ``warn``.  ``loud``: a
        strict rule broken after the head went out, logged at ERROR every time."""
        if not self.enabled:
            return
        if len(route) > _MAX_ROUTE or not route.isprintable():
            route = _label(route)
        # Statuses outside 100..599 (an ASGI app may send any int) are counted as 0, so that the
        # counters and their metric labels stay a bounded set.
        status = violation.status if 100 <= violation.status <= 599 else 0
        key = (violation.rule_id, status, method, route)
        summary: dict[tuple[str, int, str, str], int] | None = None
        with self._lock:
            count_key = (violation.rule_id, status, violation.action.value)
            self._counts[count_key] = self._counts.get(count_key, 0) + 1
            first = key not in self._seen
            if first:
                if len(self._seen) < _MAX_KEYS:
                    self._seen.add(key)
                else:  # too many distinct routes: aggregate the rest under one key
                    first = False
                    key = (violation.rule_id, status, method, "*")
            if not first:
                self._pending[key] = self._pending.get(key, 0) + 1
                now = self._clock()
                if now - self._last_flush >= self.interval:
                    summary, self._pending = self._pending, {}
                    self._last_flush = now
        if first or loud:
            self._log_first(violation, method, route, warn, loud)
        if summary:
            self._log_summary(summary)
        if self.on_violation is not None:
            self.on_violation(violation)
        if _LISTENERS:
            request = f"{method} {route}"
            for listener in tuple(_LISTENERS):
                listener(violation, request)

    def _log_first(
        self, violation: Violation, method: str, route: str, warn: bool, loud: bool = False
    ) -> None:
        if loud:
            level = logging.ERROR
        elif violation.severity is Severity.INFO:
            level = logging.INFO
        else:
            level = logging.WARNING
        self.logger.log(
            level,
            "%s [%s %s]",
            violation.message,
            method,
            route,
            extra={"statusguard_rule": violation.rule_id, "statusguard_status": violation.status},
        )
        if warn and violation.severity is not Severity.INFO:
            warnings.warn(f"{violation.message} [{method} {route}]", StatusGuardWarning, 2)

    def _log_summary(self, summary: dict[tuple[str, int, str, str], int]) -> None:
        total = sum(summary.values())
        ranked = sorted(summary.items(), key=lambda item: -item[1])
        parts = [
            f"[{rule}] {status} {method} {route} ×{count}"
            for (rule, status, method, route), count in ranked[:_SUMMARY_PARTS]
        ]
        if len(ranked) > _SUMMARY_PARTS:
            rest = ranked[_SUMMARY_PARTS:]
            parts.append(
                f"{len(rest)} more key{'s' if len(rest) != 1 else ''} "
                f"×{sum(count for _, count in rest)}"
            )
        self.logger.warning(
            "statusguard: %d repeated violation%s since the last summary: %s",
            total,
            "s" if total != 1 else "",
            "; ".join(parts),
        )

    def flush(self) -> None:
        """Log the pending repeat counts now (at shutdown, or from a test)."""
        with self._lock:
            summary, self._pending = self._pending, {}
            self._last_flush = self._clock()
        if summary:
            self._log_summary(summary)

    def internal_error(self, exc: BaseException, request: str) -> None:
        """Count a failure inside statusguard; log each distinct one once, with its traceback."""
        with self._lock:
            self._internal_errors += 1
            key = (type(exc).__qualname__, str(exc)[:200])
            first = key not in self._seen_errors and len(self._seen_errors) < _MAX_KEYS
            if first:
                self._seen_errors.add(key)
        if first:
            self.logger.error(
                "statusguard failed internally on %s; the response went out unchanged:\n%s",
                _label(request),
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            )

    def step(self, step_id: str, status: int, server: str) -> None:
        """Count a server-compatibility step applied to one response; log its first use."""
        if not self.enabled:
            return
        status = status if 100 <= status <= 599 else 0
        key = (step_id, status, server)
        with self._lock:
            count = self._steps.get(key, 0)
            if count or len(self._steps) < _MAX_KEYS:
                self._steps[key] = count + 1
        if not count:
            self.logger.info(
                "statusguard applied the compatibility step [%s] for %s to a %d response "
                "(docs/servers.md); it is counted in stats().steps.",
                step_id,
                server,
                status,
                extra={"statusguard_step": step_id, "statusguard_status": status},
            )

    def stats(self) -> Stats:
        with self._lock:
            return Stats(dict(self._counts), self._internal_errors, dict(self._steps))


def _label(route: str) -> str:
    """``route`` cut to ``_MAX_ROUTE`` characters, with what is not printable escaped."""
    if len(route) > _MAX_ROUTE:
        route = route[:_MAX_ROUTE] + "…"
    if route.isprintable():
        return route
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in route)
