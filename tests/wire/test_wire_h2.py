"""What hypercorn and granian put in their HTTP/2 frames for the raw, UNGUARDED route apps.

h2c with prior knowledge, on the same plain-text port as HTTP/1.1 (hypercorn always; granian
with its default ``--http auto``).  Every route of :mod:`apps.routes`, plus the HTTP/2-only
``/connection-fields`` (:mod:`apps.unguarded`), is requested on stream 1 with a ``GET /plain``
on stream 3 of the same connection (:func:`support.h2client.h2_exchange`); the frames are
recorded as the server sent them, whatever ``h2`` thinks of them as a client.

Observed with hypercorn 0.18.0 (h2 4.4.1) and granian 2.8.9 (``--interface asgi`` and
``--interface wsgi``).  A cell failing here means a server changed behaviour.  What every cell
shares, asserted for all: no RST_STREAM, no GOAWAY, stream 3 intact (no response here breaks
the connection: HTTP/2 framing cannot be desynchronised by a body, only the stream suffers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from apps.routes import DATE_1994, ROUTES_BY_PATH, Route
from apps.unguarded import CONNECTION_FIELDS
from support.h2client import CONNECTION_SPECIFIC, h2_exchange, h2_problems
from support.servers import Server

GetServer = Callable[[str], Server]
ROUTES: dict[str, Route] = {**ROUTES_BY_PATH, CONNECTION_FIELDS.path: CONNECTION_FIELDS}


@pytest.fixture(scope="module")
def running(unguarded: GetServer) -> GetServer:
    """The servers of the HTTP/1.1 baseline, shared (tests/wire/conftest.py)."""
    return unguarded


@dataclass(frozen=True)
class Seen:
    """What one server x route put on stream 1."""

    status: int
    problem: str | None = None  # an h2_problems() complaint contains this; None: clean
    data: bytes | None = None  # exactly these DATA bytes arrived on stream 1
    has: tuple[tuple[bytes, bytes], ...] = ()  # these fields are in the response
    lacks: tuple[bytes, ...] = ()  # no field of these names is
    dates: int | None = None  # number of date fields
    refused: str = ""  # h2, as a client, refused the response with this message ("" = it did not)
    log: str = ""  # the server logs this while answering


def clean(
    status: int = 200,
    *,
    data: bytes | None = None,
    has: tuple[tuple[bytes, bytes], ...] = (),
    lacks: tuple[bytes, ...] = (),
    dates: int | None = None,
) -> Seen:
    """h2_problems() finds nothing wrong (the server fixed it, or it was never broken)."""
    return Seen(status, None, data=data, has=has, lacks=lacks, dates=dates)


HC, GA, GW = "hypercorn", "granian-asgi", "granian-wsgi"

DATA = "DATA on a no-content response"
CL204 = "content-length on a 204"
CONFLICT = "conflicting content-length fields"
CRLF = "field value contains CR, LF or NUL"
BAD_NAME = "field name is not a lower-case token"
NOT_IMF = "date is not an IMF-fixdate"
REFUSED = "h2 refused the response as a client"
UNSUPPORTED = "Unsupported ASGI message"  # granian ASGI's error for an invalid header
Y1994 = DATE_1994.encode()
CL5 = ((b"content-length", b"5"),)
HOP = tuple(sorted(CONNECTION_SPECIFIC))


def short(n: int) -> str:
    return f"!= DATA received {n}"


OBSERVED: dict[tuple[str, str], Seen] = {
    # --- hypercorn over h2c: drops DATA on 204/304/HEAD (not 205), strips connection-specific
    # fields, always adds date (a second one beside the app's), and passes CR/LF in a value and
    # a field name with a space straight into HPACK.
    (HC, "/plain"): clean(data=b"plain", has=((b"server", b"hypercorn-h2"),), dates=1),
    (HC, "/204-body"): clean(204, data=b""),
    (HC, "/204-cl"): Seen(204, CL204, data=b"", has=CL5, refused="Expected 5 bytes, received 0"),
    (HC, "/204-cl-nobody"): Seen(204, CL204, data=b"", refused="Expected 5 bytes, received 0"),
    (HC, "/205-body"): Seen(205, DATA, data=b"hello"),
    (HC, "/205-stale-cl"): Seen(205, short(0), data=b"", refused="Expected 4 bytes"),
    (HC, "/304-body"): clean(304, data=b""),
    # RFC 9110 §8.6 allows it; h2 4.4.1 (httpx's HTTP/2) refuses a 304 whose content-length is
    # not 0 (it exempts HEAD only).
    (HC, "/304-cl"): Seen(304, REFUSED, data=b"", has=CL5, refused="Expected 5 bytes, received 0"),
    (HC, "/head-body"): clean(data=b"", has=CL5),
    (HC, "/cl-te"): clean(data=b"hello", lacks=(b"transfer-encoding",)),
    (HC, "/cl-conflict"): Seen(200, CONFLICT, data=b"hello", refused="Conflicting content-length"),
    (HC, "/cl-long"): Seen(200, short(5), data=b"hello", refused="Expected 3 bytes, received 5"),
    (HC, "/cl-short"): Seen(200, short(5), data=b"hello", refused="Expected 10 bytes"),
    (HC, "/crlf"): Seen(200, CRLF, has=((b"x-test", b"ok\r\nX-Injected: 1"),)),
    (HC, "/bad-name"): Seen(200, BAD_NAME, has=((b"x bad", b"1"),)),
    (HC, "/date-app"): Seen(200, "2 date fields", has=((b"date", Y1994),), dates=2),
    (HC, "/date-dup"): Seen(200, "3 date fields", dates=3),
    (HC, "/date-bad"): Seen(200, NOT_IMF, has=((b"date", b"yesterday"),), dates=2),
    # h2 complains after the DATA frame that overflows (the count depends on the reads).
    (HC, "/stream-long"): Seen(
        200, short(13), data=b"one-two-three", refused="Expected 5 bytes, received"
    ),
    (HC, "/stream-204"): clean(204, data=b""),
    (HC, "/stream-404"): clean(404, data=b"not found here", has=((b"x-kept", b"yes"),)),
    (HC, "/connection-fields"): clean(data=b"hello", lacks=HOP),
    # --- granian ASGI over h2c: date only if absent, connection-specific fields stripped, but
    # DATA sent on 204, 205, 304 and HEAD (over HTTP/1.1 the same server drops it), even a
    # content-length it computed itself on a 204; a stale length kept (rewritten over HTTP/1.1).
    (GA, "/plain"): clean(data=b"plain", has=((b"server", b"granian"),), dates=1),
    (GA, "/204-body"): Seen(204, DATA, data=b"hello", has=CL5),
    (GA, "/204-cl"): Seen(204, DATA, data=b"hello", has=CL5),
    (GA, "/204-cl-nobody"): Seen(204, CL204, data=b"", has=CL5),
    (GA, "/205-body"): Seen(205, DATA, data=b"hello", has=CL5),
    (GA, "/205-stale-cl"): Seen(205, short(0), data=b"", has=((b"content-length", b"4"),)),
    (GA, "/304-body"): Seen(304, DATA, data=b"hello", has=CL5),
    (GA, "/304-cl"): clean(304, data=b"", has=CL5),
    (GA, "/head-body"): Seen(200, DATA, data=b"hello", refused="Expected 0 bytes, received 5"),
    (GA, "/cl-te"): clean(data=b"hello", lacks=(b"transfer-encoding",)),
    (GA, "/cl-conflict"): Seen(200, CONFLICT, data=b"hello", refused="Conflicting content-length"),
    (GA, "/cl-long"): Seen(200, short(5), data=b"hello", refused="Expected 3 bytes, received 5"),
    (GA, "/cl-short"): Seen(200, short(5), data=b"hello", refused="Expected 10 bytes"),
    (GA, "/crlf"): Seen(500, "status 500 arrived", log=UNSUPPORTED),
    (GA, "/bad-name"): Seen(500, "status 500 arrived", log=UNSUPPORTED),
    (GA, "/date-app"): clean(data=b"hello", has=((b"date", Y1994),), dates=1),
    (GA, "/date-dup"): Seen(200, "2 date fields", dates=2),
    (GA, "/date-bad"): Seen(200, NOT_IMF, has=((b"date", b"yesterday"),), dates=1),
    (GA, "/stream-long"): Seen(
        200, short(13), data=b"one-two-three", refused="Expected 5 bytes, received"
    ),
    (GA, "/stream-204"): Seen(204, DATA, data=b"abc"),
    (GA, "/stream-404"): clean(404, data=b"not found here", has=((b"x-kept", b"yes"),)),
    (GA, "/connection-fields"): clean(data=b"hello", lacks=HOP),
    # --- granian WSGI over h2c: as granian ASGI (DATA on 204/205/304/HEAD), invalid header
    # lines silently dropped, and a streamed body longer than its content-length sent whole
    # (over HTTP/1.1 it is truncated).
    (GW, "/plain"): clean(data=b"plain", has=((b"server", b"granian"),), dates=1),
    (GW, "/204-body"): Seen(204, DATA, data=b"hello", has=CL5),
    (GW, "/204-cl"): Seen(204, DATA, data=b"hello", has=CL5),
    (GW, "/204-cl-nobody"): Seen(204, CL204, data=b"", has=CL5),
    (GW, "/205-body"): Seen(205, DATA, data=b"hello", has=CL5),
    (GW, "/205-stale-cl"): Seen(205, short(0), data=b"", has=((b"content-length", b"4"),)),
    (GW, "/304-body"): Seen(304, DATA, data=b"hello", has=CL5),
    (GW, "/304-cl"): clean(304, data=b"", has=CL5),
    (GW, "/head-body"): Seen(200, DATA, data=b"hello", refused="Expected 0 bytes, received 5"),
    (GW, "/cl-te"): clean(data=b"hello", lacks=(b"transfer-encoding",)),
    (GW, "/cl-conflict"): Seen(200, CONFLICT, data=b"hello", refused="Conflicting content-length"),
    (GW, "/cl-long"): Seen(200, short(5), data=b"hello", refused="Expected 3 bytes, received 5"),
    (GW, "/cl-short"): Seen(200, short(5), data=b"hello", refused="Expected 10 bytes"),
    (GW, "/crlf"): clean(data=b"hello", lacks=(b"x-test",)),
    (GW, "/bad-name"): clean(data=b"hello", lacks=(b"x bad",)),
    (GW, "/date-app"): clean(data=b"hello", has=((b"date", Y1994),), dates=1),
    (GW, "/date-dup"): Seen(200, "2 date fields", dates=2),
    (GW, "/date-bad"): Seen(200, NOT_IMF, has=((b"date", b"yesterday"),), dates=1),
    (GW, "/stream-long"): Seen(
        200, short(13), data=b"one-two-three", refused="Expected 5 bytes, received"
    ),
    (GW, "/stream-204"): Seen(204, DATA, data=b"abc"),
    (GW, "/stream-404"): clean(404, data=b"not found here", has=((b"x-kept", b"yes"),)),
    (GW, "/connection-fields"): clean(data=b"hello", lacks=HOP),
}


def test_every_route_is_pinned() -> None:
    for server in (HC, GA, GW):
        assert {path for s, path in OBSERVED if s == server} == set(ROUTES), server


@pytest.mark.parametrize(
    ("server", "path"),
    [pytest.param(server, path, id=f"{server}{path}") for server, path in OBSERVED],
)
def test_unguarded_h2(running: GetServer, server: str, path: str) -> None:
    seen = OBSERVED[(server, path)]
    route = ROUTES[path]
    srv = running(server)
    mark = srv.log_mark()
    ex = h2_exchange(srv, route.method, route.path)
    problems = h2_problems(
        ex, expected_status=route.status, no_content=route.no_content, method=route.method
    )
    context = f"{server} {route.method} {path}: {problems}\n{ex.describe()}"

    first = ex.first
    assert first.status == seen.status, context
    assert first.ended and first.reset is None, context
    assert ex.goaway is None and not ex.closed_by_peer and not ex.timed_out, context
    assert ex.follow_up_intact, context
    assert ex.frames[-1] == "PING 0 ACK", context  # read up to the ACK of the closing PING
    if seen.problem is None:
        assert problems == [], context
    else:
        assert any(seen.problem in problem for problem in problems), context
    if seen.data is not None:
        assert first.data == seen.data, context
    for field in seen.has:
        assert field in first.headers, context
    names = {name.lower() for name, _ in first.headers}
    for name in seen.lacks:
        assert name not in names, context
    if seen.dates is not None:
        assert len(first.values(b"date")) == seen.dates, context
    if seen.refused:
        assert seen.refused in (ex.client_error or ""), context
    else:
        assert ex.client_error is None, context
    if seen.log:
        assert srv.wait_for_log(seen.log, since=mark), f"{context}\n--- log ---\n{srv.logs(mark)}"
