"""What each server does by itself, as data: its profile, and the compatibility steps it needs.

Every entry was seen on the wire, on 127.0.0.1, and is pinned by a test under ``tests/wire/``
(``docs/servers.md``, ``docs/servers-asgi.md``).  No I/O here and no framework import: the
adapters detect the server of each request and hand its profile to the engine, which applies
the steps.  A compatibility step is not a violation: it repairs what exists only because of the
server in front, is counted apart (``Stats.steps``), and never raises in strict mode.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from .model import EVERY_FIELD, SHAPE_ONLY, Head

__all__ = [
    "ASGI_DEFAULT",
    "PROFILES",
    "WIRE",
    "ServerProfile",
    "Step",
    "wsgi_profile",
]


@dataclass(frozen=True, slots=True)
class Step:
    """One compatibility step: ``when(head)`` says whether it concerns a head, ``fix(head)``
    returns the head the server needs.  As for a rule, ``reads`` says what ``when`` reads:
    :data:`~statusguard.model.SHAPE_ONLY`, or every field's value, one line at a time, in which
    case ``accepts(value)`` is truthy exactly when a line with this value leaves the step
    nothing to do (the engine's screen runs it on every value)."""

    id: str
    summary: str
    when: Callable[[Head], bool]
    fix: Callable[[Head], Head]
    reads: frozenset[bytes] = SHAPE_ONLY
    accepts: Callable[[bytes], object] | None = None

    def __repr__(self) -> str:
        return f"<Step {self.id}>"


def _is_304_with_length(head: Head) -> bool:
    return head.status == 304 and b"content-length" in head.fields


def _drop_length(head: Head) -> Head:
    return head.with_headers(head.without(b"content-length"))


# RFC 9110 §8.6 allows Content-Length on a 304, but uvicorn-httptools frames the 304 by it,
# waits for that many bytes and drops the connection when the (correctly) empty content ends.
# Nothing is lost: caches never update a stored Content-Length from a 304 (RFC 9111 §3.2).
LENGTH_ON_304 = Step(
    id="server-304-content-length",
    summary="the server frames a 304 by its Content-Length: it is removed",
    when=_is_304_with_length,
    fix=_drop_length,
)


def _surrounded(value: bytes) -> bool:
    return value[:1] in (b" ", b"\t") or value[-1:] in (b" ", b"\t")


def _not_surrounded(value: bytes) -> bool:
    return not _surrounded(value)


def _has_surrounded_value(head: Head) -> bool:
    return any(_surrounded(value) for _, value in head.headers)


def _strip_values(head: Head) -> Head:
    return head.with_headers([(n, v.strip(b" \t")) for n, v in head.headers])


# Whitespace around a value is the field line's optional whitespace in HTTP/1.1 (RFC 9112 §5),
# but h11, which uvicorn's h11 protocol and hypercorn speak through, refuses to send such a
# value ("Illegal header value"): the response never goes out.  Every recipient strips it
# (RFC 9110 §5.5), so nothing is lost.
VALUE_WHITESPACE = Step(
    id="server-value-whitespace",
    summary="the server refuses a value with surrounding whitespace: it is stripped",
    when=_has_surrounded_value,
    fix=_strip_values,
    reads=EVERY_FIELD,
    accepts=_not_surrounded,
)


@dataclass(frozen=True, slots=True, eq=False)
class ServerProfile:
    """What one server does with the responses it is handed.

    ``date`` is what it does with ``Date``: ``"always"`` (adds its own whatever the app sent),
    ``"replace"`` (drops the app's and adds its own), ``"if-absent"`` or ``"never"``.
    ``steps`` are the compatibility steps it needs.
    """

    name: str
    date: str
    steps: tuple[Step, ...] = ()

    def __repr__(self) -> str:
        return f"<ServerProfile {self.name} date={self.date}>"


#: No server: the response is what goes on the wire (``check()``, a captured response).
WIRE = ServerProfile("wire", "never")

PROFILES: dict[str, ServerProfile] = {
    # gunicorn's WSGI workers treat Date as hop-by-hop: the app's is dropped, theirs is written.
    "gunicorn": ServerProfile("gunicorn", "replace"),
    # wsgiref (and Django's runserver, built on it) adds Date only when the app sent none.
    "wsgiref": ServerProfile("wsgiref", "if-absent"),
    # The werkzeug dev server always writes its own Date, before the app's headers.
    "werkzeug": ServerProfile("werkzeug", "always"),
    # A WSGI server statusguard does not know: it never adds a second Date, and the guard
    # never reports a missing one it cannot know about.
    "wsgi": ServerProfile("wsgi", "if-absent"),
    # An ASGI scope does not name its server: uvicorn and hypercorn always add their own Date,
    # uvicorn-httptools frames a 304 by its Content-Length, and h11 (uvicorn, hypercorn)
    # refuses values with surrounding whitespace.
    "asgi": ServerProfile("asgi", "always", (LENGTH_ON_304, VALUE_WHITESPACE)),
}

ASGI_DEFAULT = PROFILES["asgi"]

# The first word of SERVER_SOFTWARE (lower-cased) → the profile's name.
_SOFTWARE = {"gunicorn": "gunicorn", "wsgiserver": "wsgiref", "werkzeug": "werkzeug"}


@functools.lru_cache(maxsize=64)
def wsgi_profile(server_software: str) -> ServerProfile:
    """The profile of the WSGI server named by ``SERVER_SOFTWARE`` (an unknown one, and a test
    client that names none, get the ``"wsgi"`` profile)."""
    name = server_software.split("/", 1)[0].strip().lower()
    return PROFILES[_SOFTWARE.get(name, "wsgi")]


def with_date(profile: ServerProfile, date: str) -> ServerProfile:
    """``profile`` with another ``Date`` habit (the ``server_date`` option wins over detection)."""
    if date in ("auto", profile.date):
        return profile
    return _with_date(profile, date)


@functools.lru_cache(maxsize=64)
def _with_date(profile: ServerProfile, date: str) -> ServerProfile:
    return ServerProfile(profile.name, date, profile.steps)
