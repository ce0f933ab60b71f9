"""Plans: for one status, the rules that apply and the mode each runs in, decided once.

No I/O.  A :class:`Compiled` is one generation of an engine's configuration (the modes of its
rules, its plans, the screen's memo); ``force()`` and a new configuration make a new one, so a
response that began under the old one finishes under it, and nothing it learns reaches the new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model import SHAPE_ONLY, Mode, Rule

if TYPE_CHECKING:
    from .memo import Shape

__all__ = ["Compiled", "Plan", "compile_plan"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do for one status: its head rules and its body rules, each with its mode.

    ``screened`` says whether the screen may decide heads of this status by their shape and a
    few values (:mod:`statusguard.engine.memo`): every head rule says what it reads, and every
    body rule how it depends on the content.
    """

    status: int
    head: tuple[tuple[Rule, Mode], ...]
    body: tuple[tuple[Rule, Mode], ...]
    screened: bool


def compile_plan(rules: Sequence[Rule], modes: Mapping[str, Mode], status: int) -> Plan:
    """The plan of ``status`` (0 for every invalid status) from the guard's rules and modes."""
    head: list[tuple[Rule, Mode]] = []
    body: list[tuple[Rule, Mode]] = []
    for rule in rules:
        mode = modes[rule.id]
        if mode is Mode.OFF or not rule.applies_to(status):
            continue
        (body if rule.phase == "body" else head).append((rule, mode))
    screened = all(_screenable(rule) for rule, _ in head) and all(
        rule.content is not None and rule.content.reads in ("presence", "length")
        for rule, _ in body
    )
    return Plan(status, tuple(head), tuple(body), screened)


def _screenable(rule: Rule) -> bool:
    if rule.request_check is not None:
        return True  # it reads only the request: run on every response (memo.Shape.asks)
    if rule.reads is None:
        return False
    if rule.reads == SHAPE_ONLY:
        return True
    # A rule that reads values is screened line by line, by value alone: it says how.
    return rule.accepts is not None or (b"*" in rule.reads and rule.accepts_all is not None)


@dataclass(slots=True)
class Compiled:
    """One generation of an engine's compiled configuration."""

    rules: tuple[Rule, ...]
    modes: Mapping[str, Mode]
    mode: str
    # Whether the servers' compatibility steps run (fix and strict mode; warn mode leaves
    # every response as it came).
    steps_run: bool = False
    plans: dict[int, Plan] = field(default_factory=dict)
    # The screen's memo of shapes (statusguard.engine.memo), bounded there.
    shapes: dict[Any, Shape] = field(default_factory=dict)

    def plan(self, status: int) -> Plan:
        """The plan of ``status``, compiled on first use (every invalid status shares one)."""
        plan = self.plans.get(status)
        if plan is None:
            key = status if 100 <= status <= 599 else 0
            plan = self.plans.get(key)
            if plan is None:
                # A race between threads compiles a plan twice, harmlessly.
                plan = compile_plan(self.rules, self.modes, key)
                self.plans[key] = plan
        return plan
