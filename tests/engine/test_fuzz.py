"""Fuzz target: arbitrary responses through both adapters in fix mode.

Hypothesis generates statuses (good, odd and garbage), header lines (``str`` and ``bytes``,
control bytes, duplicates, the framing fields) and bodies (lists, generators, ``write()``,
streams with empty chunks, many ASGI body messages) and runs them through
:class:`~statusguard.WSGIStatusGuard` and :class:`~statusguard.ASGIStatusGuard` in fix mode,
in process.  Two properties:

* no exception escapes the guard;
* what the guard hands the server is accepted by h11 (an HTTP/1.1 implementation nobody here
  wrote) when sent as the server's response to the request — except the statuses h11 cannot
  send, which go through unrepaired and must have been reported: ``status-code-invalid``
  (not a number, below 100, above 599) or ``status-interim-final`` (a 1xx other than 101).
  A stream that ends short of its ``Content-Length`` cannot be repaired once its head is out:
  h11 refuses to end it, and the guard must have reported ``content-length-mismatch``.  The
  ASGI headers keep at most one ``Transfer-Encoding`` line (docs/hostile-input.md, known gaps).

The regular suite runs a small budget.  The large one is a separate command::

    HYPOTHESIS_PROFILE=fuzz .venv/bin/python -m pytest tests/test_fuzz.py

(50,000 examples per target, about nine minutes on two cores; ``HYPOTHESIS_FUZZ_EXAMPLES``
overrides the count).  The guards are kept from one example to the next, as a server keeps
them, so what they remember of earlier responses is fuzzed too.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import h11
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.drive import Message, call_asgi_async, call_wsgi, http_scope, wsgi_environ

from statusguard import ASGIStatusGuard, Violation, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES", "50000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
BUDGET = (
    settings.get_profile("fuzz")
    if FUZZ
    else settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
)

# A logger that keeps nothing: the fuzz target produces every violation there is.
QUIET = logging.getLogger("statusguard.test_fuzz")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


class Target:
    """A guard per ``server_date`` policy, kept for the whole run (building one compiles a plan
    per status): each example swaps in its app and reads back what was reported.  What the
    guard's screen remembers from one example therefore meets the next ones, as in a server."""

    def __init__(self) -> None:
        self.app: Any = None
        self.reported: set[str] = set()
        self.wsgi: dict[str, WSGIStatusGuard] = {}
        self.asgi: dict[str, ASGIStatusGuard] = {}

    def collect(self, violation: Violation) -> None:
        self.reported.add(violation.rule_id)
        if violation.rule_id == "content-length-mismatch" and not violation.fixed:
            self.reported.add("content-length-mismatch (reported)")

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        return self.app(environ, start_response)

    async def asgi_app(self, scope: Message, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def wsgi_guard(self, app: Any, server_date: str) -> WSGIStatusGuard:
        self.app, self.reported = app, set()
        if server_date not in self.wsgi:
            self.wsgi[server_date] = WSGIStatusGuard(
                self.wsgi_app,
                mode="fix",
                on_violation=self.collect,
                logger=QUIET,
                server_date=server_date,
            )
        return self.wsgi[server_date]

    def asgi_guard(self, app: Any, server_date: str) -> ASGIStatusGuard:
        self.app, self.reported = app, set()
        if server_date not in self.asgi:
            self.asgi[server_date] = ASGIStatusGuard(
                self.asgi_app,
                mode="fix",
                on_violation=self.collect,
                logger=QUIET,
                server_date=server_date,
            )
        return self.asgi[server_date]


TARGET = Target()


def short_stream_reported() -> bool:
    return "content-length-mismatch (reported)" in TARGET.reported


# -- strategies ---------------------------------------------------------------------------------

LATIN_1 = st.characters(min_codepoint=0, max_codepoint=255)
NAMES = st.sampled_from(
    [
        "Content-Type",
        "Content-Length",
        "Transfer-Encoding",
        "Date",
        "Location",
        "ETag",
        "Last-Modified",
        "Retry-After",
        "Content-Range",
        "WWW-Authenticate",
        "Allow",
        "Upgrade",
        "Connection",
        "Keep-Alive",
        "Set-Cookie",
        "Server",
        "Trailer",
        "X-Custom",
        "x-custom",
        "X Bad",
        "X:Colon",
        "X\r\nInjected",
        "",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "text/plain",
            "0",
            "5",
            "5, 5",
            "05",
            "-3",
            "1" * 40,
            "0" * 4400 + "5",
            "chunked",
            "gzip, chunked",
            "close",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "yesterday",
            "/relative",
            "http://example.com/a b",
            "bytes 0-4/10",
            "bytes */10",
            "120",
            'Basic realm="x"',
            "GET, HEAD",
            "ok\r\nX-Injected: 1",
            "a\x00b",
            "a\x7fb",
            " padded ",
            "tab\tinside",
            "",
        ]
    ),
    st.text(LATIN_1, max_size=12),
)
STR_HEADER = st.tuples(st.one_of(NAMES, st.text(LATIN_1, max_size=8)), VALUES)
WSGI_HEADER = st.one_of(
    STR_HEADER,
    STR_HEADER.map(lambda line: (line[0].encode("latin-1"), line[1].encode("latin-1"))),
)
WSGI_STATUS = st.one_of(
    st.sampled_from(
        [
            "200 OK",
            "201 Created",
            "204 No Content",
            "205 Reset Content",
            "206 Partial Content",
            "301 Moved Permanently",
            "304 Not Modified",
            "401 Unauthorized",
            "405 Method Not Allowed",
            "407 Proxy Authentication Required",
            "416 Range Not Satisfiable",
            "449 Retry With",
            "500 Internal Server Error",
            "503 Service Unavailable",
            "599 Custom",
            "100 Continue",
            "103 Early Hints",
            "200",
            "200 ",
            "200 OK\r\nX-Injected: 1",
            "200 bad\x00reason",
            "abc",
            "2000 OK",
            "99 Low",
            "",
        ]
    ),
    st.builds(
        lambda code, reason: f"{code} {reason}",
        st.integers(min_value=0, max_value=1000),
        st.text(LATIN_1, max_size=10),
    ),
    st.text(LATIN_1, max_size=10),
)
CHUNKS = st.lists(st.one_of(st.just(b""), st.binary(max_size=12)), max_size=8)
METHODS = st.sampled_from(["GET", "HEAD", "POST"])
VERSIONS = st.sampled_from(["1.0", "1.1"])
SERVERS = st.sampled_from(["gunicorn/27.0.1", "WSGIServer/0.2", "Werkzeug/3.1", ""])
DATES = st.sampled_from(["auto", "never", "if-absent", "always", "replace"])
BODY_STYLES = st.sampled_from(["list", "tuple", "generator", "write", "late-start"])


