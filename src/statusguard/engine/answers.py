"""The words an adapter and its :class:`~statusguard.engine.exchange.Exchange` exchange.

No I/O.  An exchange answers a head with :data:`HOLD`, :data:`SAME`, a repaired
:class:`~statusguard.model.Head` or :class:`Unjudged`; it is in one :class:`Phase`; it asks the
adapter about the request through a :class:`Reader`.
"""

from __future__ import annotations

import enum
from typing import Any, Final, NamedTuple, Protocol

from ..model import NO_REQUEST_HEADERS, RequestHeaders
from .convert import safe_lines, safe_status, splits

__all__ = [
    "HOLD",
    "SAME",
    "Decision",
    "Extended",
    "Phase",
    "Reader",
    "RequestView",
    "Unjudged",
    "request_headers",
    "unjudged",
]


class Phase(enum.Enum):
    """Where one response is."""

    IDLE = "idle"  # no head yet
    HELD = "held"  # the head is known and held until the content says what to send
    BODY = "body"  # the head is out; the content goes through the engine
    PASS = "pass"  # the head is out; the rest goes to the server as it comes
    ENDED = "ended"  # the content has ended


class Decision(enum.Enum):
    """What to do with the head, when it is not a repaired :class:`Head` to send instead."""

    HOLD = "hold"  # keep it back until the content says more: call commit()
    SAME = "same"  # send the head the application gave, as it is


HOLD: Final = Decision.HOLD
SAME: Final = Decision.SAME


class Extended(NamedTuple):
    """The application's own head, as it gave it, with these lines appended (a compatibility
    step that only adds, such as the ``Date`` a server does not write itself)."""

    lines: list[tuple[bytes, bytes]]


class Unjudged(NamedTuple):
    """The answer after an internal failure: the application's own status and header lines
    (as it gave them), minus what would split the response.  Sent as they are."""

    status: object
    headers: list[Any]


class Reader(Protocol):
    """How an adapter answers what the engine may ask about the request of one response, and
    only when a rule or a report needs it: the label of its route (a template where the
    framework has one, else the path) and its fields (a lower-case name).  ``request`` is
    whatever the adapter handed the exchange (an environ, a scope): the engine never looks
    into it.  A reader is one object per adapter, so an exchange costs no allocation for it."""

    def route(self, request: Any, /) -> str: ...

    def header(self, request: Any, name: bytes, /) -> bytes | None: ...


def request_headers(reader: Reader, request: Any) -> RequestHeaders:
    """What a head reads of its request: nothing when the reader knows no request
    (``reader.knows_request`` false: a response checked on its own)."""
    if getattr(reader, "knows_request", True):
        return RequestView(reader, request)
    return NO_REQUEST_HEADERS


class RequestView:
    """The request of one response as a head's ``request_headers``."""

    __slots__ = ("reader", "request")
    known = True

    def __init__(self, reader: Reader, request: Any) -> None:
        self.reader = reader
        self.request = request

    def get(self, name: bytes, /) -> bytes | None:
        return self.reader.header(self.request, name)


def unjudged(status: object, headers: Any) -> Decision | Unjudged:
    """What an application's head may still send when statusguard failed to judge it: the
    head as it is (:data:`SAME`), or without the lines and status bytes that would split the
    response (fail open, but never a line that would inject another)."""
    try:
        lines = safe_lines(headers)
    except Exception:  # not even iterable: there is no line to inject
        lines = None
    if lines is None and not splits(status):
        return SAME
    return Unjudged(safe_status(status), list(headers) if lines is None else lines)
