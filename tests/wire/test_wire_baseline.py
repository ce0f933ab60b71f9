"""What real servers put on the wire for the raw, UNGUARDED test apps.

These tests document the problems statusguard exists to fix: every cell below is what was
observed on 127.0.0.1 with the pinned server versions (gunicorn 27.0.1, uvicorn 0.54.0 with h11
0.16 / httptools 0.9, hypercorn 0.18.0, werkzeug 3.1.9, CPython 3.11 wsgiref; and for the
setups of issue 12, every route: waitress 3.0.2, cheroot 11.1.2, granian 2.8.9 ``--interface
wsgi`` and ``asgi``, pyuwsgi 2.0.30 ``--http-socket``, daphne 4.2.3 on Twisted 26.10.0,
gunicorn 27.0.1 with ``uvicorn_worker.UvicornWorker`` 0.4.0).  A cell failing here means a
server changed behaviour, not that statusguard broke.  The acceptance tests for
the middleware run the same routes through :func:`support.wire.assert_wire_clean`.

Each server is started once for the ``tests/wire`` package (lazily, by the ``unguarded``
fixture of its conftest, serving :mod:`apps.unguarded`: these routes plus the detection probe)
and every request is ``exchange()``: the route's request plus a pipelined ``GET /plain``.

Connection fates:

* ``kept`` — the pipelined ``GET /plain`` came back intact on the same connection;
* ``close`` — the reply announced the close (``Connection: close`` or HTTP/1.0);
* ``dropped`` — the server closed the connection without announcing it (after a partial or
  no reply), the pipelined request was never answered;
* ``desync`` — the connection stayed open but the bytes no longer line up with responses: a
  body leaked into, or swallowed, the start of the next response (or h11 refused the head, a
  bad header line, and read no further).

A cell marked ``hangs`` is a response the client cannot see the end of and the server never
closes (no response at all, or a 205 without framing read until the close): the client gives
up after :data:`HANG_WAIT` seconds, and that it had to is part of what is pinned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pytest
from apps.routes import DATE_1994, DATE_2001, ROUTES_BY_PATH
from support.servers import ALL_SERVERS, Server
from support.wire import Exchange, assert_wire_clean, date_lines, exchange, wire_problems

Fate = Literal["kept", "close", "dropped", "desync"]
GetServer = Callable[[str], Server]

# Log lines the servers write (h11's exceptions are shared by uvicorn-h11 and hypercorn).
TOO_MUCH = "Too much data for declared Content-Length"
TOO_LITTLE = "Too little data for declared Content-Length"
LONGER = "Response content longer than Content-Length"  # uvicorn-httptools
SHORTER = "Response content shorter than Content-Length"  # uvicorn-httptools
GUNICORN_DROP = "dropping per RFC 9110"  # gunicorn >= 26.2 no-body warning
WAITRESS_IGNORED = "application-written content was ignored due to HTTP response"
WAITRESS_FEW = "application returned too few bytes"
WAITRESS_EXCEEDED = "application-written content exceeded the number of bytes"
Y1994 = DATE_1994.encode()
Y2001 = DATE_2001.encode()
HANG_WAIT = 1.0  # seconds the client waits for a response that never ends


@pytest.fixture(scope="module")
def running(unguarded: GetServer) -> GetServer:
    """Each server runs once for the package (tests/wire/conftest.py), on first use."""
    return unguarded


def fate_of(ex: Exchange) -> Fate:
    first = ex.first
    if first is not None and first.close_announced:
        return "close"
    second = ex.responses[1] if len(ex.responses) > 1 else None
    if second is not None and second.complete and (second.status, second.body) == (200, b"plain"):
        return "kept"
    if ex.closed_by_peer:
        return "dropped"
    return "desync"


@dataclass(frozen=True)
class Seen:
    """What reached the wire for one server x route."""

    status: int | None  # status of the first reply; None: not a single byte came back
    fate: Fate
    problem: str | None = None  # an assert_wire_clean() complaint contains this; None: clean
    raw: bytes = b""  # these bytes appear verbatim on the wire
    absent: bytes = b""  # these bytes are not in the first reply's head
    dates: int | None = None  # number of Date lines in the first reply
    log: str = ""  # the server logs this while answering
    hangs: bool = False  # the client had to give up waiting (see the module docstring)


def clean(
    fate: Fate,
    status: int = 200,
    *,
    raw: bytes = b"",
    absent: bytes = b"",
    dates: int | None = None,
    log: str = "",
) -> Seen:
    """The wire passes assert_wire_clean (the server itself fixed or never broke it)."""
    return Seen(status, fate, None, raw=raw, absent=absent, dates=dates, log=log)


GS, GT, WR, WZ = "gunicorn-sync", "gunicorn-gthread", "wsgiref", "werkzeug"
UH, UT, HC = "uvicorn-h11", "uvicorn-httptools", "hypercorn"
WS, CH, GW, UW = "waitress", "cheroot", "granian-wsgi", "uwsgi"
GA, DA, GU = "granian-asgi", "daphne", "gunicorn-uvicorn"

CONTENT = "content on a no-content response"
AFTER = "bytes after the response"
CL204 = "Content-Length on a 204"
PIPE = "pipelined response missing"
INCOMPLETE = "first response incomplete"
BESIDE = "Content-Length stands beside Transfer-Encoding"
CONFLICT = "conflicting Content-Length headers"
INJECTED = "injected header X-Injected"
BAD_LINE = "raw header line is not 'token: value'"
TWO_DATES = "2 Date lines"
THREE_DATES = "3 Date lines"
NOT_IMF = "Date is not an IMF-fixdate"
ILLEGAL = "illegal status line"  # h11 met leaked body bytes where a status line should be
NO_DATE = "0 Date lines"
NO_RESPONSE = "no response"
STATUS_500 = "status 500"
CL_5_6 = b"Content-Length: 5\r\nContent-Length: 6"

OBSERVED: dict[tuple[str, str], Seen] = {
    # --- 204 with a body, no Content-Length
    (GS, "/204-body"): clean("close", 204, log=GUNICORN_DROP),
    (GT, "/204-body"): clean("kept", 204, log=GUNICORN_DROP),
    (WR, "/204-body"): Seen(204, "close", CL204, raw=b"Content-Length: 5\r\n\r\nhello"),
    (WZ, "/204-body"): Seen(204, "close", AFTER, raw=b"Connection: close\r\n\r\nhello"),
    (UH, "/204-body"): Seen(204, "dropped", PIPE, log=TOO_MUCH),
    (UT, "/204-body"): Seen(204, "dropped", PIPE, log=LONGER),
    (HC, "/204-body"): clean("kept", 204),
    # --- 204 with Content-Length: 5 and a body
    (GT, "/204-cl"): clean("kept", 204, absent=b"Content-Length", log=GUNICORN_DROP),
    (WZ, "/204-cl"): Seen(204, "close", CL204, raw=b"close\r\n\r\nhello"),
    (UH, "/204-cl"): Seen(204, "dropped", CL204, log=TOO_MUCH),
    (UT, "/204-cl"): Seen(204, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
    (HC, "/204-cl"): Seen(204, "kept", CL204, raw=b"content-length: 5\r\n"),
    # --- 204 with Content-Length: 5 and no body
    (GT, "/204-cl-nobody"): clean("kept", 204, absent=b"Content-Length"),
    (WR, "/204-cl-nobody"): Seen(204, "close", CL204),
    (WZ, "/204-cl-nobody"): Seen(204, "close", CL204),
    (UH, "/204-cl-nobody"): Seen(204, "kept", CL204),
    (UT, "/204-cl-nobody"): Seen(204, "dropped", CL204, log=SHORTER),
    (HC, "/204-cl-nobody"): Seen(204, "kept", CL204),
    # --- 205 with a body: nobody strips it (205 is missing from every no-body list)
    (GT, "/205-body"): Seen(205, "kept", CONTENT, raw=b"Transfer-Encoding: chunked"),
    (WR, "/205-body"): Seen(205, "close", CONTENT, raw=b"Content-Length: 5\r\n\r\nhello"),
    (WZ, "/205-body"): Seen(205, "close", CONTENT),
    (UH, "/205-body"): Seen(205, "kept", CONTENT, raw=b"Transfer-Encoding: chunked"),
    (UT, "/205-body"): Seen(205, "kept", CONTENT, raw=b"transfer-encoding: chunked"),
    (HC, "/205-body"): Seen(205, "kept", CONTENT, raw=b"Transfer-Encoding: chunked"),
    # --- 205, no body, stale Content-Length: 4
    (GS, "/205-stale-cl"): Seen(205, "close", INCOMPLETE),
    (GT, "/205-stale-cl"): Seen(205, "desync", ILLEGAL),  # 205 swallows b"HTTP"
    (WR, "/205-stale-cl"): Seen(205, "close", INCOMPLETE),
    (UH, "/205-stale-cl"): Seen(205, "dropped", INCOMPLETE, log=TOO_LITTLE),
    (UT, "/205-stale-cl"): Seen(205, "dropped", INCOMPLETE, log=SHORTER),
    (HC, "/205-stale-cl"): Seen(205, "dropped", INCOMPLETE, log=TOO_LITTLE),
    # --- 304 with a body
    (GT, "/304-body"): clean("kept", 304, log=GUNICORN_DROP),
    (WR, "/304-body"): Seen(304, "close", AFTER, raw=b"Content-Length: 5\r\n\r\nhello"),
    (WZ, "/304-body"): Seen(304, "close", AFTER, raw=b"\r\n\r\nhello"),
    (UH, "/304-body"): Seen(304, "dropped", PIPE, log=TOO_MUCH),
    (UT, "/304-body"): Seen(304, "dropped", PIPE, log=LONGER),
    (HC, "/304-body"): clean("kept", 304),
    # --- 304 with Content-Length: 5 and no body (allowed by RFC 9110)
    (GT, "/304-cl"): clean("kept", 304),
    (UH, "/304-cl"): clean("kept", 304),
    (UT, "/304-cl"): Seen(304, "dropped", PIPE, log=SHORTER),  # a VALID 304 kills the connection
    (HC, "/304-cl"): clean("kept", 304),
    # --- HEAD answered with the body
    (GT, "/head-body"): clean("kept", log="method=HEAD status=200"),
    (WR, "/head-body"): Seen(200, "close", AFTER, raw=b"\r\n\r\nhello"),
    (WZ, "/head-body"): Seen(200, "close", AFTER, raw=b"\r\n\r\nhello"),
    (UH, "/head-body"): clean("kept"),
    (UT, "/head-body"): clean("kept"),
    (HC, "/head-body"): clean("kept"),
    # --- Content-Length beside Transfer-Encoding: chunked
    (GT, "/cl-te"): clean("kept", absent=b"Transfer-Encoding"),  # TE dropped as hop-by-hop
    (WR, "/cl-te"): Seen(500, "close", "status 500", log="Hop-by-hop header"),
    (WZ, "/cl-te"): Seen(200, "close", BESIDE, raw=b"chunked\r\nConnection: close\r\n\r\nhello"),
    (UH, "/cl-te"): clean("kept", absent=b"content-length"),  # h11 drops CL
    (UT, "/cl-te"): Seen(200, "kept", BESIDE, raw=b"length: 5\r\ntransfer-encoding: chunked"),
    (HC, "/cl-te"): clean("kept", absent=b"content-length"),
    # --- two Content-Length lines, 5 and 6
    (GS, "/cl-conflict"): Seen(200, "close", CONFLICT, raw=CL_5_6),
    (GT, "/cl-conflict"): Seen(200, "desync", CONFLICT, raw=CL_5_6),
    (WR, "/cl-conflict"): Seen(200, "close", CONFLICT),
    (WZ, "/cl-conflict"): Seen(200, "close", CONFLICT),
    (UH, "/cl-conflict"): Seen(None, "dropped", "no response", log=CONFLICT),
    (UT, "/cl-conflict"): Seen(200, "desync", CONFLICT, raw=CL_5_6.lower()),
    (HC, "/cl-conflict"): Seen(500, "close", "status 500", log=CONFLICT),
    # --- body longer than Content-Length: 3
    (GS, "/cl-long"): clean("close", raw=b"Content-Length: 3\r\n\r\nhel"),  # truncated
    (GT, "/cl-long"): clean("kept", raw=b"\r\n\r\nhelHTTP/1.1 200 OK"),  # truncated
    (WR, "/cl-long"): Seen(200, "close", AFTER, raw=b"Content-Length: 3\r\n\r\nhello"),
    (WZ, "/cl-long"): Seen(200, "close", AFTER, raw=b"\r\n\r\nhello"),
    (UH, "/cl-long"): Seen(200, "dropped", INCOMPLETE, log=TOO_MUCH),
    (UT, "/cl-long"): Seen(200, "dropped", INCOMPLETE, log=LONGER),
    (HC, "/cl-long"): Seen(200, "dropped", INCOMPLETE, log=TOO_MUCH),
    # --- body shorter than Content-Length: 10
    (GS, "/cl-short"): Seen(200, "close", INCOMPLETE),
    (GT, "/cl-short"): Seen(200, "desync", PIPE, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),  # swallowed
    (WR, "/cl-short"): Seen(200, "close", INCOMPLETE),
    (WZ, "/cl-short"): Seen(200, "close", INCOMPLETE),
    (UH, "/cl-short"): Seen(200, "dropped", INCOMPLETE, log=TOO_LITTLE),
    (UT, "/cl-short"): Seen(200, "dropped", INCOMPLETE, log=SHORTER),
    (HC, "/cl-short"): Seen(200, "dropped", INCOMPLETE, log=TOO_LITTLE),
    # --- CR/LF in a header value
    (GS, "/crlf"): Seen(500, "close", "status 500", log="InvalidResponseHeader"),
    (GT, "/crlf"): Seen(500, "close", "status 500", log="InvalidResponseHeader"),
    (WR, "/crlf"): Seen(200, "close", INJECTED, raw=b"X-Test: ok\r\nX-Injected: 1\r\n"),
    (WZ, "/crlf"): Seen(200, "close", INJECTED, raw=b"X-Test: ok\r\nX-Injected: 1\r\n"),
    (UH, "/crlf"): Seen(None, "dropped", "no response", log="Illegal header value"),
    (UT, "/crlf"): Seen(None, "dropped", "no response", log="Invalid HTTP header value."),
    (HC, "/crlf"): Seen(500, "close", "status 500", log="Illegal header value"),
    # --- header name with a space
    (GT, "/bad-name"): Seen(500, "close", "status 500", log="InvalidResponseHeaderName"),
    (WR, "/bad-name"): Seen(200, "close", BAD_LINE, raw=b"\r\nX Bad: 1\r\n"),
    (WZ, "/bad-name"): Seen(200, "close", BAD_LINE, raw=b"\r\nX Bad: 1\r\n"),
    (UH, "/bad-name"): Seen(None, "dropped", "no response", log="Illegal header name"),
    (UT, "/bad-name"): Seen(None, "dropped", "no response", log="Invalid HTTP header name."),
    (HC, "/bad-name"): Seen(500, "close", "status 500", log="Illegal header name"),
    # --- app sets a valid Date
    (GS, "/date-app"): clean("close", absent=Y1994, dates=1),  # app's Date silently dropped
    (GT, "/date-app"): clean("kept", absent=Y1994, dates=1),
    (WR, "/date-app"): clean("close", raw=b"Date: " + Y1994, dates=1),  # dedup, app's wins
    (WZ, "/date-app"): Seen(200, "close", TWO_DATES, raw=b"Date: " + Y1994, dates=2),
    (UH, "/date-app"): Seen(200, "kept", TWO_DATES, raw=b"date: " + Y1994, dates=2),
    (UT, "/date-app"): Seen(200, "kept", TWO_DATES, raw=b"date: " + Y1994, dates=2),
    (HC, "/date-app"): Seen(200, "kept", TWO_DATES, raw=b"date: " + Y1994, dates=2),
    # --- app sets two Date lines
    (GT, "/date-dup"): clean("kept", absent=Y2001, dates=1),
    (WR, "/date-dup"): Seen(200, "close", TWO_DATES, raw=b"Date: " + Y2001, dates=2),
    (WZ, "/date-dup"): Seen(200, "close", THREE_DATES, dates=3),
    (UH, "/date-dup"): Seen(200, "kept", THREE_DATES, dates=3),
    (UT, "/date-dup"): Seen(200, "kept", THREE_DATES, dates=3),
    (HC, "/date-dup"): Seen(200, "kept", THREE_DATES, dates=3),
    # --- app sets Date: yesterday
    (GT, "/date-bad"): clean("kept", absent=b"yesterday", dates=1),
    (WR, "/date-bad"): Seen(200, "close", NOT_IMF, raw=b"Date: yesterday\r\n", dates=1),
    (WZ, "/date-bad"): Seen(200, "close", NOT_IMF, dates=2),
    (UH, "/date-bad"): Seen(200, "kept", NOT_IMF, dates=2),
    (UT, "/date-bad"): Seen(200, "kept", NOT_IMF, dates=2),
    (HC, "/date-bad"): Seen(200, "kept", NOT_IMF, raw=b"date: yesterday\r\n", dates=2),
    # --- streamed in 3 chunks (13 bytes), Content-Length: 5
    (GT, "/stream-long"): clean("kept", raw=b"\r\n\r\none-tHTTP/1.1 200 OK"),  # truncated
    (WR, "/stream-long"): Seen(200, "close", AFTER, raw=b"\r\n\r\none-two-three"),
    (WZ, "/stream-long"): Seen(200, "close", AFTER, raw=b"\r\n\r\none-two-three"),
    (UH, "/stream-long"): Seen(200, "dropped", INCOMPLETE, log=TOO_MUCH),
    (UT, "/stream-long"): Seen(200, "dropped", INCOMPLETE, log=LONGER),
    (HC, "/stream-long"): Seen(200, "dropped", INCOMPLETE, log=TOO_MUCH),
    # --- 204 streamed in 3 chunks
    (GT, "/stream-204"): clean("kept", 204, log=GUNICORN_DROP),
    (WR, "/stream-204"): Seen(204, "close", AFTER, raw=b"\r\n\r\nabc"),
    (WZ, "/stream-204"): Seen(204, "close", AFTER, raw=b"\r\n\r\nabc"),
    (UH, "/stream-204"): Seen(204, "dropped", PIPE, log=TOO_MUCH),
    (UT, "/stream-204"): Seen(204, "dropped", PIPE, log=LONGER),
    (HC, "/stream-204"): clean("kept", 204),
}

# The setups of issue 12: every route, one block per server.
OBSERVED.update(
    {
        # --- waitress: Date only if absent; drops content on 204/304 (and their CL) with a
        # warning, then closes; sends the body on HEAD and on 205; truncates at Content-Length.
        (WS, "/plain"): clean("kept", raw=b"Server: waitress", dates=1),
        (WS, "/204-body"): clean("close", 204, log=WAITRESS_IGNORED),
        (WS, "/204-cl"): clean("close", 204, absent=b"Content-Length", log=WAITRESS_IGNORED),
        (WS, "/204-cl-nobody"): clean("close", 204, absent=b"Content-Length", log=WAITRESS_FEW),
        (WS, "/205-body"): Seen(205, "kept", CONTENT, raw=b"Content-Length: 5\r\nContent-Type"),
        (WS, "/205-stale-cl"): Seen(205, "close", INCOMPLETE, log=WAITRESS_FEW),
        (WS, "/304-body"): clean("close", 304, log=WAITRESS_IGNORED),
        (WS, "/304-cl"): clean("close", 304, absent=b"Content-Length", log=WAITRESS_FEW),
        (WS, "/head-body"): Seen(200, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (WS, "/cl-te"): Seen(500, "close", STATUS_500, log='"hop-by-hop" header'),
        (WS, "/cl-conflict"): Seen(200, "dropped", CONFLICT, raw=CL_5_6, log=WAITRESS_FEW),
        (WS, "/cl-long"): clean("kept", raw=b"\r\n\r\nhelHTTP/1.1 200 OK", log=WAITRESS_EXCEEDED),
        (WS, "/cl-short"): Seen(200, "dropped", INCOMPLETE, log=WAITRESS_FEW),
        (WS, "/crlf"): Seen(500, "close", STATUS_500, log="carriage return/line feed character"),
        (WS, "/bad-name"): Seen(200, "desync", BAD_LINE, raw=b"\r\nX bad: 1\r\n"),
        (WS, "/date-app"): clean("kept", raw=b"Date: " + Y1994, dates=1),
        (WS, "/date-dup"): Seen(200, "kept", TWO_DATES, dates=2),
        (WS, "/date-bad"): Seen(200, "kept", NOT_IMF, raw=b"Date: yesterday\r\n", dates=1),
        (WS, "/stream-long"): clean("kept", raw=b"\r\n\r\none-tHTTP/1.1", log=WAITRESS_EXCEEDED),
        (WS, "/stream-204"): clean("close", 204, log=WAITRESS_IGNORED),
        # --- cheroot: Date only if absent; passes everything else through: bodies on
        # 204/205/304/HEAD, CL+TE, both CLs, CR/LF, bad names; a long list body gets a 500
        # *and then* the original head and body.
        (CH, "/plain"): clean("kept", raw=b"Server: Cheroot/11.1.2", dates=1),
        (CH, "/204-body"): Seen(204, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (CH, "/204-cl"): Seen(204, "desync", CL204, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (CH, "/204-cl-nobody"): Seen(204, "kept", CL204, raw=b"Content-Length: 5\r\n"),
        # No framing on a 205: h11 reads until the close, which never comes.
        (CH, "/205-body"): Seen(205, "desync", CONTENT, raw=b"\r\n\r\nhello", hangs=True),
        (CH, "/205-stale-cl"): Seen(205, "desync", ILLEGAL),  # 205 swallows b"HTTP"
        (CH, "/304-body"): Seen(304, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (CH, "/304-cl"): clean("kept", 304, raw=b"Content-Length: 5\r\n"),
        (CH, "/head-body"): Seen(200, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (CH, "/cl-te"): Seen(200, "desync", BESIDE, raw=b"Transfer-Encoding: chunked\r\n"),
        (CH, "/cl-conflict"): Seen(200, "desync", CONFLICT, raw=CL_5_6),
        (CH, "/cl-long"): Seen(
            500,
            "desync",
            STATUS_500,
            raw=b"declared Content-Length.HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 3\r\n",
            log="Response body exceeds the declared Content-Length.",
        ),
        (CH, "/cl-short"): Seen(200, "desync", ILLEGAL),  # swallows the next response's start
        (CH, "/crlf"): Seen(200, "kept", INJECTED, raw=b"X-Test: ok\r\nX-Injected: 1\r\n"),
        (CH, "/bad-name"): Seen(200, "desync", BAD_LINE, raw=b"\r\nX Bad: 1\r\n"),
        (CH, "/date-app"): clean("kept", raw=b"Date: " + Y1994, dates=1),
        (CH, "/date-dup"): Seen(200, "kept", TWO_DATES, dates=2),
        (CH, "/date-bad"): Seen(200, "kept", NOT_IMF, raw=b"Date: yesterday\r\n", dates=1),
        (CH, "/stream-long"): Seen(200, "desync", ILLEGAL, raw=b"\r\n\r\none-two-threeHTTP"),
        (CH, "/stream-204"): Seen(204, "desync", ILLEGAL, raw=b"\r\n\r\nabcHTTP/1.1 200 OK"),
        # --- granian WSGI (hyper): Date only if absent; drops content on 204/304/HEAD (a 204
        # keeps the app's CL only when the app sent a body); a known-length body gets its real
        # length written, an unknown one is truncated; CL mismatches desync; bad header lines
        # silently dropped; CL+TE: no response at all.
        (GW, "/plain"): clean("kept", raw=b"server: granian", dates=1),
        (GW, "/204-body"): clean("kept", 204),
        (GW, "/204-cl"): Seen(204, "kept", CL204, raw=b"content-length: 5\r\n"),
        (GW, "/204-cl-nobody"): clean("kept", 204, absent=b"content-length"),
        (GW, "/205-body"): Seen(205, "kept", CONTENT, raw=b"content-length: 5\r\n"),
        (GW, "/205-stale-cl"): clean("kept", 205, raw=b"content-length: 0\r\n"),  # 4 -> 0
        (GW, "/304-body"): clean("kept", 304),
        (GW, "/304-cl"): clean("kept", 304, absent=b"content-length"),
        (GW, "/head-body"): clean("kept", raw=b"content-length: 5\r\n"),
        (GW, "/cl-te"): Seen(None, "dropped", NO_RESPONSE),
        (GW, "/cl-conflict"): clean("kept", raw=b"content-length: 5\r\nserver", absent=b": 6"),
        (GW, "/cl-long"): Seen(200, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (GW, "/cl-short"): Seen(200, "desync", ILLEGAL),
        (GW, "/crlf"): clean("kept", absent=b"x-test"),  # the whole line silently dropped
        (GW, "/bad-name"): clean("kept", absent=b"x bad"),
        (GW, "/date-app"): clean("kept", raw=b"date: " + Y1994, dates=1),
        (GW, "/date-dup"): Seen(200, "kept", TWO_DATES, dates=2),
        (GW, "/date-bad"): Seen(200, "kept", NOT_IMF, raw=b"date: yesterday\r\n", dates=1),
        (GW, "/stream-long"): clean("kept", raw=b"\r\n\r\none-tHTTP/1.1 200 OK"),  # truncated
        (GW, "/stream-204"): clean("kept", 204),
        # --- uWSGI --http-socket: writes what the app gives, byte for byte; no Date, no
        # Server; and closes every connection after one response without "Connection: close".
        # No middleware can keep the connection (the pipelined request is never answered);
        # one can announce the close: uWSGI passes an app's "Connection: close" through
        # (test_server_detection.py).
        (UW, "/plain"): Seen(200, "dropped", PIPE, absent=b"Date", dates=0),
        (UW, "/204-body"): Seen(204, "dropped", PIPE, raw=b"No Content\r\n\r\nhello", dates=0),
        (UW, "/204-cl"): Seen(204, "dropped", CL204, raw=b"Content-Length: 5\r\n\r\nhello"),
        (UW, "/204-cl-nobody"): Seen(204, "dropped", CL204),
        (UW, "/205-body"): Seen(205, "dropped", CONTENT, raw=b"\r\n\r\nhello"),
        (UW, "/205-stale-cl"): Seen(205, "dropped", INCOMPLETE),
        (UW, "/304-body"): Seen(304, "dropped", PIPE, raw=b"\r\n\r\nhello"),
        (UW, "/304-cl"): Seen(304, "dropped", PIPE, raw=b"Content-Length: 5\r\n"),
        (UW, "/head-body"): Seen(200, "dropped", PIPE, raw=b"\r\n\r\nhello"),
        (UW, "/cl-te"): Seen(200, "dropped", BESIDE, raw=b"chunked\r\n\r\nhello"),
        (UW, "/cl-conflict"): Seen(200, "dropped", CONFLICT, raw=CL_5_6),
        (UW, "/cl-long"): Seen(200, "dropped", PIPE, raw=b"Content-Length: 3\r\n\r\nhello"),
        (UW, "/cl-short"): Seen(200, "dropped", INCOMPLETE),
        (UW, "/crlf"): Seen(200, "dropped", INJECTED, raw=b"X-Test: ok\r\nX-Injected: 1\r\n"),
        (UW, "/bad-name"): Seen(200, "dropped", BAD_LINE, raw=b"\r\nX Bad: 1\r\n"),
        (UW, "/date-app"): Seen(200, "dropped", PIPE, raw=b"Date: " + Y1994, dates=1),
        (UW, "/date-dup"): Seen(200, "dropped", TWO_DATES, dates=2),
        (UW, "/date-bad"): Seen(200, "dropped", NOT_IMF, dates=1),
        (UW, "/stream-long"): Seen(200, "dropped", PIPE, raw=b"\r\n\r\none-two-three"),
        (UW, "/stream-204"): Seen(204, "dropped", PIPE, raw=b"\r\n\r\nabc"),
        # --- granian ASGI over HTTP/1.1: as granian WSGI, but invalid header lines -> 500.
        (GA, "/plain"): clean("kept", raw=b"server: granian", dates=1),
        (GA, "/204-body"): clean("kept", 204),
        (GA, "/204-cl"): Seen(204, "kept", CL204, raw=b"content-length: 5\r\n"),
        (GA, "/204-cl-nobody"): clean("kept", 204, absent=b"content-length"),
        (GA, "/205-body"): Seen(205, "kept", CONTENT, raw=b"content-length: 5\r\n"),
        (GA, "/205-stale-cl"): clean("kept", 205, raw=b"content-length: 0\r\n"),
        (GA, "/304-body"): clean("kept", 304),
        (GA, "/304-cl"): clean("kept", 304, absent=b"content-length"),
        (GA, "/head-body"): clean("kept", raw=b"content-length: 5\r\n"),
        (GA, "/cl-te"): Seen(None, "dropped", NO_RESPONSE),
        (GA, "/cl-conflict"): clean("kept", raw=b"content-length: 5\r\nserver", absent=b": 6"),
        (GA, "/cl-long"): Seen(200, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (GA, "/cl-short"): Seen(200, "desync", ILLEGAL),
        (GA, "/crlf"): Seen(500, "kept", STATUS_500, log="Unsupported ASGI message"),
        (GA, "/bad-name"): Seen(500, "kept", STATUS_500, log="Unsupported ASGI message"),
        (GA, "/date-app"): clean("kept", raw=b"date: " + Y1994, dates=1),
        (GA, "/date-dup"): Seen(200, "kept", TWO_DATES, dates=2),
        (GA, "/date-bad"): Seen(200, "kept", NOT_IMF, raw=b"date: yesterday\r\n", dates=1),
        (GA, "/stream-long"): clean("kept", raw=b"\r\n\r\none-tHTTP/1.1 200 OK"),
        (GA, "/stream-204"): clean("kept", 204),
        # --- daphne (Twisted): never adds Date; drops a single-message body on 204/304/HEAD
        # but not a streamed one (the first chunk only); keeps CL on 204; 205 content sent
        # chunked (reason phrase "Reset Content."); CR/LF turned into spaces; a bad header
        # name: no response at all, the connection left open.
        (DA, "/plain"): Seen(200, "kept", NO_DATE, raw=b"Server: daphne\r\n", dates=0),
        (DA, "/204-body"): Seen(204, "kept", NO_DATE, dates=0),
        (DA, "/204-cl"): Seen(204, "kept", CL204, raw=b"Server: daphne\r\n\r\nHTTP/1.1 200"),
        (DA, "/204-cl-nobody"): Seen(204, "kept", CL204),
        (DA, "/205-body"): Seen(205, "kept", CONTENT, raw=b"205 Reset Content.\r\n"),
        (DA, "/205-stale-cl"): Seen(205, "desync", ILLEGAL),
        (DA, "/304-body"): Seen(304, "kept", NO_DATE, dates=0),
        (DA, "/304-cl"): Seen(304, "kept", NO_DATE, raw=b"Content-Length: 5\r\n"),
        (DA, "/head-body"): Seen(200, "kept", NO_DATE, raw=b"Content-Length: 5\r\n"),
        (DA, "/cl-te"): Seen(200, "desync", BESIDE, raw=b"chunked\r\nServer: daphne\r\n\r\nhello"),
        (DA, "/cl-conflict"): Seen(200, "desync", CONFLICT, raw=CL_5_6),
        (DA, "/cl-long"): Seen(200, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (DA, "/cl-short"): Seen(200, "desync", ILLEGAL),
        (DA, "/crlf"): Seen(200, "kept", NO_DATE, raw=b"X-Test: ok X-Injected: 1\r\n"),
        (DA, "/bad-name"): Seen(None, "desync", NO_RESPONSE, log="InvalidHeaderName", hangs=True),
        (DA, "/date-app"): clean("kept", raw=b"Date: " + Y1994, dates=1),
        (DA, "/date-dup"): Seen(200, "kept", TWO_DATES, dates=2),
        (DA, "/date-bad"): Seen(200, "kept", NOT_IMF, dates=1),
        (DA, "/stream-long"): Seen(200, "desync", ILLEGAL, raw=b"\r\n\r\none-two-threeHTTP"),
        (DA, "/stream-204"): Seen(204, "desync", ILLEGAL, raw=b"\r\n\r\nbcHTTP/1.1 200 OK"),
        # --- gunicorn + uvicorn_worker.UvicornWorker: uvicorn's httptools protocol, same wire.
        (GU, "/plain"): clean("kept", raw=b"server: uvicorn", dates=1),
        (GU, "/204-body"): Seen(204, "dropped", PIPE, log=LONGER),
        (GU, "/204-cl"): Seen(204, "desync", ILLEGAL, raw=b"\r\n\r\nhelloHTTP/1.1 200 OK"),
        (GU, "/204-cl-nobody"): Seen(204, "dropped", CL204, log=SHORTER),
        (GU, "/205-body"): Seen(205, "kept", CONTENT, raw=b"transfer-encoding: chunked"),
        (GU, "/205-stale-cl"): Seen(205, "dropped", INCOMPLETE, log=SHORTER),
        (GU, "/304-body"): Seen(304, "dropped", PIPE, log=LONGER),
        (GU, "/304-cl"): Seen(304, "dropped", PIPE, log=SHORTER),
        (GU, "/head-body"): clean("kept"),
        (GU, "/cl-te"): Seen(200, "kept", BESIDE, raw=b"length: 5\r\ntransfer-encoding: chunked"),
        (GU, "/cl-conflict"): Seen(200, "desync", CONFLICT, raw=CL_5_6.lower()),
        (GU, "/cl-long"): Seen(200, "dropped", INCOMPLETE, log=LONGER),
        (GU, "/cl-short"): Seen(200, "dropped", INCOMPLETE, log=SHORTER),
        (GU, "/crlf"): Seen(None, "dropped", NO_RESPONSE, log="Invalid HTTP header value."),
        (GU, "/bad-name"): Seen(None, "dropped", NO_RESPONSE, log="Invalid HTTP header name."),
        (GU, "/date-app"): Seen(200, "kept", TWO_DATES, raw=b"date: " + Y1994, dates=2),
        (GU, "/date-dup"): Seen(200, "kept", THREE_DATES, dates=3),
        (GU, "/date-bad"): Seen(200, "kept", NOT_IMF, dates=2),
        (GU, "/stream-long"): Seen(200, "dropped", INCOMPLETE, log=LONGER),
        (GU, "/stream-204"): Seen(204, "dropped", PIPE, log=LONGER),
    }
)


@pytest.mark.parametrize("server", ALL_SERVERS)
def test_plain_is_clean(running: GetServer, server: str) -> None:
    ex = exchange(running(server), "GET", "/plain")
    assert_wire_clean(ex, expected_status=200, no_content=False)


@pytest.mark.parametrize(
    ("server", "path"),
    [pytest.param(server, path, id=f"{server}{path}") for server, path in OBSERVED],
)
def test_unguarded_wire(running: GetServer, server: str, path: str) -> None:
    seen = OBSERVED[(server, path)]
    route = ROUTES_BY_PATH[path]
    srv = running(server)
    mark = srv.log_mark()
    ex = exchange(srv, route.method, route.path, timeout=HANG_WAIT if seen.hangs else 5.0)
    problems = wire_problems(ex, expected_status=route.status, no_content=route.no_content)
    context = f"{server} {route.method} {path}: {problems}\n{ex.describe()}"

    if seen.status is None:
        assert ex.raw == b"", context
    else:
        assert ex.first is not None, context
        assert ex.first.status == seen.status, context
    assert fate_of(ex) == seen.fate, context
    assert ex.timed_out == seen.hangs, context
    if seen.problem is None:
        assert problems == [], context
    else:
        assert any(seen.problem in problem for problem in problems), context
    if seen.raw:
        assert seen.raw in ex.raw, context
    if seen.absent:
        assert ex.first is not None, context
        assert seen.absent.lower() not in ex.first.raw_head.lower(), context
    if seen.dates is not None:
        assert ex.first is not None, context
        assert len(date_lines(ex.first)) == seen.dates, context
    if seen.log:
        assert srv.wait_for_log(seen.log, since=mark), f"{context}\n--- log ---\n{srv.logs(mark)}"
