"""The engine: per-status plans compiled once, and the per-response check that runs them.

No I/O here, and no WSGI, ASGI or framework objects.  Fixes change the head only before it is
committed (``ResponseCheck.start``); afterwards the body can only be discarded or truncated,
and what is noticed later is reported.
"""

from __future__ import annotations

import logging
import operator
import os
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import ConfigurationError, StatusGuardError
from .model import SHAPE_ONLY, Action, Head, HeaderList, Mode, Rule, Severity, Violation
from .report import Reporter, Stats
from .rules import CATALOGUE
from .rules.fields import CONTENT_TYPE_MISSING
from .rules.framing import (
    CONTENT_FORBIDDEN,
    CONTENT_LENGTH_MISMATCH,
    HEAD_CONTENT,
    NO_CONTENT_STATUSES,
    declared_length,
)

__all__ = [
    "SERVER_DATE_POLICIES",
    "Config",
    "Engine",
    "Guard",
    "ResponseCheck",
    "Verdict",
    "force",
    "parse_status",
]

MODES = ("strict", "warn", "fix")
RULE_MODES = ("off", "warn", "fix", "strict")
# What the server does with Date (see docs/servers.md):
#   always    adds its own Date whatever the app sent (uvicorn, hypercorn, werkzeug dev server)
#   replace   drops the app's Date and adds its own (gunicorn's WSGI workers)
#   if-absent adds one only when the app sent none (wsgiref, gunicorn's ASGI worker, granian)
#   never     sends what the app sent (h11 alone, a bare socket, a captured response)
SERVER_DATE_POLICIES = ("auto", "always", "replace", "if-absent", "never")

_BODY_RULES = (CONTENT_FORBIDDEN, HEAD_CONTENT, CONTENT_LENGTH_MISMATCH, CONTENT_TYPE_MISSING)

# Process-wide override used by the pytest plugin: ``force(mode="strict")`` makes every guard
# of the process strict until ``force()`` is called again.  Guards register here so that the
# override recompiles their plans instead of costing a lookup per response.
_forced_mode: str | None = None
_forced_rules: dict[str, str] = {}
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def force(mode: str | None = None, rules: Mapping[str, str] | None = None) -> None:
    """Override the mode (and some rules) of every guard in this process; ``force()`` undoes."""
    global _forced_mode, _forced_rules
    if mode is not None and mode not in MODES:
        raise ConfigurationError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    forced_rules = _validate_rules(rules or {}, ())
    _forced_mode = mode
    _forced_rules = forced_rules
    for engine in list(_ENGINES):
        engine.recompile()


def _validate_rules(rules: object, extra: Sequence[Rule]) -> dict[str, str]:
    if not isinstance(rules, Mapping):
        raise ConfigurationError(
            f"rules must be a mapping of rule id to one of {', '.join(RULE_MODES)}, "
            f"not {type(rules).__name__}"
        )
    known = {rule.id for rule in CATALOGUE} | {rule.id for rule in extra}
    checked: dict[str, str] = {}
    for rule_id, value in rules.items():
        if rule_id not in known:
            raise ConfigurationError(
                f"rules: unknown rule id {rule_id!r} (see `statusguard rules` for the catalogue)"
            )
        if value not in RULE_MODES:
            raise ConfigurationError(
                f"rules[{rule_id!r}] must be one of {', '.join(RULE_MODES)}, not {value!r}"
            )
        checked[rule_id] = str(value)
    return checked


