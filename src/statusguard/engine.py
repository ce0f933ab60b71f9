"""The engine: per-status plans compiled once, and the per-response check that runs them.

No I/O here, and no WSGI, ASGI or framework objects.  Fixes change the head only before it is
committed (``ResponseCheck.start``); afterwards the body can only be discarded or truncated,
and what is noticed later is reported.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import ConfigurationError, StatusGuardError
from .model import Action, Head, HeaderList, Mode, Rule, Severity, Violation
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
    "ResponseCheck",
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
    """What to do for one status: the head rules with their modes, and the body rules' modes."""

    head: tuple[tuple[Rule, Mode], ...]
    content_forbidden: Mode
    head_content: Mode
    length_mismatch: Mode
    type_missing: Mode
    extra_body: tuple[tuple[Rule, Mode], ...]


def parse_status(status: int | str | bytes) -> tuple[int, bytes | None]:
    """``200`` or ``"200 OK"`` → ``(200, b"OK")``; anything unparsable gives status 0."""
    if isinstance(status, bool):
        return 0, None
    if isinstance(status, int):
        return status, None
    raw = status.encode("latin-1", "replace") if isinstance(status, str) else bytes(status)
    code, _, reason = raw.partition(b" ")
    if len(code) == 3 and code.isdigit():
        return int(code), reason
    return 0, raw


class Engine:
    """The compiled configuration of one guard.  Immutable but for its counters."""

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
        self._plans = {status: self._compile(status) for status in range(100, 600)}
        self._plans[0] = self._compile(0)

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
        if plan is None:  # outside 100..599: the invalid-status plan
            plan = self._plans[0]
        return plan

    def begin(self, head: Head, method: str = "", route: str = "") -> ResponseCheck:
        """Start checking one response; ``method``/``route`` label the reports."""
        return ResponseCheck(self, head, method or head.method, route)

    def stats(self) -> Stats:
        return self.reporter.stats()


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
        "sent",
        "truncate",
        "violations",
    )

    def __init__(self, engine: Engine, head: Head, method: str, route: str) -> None:
        self.engine = engine
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
        for rule, mode in plan.head:
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
                fixed = mode is Mode.FIX and CONTENT_LENGTH_MISMATCH.fix is not None
                if fixed and CONTENT_LENGTH_MISMATCH.fix is not None:
                    self.head = CONTENT_LENGTH_MISMATCH.fix(self.head)
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
