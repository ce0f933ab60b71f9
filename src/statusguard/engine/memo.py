"""The screen: a head decided by its shape and the few values the rules read, not rule by rule.

No I/O.  A head's *shape* is what a shape-only rule reads: its status line, the class of the
request method (HEAD, CONNECT, other), the HTTP version, the server, and its field names in
order.  Names repeat from one response to the next; values (lengths, ETags, request ids,
cookies) do not.  So the screen remembers, per shape, whether the shape passes and which value
checks are left (``Rule.accepts`` / ``Rule.accepts_all``), and runs those on every response:
the first sight of a value costs what checking it costs, never more, and nothing is keyed on a
value.  The memo is bounded and forgets its oldest shape first.

Every decision here is one the full path (``Exchange`` with :data:`ENABLED` off) takes too:
``tests/engine/test_differential.py`` proves the two equal.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

from ..model import SHAPE_ONLY, Head, LinesCheck, Mode, RequestCheck
from ..servers import ServerProfile, Step
from .content import holds, open_rules
from .convert import to_bytes
from .judge import applies
from .plans import Compiled, Plan

__all__ = ["ENABLED", "MAX_SHAPES", "Shape", "learn", "set_enabled", "shape_key"]

#: The internal switch of every shortcut: ``False`` sends every response down the full path
#: (the differential oracle's reference; ``statusguard.engine.shortcuts``).
ENABLED = True

#: Shapes remembered per engine generation.  An application has a few dozen; the bound only
#: matters to one that makes up field names (the oldest shape is forgotten first).
MAX_SHAPES: Final = 2048

_NAME = operator.itemgetter(0)


def set_enabled(enabled: bool) -> None:
    global ENABLED
    ENABLED = enabled


def shape_key(
    status: object, method_class: str, version: str, server: ServerProfile, headers: Sequence[Any]
) -> tuple[Any, ...]:
    """The memo key of a head's shape (may raise ``TypeError`` for unhashable names)."""
    return (status, method_class, version, server, *map(_NAME, headers))


class Shape:
    """What the screen knows of every head of one shape.

    ``full``: such heads always take the full path (a shape-only rule fails, a compatibility
    step changes them, or a rule the screen cannot decide).  Otherwise the head rules pass as
    soon as ``all_checks`` (over all lines) and ``checks`` (``(line index, accepts)``) pass.
    The body rules: ``active`` -- the content can change what is sent or reported; ``holds``
    -- it can change the head (a fix, or a strict rule), so a head of unknown length waits for
    its first content; ``presence`` -- a rule the presence of content
    decides (only empty content is quiet, and only when ``empty_quiet``); ``discards`` -- fix
    mode discards such content (so even empty content goes through the engine, which ends it
    with one empty chunk, see ``Exchange.end``); ``limit_at`` -- the
    line whose value bounds the content (-1: none), parsed by ``limit_parse``; ``truncate`` --
    content past it is cut (fix mode).  ``appends``: compatibility steps that only add lines
    to such heads (the ``Date`` a server does not write), sent with the application's head.
    ``asks``: the checks of the rules that read only the request (``Rule.request_check``),
    run on every response of the shape: the request is not part of a shape.
    """

    __slots__ = (
        "active",
        "all_checks",
        "appends",
        "asks",
        "checks",
        "discards",
        "empty_quiet",
        "full",
        "holds",
        "limit_at",
        "limit_parse",
        "presence",
        "truncate",
    )

    def __init__(self) -> None:
        self.full = False
        self.all_checks: tuple[LinesCheck, ...] = ()
        self.checks: tuple[tuple[int, Callable[[bytes], object]], ...] = ()
        self.active = False
        self.appends: tuple[Step, ...] = ()
        self.asks: tuple[RequestCheck, ...] = ()
        self.holds = False
        self.presence = False
        self.empty_quiet = False
        self.discards = False
        self.limit_at = -1
        self.limit_parse: Callable[[bytes], int | None] = _no_limit
        self.truncate = False

    def values_pass(self, headers: Sequence[Any]) -> bool:
        """Whether the values of ``headers`` (a head of this shape) pass every head rule."""
        for check in self.all_checks:
            if not check(headers):
                return False
        for index, accepts in self.checks:
            value = headers[index][1]
            if type(value) is str and value.isascii():  # to_bytes, without the call
                value = value.encode("ascii")
            elif type(value) is not bytes:
                value = to_bytes(value)
            if not accepts(value):
                return False
        return True

    def declared(self, headers: Sequence[Any]) -> int | None:
        """The length the limiting line of ``headers`` declares, or ``None``."""
        value = headers[self.limit_at][1]
        if type(value) is str and value.isascii():
            return self.limit_parse(value.encode("ascii"))
        return self.limit_parse(value if type(value) is bytes else to_bytes(value))

    def quiet(self, headers: Sequence[Any], length: int) -> bool:
        """Whether content of exactly ``length`` bytes leaves the body rules nothing to do."""
        if self.presence and (length or not self.empty_quiet):
            return False
        return self.limit_at < 0 or self.declared(headers) == length


