"""Reporting: exact counters, aggregated logs, warnings, callbacks and metric exporters.

Only violations and internal failures reach this module: a clean response costs nothing here.
Counting is exact and thread-safe; every key kept is bounded in length and in number, and a
forked child starts counting from zero while its parent keeps its own counts.

Logging is bounded: the first occurrence of each distinct violation (rule, status, method,
route) is logged at once, repeats are summed and logged as summaries once per interval, so a
bug that repeats a million times a second stays readable.  Every violation, summary and
internal-error record carries the same ``statusguard_*`` attributes (see
:data:`LOG_ATTRIBUTES`; a compatibility-step record only ``statusguard_event``,
``statusguard_step`` and ``statusguard_status``), and the ``statusguard_count`` of a process's
records adds up to its counters, so a log pipeline can aggregate across hosts.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
import warnings
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .codes import CODES
from .errors import StatusGuardWarning
from .model import Severity, Violation

__all__ = [
    "ACTIONS",
    "LOG_ATTRIBUTES",
    "Exporter",
    "Listener",
    "Reporter",
    "Stats",
    "add_exporter",
    "add_listener",
    "metric_status",
    "remove_exporter",
    "remove_listener",
]

Listener = Callable[[Violation, str], None]
# Process-wide listeners (the pytest plugin's collector); called for every violation of every
# guard.  Empty in production, so the cost is one truth test per violation.
_LISTENERS: list[Listener] = []

_MAX_KEYS = 10_000  # distinct (rule, status, method, route) keys tracked for first occurrences
# A route is usually the path the client sent: it is kept short and printable in the keys and the
# logs, so that ten thousand keys stay small and a "%0d%0a" in a URL cannot forge a log line.
_MAX_ROUTE = 200
# The method is the client's too (any token, any length): the keys hold the methods of RFC 9110
# and PATCH as they are and every other one as "OTHER", so a client inventing a method per
# request cannot grow them; the first-occurrence record shows it, cut to this length.
_MAX_METHOD = 24
_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)
_OTHER_METHOD = "OTHER"
_MAX_REQUEST_ID = 128  # a request id is a header value: logged cut and escaped, never a key
_MAX_ERROR_KEY = 200  # an internal failure's type and message, as a key
_SUMMARY_PARTS = 20  # keys named in one summary line; the others are added up

ACTIONS = ("reported", "fixed", "raised")
"""The values of the ``action`` counter label and log attribute."""

LOG_ATTRIBUTES = (
    "statusguard_event",  # "violation" (first occurrence), "summary" or "internal-error"
    "statusguard_rule",  # the rule id; None on an internal error
    "statusguard_status",  # the status as counted (0 if outside 100..599); None if unknown
    "statusguard_action",  # "reported", "fixed" or "raised"; None on an internal error
    "statusguard_severity",  # "error", "warning" or "info"; None where the record has no rule
    "statusguard_method",  # the request method (cut); None on a summary
    "statusguard_route",  # the route template or the path (cut, escaped); None on a summary
    "statusguard_request_id",  # the request id header's value (cut, escaped), or None
    "statusguard_count",  # how many violations the record stands for (1 for a first)
)
"""The attributes every ``statusguard`` log record carries (a ``logging.LogRecord`` extra)."""


def add_listener(listener: Listener) -> None:
    _LISTENERS.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


class Exporter(Protocol):
    """Something that counts every violation of every guard in the process as it happens
    (the Prometheus and OpenTelemetry counters of :mod:`statusguard.contrib`).

    ``status`` is the counted status (0 for one outside 100..599): pass it through
    :func:`metric_status` for a bounded label.  An exporter that raises is counted and logged
    as an internal error; the response it was counting goes on unaffected.
    """

    def count(self, rule: str, status: int, action: str) -> None: ...

    def count_internal_error(self) -> None: ...


_EXPORTERS: list[Exporter] = []


def add_exporter(exporter: Exporter) -> None:
    """Count every violation of every guard of this process with ``exporter`` from now on."""
    if exporter not in _EXPORTERS:
        _EXPORTERS.append(exporter)


def remove_exporter(exporter: Exporter) -> None:
    if exporter in _EXPORTERS:
        _EXPORTERS.remove(exporter)


def _status_labels() -> dict[int, str]:
    labels = {0: "0"}
    for code in range(100, 600):
        labels[code] = str(code) if code in CODES else f"{code // 100}xx"
    return labels


_STATUS_LABELS = _status_labels()


def metric_status(status: int) -> str:
    """The ``status`` label of a counted status: the code itself when it is in the status-code
    table (the IANA registry and the seed), else its class (``"2xx"``); ``"0"`` for a status
    that is not one.  At most 72 values, whatever an application sends."""
    return _STATUS_LABELS.get(status, "0")


@dataclass(frozen=True, slots=True)
class Stats:
    """A snapshot of a guard's counters.

    ``violations`` maps ``(rule_id, status, action)`` to the exact number of violations since
    ``since``; ``action`` is ``"reported"``, ``"fixed"`` or ``"raised"``; a status outside
    100..599 (or one that is not a number) is counted as ``0``.  ``internal_errors`` counts
    failures inside statusguard itself (the response went out unchanged).  ``since`` is the
    wall-clock time (``time.time()``) the counts start from: the guard's creation, or the
    ``fork()`` that made this process (a forked worker starts from zero); ``pid`` the process
    that counted.  Both are 0 in a ``Stats`` built by hand.
    """

    violations: dict[tuple[str, int, str], int]
    internal_errors: int
    since: float = 0.0
    pid: int = 0
    # (step id, status, server) → how many responses a server-compatibility step repaired.
    steps: dict[tuple[str, int, str], int] = field(default_factory=dict)
    # Responses left alone: their path is in exclude_paths, or their view is exempt().
    excluded: int = 0

    @property
    def total(self) -> int:
        return sum(self.violations.values())

    @classmethod
    def combine(cls, stats: Iterable[Stats]) -> Stats:
        """The counts of several guards (or processes) added up; ``since`` is the earliest,
        ``pid`` this process's when they all come from it, else 0."""
        counts: dict[tuple[str, int, str], int] = {}
        steps: dict[tuple[str, int, str], int] = {}
        internal = 0
        excluded = 0
        since: float | None = None
        pids: set[int] = set()
        for one in stats:
            internal += one.internal_errors
            excluded += one.excluded
            for key, count in one.violations.items():
                counts[key] = counts.get(key, 0) + count
            for key, count in one.steps.items():
                steps[key] = steps.get(key, 0) + count
            if one.since and (since is None or one.since < since):
                since = one.since
            pids.add(one.pid)
        pid = pids.pop() if len(pids) == 1 else 0
        return cls(counts, internal, since or 0.0, pid, steps, excluded)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form: ``{"violations": [{rule, status, action, count}], ...}``."""
        return {
            "violations": [
                {"rule": rule, "status": status, "action": action, "count": count}
                for (rule, status, action), count in sorted(self.violations.items())
            ],
            "internal_errors": self.internal_errors,
            "since": self.since,
            "pid": self.pid,
            "steps": [
                {"step": step, "status": status, "server": server, "count": count}
                for (step, status, server), count in sorted(self.steps.items())
            ],
            "excluded": self.excluded,
        }


# Every reporter of the process, so that a forked child can reset them all (see _after_fork).
_REPORTERS: weakref.WeakSet[Reporter] = weakref.WeakSet()

_Key = tuple[str, int, str, str]  # rule, status, method, route
_PendingKey = tuple[str, int, str, str, str]  # rule, status, action, method, route


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
        self._reset()
        _REPORTERS.add(self)

    def _reset(self) -> None:
        """Start counting from zero: at construction, and in a forked child (whose copy of a
        lock another thread of the parent may have held)."""
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, str], int] = {}
        self._seen: set[_Key] = set()
        self._pending: dict[_PendingKey, int] = {}
        self._severities: dict[str, str] = {}  # rule id → severity, for the summaries
        self._last_flush = self._clock()
        self._internal_errors = 0
        self._seen_errors: set[tuple[str, str]] = set()
        self._since = time.time()
        self._pid = os.getpid()
        self._steps: dict[tuple[str, int, str], int] = {}
        self._excluded = 0

    # A copy (copy.deepcopy, pickle) is a reporter with the same configuration that counts
    # from zero, like a forked child: counts belong to the object that saw the responses.
    def __getstate__(self) -> dict[str, Any]:
        return {
            "logger": self.logger,
            "interval": self.interval,
            "on_violation": self.on_violation,
            "enabled": self.enabled,
            "clock": self._clock,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def report(
        self,
        violation: Violation,
        method: str,
        route: str,
        warn: bool = False,
        *,
        request_id: str | None = None,
        loud: bool = False,
    ) -> None:
        """Count ``violation``; log it (first occurrence) or add it to the next summary;
        issue a ``StatusGuardWarning`` with the first occurrence when ``warn``.  ``request_id``
        (the request's id header, if it has one) goes into the first occurrence's record.
        ``loud``: a strict rule broken after the head went out, logged at ERROR every time."""
        if not self.enabled:
            return
        if len(route) > _MAX_ROUTE or not route.isprintable():
            route = _label(route, _MAX_ROUTE)
        method_key = method if method in _METHODS else _OTHER_METHOD
        # Statuses outside 100..599 (an ASGI app may send any int) are counted as 0, so that the
        # counters and their metric labels stay a bounded set.
        status = violation.status if 100 <= violation.status <= 599 else 0
        rule_id = violation.rule_id
        action = violation.action.value
        # The callback runs first: when it fails, the guard fails open (the response goes out
        # as the application made it), so a fix is counted as what happened, "reported".
        failed: BaseException | None = None
        if self.on_violation is not None:
            try:
                self.on_violation(violation)
            except BaseException as exc:
                failed = exc
                if action == "fixed":
                    action = "reported"
        key = (rule_id, status, method_key, route)
        summary: dict[_PendingKey, int] | None = None
        with self._lock:
            count_key = (rule_id, status, action)
            self._counts[count_key] = self._counts.get(count_key, 0) + 1
            self._severities[rule_id] = violation.severity.value
            first = key not in self._seen
            if first:
                if len(self._seen) < _MAX_KEYS:
                    self._seen.add(key)
                else:  # too many distinct routes: aggregate the rest under one key
                    first = False
                    key = (rule_id, status, method_key, "*")
            if not first:
                pending = (rule_id, status, action, method_key, key[3])
                self._pending[pending] = self._pending.get(pending, 0) + 1
                now = self._clock()
                if now - self._last_flush >= self.interval:
                    summary, self._pending = self._pending, {}
                    self._last_flush = now
        if _EXPORTERS:
            self._export(rule_id, status, action, method, route)
        if first or loud:
            self._log_first(violation, status, method, route, warn, request_id, loud)
        if summary:
            self._log_summary(summary)
        if _LISTENERS:
            request = f"{method} {route}"
            for listener in tuple(_LISTENERS):
                listener(violation, request)
        if failed is not None:
            raise failed

    def _export(self, rule: str, status: int, action: str, method: str, route: str) -> None:
        for exporter in tuple(_EXPORTERS):
            try:
                exporter.count(rule, status, action)
            except Exception as exc:  # a metrics failure never costs the response its fix
                self._failure(
                    exc, f"{method} {route}", "an exporter failed, the response was not affected"
                )

    def _log_first(
        self,
        violation: Violation,
        status: int,
        method: str,
        route: str,
        warn: bool,
        request_id: str | None,
        loud: bool = False,
    ) -> None:
        if loud:
            level = logging.ERROR
        elif violation.severity is Severity.INFO:
            level = logging.INFO
        else:
            level = logging.WARNING
        if len(method) > _MAX_METHOD or not method.isprintable():
            method = _label(method, _MAX_METHOD)
        self.logger.log(
            level,
            "%s [%s %s]",
            violation.message,
            method,
            route,
            extra={
                "statusguard_event": "violation",
                "statusguard_rule": violation.rule_id,
                "statusguard_status": status,
                "statusguard_action": violation.action.value,
                "statusguard_severity": violation.severity.value,
                "statusguard_method": method,
                "statusguard_route": route,
                "statusguard_request_id": _request_id(request_id),
                "statusguard_count": 1,
            },
        )
        if warn and violation.severity is not Severity.INFO:
            warnings.warn(f"{violation.message} [{method} {route}]", StatusGuardWarning, 2)

    def _log_summary(self, summary: dict[_PendingKey, int]) -> None:
        """One record per (rule, status, action): each carries its attributes and its count."""
        groups: dict[tuple[str, int, str], list[tuple[str, str, int]]] = {}
        for (rule, status, action, method, route), count in summary.items():
            groups.setdefault((rule, status, action), []).append((method, route, count))
        for (rule, status, action), keys in sorted(groups.items()):
            total = sum(count for _, _, count in keys)
            ranked = sorted(keys, key=lambda item: -item[2])
            parts = [
                f"[{rule}] {status} {method} {route} ×{count}"
                for method, route, count in ranked[:_SUMMARY_PARTS]
            ]
            if len(ranked) > _SUMMARY_PARTS:
                rest = ranked[_SUMMARY_PARTS:]
                parts.append(
                    f"{len(rest)} more key{'s' if len(rest) != 1 else ''} "
                    f"×{sum(count for _, _, count in rest)}"
                )
            self.logger.warning(
                "statusguard: %d repeated violation%s since the last summary: %s",
                total,
                "s" if total != 1 else "",
                "; ".join(parts),
                extra={
                    "statusguard_event": "summary",
                    "statusguard_rule": rule,
                    "statusguard_status": status,
                    "statusguard_action": action,
                    "statusguard_severity": self._severities.get(rule),
                    "statusguard_method": None,
                    "statusguard_route": None,
                    "statusguard_request_id": None,
                    "statusguard_count": total,
                },
            )

    def flush(self) -> None:
        """Log the pending repeat counts now (at shutdown, or from a test)."""
        with self._lock:
            summary, self._pending = self._pending, {}
            self._last_flush = self._clock()
        if summary:
            self._log_summary(summary)

    def internal_error(
        self,
        exc: BaseException,
        request: str,
        *,
        request_id: str | None = None,
        status: int | None = None,
    ) -> None:
        """Count a failure inside statusguard; log each distinct one once, with its traceback.

        ``request`` labels the request as ``"METHOD ROUTE"``; ``request_id`` and ``status``
        (of the response, when known) go into the record."""
        self._failure(exc, request, "the response went out unchanged", request_id, status)

    def _failure(
        self,
        exc: BaseException,
        request: str,
        consequence: str,
        request_id: str | None = None,
        status: int | None = None,
    ) -> None:
        with self._lock:
            self._internal_errors += 1
            key = (type(exc).__qualname__[:_MAX_ERROR_KEY], str(exc)[:_MAX_ERROR_KEY])
            first = key not in self._seen_errors and len(self._seen_errors) < _MAX_KEYS
            if first:
                self._seen_errors.add(key)
        if not first:
            self._count_exported_error(None)
            return
        label = _label(request, _MAX_ROUTE + _MAX_METHOD + 1)
        method, _, route = label.partition(" ")
        if status is not None:
            status = status if 100 <= status <= 599 else 0
        extra: dict[str, object] = {
            "statusguard_event": "internal-error",
            "statusguard_rule": None,
            "statusguard_status": status,
            "statusguard_action": None,
            "statusguard_severity": None,
            "statusguard_method": method or None,
            "statusguard_route": route or None,
            "statusguard_request_id": _request_id(request_id),
            "statusguard_count": 1,
        }
        self.logger.error(
            "statusguard failed internally on %s; %s:\n%s",
            label,
            consequence,
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            extra=extra,
        )
        self._count_exported_error(extra)

    def _count_exported_error(self, extra: dict[str, object] | None) -> None:
        for exporter in tuple(_EXPORTERS):
            try:
                exporter.count_internal_error()
            except Exception:  # already counted in stats(); counting it as another could loop
                if extra is not None:  # logged with the first occurrence of the failure
                    self.logger.exception(
                        "statusguard: an exporter failed to count an internal error",
                        extra=extra,
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
                extra={
                    "statusguard_event": "step",
                    "statusguard_step": step_id,
                    "statusguard_status": status,
                },
            )

    def exclude(self) -> None:
        """Count one response left alone (``exclude_paths``, ``exempt()``)."""
        if self.enabled:
            with self._lock:
                self._excluded += 1

    def stats(self) -> Stats:
        with self._lock:
            return Stats(
                dict(self._counts),
                self._internal_errors,
                self._since,
                self._pid,
                dict(self._steps),
                self._excluded,
            )


def _after_fork() -> None:
    for reporter in list(_REPORTERS):
        reporter._reset()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork)


def _request_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > _MAX_REQUEST_ID or not value.isprintable():
        return _label(value, _MAX_REQUEST_ID)
    return value


def _label(value: str, limit: int = _MAX_ROUTE) -> str:
    """``value`` cut to ``limit`` characters, with what is not printable escaped."""
    if len(value) > limit:
        value = value[:limit] + "…"
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)
