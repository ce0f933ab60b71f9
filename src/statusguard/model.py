"""The neutral response model every part of statusguard speaks.

No I/O and no framework objects here: WSGI, ASGI, Django, the CLI and the pytest plugin all
translate into a :class:`Head` and read back :class:`Violation` records.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

__all__ = [
    "EVERY_FIELD",
    "NO_REQUEST_HEADERS",
    "SHAPE_ONLY",
    "WHOLE_CONTENT",
    "Action",
    "ContentUse",
    "Head",
    "Mode",
    "Reference",
    "RequestHeaders",
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
    """One rule broken by one response.

    ``strict``: the rule ran in strict mode -- the response was refused before its head went
    out (``action`` is ``RAISED``), or, found after the head was sent, the response was ended
    cleanly and the violation reported loudly.  What a test suite should fail on.
    """

    rule_id: str
    status: int
    severity: Severity
    message: str
    reference: Reference
    fixed: bool = False
    action: Action = Action.REPORTED
    strict: bool = False

    def __str__(self) -> str:
        return self.message


class RequestHeaders(Protocol):
    """The request's header fields as the rules read them: ``get(name)`` with a lower-case
    name returns the field value (several lines joined with ``", "``) or ``None``.  ``known``
    is false when nothing is known of the request (a response checked on its own): a rule
    about the request then says nothing."""

    known: bool

    def get(self, name: bytes, /) -> bytes | None: ...


class _NoHeaders:
    __slots__ = ()
    known = False

    def get(self, name: bytes, /) -> bytes | None:
        return None

    def __repr__(self) -> str:
        return "NO_REQUEST_HEADERS"


#: The request headers of a head that knows nothing of its request.
NO_REQUEST_HEADERS: Final[RequestHeaders] = _NoHeaders()


@dataclass(frozen=True, slots=True, eq=False)
class Head:
    """The head of one response as the rules see it.  Immutable: a fix returns a new head.

    ``headers`` keeps the order and the case of the names the app gave; ``fields`` maps each
    lower-cased name to its values in order, derived from ``headers``.  ``content_length`` is
    the number of content bytes when it is known (a WSGI list, a single ASGI body message, the
    end of a stream), else ``None``; ``has_content`` is whether the app produced at least one
    content byte, when that is known.  ``method`` is the request method as the client sent it;
    ``http_version`` is ``"1.0"``, ``"1.1"``, ``"2"`` or ``"3"``; ``server_date`` says what the
    server in front does with ``Date`` (``"never"``: the head is what goes on the wire);
    ``request_headers`` reads the request's fields (only the rules that need one ask).
    """

    status: int
    headers: HeaderList
    method: str = "GET"
    http_version: str = "1.1"
    reason: bytes | None = None
    content_length: int | None = None
    has_content: bool | None = None
    server_date: str = "never"
    request_headers: RequestHeaders = NO_REQUEST_HEADERS
    fields: dict[bytes, list[bytes]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fields: dict[bytes, list[bytes]] = {}
        for name, value in self.headers:
            key = name.lower()
            values = fields.get(key)
            if values is None:
                fields[key] = [value]
            else:
                values.append(value)
        object.__setattr__(self, "fields", fields)

    def with_headers(self, headers: HeaderList) -> Head:
        """A copy of this head with other header lines (fixes are pure: they return copies)."""
        return self.replace(headers=headers)

    def replace(self, **changes: Any) -> Head:
        """A copy of this head with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

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
# A check of the request alone: its method as sent, and its fields (``Rule.request_check``).
RequestCheck = Callable[[str, RequestHeaders], "str | None"]
Fix = Callable[[Head], Head]
# A predicate over all the header lines of a head, as the application gave them (pairs of
# ``str`` or of ``bytes``): see ``Rule.accepts_all``.
LinesCheck = Callable[[Sequence[tuple[Any, Any]]], object]

# ``Rule.reads`` for a check that reads the head's shape only, and for one that reads the
# value of every field, line by line.
SHAPE_ONLY: frozenset[bytes] = frozenset()
EVERY_FIELD: frozenset[bytes] = frozenset({b"*"})