def _no_limit(value: bytes) -> int | None:
    return None


FULL: Final = Shape()
FULL.full = True


def learn(
    compiled: Compiled, plan: Plan, head: Head, server: ServerProfile, key: tuple[Any, ...]
) -> Shape:
    """The shape of ``head`` (built from the response that shows it first, without content),
    remembered under ``key`` when it holds for every head of that shape."""
    shape, lasting = _shape_of(compiled, plan, head, server)
    if lasting:
        shapes = compiled.shapes
        if len(shapes) >= MAX_SHAPES:
            # Forget the oldest shape, not all of them: no response can empty the memo.
            try:
                del shapes[next(iter(shapes))]
            except (StopIteration, KeyError, RuntimeError):  # another thread was quicker
                pass
        shapes[key] = shape
    return shape


def _shape_of(
    compiled: Compiled, plan: Plan, head: Head, server: ServerProfile
) -> tuple[Shape, bool]:
    """The shape of ``head`` and whether it holds for every head of its shape."""
    if not plan.screened:
        return FULL, True
    head_rules = [(rule, mode) for rule, mode in plan.head if applies(rule, head)]
    asks = tuple(rule.request_check for rule, _ in head_rules if rule.request_check is not None)
    if asks:
        head_rules = [(rule, mode) for rule, mode in head_rules if rule.request_check is None]
    for rule, _ in head_rules:
        if rule.reads == SHAPE_ONLY and rule.check(head) is not None:
            return FULL, True  # fails whatever the values: the full path reports it
    for rule, _ in head_rules:
        if rule.reads != SHAPE_ONLY and rule.check(head) is not None:
            # These values fail; others of the same shape may pass (or the shape fails a rule
            # that also reads values): nothing is remembered, the full path reports.
            return FULL, False
    shape = Shape()
    shape.asks = asks
    all_checks: list[LinesCheck] = []
    checks: list[tuple[int, Callable[[bytes], object]]] = []
    names = [name.lower() for name, _ in head.headers]
    appends: list[Step] = []
    if compiled.steps_run:
        for step in server.steps:
            if step.reads == SHAPE_ONLY or step.accepts is None:
                if not step.when(head):
                    continue
                if step.appends is None:
                    return FULL, True  # a compatibility step changes such heads
                appends.append(step)  # it only adds lines: the app's head goes with them
            elif step.when(head):
                return FULL, False  # these values need it; others of this shape may not
            elif b"*" in step.reads and step.accepts_all is not None:
                all_checks.append(step.accepts_all)
            else:
                checks.extend(
                    (index, step.accepts)
                    for index, name in enumerate(names)
                    if b"*" in step.reads or name in step.reads
                )
    shape.appends = tuple(appends)
    for rule, _ in head_rules:
        reads = rule.reads
        if not reads:
            continue
        if b"*" in reads and rule.accepts_all is not None:
            all_checks.append(rule.accepts_all)
            continue
        accepts = rule.accepts
        assert accepts is not None  # a screened plan's value rules have one (plans.py)
        checks.extend(
            (index, accepts) for index, name in enumerate(names) if b"*" in reads or name in reads
        )
    shape.all_checks = tuple(all_checks)
    shape.checks = tuple(checks)
    if not _body_shape(shape, plan, head, names):
        return FULL, True
    return shape, True


def _body_shape(shape: Shape, plan: Plan, head: Head, names: list[bytes]) -> bool:
    """Fill in what the body rules need of ``shape``; ``False`` when the screen cannot follow
    them (the full path decides every such head)."""
    rules = open_rules(plan.body, head)
    shape.active = bool(rules)
    shape.holds = holds(rules, head)
    present = set(names)
    empty = head.replace(content_length=0, has_content=False)
    empty_quiet = True
    for rule, mode in rules:
        use = rule.content_use
        if rule.reads is None or (rule.reads and present & rule.reads and use.limit is None):
            return False  # its check reads a value of this head
        if use.limit is not None and use.action == "truncate":
            name, parse = use.limit
            at = [index for index, lower in enumerate(names) if lower == name]
            if len(at) != 1 or shape.limit_at >= 0:
                return False
            shape.limit_at = at[0]
            shape.limit_parse = parse
            shape.truncate = mode is Mode.FIX
        elif use.reads == "presence":
            shape.presence = True
            if rule.check(empty) is not None:
                empty_quiet = False
            elif mode is Mode.FIX and use.action == "discard":
                if rule.fix is not None and rule.fix(head) is not head:
                    empty_quiet = False  # fix mode changes the head (a 205's framing)
                else:
                    shape.discards = True
        else:
            return False  # decided by the whole length, by a rule the screen does not follow
    shape.empty_quiet = shape.presence and empty_quiet
    return True
