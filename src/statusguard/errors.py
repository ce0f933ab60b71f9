"""Exceptions and the warning category statusguard raises."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Violation

__all__ = ["ConfigurationError", "StatusGuardError", "StatusGuardWarning"]


class StatusGuardWarning(UserWarning):
    """Issued for violations in warn mode.

    Issued once per distinct violation (rule, status, method, route), with its first log
    line, so ``-W error::statusguard.StatusGuardWarning`` raises on the first occurrence of
    each; strict mode raises on every one."""


class ConfigurationError(ValueError):
    """Bad configuration, raised when the guard is constructed, never at request time."""


class StatusGuardError(Exception):
    """Raised in strict mode; ``violations`` holds the rules the response broke, as data."""

    def __init__(self, violations: Sequence[Violation], request: str = "") -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        self.request = request
        lines = [v.message for v in self.violations]
        where = f" in the response to {request}" if request else ""
        head = f"{len(lines)} HTTP rule violation{'s' if len(lines) != 1 else ''}{where}"
        super().__init__(head + ":\n  " + "\n  ".join(lines))

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(v.rule_id for v in self.violations)