# -- h11 as the server ------------------------------------------------------------------------


def send_with_h11(
    method: str,
    version: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    reason: bytes,
    chunks: Iterable[bytes],
    *,
    field_lines: bool = False,
) -> bytes:
    """Serialise the response as an h11 server answering ``method / HTTP/version``; h11 raises
    ``LocalProtocolError`` for anything it cannot send.  ``field_lines``: the values are what a
    WSGI server writes after "name:", where surrounding whitespace is the line's optional
    whitespace (RFC 9112 §5), not part of the value h11 takes."""
    if field_lines:
        headers = [(name, value.strip(b" \t")) for name, value in headers]
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(f"{method} / HTTP/{version}\r\nHost: x\r\n\r\n".encode())
    assert isinstance(conn.next_event(), h11.Request)
    out = conn.send(h11.Response(status_code=status, headers=headers, reason=reason)) or b""
    for chunk in chunks:
        if chunk:
            out += conn.send(h11.Data(data=chunk)) or b""
    try:
        out += conn.send(h11.EndOfMessage()) or b""
    except h11.LocalProtocolError as exc:
        error = str(exc)
    else:
        return out
    # A stream that ends short of its Content-Length is noticed once the head is out: it
    # cannot be repaired, only reported (the server then closes the connection).
    assert error == "Too little data for declared Content-Length"
    assert short_stream_reported()
    return out


def code_of(status: str) -> int | None:
    """The status code of a WSGI status line, or None when it has none."""
    code = status.split(" ", 1)[0]
    if len(code) == 3 and code.isdigit() and code.isascii():
        return int(code)
    return None


def sendable(code: int | None, reported: set[str]) -> bool:
    """Whether h11 can send this status; if not, the guard must have reported why."""
    if code is None or not 100 <= code <= 599:
        assert "status-code-invalid" in reported
        return False
    if code < 200:
        if code != 101:
            assert "status-interim-final" in reported
        return False  # h11 sends 1xx only as interim responses
    return True


def to_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


# -- WSGI ---------------------------------------------------------------------------------------


def wsgi_app(status: str, headers: list[Any], chunks: list[bytes], style: str) -> Any:
    def stream() -> Iterator[bytes]:
        yield from chunks

    def late(start_response: StartResponse) -> Iterator[bytes]:
        start_response(status, list(headers))
        yield from chunks

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if style == "late-start":
            return late(start_response)
        write = start_response(status, list(headers))
        if style == "write":
            for chunk in chunks:
                write(chunk)
            return []
        if style == "generator":
            return stream()
        return tuple(chunks) if style == "tuple" else list(chunks)

    return app


