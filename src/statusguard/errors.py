"""Exceptions and the warning category statusguard raises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .advice import advice
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
    """Raised in strict mode; ``violations`` holds the rules the response broke, as data.

    The message gives, for each violation, what was seen, the sentence of the specification
    the rule enforces, and what to change in the application -- in the words of
    ``framework`` (``"flask"``, ``"django"``, ``"fastapi"``, ``"starlette"``) when the guard
    knows it (:mod:`statusguard.advice`).  ``quotes`` maps rule ids to their sentences (the
    catalogue's by default; a rule of your own has its ``Rule.quote``)."""

    def __init__(
        self,
        violations: Sequence[Violation],
        request: str = "",
        *,
        framework: str = "",
        quotes: Mapping[str, str] | None = None,
    ) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        self.request = request
        self.framework = framework
        if quotes is None:
            from .rules import RULES_BY_ID

            quotes = {rule_id: rule.quote for rule_id, rule in RULES_BY_ID.items()}
        lines = []
        for v in self.violations:
            lines.append(v.message)
            quote = quotes.get(v.rule_id, "")
            if quote:
                lines.append(f'    {v.reference}: "{quote}"')
            change = advice(v.rule_id, framework)
            if change:
                lines.append(f"    What to change: {change}")
        where = f" in the response to {request}" if request else ""
        count = len(self.violations)
        head = f"{count} HTTP rule violation{'s' if count != 1 else ''}{where}"
        super().__init__(head + ":\n  " + "\n  ".join(lines))

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(v.rule_id for v in self.violations)
