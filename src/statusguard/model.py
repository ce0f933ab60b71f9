"""The neutral response model every part of statusguard speaks.

No I/O and no framework objects here: WSGI, ASGI, Django, the CLI and the pytest plugin all
translate into a :class:`Head` and read back :class:`Violation` records.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "EVERY_FIELD",
    "SHAPE_ONLY",
    "Action",
    "Head",
    "Mode",
    "Reference",
    "Rule",
    "Severity",
    "Violation",
]

HeaderList = list[tuple[bytes, bytes]]


class Severity(str, enum.Enum):
    """How bad a violation is, derived from the RFC keyword (MUST → error, SHOULD → warning)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


class Mode(str, enum.Enum):
    """What the guard does with a violation of a rule."""

    OFF = "off"
    WARN = "warn"
    FIX = "fix"
    STRICT = "strict"

    def __str__(self) -> str:
        return self.value


class Action(str, enum.Enum):
    """What the guard did with one violation; the metrics are counted per action."""

    REPORTED = "reported"
    FIXED = "fixed"
    RAISED = "raised"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Reference:
    """A section of an RFC (or of a PEP), rendered as a citation and a URL."""

    rfc: int
    section: str
    document: str = "RFC"

    def __str__(self) -> str:
        return f"{self.document} {self.rfc} §{self.section}"

    @property
    def url(self) -> str:
        if self.document == "PEP":
            return f"https://peps.python.org/pep-{self.rfc:04d}/"
        return f"https://www.rfc-editor.org/rfc/rfc{self.rfc}#section-{self.section}"


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule broken by one response."""

    rule_id: str
    status: int
    severity: Severity
    message: str
    reference: Reference
    fixed: bool = False
    action: Action = Action.REPORTED

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class Head:
    """The head of one response as the rules see it.

    ``headers`` keeps the order and the case of the names the app gave; ``fields`` maps each
    lower-cased name to its values in order and is derived from ``headers`` (call
    :meth:`reindex` after changing ``headers``).  ``content_length`` is the number of content
    bytes when it is known before the head goes out (a WSGI list, a single ASGI body message),
    else ``None``; ``has_content`` is whether the app produced at least one content byte, when
    that is known.
    """

    status: int
    headers: HeaderList
    method: str = "GET"
    http_version: str = "1.1"
    reason: bytes | None = None
    content_length: int | None = None
    has_content: bool | None = None
    server_date: str = "never"
    fields: dict[bytes, list[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.fields and self.headers:
            self.reindex()

    def reindex(self) -> None:
        fields: dict[bytes, list[bytes]] = {}
        for name, value in self.headers:
            key = name.lower()
            values = fields.get(key)
            if values is None:
                fields[key] = [value]
            else:
                values.append(value)
        self.fields = fields

    def with_headers(self, headers: HeaderList) -> Head:
        """A copy of this head with other header lines (fixes are pure: they return copies)."""
        return Head(
            self.status,
            headers,
            self.method,
            self.http_version,
            self.reason,
            self.content_length,
            self.has_content,
            self.server_date,
        )

    def get(self, name: bytes) -> bytes | None:
        """The first value of a field (``name`` lower-case), or ``None``."""
        values = self.fields.get(name)
        return values[0] if values else None

    def without(self, *names: bytes) -> HeaderList:
        """The header list minus every line whose lower-cased name is in ``names``."""
        drop = frozenset(names)
        return [(n, v) for n, v in self.headers if n.lower() not in drop]

    @property
    def is_connect_success(self) -> bool:
        return self.method == "CONNECT" and 200 <= self.status < 300


Check = Callable[[Head], "str | None"]
Fix = Callable[[Head], Head]

# ``Rule.reads`` for a check that reads the head's shape only, and for one that reads the
# value of every field, line by line.
SHAPE_ONLY: frozenset[bytes] = frozenset()
EVERY_FIELD: frozenset[bytes] = frozenset({b"*"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the catalogue: a declarative unit with a pure check and an optional fix.

    ``check`` returns ``None`` when the head complies, else the second half of the message
    (what was seen).  ``fix`` returns a repaired copy of the head; it never mutates its argument.
    ``statuses`` is ``None`` for rules that apply to every status.  ``phase`` says when the
    rule can be decided: ``"head"`` rules look at the head only, ``"body"`` rules are decided by
    the engine while it streams the content (their ``check`` is used on complete responses).

    ``reads`` says what a head rule's ``check`` depends on, so that the engine can remember
    verdicts instead of checking every response (``Engine.screen``).  Every check may read the
    head's *shape*: its status, reason phrase, method, HTTP version, ``server_date`` and the
    header names in order.  :data:`SHAPE_ONLY`: nothing else.  A set of lower-cased field names
    (:data:`EVERY_FIELD` for all of them): also the values of those fields, one line at a time --
    the check passes a head exactly when its shape is acceptable and each line of those fields
    is, and whether a line is acceptable depends on that line and the status only.  ``None``
    (the default, and the right value for anything else, such as reading ``content_length``):
    the check runs on every response.

    ``accepts``, for a rule that reads values line by line and whose lines are acceptable by
    their value alone: a faster equivalent of ``check`` for one line, truthy exactly when a
    line with this value (bytes, as sent) passes.  The engine uses it on header lines it has
    not seen before instead of building a head for them.
    """

    id: str
    severity: Severity
    reference: Reference
    summary: str
    check: Check
    fix: Fix | None = None
    fix_summary: str = ""
    statuses: frozenset[int] | None = None
    phase: str = "head"
    protocols: frozenset[str] = frozenset({"wsgi", "asgi", "http"})
    reads: frozenset[bytes] | None = None
    accepts: Callable[[bytes], object] | None = None

    def applies_to(self, status: int) -> bool:
        return self.statuses is None or status in self.statuses

    def message(self, detail: str) -> str:
        if len(detail) > _MAX_DETAIL:
            detail = f"{detail[:_MAX_DETAIL]}… ({len(detail) - _MAX_DETAIL} more characters)"
        return f"[{self.id}] {self.summary} ({self.reference}): {detail}"


# A detail quotes what was seen; a hostile value (a header of several megabytes) must not become
# a log line, a warning or an exception message of the same size.
_MAX_DETAIL = 500