@BUDGET
@given(
    WSGI_STATUS,
    st.lists(WSGI_HEADER, max_size=8),
    CHUNKS,
    BODY_STYLES,
    METHODS,
    VERSIONS,
    SERVERS,
    DATES,
)
def test_wsgi_fix_mode_never_raises_and_h11_accepts_the_output(
    status: str,
    headers: list[Any],
    chunks: list[bytes],
    style: str,
    method: str,
    version: str,
    server: str,
    server_date: str,
) -> None:
    guard = TARGET.wsgi_guard(wsgi_app(status, headers, chunks, style), server_date)
    environ = wsgi_environ("/fuzz", method, server=server)
    environ["SERVER_PROTOCOL"] = f"HTTP/{version}"
    out = call_wsgi(guard, environ=environ)  # no exception escapes
    assert guard.stats().internal_errors == 0
    assert isinstance(out.status, str)
    if not sendable(code_of(out.status), TARGET.reported):
        return
    code, _, reason = out.status.partition(" ")
    lines = [(to_bytes(name), to_bytes(value)) for name, value in out.headers]
    send_with_h11(
        method, version, int(code), lines, reason.encode("latin-1"), out.chunks, field_lines=True
    )


# -- ASGI ---------------------------------------------------------------------------------------

ASGI_NAMES = st.one_of(
    NAMES.map(lambda name: name.lower().encode("latin-1")),
    NAMES.map(lambda name: name.encode("latin-1")),  # upper case: not ASGI style, but sent
    st.binary(max_size=8),
)
ASGI_VALUES = st.one_of(VALUES.map(lambda value: value.encode("latin-1")), st.binary(max_size=12))
ASGI_STATUS = st.one_of(
    st.sampled_from([200, 201, 204, 205, 206, 301, 304, 401, 405, 407, 416, 449, 500, 503]),
    st.sampled_from([100, 101, 103, 0, 99, 600, 999, 1000, -1]),
    st.integers(min_value=-10, max_value=1100),
    st.sampled_from(["200", None, 200.0, True]),
)


def body_messages(chunks: list[bytes], split: list[bool]) -> list[Message]:
    """The chunks as body messages: each its own message or merged with the next one; the last
    one has ``more_body=False`` (or a final empty message does)."""
    messages: list[Message] = []
    pending = b""
    for index, chunk in enumerate(chunks):
        pending += chunk
        if split[index % len(split)] if split else True:
            messages.append({"type": "http.response.body", "body": pending, "more_body": True})
            pending = b""
    messages.append({"type": "http.response.body", "body": pending, "more_body": False})
    return messages


@BUDGET
@given(
    ASGI_STATUS,
    st.lists(st.tuples(ASGI_NAMES, ASGI_VALUES), max_size=8),
    CHUNKS,
    st.lists(st.booleans(), max_size=4),
    METHODS,
    VERSIONS,
    DATES,
)
def test_asgi_fix_mode_never_raises_and_h11_accepts_the_output(
    status: Any,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
    split: list[bool],
    method: str,
    version: str,
    server_date: str,
) -> None:
    # h11 supports no transfer-coding but chunked; other codings are the server's business.
    # Several "chunked" lines stay in: transfer-encoding-invalid merges them.
    headers = [(n, v) for n, v in headers if n.lower() != b"transfer-encoding" or v == b"chunked"]
    start = {"type": "http.response.start", "status": status, "headers": headers}
    messages = [start, *body_messages(chunks, split)]

    async def app(scope: Message, receive: Any, send: Any) -> None:
        for message in messages:
            await send(message)

    guard = TARGET.asgi_guard(app, server_date)
    scope = http_scope("/fuzz", method)
    scope["http_version"] = version
    out = asyncio.run(call_asgi_async(guard, scope=scope))  # no exception escapes
    assert guard.stats().internal_errors == 0
    # A well-ordered sequence: one start, then content ending with more_body=False.
    kinds = [message["type"] for message in out.messages]
    assert kinds[0] == "http.response.start" and kinds.count("http.response.start") == 1
    assert all(kind == "http.response.body" for kind in kinds[1:])
    assert out.messages[-1].get("more_body", False) is False
    code = out.status if type(out.status) is int else None  # ASGI: an int, nothing else
    if not sendable(code, TARGET.reported):
        return
    assert isinstance(out.status, int)
    # Every ASGI server drops the content of a response to HEAD itself (uvicorn's h11
    # protocol does exactly this before h11 sees it), so head-content is a WSGI rule.
    chunks = [] if method == "HEAD" else out.chunks
    send_with_h11(method, version, out.status, list(out.headers), b"", chunks)
