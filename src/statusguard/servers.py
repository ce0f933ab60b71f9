"""What each server does by itself, as data: its profile, and the compatibility steps it needs.

Every entry was seen on the wire, on 127.0.0.1, and is pinned by a test under ``tests/wire/``
(``docs/servers.md``).  No I/O here and no framework import: the adapters detect the server of
each request (:func:`wsgi_profile`, :func:`asgi_profile`; the ``server`` option wins) and hand
its profile to the engine, which applies its steps in fix and strict mode.  A compatibility
step is not a violation: it repairs what exists only because of the server in front, is
counted apart (``Stats.steps``), logged once, and never raises.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .model import EVERY_FIELD, SHAPE_ONLY, Head, HeaderList, LinesCheck
from .rules._syntax import now_imf_fixdate

__all__ = [
    "ASGI_DEFAULT",
    "PROFILES",
    "STEPS",
    "WIRE",
    "WSGI_DEFAULT",
    "ServerProfile",
    "Step",
    "asgi_profile",
    "profile_named",
    "with_date",
    "wsgi_profile",
]


@dataclass(frozen=True, slots=True)
class Step:
    """One compatibility step: ``when(head)`` says whether it concerns a head, ``fix(head)``
    returns the head the server needs; a step that ``discards`` throws the content away
    instead (fix mode's discarding, where the server would send it).  ``appends``, for a
    step whose fix only appends lines: those lines (the engine can then send the
    application's own head with them).  As for a rule, ``reads`` says what ``when`` reads:
    :data:`~statusguard.model.SHAPE_ONLY`, or every field's value, one line at a time, in which
    case ``accepts(value)`` is truthy exactly when a line with this value leaves the step
    nothing to do (the engine's screen runs it on every value); ``accepts_all(lines)``, the
    same for all the lines at once as the application gave them (falsy for anything unusual:
    ``when`` then decides), as ``Rule.accepts_all``."""

    id: str
    summary: str
    when: Callable[[Head], bool]
    fix: Callable[[Head], Head]
    reads: frozenset[bytes] = SHAPE_ONLY
    accepts: Callable[[bytes], object] | None = None
    accepts_all: LinesCheck | None = None
    discards: bool = False
    appends: Callable[[], HeaderList] | None = None

    def __repr__(self) -> str:
        return f"<Step {self.id}>"


def _keep(head: Head) -> Head:
    return head


# -- Date ------------------------------------------------------------------------------------


def _has_date(head: Head) -> bool:
    return b"date" in head.fields


def _drop_date(head: Head) -> Head:
    return head.with_headers(head.without(b"date"))


# The server writes its own Date whatever the application sent: the application's would be a
# second one (RFC 9110 §5.3, §6.6.1: exactly one).
DATE_DUPLICATED: Final = Step(
    id="server-date-duplicate",
    summary="the server adds its own Date: the application's is removed",
    when=_has_date,
    fix=_drop_date,
)


def _needs_date(head: Head) -> bool:
    return 200 <= head.status < 500 and b"date" not in head.fields


def _now() -> HeaderList:
    return [(b"Date", now_imf_fixdate())]


def _add_date(head: Head) -> Head:
    return head.with_headers([*head.headers, *_now()])


# "An origin server with a clock MUST generate a Date header field in all 2xx (Successful),
# 3xx (Redirection), and 4xx (Client Error) responses" (RFC 9110 §6.6.1): the server adds none.
DATE_MISSING: Final = Step(
    id="server-date-missing",
    summary="the server adds no Date: one is added to 2xx, 3xx and 4xx responses",
    when=_needs_date,
    fix=_add_date,
    appends=_now,
)

# -- content ---------------------------------------------------------------------------------


def _is_head(head: Head) -> bool:
    return head.method == "HEAD"


# "The HEAD method is identical to GET except that the server MUST NOT send content in the
# response" (RFC 9110 §9.3.2).  Frameworks (Django, Starlette) leave it to the server; some
# servers send it (waitress, cheroot, uWSGI, granian over HTTP/2).  Fix and strict mode drop it
# everywhere, so that the application is not read for nothing either.
HEAD_CONTENT: Final = Step(
    id="server-head-content",
    summary="the content of a response to HEAD is dropped (the server may not drop it itself)",
    when=_is_head,
    fix=_keep,
    discards=True,
)


def _is_304_with_length(head: Head) -> bool:
    return head.status == 304 and b"content-length" in head.fields


def _drop_length(head: Head) -> Head:
    return head.with_headers(head.without(b"content-length"))


# RFC 9110 §8.6 allows Content-Length on a 304, but uvicorn-httptools frames the 304 by it,
# waits for that many bytes and drops the connection when the (correctly) empty content ends,
# and the h2 library (httpx's HTTP/2) refuses such a 304.  Nothing is lost: caches never
# update a stored Content-Length from a 304 (RFC 9111 §3.2).
LENGTH_ON_304: Final = Step(
    id="server-304-content-length",
    summary="the server (or an HTTP/2 client) frames a 304 by its Content-Length: it is removed",
    when=_is_304_with_length,
    fix=_drop_length,
)


def _surrounded(value: bytes) -> bool:
    return value[:1] in (b" ", b"\t") or value[-1:] in (b" ", b"\t")


def _not_surrounded(value: bytes) -> bool:
    return not _surrounded(value)


def _none_surrounded(lines: Sequence[tuple[Any, Any]]) -> bool:
    """Whether no value of ``lines`` (all ``str`` or all ``bytes``) starts or ends with SP or
    HTAB: one C-level pass over the values joined by LF (a value that holds an LF itself can
    only make this answer ``False``, and ``when`` then decides)."""
    try:
        if not lines:
            return True
        if type(lines[0][1]) is str:
            text = "\n".join(map(_VALUE, lines))
            return not (
                text[:1] in _BLANK_TEXT
                or text[-1:] in _BLANK_TEXT
                or "\n " in text
                or "\n\t" in text
                or " \n" in text
                or "\t\n" in text
            )
        raw = b"\n".join(map(_VALUE, lines))
        return not (
            raw[:1] in _BLANK_BYTES
            or raw[-1:] in _BLANK_BYTES
            or b"\n " in raw
            or b"\n\t" in raw
            or b" \n" in raw
            or b"\t\n" in raw
        )
    except (TypeError, ValueError, IndexError):  # a value of another type, a mix, no pair
        return False


_VALUE: Final = operator.itemgetter(1)
_BLANK_TEXT: Final = frozenset({" ", "\t"})
_BLANK_BYTES: Final = frozenset({b" ", b"\t"})


def _has_surrounded_value(head: Head) -> bool:
    return any(_surrounded(value) for _, value in head.headers)


def _strip_values(head: Head) -> Head:
    return head.with_headers([(n, v.strip(b" \t")) for n, v in head.headers])


# Whitespace around a value is the field line's optional whitespace in HTTP/1.1 (RFC 9112 §5),
# but h11, which uvicorn's h11 protocol and hypercorn speak through, refuses to send such a
# value ("Illegal header value"): the response never goes out.  Every recipient strips it
# (RFC 9110 §5.5), so nothing is lost.
VALUE_WHITESPACE: Final = Step(
    id="server-value-whitespace",
    summary="the server refuses a value with surrounding whitespace: it is stripped",
    when=_has_surrounded_value,
    fix=_strip_values,
    reads=EVERY_FIELD,
    accepts=_not_surrounded,
    accepts_all=_none_surrounded,
)

#: Every compatibility step, by id (what ``docs/servers.md`` lists).
STEPS: Final[Mapping[str, Step]] = {
    step.id: step
    for step in (DATE_DUPLICATED, DATE_MISSING, HEAD_CONTENT, LENGTH_ON_304, VALUE_WHITESPACE)
}

# -- profiles --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ServerProfile:
    """What one server does with the responses it is handed.

    ``date`` is what it does with ``Date``: ``"always"`` (adds its own whatever the app sent),
    ``"replace"`` (drops the app's and adds its own), ``"if-absent"`` or ``"never"``.
    ``steps`` are the compatibility steps it needs.  ``wire``: no server at all, the head is
    what goes on the wire (``check()``, a captured response): the rules judge Date themselves.
    ``seen``: the version the profile was seen with.  ``holds_head``: whether the server takes
    the head whenever ``start_response`` gives it, also during the iteration, as PEP 3333 lets
    it ("servers must not assume that start_response() has been called before they begin
    iterating"); a server that reads it as soon as the application returns (granian's WSGI
    interface) gets every head before any content -- then fix mode reports a stream's wrong
    ``Content-Length`` (and cuts a longer stream) instead of correcting it first.
    """

    name: str
    date: str
    steps: tuple[Step, ...] = ()
    wire: bool = False
    seen: str = ""
    holds_head: bool = True

    @property
    def rules_date(self) -> str:
        """What the rules are told the server does with Date (``Head.server_date``): where
        the server adds none, the guard's step does (``server-date-missing``), so for the rules
        a Date is added when absent; only on the wire is a missing Date the response's own."""
        if self.wire:
            return "never"
        return "if-absent" if self.date == "never" else self.date

    def __repr__(self) -> str:
        return f"<ServerProfile {self.name} date={self.date}>"


def _profile(
    name: str,
    date: str,
    *steps: Step,
    seen: str = "",
    wire: bool = False,
    drops_head_content: bool = False,
    holds_head: bool = True,
) -> ServerProfile:
    """A profile; ``drops_head_content``: an ASGI server that drops the content of a response
    to HEAD itself (WSGI profiles always drop it in the guard: the application's iterable is
    then not read for nothing)."""
    if date == "always":
        steps = (DATE_DUPLICATED, *steps)
    elif date == "never" and not wire:
        steps = (DATE_MISSING, *steps)
    if not (wire or drops_head_content):
        steps = (*steps, HEAD_CONTENT)
    return ServerProfile(name, date, steps, wire, seen, holds_head)


#: No server: the response is what goes on the wire (``check()``, a captured response).
WIRE: Final = _profile("wire", "never", wire=True)

_ALL: tuple[ServerProfile, ...] = (
    # gunicorn's WSGI workers treat Date as hop-by-hop: the app's is dropped, theirs is written.
    _profile("gunicorn", "replace", seen="gunicorn 27.0.1"),
    # wsgiref (and Django's runserver, built on it) adds Date only when the app sent none.
    _profile("wsgiref", "if-absent", seen="wsgiref (CPython 3.11)"),
    # The werkzeug dev server always writes its own Date, before the app's headers.
    _profile("werkzeug", "always", seen="werkzeug 3.1.9"),
    _profile("waitress", "if-absent", seen="waitress 3.0.2"),
    _profile("cheroot", "if-absent", seen="cheroot 11.1.2"),
    _profile("uwsgi", "never", seen="uWSGI 2.0.30 (pyuwsgi)"),
    # granian's WSGI runner reads the status and the fields as soon as the application returns
    # (granian/wsgi.py, _runner): a head given later, from the iteration, is lost (it sends
    # 200 and no field).
    _profile("granian", "if-absent", seen="granian 2.8.9, HTTP/1.1", holds_head=False),
    _profile("granian-asgi", "if-absent", seen="granian 2.8.9, HTTP/1.1", drops_head_content=True),
    # Over HTTP/2 granian sends DATA on HEAD, 204, 205 and 304; h2 clients refuse a 304 framed
    # by its Content-Length.
    _profile("granian-h2", "if-absent", LENGTH_ON_304, seen="granian 2.8.9, h2c"),
    _profile(
        "uvicorn-h11",
        "always",
        VALUE_WHITESPACE,
        seen="uvicorn 0.54.0, h11 0.16.0",
        drops_head_content=True,
    ),
    # (also gunicorn with uvicorn_worker.UvicornWorker, which runs this protocol)
    _profile(
        "uvicorn-httptools",
        "always",
        LENGTH_ON_304,
        seen="uvicorn 0.54.0, httptools 0.9.0",
        drops_head_content=True,
    ),
    # uvicorn where it does not say which protocol it runs: what either needs.
    _profile(
        "uvicorn",
        "always",
        LENGTH_ON_304,
        VALUE_WHITESPACE,
        seen="uvicorn 0.54.0",
        drops_head_content=True,
    ),
    _profile(
        "hypercorn",
        "always",
        VALUE_WHITESPACE,
        seen="hypercorn 0.18.0, HTTP/1.1",
        drops_head_content=True,
    ),
    _profile(
        "hypercorn-h2",
        "always",
        LENGTH_ON_304,
        seen="hypercorn 0.18.0, h2c",
        drops_head_content=True,
    ),
    _profile("daphne", "never", seen="daphne 4.2.3"),
    # A server statusguard does not know (or a test client, which adds no Date): one Date is
    # added where the application sent none, so that no response goes without one.  Only a
    # server that always adds its own could then send two: uvicorn, hypercorn and the werkzeug
    # dev server are the ones known, and they are recognised.
    _profile("wsgi", "never", seen="any other WSGI server"),
    _profile("asgi", "never", LENGTH_ON_304, VALUE_WHITESPACE, seen="any other ASGI server"),
)

#: Every profile, by name (what the ``server`` option names; ``"wire"``: no server at all, the
#: guard's output is what goes on the wire, as for ``statusguard check``'s bundled example).
PROFILES: Final[Mapping[str, ServerProfile]] = {profile.name: profile for profile in (*_ALL, WIRE)}
WSGI_DEFAULT: Final = PROFILES["wsgi"]
ASGI_DEFAULT: Final = PROFILES["asgi"]
_H2: Final = {
    # (the same runner over HTTP/2: the head must be there when the application returns)
    "granian": dataclasses.replace(PROFILES["granian-h2"], holds_head=False),
    "granian-asgi": PROFILES["granian-h2"],
    "hypercorn": PROFILES["hypercorn-h2"],
}


def profile_named(name: str, version: str) -> ServerProfile:
    """The profile the ``server`` option names, for a request over HTTP ``version``
    (``"1.1"``, ``"2"``: granian and hypercorn differ over HTTP/2)."""
    if version in ("2", "3"):
        return _H2.get(name, PROFILES[name])
    return PROFILES[name]


# The start of SERVER_SOFTWARE → the profile (Django's runserver is wsgiref's).
_SOFTWARE: Final = (
    ("gunicorn/", "gunicorn"),
    ("WSGIServer/", "wsgiref"),
    ("Werkzeug/", "werkzeug"),
    ("waitress", "waitress"),
    ("Cheroot/", "cheroot"),
    ("Granian", "granian"),
)
# Keys a server puts in the environ itself (a dotted name no shell sets).
_ENVIRON_KEYS: Final = (
    ("uwsgi.version", "uwsgi"),
    ("gunicorn.socket", "gunicorn"),
    ("waitress.client_disconnected", "waitress"),
    ("werkzeug.socket", "werkzeug"),
)


@functools.lru_cache(maxsize=64)
def _by_software(software: str, protocol: str) -> ServerProfile | None:
    for prefix, name in _SOFTWARE:
        if software.startswith(prefix):
            return profile_named(name, "2" if protocol.startswith("HTTP/2") else "1.1")
    return None


def wsgi_profile(environ: Mapping[str, Any]) -> ServerProfile:
    """The profile of the WSGI server of this request: by its ``SERVER_SOFTWARE``, else by the
    keys it puts in the environ (uWSGI sets no ``SERVER_SOFTWARE``), else the default."""
    software = environ.get("SERVER_SOFTWARE")
    if isinstance(software, str) and software:
        protocol = environ.get("SERVER_PROTOCOL")
        found = _by_software(software, protocol if isinstance(protocol, str) else "")
        if found is not None:
            return found
    for key, name in _ENVIRON_KEYS:
        if key in environ:
            return PROFILES[name]
    return WSGI_DEFAULT


# The class that owns the server's receive (Starlette wraps send, never receive).
_RECEIVERS: Final = {
    "uvicorn.protocols.http.h11_impl.RequestResponseCycle": "uvicorn-h11",
    "uvicorn.protocols.http.httptools_impl.RequestResponseCycle": "uvicorn-httptools",
    "granian._granian.ASGIHTTPProtocol": "granian-asgi",
}


@functools.lru_cache(maxsize=64)
def _by_receiver(owner: Any) -> str | None:
    return _RECEIVERS.get(f"{owner.__module__}.{owner.__qualname__}")


def asgi_profile(scope: Mapping[str, Any], receive: object = None) -> ServerProfile:
    """The profile of the ASGI server of this request: by the owner of its ``receive`` when
    that is known (uvicorn, granian), else by what its scope shows (daphne, hypercorn,
    granian, uvicorn behind a framework), else the default."""
    version = scope.get("http_version", "1.1")
    owner = getattr(receive, "__self__", None)
    if owner is not None:
        kind: Any = type(owner)
        name = _by_receiver(kind)
        if name is not None:
            return profile_named(name, version)
    asgi = scope.get("asgi")
    # (a dict, nearly always: tested first, an ABC check costs more than the rest of this)
    spec = asgi.get("spec_version") if type(asgi) is dict or isinstance(asgi, Mapping) else None
    server = scope.get("server")
    if spec is None and "state" not in scope and isinstance(server, list):
        # asgi is {"version": "3.0"} alone, no lifespan state, and the address is a list
        return PROFILES["daphne"]
    if isinstance(server, (list, tuple)) and len(server) == 2 and isinstance(server[1], str):
        return profile_named("granian-asgi", version)  # its ports are strings
    if "extensions" in scope and spec == "2.1":
        return profile_named("hypercorn", version)
    if spec in ("2.3", "2.4") and "extensions" not in scope:
        return PROFILES["uvicorn"]
    return ASGI_DEFAULT


def with_date(profile: ServerProfile, date: str) -> ServerProfile:
    """``profile`` with another ``Date`` habit (the ``server_date`` option wins over detection)."""
    if date in ("auto", profile.date):
        return profile
    return _with_date(profile, date)


@functools.lru_cache(maxsize=128)
def _with_date(profile: ServerProfile, date: str) -> ServerProfile:
    steps = tuple(s for s in profile.steps if s not in (DATE_DUPLICATED, DATE_MISSING))
    if date == "always":
        steps = (DATE_DUPLICATED, *steps)
    elif date == "never" and not profile.wire:
        steps = (DATE_MISSING, *steps)
    return ServerProfile(profile.name, date, steps, profile.wire, profile.seen, profile.holds_head)