def _always(head: Head) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class ContentUse:
    """How a body rule (``Rule.phase == "body"``) depends on the content, for the engine.

    ``reads`` is ``"presence"`` when the rule is decided by whether there is content at all
    (the first content byte decides it), ``"length"`` when it needs the whole length (the end
    of the content decides it).  ``when(head)`` says whether the content can break the rule
    for this head at all; it reads the head's shape only (status, method, HTTP version, server,
    the names of its fields).  ``action`` is what fix mode does about a violation:
    ``"discard"``, the content is never sent (the rule's ``fix``, if any, settles the head's
    framing before any content arrives, and reads the shape only); ``"truncate"``, the content
    is cut at the length ``limit`` reads from one field's value (``limit`` is that field's
    lower-case name and a parser returning the length or ``None``), and the rule's ``fix``
    corrects the head when the length is known before it goes out; ``"report"``, nothing is
    changed.
    """

    reads: str = "length"
    action: str = "report"
    when: Callable[[Head], bool] = _always
    limit: tuple[bytes, Callable[[bytes], int | None]] | None = None


#: What a body rule without its own ``content`` gets: decided when the length is known
#: (a complete response, or the end of a stream), reported only.
WHOLE_CONTENT: Final = ContentUse()


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the catalogue: a declarative unit with a pure check and an optional fix.

    ``check`` returns ``None`` when the head complies, else the second half of the message
    (what was seen).  ``fix`` returns a repaired copy of the head; it never mutates its argument.
    ``statuses`` is ``None`` for rules that apply to every status; ``versions`` is ``None`` for
    rules that apply to every HTTP version, else the versions (``"1.0"``, ``"1.1"``, ``"2"``,
    ``"3"``) they apply to.  ``phase`` says when the rule can be decided: ``"head"`` rules look at
    the head only; ``"body"`` rules need to know about the content, as ``content`` (a
    :class:`ContentUse`) describes -- their ``check`` sees a head whose ``content_length`` and
    ``has_content`` say what is known so far, and returns ``None`` when it cannot tell yet.

    ``reads`` says what a head rule's ``check`` depends on, so that the engine can decide a head
    by what changes between responses instead of checking everything every time.  Every check
    may read the head's *shape*: its status, reason phrase, method, HTTP version,
    ``server_date`` and the header names in order.  :data:`SHAPE_ONLY`: nothing else.  A set of
    lower-cased field names (:data:`EVERY_FIELD` for all of them): also the values of those
    fields, one line at a time -- the check passes a head exactly when its shape is acceptable
    and each line of those fields is, and whether a line is acceptable depends on that line and
    the shape only.  ``None`` (the default, and the right value for anything else, such as
    reading ``content_length`` or the request's fields): the check runs on every response.

    A check that reads the request (``head.request_headers``, ``head.method`` beyond HEAD and
    CONNECT) has ``reads=None``, and says nothing when the request is not known
    (``head.request_headers.known`` false).  ``request_check``, for such a rule that reads
    nothing of the response but its status (and its version, through ``versions``): the same
    check as a function of the request alone -- the method as sent and the request's fields --
    answering exactly what ``check`` answers (``statusguard.rules._common.on_request`` makes the
    one from the other).  The engine then decides the rest of the head by its shape and runs
    only this on every response of its status.

    ``accepts``, for a rule that reads values line by line and whose lines are acceptable by
    their value alone: a faster equivalent of ``check`` for one line, truthy exactly when a
    line with this value (bytes, as sent) passes.  ``accepts_all``, for a rule that reads every
    field: truthy exactly when every line of a head passes, given the lines as the application
    gave them (``str`` or ``bytes`` pairs; it may return a falsy value for anything unusual, and
    the rule's ``check`` then decides).  The engine uses them on values it sees for the first
    time instead of building a head.
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
    accepts_all: LinesCheck | None = None
    versions: frozenset[str] | None = None
    content: ContentUse | None = None
    # The field (lower-case) whose absence this rule reports: what the status-code table's
    # required and recommended fields are checked against (tests/rules/test_meta.py).
    requires: bytes | None = None
    # The specification's sentence the rule enforces, verbatim (pieces from one section joined
    # with " | "; a piece from another section ends with its locator, "(RFC 9110 §8.6)").
    quote: str = ""
    request_check: RequestCheck | None = None

    def applies_to(self, status: int) -> bool:
        return self.statuses is None or status in self.statuses

    @property
    def content_use(self) -> ContentUse:
        """How this body rule depends on the content (:data:`WHOLE_CONTENT` by default)."""
        return self.content or WHOLE_CONTENT

    def message(self, detail: str) -> str:
        if len(detail) > _MAX_DETAIL:
            detail = f"{detail[:_MAX_DETAIL]}… ({len(detail) - _MAX_DETAIL} more characters)"
        return f"[{self.id}] {self.summary} ({self.reference}): {detail}"


# A detail quotes what was seen; a hostile value (a header of several megabytes) must not become
# a log line, a warning or an exception message of the same size.
_MAX_DETAIL = 500