@dataclass(frozen=True)
class Config:
    """The keyword options shared by every guard, validated once at construction."""

    mode: str = "warn"
    rules: Mapping[str, str] = field(default_factory=dict)
    on_violation: Callable[[Violation], None] | None = None
    server_date: str = "auto"
    log_interval: float = 60.0
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("statusguard"))
    extra_rules: tuple[Rule, ...] = ()

    @classmethod
    def from_options(
        cls,
        *,
        mode: str | None = None,
        rules: Mapping[str, str] | None = None,
        on_violation: Callable[[Violation], None] | None = None,
        server_date: str = "auto",
        log_interval: float = 60.0,
        logger: logging.Logger | str | None = None,
        extra_rules: Iterable[Rule] = (),
    ) -> Config:
        if mode is None:
            mode = os.environ.get("STATUSGUARD_MODE", "warn").strip().lower() or "warn"
            source = "STATUSGUARD_MODE"
        else:
            source = "mode"
        if mode not in MODES:
            raise ConfigurationError(f"{source} must be one of {', '.join(MODES)}, not {mode!r}")
        extra = tuple(extra_rules)
        for rule in extra:
            if not isinstance(rule, Rule):
                raise ConfigurationError(f"extra_rules must hold Rule objects, not {rule!r}")
            if any(rule.id == known.id for known in CATALOGUE):
                raise ConfigurationError(f"extra_rules: {rule.id!r} is already in the catalogue")
        checked_rules = _validate_rules(rules if rules is not None else {}, extra)
        if on_violation is not None and not callable(on_violation):
            raise ConfigurationError(f"on_violation must be callable, not {on_violation!r}")
        if server_date not in SERVER_DATE_POLICIES:
            raise ConfigurationError(
                f"server_date must be one of {', '.join(SERVER_DATE_POLICIES)}, "
                f"not {server_date!r}"
            )
        if (
            isinstance(log_interval, bool)
            or not isinstance(log_interval, (int, float))
            or log_interval < 0
        ):
            raise ConfigurationError(
                f"log_interval must be a number of seconds >= 0, not {log_interval!r}"
            )
        if logger is None:
            resolved = logging.getLogger("statusguard")
        elif isinstance(logger, str):
            resolved = logging.getLogger(logger)
        elif isinstance(logger, logging.Logger):
            resolved = logger
        else:
            raise ConfigurationError(f"logger must be a Logger or a name, not {logger!r}")
        return cls(
            mode=mode,
            rules=checked_rules,
            on_violation=on_violation,
            server_date=server_date,
            log_interval=float(log_interval),
            logger=resolved,
            extra_rules=extra,
        )


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do for one status: the head rules with their modes, and the body rules' modes.

    The last fields serve :meth:`Engine.screen`: the head rules split by what they read
    (``Rule.reads``), whether all of them say, and what the screen has learnt so far.
    """

    head: tuple[tuple[Rule, Mode], ...]
    content_forbidden: Mode
    head_content: Mode
    length_mismatch: Mode
    type_missing: Mode
    extra_body: tuple[tuple[Rule, Mode], ...]
    screened: bool = False
    shape_rules: tuple[Rule, ...] = ()
    line_rules: tuple[Rule, ...] = ()
    field_rules: Mapping[bytes, tuple[Rule, ...]] = field(default_factory=dict)
    shapes: dict[Hashable, Verdict | None] = field(default_factory=dict)
    lines: set[Hashable] = field(default_factory=set)


# Bounds of the screen's memos: header lines and shapes per plan, whole heads per engine.  A
# full memo is emptied and fills again with what is current (a stream of unique values, such
# as request ids, cannot crowd out the lines and heads that repeat for good).
_MAX_LINES = 4096
_MAX_SHAPES = 512
_MAX_HEADS = 1024
_MAX_STATUS_KEYS = 256
# Memory is bounded by size too: a header line longer than this (a name in a shape, a status
# line) is never remembered, and a head holding one is checked by its lines every time.
_MAX_LINE = 512


_NAME = operator.itemgetter(0)  # a header line's name


def _remember(memo: dict[Hashable, Any], key: Hashable, value: Any, bound: int) -> None:
    if len(memo) >= bound:
        memo.clear()
    memo[key] = value


QUIET_ALWAYS = -1
QUIET_ASK = -2


class Verdict:
    """What :meth:`Engine.screen` knows about heads like one it has learnt: they pass every head
    rule as they are.  :meth:`quiet` says whether the body rules have nothing to do either.

    ``holds`` is :meth:`ResponseCheck.wants_content` for these heads; ``length_at`` is the index
    of the one Content-Length line the length rule compares with known content (``declared`` its
    value when the verdict belongs to one exact head, else -1); ``empty_only``: quiet only when
    there is no content (a content rule in warn or strict mode); ``slow``: the body rules need
    the full path whatever the content.

    ``quiet_length`` answers :meth:`quiet` without a call where an adapter knows the content
    length before the head goes out (a WSGI list): ``QUIET_ALWAYS``, quiet whatever the content;
    ``n >= 0``, quiet exactly when the content is ``n`` bytes long (``has_content`` being
    ``n > 0``); ``QUIET_ASK``, call :meth:`quiet`.
    """

    __slots__ = (
        "declared",
        "empty_only",
        "holds",
        "length_at",
        "needs_empty",
        "quiet_length",
        "slow",
        "template",
        "type_needed",
    )

    def __init__(
        self,
        template: Head,
        *,
        holds: bool,
        slow: bool = False,
        empty_only: bool = False,
        length_at: int = -1,
        type_needed: bool = False,
        declared: int = -1,
    ) -> None:
        self.template = template  # status, method, version, reason, server_date of these heads
        self.holds = holds
        self.slow = slow
        self.empty_only = empty_only
        self.length_at = length_at
        self.type_needed = type_needed
        self.declared = declared
        self.needs_empty = slow or empty_only or type_needed  # quiet only without content
        if slow or (self.needs_empty and length_at >= 0):
            self.quiet_length = QUIET_ASK
        elif self.needs_empty:
            self.quiet_length = 0
        elif length_at >= 0:
            self.quiet_length = declared if declared >= 0 else QUIET_ASK
        else:
            self.quiet_length = QUIET_ALWAYS

    def exact(self, headers: Sequence[Sequence[Any]]) -> Verdict:
        """This verdict for one exact header list: the Content-Length value parsed once."""
        declared = -1
        if self.length_at >= 0:
            declared = _plain_int(headers[self.length_at][1])
            if declared < 0:
                return self
        return Verdict(
            self.template,
            holds=self.holds,
            slow=self.slow,
            empty_only=self.empty_only,
            length_at=self.length_at,
            type_needed=self.type_needed,
            declared=declared,
        )

    def quiet(
        self,
        headers: Sequence[Sequence[Any]],
        content_length: int | None,
        has_content: bool | None,
    ) -> bool:
        """Whether the body rules leave this response alone, given what is known of its content
        (the values :class:`Head` would carry): then nothing of it needs the engine."""
        if self.needs_empty and (self.slow or has_content is not False):
            return False
        at = self.length_at
        if at >= 0:
            if content_length is None:
                return False  # a stream with a Content-Length: the engine counts its bytes
            declared = self.declared
            if declared < 0:
                declared = _plain_int(headers[at][1])
            return declared == content_length
        return True


def _plain_int(value: object) -> int:
    """A Content-Length value of plain ASCII digits as an int, anything else -1 (so is a numeral
    longer than 18 digits: int() refuses more than 4300, and the full path judges them)."""
    try:
        return _LENGTHS[value]  # a length this process has parsed before (most are)
    except (KeyError, TypeError):
        pass
    if isinstance(value, (str, bytes)) and value.isdigit() and value.isascii():
        if len(value) > 18:
            return -1
        length = int(value)
        if len(_LENGTHS) >= _MAX_LENGTHS:
            _LENGTHS.clear()
        _LENGTHS[value] = length
        return length
    return -1


# Content-Length values parsed by _plain_int (at most 18 digits each, so a few kB in all).
_LENGTHS: dict[object, int] = {}
_MAX_LENGTHS = 256


def _by_field(rules: Iterable[Rule]) -> dict[bytes, tuple[Rule, ...]]:
    """The rules that read values, by the field they read (``b"*"``: every field)."""
    found: dict[bytes, tuple[Rule, ...]] = {}
    for rule in rules:
        for name in rule.reads or ():
            found[name] = (*found.get(name, ()), rule)
    return found


_UNSEEN: Final[Verdict] = object.__new__(Verdict)  # a shape the screen has not met yet
_UNSEEN_PLAN: Final[Plan] = object.__new__(Plan)  # a status line it has not met yet


def _lines_pass(plan: Plan, verdict: Verdict, headers: Sequence[Sequence[Any]]) -> int:
    """How many lines of ``headers`` were not seen before, when they pass the rules that read
    values (they are remembered then), else -1.  (Such a rule passes a head of an accepted
    shape exactly when each of its lines passes: a rule with ``accepts`` is asked about each
    new line's value; the others check the new lines together, in a head of their own.)"""
    lines = plan.lines
    field_rules = plan.field_rules
    every = field_rules.get(b"*", ())
    novel = []
    whole = False  # a rule without ``accepts`` reads one of these lines
    for line in headers:
        if line in lines:
            continue
        novel.append(line)
        name, value = line
        raw_value = value if type(value) is bytes else _to_bytes(value)
        named = field_rules.get((name if type(name) is bytes else _to_bytes(name)).lower())
        for rule in (*every, *named) if named else every:
            accepts = rule.accepts
            if accepts is None:
                whole = True
            elif not accepts(raw_value):
                return -1
    if not novel:
        return 0
    if whole:
        sub = verdict.template.with_headers(headers_to_bytes(novel))  # type: ignore[arg-type]
        rules = [rule for rule in every if rule.accepts is None]
        for name in sub.fields:
            rules += [rule for rule in field_rules.get(name, ()) if rule.accepts is None]
        for rule in rules:
            if rule.check(sub) is not None:
                return -1
    if len(lines) + len(novel) > _MAX_LINES:
        lines.clear()
    for line in novel:
        if len(line[0]) + len(line[1]) <= _MAX_LINE:
            lines.add(line)
    return len(novel)


def parse_status(status: object) -> tuple[int, bytes | None]:
    """``200`` or ``"200 OK"`` → ``(200, b"OK")``; anything unparsable (whatever an app passed
    as its status: ``None``, a float...) gives status 0."""
    if isinstance(status, bool):
        return 0, None
    if isinstance(status, int):
        return status, None
    if isinstance(status, str):
        raw = status.encode("latin-1", "replace")
    elif isinstance(status, (bytes, bytearray)):
        raw = bytes(status)
    else:  # None, a float...: an application's bug, reported by status-code-invalid
        return 0, None
    code, _, reason = raw.partition(b" ")
    if len(code) == 3 and code.isdigit():
        return int(code), reason
    return 0, raw


class Engine:
    """The compiled configuration of one guard.  Immutable but for its counters and memos."""

    # The screen's memo of whole heads that passed (see :meth:`screen`), any status.
    heads: dict[Hashable, Verdict]
    # The adapters' one-entry cache in front of ``heads``: the last head they found there, as
    # a tuple of copies of what they compare (status, context, header list) and its verdict
    # last.  Two equal lists compare faster than one is hashed: a response that repeats the
    # last head exactly (most of a busy endpoint's) costs no hashing at all.
    last: list[tuple[Any, ...] | None]

    def __init__(self, protocol: str, config: Config, *, register: bool = True) -> None:
        if protocol not in ("wsgi", "asgi", "http"):
            raise ConfigurationError(f"protocol must be wsgi, asgi or http, not {protocol!r}")
        self.protocol = protocol
        self.config = config
        self.reporter = Reporter(
            logger=config.logger,
            interval=config.log_interval,
            on_violation=config.on_violation,
            enabled=register,
        )
        self._catalogue = tuple(
            r for r in (*CATALOGUE, *config.extra_rules) if protocol in r.protocols
        )
        self._plans: dict[int, Plan] = {}
        self.mode = config.mode
        self.heads = {}
        self.last = [None]
        self.recompile()
        if register:
            _ENGINES.add(self)

    @property
    def fail_open(self) -> bool:
        """Whether an internal failure lets the original response through (warn and fix)."""
        return self.mode != "strict"

    def recompile(self) -> None:
        self.mode = _forced_mode or self.config.mode
        self._modes = {rule.id: self._mode_of(rule) for rule in self._catalogue}
        # Plans are compiled on first use: an import or a guard that sees a dozen statuses
        # does not pay for five hundred.  A race between threads compiles one twice, harmlessly.
        self._plans = {}
        # What Engine.screen learnt belongs to the old plans: it goes with them.  (``heads`` and
        # ``last`` are emptied, not replaced: the adapters keep a reference to them.)
        self._screen_plans: dict[Hashable, Plan | None] = {}
        self.heads.clear()
        self.last[0] = None

    def _mode_of(self, rule: Rule) -> Mode:
        override = _forced_rules.get(rule.id) or self.config.rules.get(rule.id)
        if _forced_mode is not None and rule.id not in _forced_rules:
            # A forced run (the pytest plugin) keeps only the rules the project turned off.
            override = "off" if self.config.rules.get(rule.id) == "off" else None
        if override is not None:
            return Mode(override)
        mode = Mode(self.mode)
        # Info rules never raise unless a rule override asks for it explicitly.
        if mode is Mode.STRICT and rule.severity is Severity.INFO:
            return Mode.WARN
        return mode

    def _compile(self, status: int) -> Plan:
        head: list[tuple[Rule, Mode]] = []
        extra_body: list[tuple[Rule, Mode]] = []
        for rule in self._catalogue:
            mode = self._modes[rule.id]
            if mode is Mode.OFF or not rule.applies_to(status) or rule in _BODY_RULES:
                continue
            (extra_body if rule.phase == "body" else head).append((rule, mode))
        return Plan(
            screened=not extra_body and all(rule.reads is not None for rule, _ in head),
            shape_rules=tuple(rule for rule, _ in head if rule.reads == SHAPE_ONLY),
            line_rules=tuple(rule for rule, _ in head if rule.reads),
            field_rules=_by_field(rule for rule, _ in head if rule.reads),
            head=tuple(head),
            content_forbidden=(
                self._modes.get(CONTENT_FORBIDDEN.id, Mode.OFF)
                if status in NO_CONTENT_STATUSES
                else Mode.OFF
            ),
            head_content=self._modes.get(HEAD_CONTENT.id, Mode.OFF),
            length_mismatch=self._modes.get(CONTENT_LENGTH_MISMATCH.id, Mode.OFF),
            type_missing=self._modes.get(CONTENT_TYPE_MISSING.id, Mode.OFF),
            extra_body=tuple(extra_body),
        )

    def plan(self, status: int) -> Plan:
        plan = self._plans.get(status)
        if plan is None:
            if not 100 <= status <= 599:  # every invalid status shares one plan
                status = 0
                plan = self._plans.get(0)
            if plan is None:
                plan = self._plans[status] = self._compile(status)
        return plan

    def begin(
        self, head: Head, method: str = "", route: str = "", *, screened: bool = False
    ) -> ResponseCheck:
        """Start checking one response; ``method``/``route`` label the reports.  ``screened``:
        :meth:`screen` passed this head, so its head rules need not run again."""
        return ResponseCheck(self, head, method or head.method, route, screened)

    # -- the screen: verdicts remembered instead of rules run on every response ----------------

    def screen(
        self,
        status: int | str | bytes,
        context: tuple[Hashable, ...],
        headers: Sequence[Sequence[Any]],
        describe: Callable[[], Head],
    ) -> Verdict | None:
        """A :class:`Verdict` when this head passes every head rule as it is; ``None`` when it
        does not, or when only the full path (``begin``/``start``) can tell.

        ``status`` (an int or a WSGI status line), ``context`` (a tuple of whatever the adapter
        derives the head's method, HTTP version and ``server_date`` from, of the same length on
        every call) and the header lines (pairs of ``str`` or ``bytes``) are what is remembered;
        ``describe()`` must build from them the :class:`Head` the full path would check, line
        for line, and is called only for a shape not seen before.  The rules' ``reads`` make
        this exact: a shape that failed a rule reading the shape only fails for good; a shape
        that passed needs only its lines not seen before checked, by the rules that read
        values.  Whole heads seen before cost one dict lookup: an adapter may make it itself,
        ``heads.get((status, *context, *headers))``, and call this on a miss.  The memos are
        bounded and emptied by :meth:`recompile`.
        """
        if type(status) not in (int, str, bytes):
            # 200.0 or Decimal(200) hash like 200 but are no status at all: the full path
            # reports them, and they must not share the memo of a real 200.
            return None
        try:
            key = (status, *context, *headers)
            verdict = self.heads.get(key)
        except TypeError:  # unhashable lines (lists, bytearrays): the full path handles them
            return None
        if verdict is not None:
            return verdict
        return self.screen_new(status, context, headers, describe, key)

    def screen_new(
        self,
        status: int | str | bytes,
        context: tuple[Hashable, ...],
        headers: Sequence[Sequence[Any]],
        describe: Callable[[], Head],
        key: tuple[Any, ...],
    ) -> Verdict | None:
        """:meth:`screen` for a head the caller looked up in ``heads`` already, under ``key``
        (``(status, *context, *headers)``), and did not find there."""
        try:
            plan = self._screen_plans.get(status, _UNSEEN_PLAN)
            if plan is _UNSEEN_PLAN:
                plan = self._screen_plan(status)
            if plan is None:
                return None
            shape_key = (status, *context, *map(_NAME, headers))
            known = plan.shapes.get(shape_key, _UNSEEN)
            if known is _UNSEEN:
                return self._learn(plan, key, shape_key, headers, describe)
            if known is None:
                return None
            novel = _lines_pass(plan, known, headers)
            if novel < 0:
                return None
            if not novel:
                # Lines seen before: this head will likely come again.
                _remember(self.heads, key, known.exact(headers), _MAX_HEADS)
            return known
        except Exception:
            # Unhashable lines (lists, bytearrays) or a rule failing on a value: the full path
            # decides, and reports what it has to.
            return None

    def _screen_plan(self, status: object) -> Plan | None:
        if not isinstance(status, (int, str, bytes)):
            return None  # not a status at all: the full path reports it
        code = status if isinstance(status, int) else parse_status(status)[0]
        plan = self.plan(code) if 100 <= code <= 599 else None
        if plan is not None and not plan.screened:
            plan = None
        if isinstance(status, int) or len(status) <= _MAX_LINE:
            _remember(self._screen_plans, status, plan, _MAX_STATUS_KEYS)
        return plan

    def _learn(
        self,
        plan: Plan,
        key: Hashable,
        shape_key: Hashable,
        headers: Sequence[Sequence[Any]],
        describe: Callable[[], Head],
    ) -> Verdict | None:
        head = describe()
        small = [len(line[0]) + len(line[1]) <= _MAX_LINE for line in headers]
        shape_small = all(len(line[0]) <= _MAX_LINE for line in headers)
        for rule in plan.shape_rules:
            if rule.check(head) is not None:
                if shape_small:  # this shape fails whatever the values
                    _remember(plan.shapes, shape_key, None, _MAX_SHAPES)
                return None
        for rule in plan.line_rules:
            if rule.check(head) is not None:
                return None  # these values fail; others of the same shape may pass
        verdict = self._verdict(plan, head)
        if shape_small:
            _remember(plan.shapes, shape_key, verdict, _MAX_SHAPES)
        if len(plan.lines) + len(headers) > _MAX_LINES:
            plan.lines.clear()
        plan.lines.update(line for line, ok in zip(headers, small, strict=True) if ok)
        if all(small):
            _remember(self.heads, key, verdict.exact(headers), _MAX_HEADS)
        return verdict

    def _verdict(self, plan: Plan, head: Head) -> Verdict:
        """What the body rules need for heads of this shape: ``ResponseCheck.start`` in
        advance, for a head that its head rules leave unchanged."""
        holds = ResponseCheck(self, head, head.method, "", True).wants_content()
        # The verdict keeps the head's status line and context, never its values: a memo of
        # verdicts must not hold on to a megabyte header (its size bound is on lines).
        template = head.with_headers([])
        method = head.method
        no_content = head.status in NO_CONTENT_STATUSES
        if method == "CONNECT":
            return Verdict(template, holds=holds, slow=True)
        if plan.content_forbidden is not Mode.OFF and no_content:
            rule, mode = CONTENT_FORBIDDEN, plan.content_forbidden
        elif plan.head_content is not Mode.OFF and method == "HEAD":
            rule, mode = HEAD_CONTENT, plan.head_content
        elif not no_content and method != "HEAD":
            length_at = -1
            if plan.length_mismatch is not Mode.OFF and b"transfer-encoding" not in head.fields:
                at = [i for i, (n, _) in enumerate(head.headers) if n.lower() == b"content-length"]
                if len(at) > 1:
                    return Verdict(template, holds=holds, slow=True)
                length_at = at[0] if at else -1
            type_needed = plan.type_missing is not Mode.OFF and b"content-type" not in head.fields
            return Verdict(template, holds=holds, length_at=length_at, type_needed=type_needed)
        else:
            return Verdict(template, holds=holds)
        if (mode is Mode.FIX and rule.fix is not None) or head.status == 205:
            # Fix mode discards the content: the adapter has to hold on to the body.
            return Verdict(template, holds=holds, slow=True)
        return Verdict(template, holds=holds, empty_only=True)

    def stats(self) -> Stats:
        return self.reporter.stats()


class Guard:
    """What both middlewares offer besides being called: their counters and the log flush."""

    __slots__ = ()
    engine: Engine

    def stats(self) -> Stats:
        """The exact violation counters since the guard was created, and internal errors."""
        return self.engine.stats()

    def flush(self) -> None:
        """Log the aggregated repeat counts now (at shutdown, or from a test)."""
        self.engine.reporter.flush()


class ResponseCheck:
    """The state of one response going through the engine.

    ``start()`` runs the head rules and returns the head to send (repaired in fix mode).  Then
    ``needs_body`` says whether the content must go through ``body()``; ``finish()`` reports
    what only the end of the stream shows.
    """

    __slots__ = (
        "_declared",
        "_first_content_mode",
        "_plan",
        "_reported",
        "discard",
        "engine",
        "head",
        "method",
        "needs_body",
        "route",
        "screened",
        "sent",
        "truncate",
        "violations",
    )

    def __init__(
        self, engine: Engine, head: Head, method: str, route: str, screened: bool = False
    ) -> None:
        self.engine = engine
        self.screened = screened
        self.head = head
        self.method = method
        self.route = route
        self.violations: list[Violation] = []
        self.discard = False
        self.truncate = False
        self.needs_body = False
        self.sent = 0
        self._declared: int | None = None
        self._plan = engine.plan(head.status)
        self._reported: set[str] = set()
        self._first_content_mode = Mode.OFF

    # -- reporting -----------------------------------------------------------------------------

    def _violation(self, rule: Rule, mode: Mode, detail: str, fixed: bool) -> Violation:
        if mode is Mode.STRICT:
            action = Action.RAISED
        elif fixed:
            action = Action.FIXED
        else:
            action = Action.REPORTED
        message = rule.message(detail)
        if fixed:
            message += f" Fixed: {rule.fix_summary}."
        violation = Violation(
            rule.id, self.head.status, rule.severity, message, rule.reference, fixed, action
        )
        self.violations.append(violation)
        self._reported.add(rule.id)
        # A Python warning only where the user asked for warnings: fix mode logs what it cannot
        # repair, strict mode raises.
        self.engine.reporter.report(violation, self.method, self.route, mode is Mode.WARN)
        return violation

    def _raise(self, raised: list[Violation]) -> None:
        raise StatusGuardError(raised, f"{self.method} {self.route}".strip())

    # -- head ----------------------------------------------------------------------------------

    def wants_content(self) -> bool:
        """Whether knowing the content before the head goes out can change what is sent or
        reported.  When it is ``False`` an adapter may call ``start()`` at once and hand the
        application's body to the server untouched (the fast path)."""
        plan = self._plan
        head = self.head
        if head.status in NO_CONTENT_STATUSES:
            return plan.content_forbidden is not Mode.OFF
        if head.method == "HEAD":
            return plan.head_content is not Mode.OFF
        fields = head.fields
        return (plan.length_mismatch is not Mode.OFF and b"content-length" in fields) or (
            plan.type_missing is not Mode.OFF and b"content-type" not in fields
        )

    def start(self) -> Head:
        """Run the head rules; return the head to send.  Raises StatusGuardError (strict)."""
        head = self.head
        plan = self._plan
        raised: list[Violation] = []
        # A screened head passes every head rule unchanged (Engine.screen): only the body
        # rules are left.
        for rule, mode in () if self.screened else plan.head:
            detail = rule.check(head)
            if detail is None:
                continue
            fixed = False
            if mode is Mode.FIX and rule.fix is not None:
                repaired = rule.fix(head)
                fixed = rule.check(repaired) is None
                head = repaired
            violation = self._violation(rule, mode, detail, fixed)
            if mode is Mode.STRICT:
                raised.append(violation)
        self.head = head
        # Body rules: decided now when the adapter knows the content, else while it streams.
        known = head.has_content is not None
        no_content = head.status in NO_CONTENT_STATUSES
        if plan.content_forbidden is not Mode.OFF and no_content:
            self._content_rule(CONTENT_FORBIDDEN, plan.content_forbidden, known, raised)
        elif plan.head_content is not Mode.OFF and head.method == "HEAD":
            self._content_rule(HEAD_CONTENT, plan.head_content, known, raised)
        elif not no_content and head.method != "HEAD":
            self._length_rule(plan.length_mismatch, head.content_length is not None, raised)
            self._type_rule(plan.type_missing, known, raised)
        for rule, mode in plan.extra_body:
            detail = rule.check(self.head)
            if detail is not None:
                violation = self._violation(rule, mode, detail, False)
                if mode is Mode.STRICT:
                    raised.append(violation)
        if raised:
            self._raise(raised)
        return self.head

    def _content_rule(self, rule: Rule, mode: Mode, known: bool, raised: list[Violation]) -> None:
        head = self.head
        if mode is Mode.FIX and rule.fix is not None:
            # Content here is never sent, so the framing can be settled before any arrives.
            self.head = rule.fix(head)
            self.discard = True
        detail = rule.check(head)
        if detail is not None:
            violation = self._violation(rule, mode, detail, mode is Mode.FIX)
            if mode is Mode.STRICT:
                raised.append(violation)
        elif not known:
            self.needs_body = True
            self._first_content_mode = mode
        if self.discard:
            self.needs_body = True

    def _length_rule(self, mode: Mode, known: bool, raised: list[Violation]) -> None:
        if mode is Mode.OFF or b"transfer-encoding" in self.head.fields:
            return
        if self.head.is_connect_success:
            return
        if known:
            detail = CONTENT_LENGTH_MISMATCH.check(self.head)
            if detail is not None:
                fix = CONTENT_LENGTH_MISMATCH.fix
                fixed = mode is Mode.FIX and fix is not None
                if fixed and fix is not None:  # (the second test only narrows the type)
                    self.head = fix(self.head)
                violation = self._violation(CONTENT_LENGTH_MISMATCH, mode, detail, fixed)
                if mode is Mode.STRICT:
                    raised.append(violation)
            return
        declared = declared_length(self.head)
        if declared is not None:
            self._declared = declared
            self.truncate = mode is Mode.FIX
            self.needs_body = True

    def _type_rule(self, mode: Mode, known: bool, raised: list[Violation]) -> None:
        if mode is Mode.OFF or b"content-type" in self.head.fields:
            return
        if known:
            detail = CONTENT_TYPE_MISSING.check(self.head)
            if detail is not None:
                violation = self._violation(CONTENT_TYPE_MISSING, mode, detail, False)
                if mode is Mode.STRICT:
                    raised.append(violation)
            return
        self._first_content_mode = mode
        self.needs_body = True

    # -- body ----------------------------------------------------------------------------------

    def body(self, chunk: bytes) -> bytes:
        """Pass one chunk of content; returns what may be sent (possibly ``b""``)."""
        size = len(chunk)
        if not size:
            return chunk
        sent = self.sent
        self.sent = sent + size
        head = self.head
        pending = self._first_content_mode
        if pending is not Mode.OFF:
            self._first_content_mode = Mode.OFF
            self._first_content(pending, head)
        if self.discard:
            return b""
        declared = self._declared
        if declared is not None and sent + size > declared:
            if CONTENT_LENGTH_MISMATCH.id not in self._reported:
                mode = Mode.FIX if self.truncate else self._plan.length_mismatch
                detail = (
                    f"Content-Length says {declared} but the application sent more "
                    f"({sent + size} bytes so far)."
                )
                violation = self._violation(CONTENT_LENGTH_MISMATCH, mode, detail, self.truncate)
                if mode is Mode.STRICT:
                    self._raise([violation])
            if self.truncate:
                return chunk[: max(declared - sent, 0)]
        return chunk

    def _first_content(self, mode: Mode, head: Head) -> None:
        status = head.status
        if status in NO_CONTENT_STATUSES:
            rule = CONTENT_FORBIDDEN
        elif head.method == "HEAD":
            rule = HEAD_CONTENT
        else:
            rule = CONTENT_TYPE_MISSING
        if rule.id in self._reported:
            return
        detail = _detail(rule, head, streamed=True)
        fixed = self.discard and rule is not CONTENT_TYPE_MISSING
        violation = self._violation(rule, mode, detail, fixed)
        if mode is Mode.STRICT:
            self._raise([violation])

    def finish(self) -> None:
        """The content has ended: report a stream shorter than its Content-Length."""
        declared = self._declared
        if (
            declared is not None
            and not self.discard
            and self.sent < declared
            and CONTENT_LENGTH_MISMATCH.id not in self._reported
        ):
            mode = self._plan.length_mismatch
            detail = (
                f"Content-Length says {declared} but the stream ended after {self.sent} bytes; "
                "the client will wait for the rest or see a broken connection."
            )
            violation = self._violation(CONTENT_LENGTH_MISMATCH, mode, detail, False)
            if mode is Mode.STRICT:
                self._raise([violation])


def _detail(rule: Rule, head: Head, *, streamed: bool = False) -> str:
    if streamed:
        if rule is CONTENT_TYPE_MISSING:
            return f"a {head.status} response streams content but has no Content-Type."
        if rule is HEAD_CONTENT:
            return "the response to HEAD streamed content."
        return f"a {head.status} response streamed content."
    detail = rule.check(head)
    return detail or f"a {head.status} response carried content."


def headers_to_bytes(headers: Iterable[tuple[str | bytes, str | bytes]]) -> HeaderList:
    """``(name, value)`` pairs of ``str`` or ``bytes`` → bytes pairs (latin-1, else UTF-8)."""
    out: HeaderList = []
    for name, value in headers:
        out.append((_to_bytes(name), _to_bytes(value)))
    return out


def _to_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
