"""One route table shared by the raw WSGI and ASGI test apps.

Every route describes one response, most of them breaking an HTTP rule on purpose.  The apps
(:mod:`apps.wsgi_routes`, :mod:`apps.asgi_routes`) emit exactly what the record says, with no
framework in between, so whatever reaches the wire is the server's doing (or, later, the
middleware's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

NO_CONTENT_STATUSES = frozenset({204, 205, 304})

DATE_1994 = "Sun, 06 Nov 1994 08:49:37 GMT"
DATE_2001 = "Mon, 01 Jan 2001 00:00:00 GMT"
INJECTED_VALUE = "ok\r\nX-Injected: 1"


@dataclass(frozen=True)
class Route:
    """One path of the test apps and the (possibly broken) response it produces."""

    path: str
    description: str
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    streamed: bool = False
    method: str = "GET"  # the method the acceptance tests use for this path

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def no_content(self) -> bool:
        """The response may not carry content (204/205/304 or an answer to HEAD)."""
        return self.status in NO_CONTENT_STATUSES or self.method == "HEAD"

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Unknown"

    @property
    def status_line(self) -> str:
        """The WSGI status string, e.g. ``"204 No Content"``."""
        return f"{self.status} {self.reason}"


TEXT = ("Content-Type", "text/plain")
HELLO = [b"hello"]


def _cl(n: int) -> tuple[str, str]:
    return ("Content-Length", str(n))


ROUTES: list[Route] = [
    Route("/plain", "correct 200, the pipelined probe", headers=[TEXT, _cl(5)], chunks=[b"plain"]),
    Route("/204-body", "204 with a body and no Content-Length", 204, chunks=HELLO),
    Route("/204-cl", "204 with Content-Length: 5 and a body", 204, [_cl(5)], HELLO),
    Route("/204-cl-nobody", "204 with Content-Length: 5 and no body", 204, [_cl(5)]),
    Route("/205-body", "205 with a body", 205, [TEXT], HELLO),
    Route("/205-stale-cl", "205 without body but a stale Content-Length: 4", 205, [_cl(4)]),
    Route("/304-body", "304 with a body", 304, [TEXT], HELLO),
    Route("/304-cl", "304 with Content-Length: 5 and no body (allowed)", 304, [_cl(5)]),
    Route(
        "/head-body",
        "HEAD answered with Content-Length: 5 and the body",
        headers=[TEXT, _cl(5)],
        chunks=HELLO,
        method="HEAD",
    ),
    Route(
        "/cl-te",
        "Content-Length beside Transfer-Encoding: chunked, body not chunked",
        headers=[TEXT, _cl(5), ("Transfer-Encoding", "chunked")],
        chunks=HELLO,
    ),
    Route(
        "/cl-conflict", "two Content-Length lines, 5 and 6", headers=[_cl(5), _cl(6)], chunks=HELLO
    ),
    Route("/cl-long", "body longer than Content-Length: 3", headers=[TEXT, _cl(3)], chunks=HELLO),
    Route(
        "/cl-short", "body shorter than Content-Length: 10", headers=[TEXT, _cl(10)], chunks=HELLO
    ),
    Route(
        "/crlf",
        "CR/LF in a header value injecting X-Injected",
        headers=[TEXT, _cl(5), ("X-Test", INJECTED_VALUE)],
        chunks=HELLO,
    ),
    Route(
        "/bad-name",
        "header name with a space",
        headers=[TEXT, _cl(5), ("X Bad", "1")],
        chunks=HELLO,
    ),
    Route(
        "/date-app",
        "app sets a valid Date",
        headers=[TEXT, _cl(5), ("Date", DATE_1994)],
        chunks=HELLO,
    ),
    Route(
        "/date-dup",
        "app sets two Date lines",
        headers=[TEXT, _cl(5), ("Date", DATE_1994), ("Date", DATE_2001)],
        chunks=HELLO,
    ),
    Route(
        "/date-bad",
        "app sets Date: yesterday",
        headers=[TEXT, _cl(5), ("Date", "yesterday")],
        chunks=HELLO,
    ),
    Route(
        "/stream-long",
        "streamed in 3 chunks, 13 bytes, Content-Length: 5",
        headers=[TEXT, _cl(5)],
        chunks=[b"one-", b"two-", b"three"],
        streamed=True,
    ),
    Route(
        "/stream-204", "204 streamed in 3 chunks", 204, chunks=[b"a", b"b", b"c"], streamed=True
    ),
    Route(
        "/stream-404",
        "correct 404 streamed in 3 chunks, no Content-Length, a field of the app's own",
        404,
        [TEXT, ("X-Kept", "yes")],
        [b"not ", b"found ", b"here"],
        streamed=True,
    ),
]

ROUTES_BY_PATH: dict[str, Route] = {route.path: route for route in ROUTES}

NOT_FOUND = Route("/404", "unknown path", 404, [TEXT, _cl(9)], [b"not found"])


def lookup(path: str) -> Route:
    """The route for ``path`` (the query string already removed), or a plain 404."""
    return ROUTES_BY_PATH.get(path, NOT_FOUND)
