"""The check: a head judged by the head rules of its plan, and the server's compatibility steps.

No I/O, no reporting.  What is found is returned as :class:`Found` records; the response state
(:mod:`statusguard.engine.exchange`) reports them once the head is decided, so that a count says
what happened to the response.  Fixes change only a head that has not been sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Action, Head, Mode, Rule, Violation
from ..servers import ServerProfile, Step
from .plans import Plan

__all__ = ["Found", "applies", "apply_steps", "run_head_rules", "violation"]


@dataclass(frozen=True, slots=True)
class Found:
    """One rule broken by one response: ``detail`` says what was seen, ``fixed`` whether fix
    mode repaired it, ``late`` whether it was found after the head went out."""

    rule: Rule
    mode: Mode
    detail: str
    fixed: bool = False
    late: bool = False


def violation(found: Found, status: int, *, raised: bool) -> Violation:
    """What was found, as the :class:`Violation` reported: its action says what happened
    (raised: strict mode, before the head went out; fixed; else reported)."""
    rule = found.rule
    strict = found.mode is Mode.STRICT
    if strict and raised and not found.late:
        action = Action.RAISED
    elif found.fixed:
        action = Action.FIXED
    else:
        action = Action.REPORTED
    message = rule.message(found.detail)
    if found.fixed:
        message += f" Fixed: {rule.fix_summary}."
    if strict and found.late:
        message += (
            " Found after the head was sent: strict mode ended the response cleanly instead of"
            " raising."
        )
    return Violation(
        rule.id, status, rule.severity, message, rule.reference, found.fixed, action, strict
    )


def applies(rule: Rule, head: Head) -> bool:
    """Whether ``rule`` concerns the HTTP version of ``head`` (its status is the plan's)."""
    return rule.versions is None or head.http_version in rule.versions


def run_head_rules(plan: Plan, head: Head, found: list[Found]) -> Head:
    """Check ``head`` against every head rule of ``plan``, in catalogue order; in fix mode a
    rule's fix is applied before the next rule looks.  Returns the head to send."""
    for rule, mode in plan.head:
        if rule.versions is not None and head.http_version not in rule.versions:
            continue
        detail = rule.check(head)
        if detail is None:
            continue
        fixed = False
        if mode is Mode.FIX and rule.fix is not None:
            repaired = rule.fix(head)
            fixed = rule.check(repaired) is None
            head = repaired
        found.append(Found(rule, mode, detail, fixed))
    return head


def apply_steps(server: ServerProfile, head: Head, applied: list[Step]) -> Head:
    """Apply the compatibility steps of ``server`` that concern ``head``: what the server in
    front needs that no rule asks for (``docs/servers.md``).  They run in fix and strict mode,
    after the rules, and are counted apart from violations."""
    for step in server.steps:
        if step.when(head):
            repaired = step.fix(head)
            if repaired is not head or step.discards:
                applied.append(step)
                head = repaired
    return head
