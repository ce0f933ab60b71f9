"""The example app that ``statusguard check`` (with no APP) checks: each route breaks one rule.

Framework-free: one route table served by a WSGI app and an ASGI app.  Most rules are shown on
the WSGI side; the ones a WSGI app cannot break or a WSGI server would not let through
(``Upgrade`` and ``Proxy-Authenticate`` are hop-by-hop for PEP 3333, HTTP/2 reaches Python
through ASGI servers) are shown on the ASGI side.  Every response carries a valid ``Date``
except the ``date-missing`` route, because the demo is checked as if served by a bare HTTP
stack that adds none (``server="wire"``).  ``GET /`` lists the routes and breaks nothing.

Try one route with ``statusguard check statusguard.demo:wsgi_app --path /204-with-content``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ROUTES", "SERVER", "SERVER_DATE", "Route", "asgi_app", "wsgi_app"]

# The demo is checked as if nothing stood between it and the wire (the "wire" profile: no
# server adds Date or drops a HEAD's content), so that date-missing and head-content can show.
SERVER_DATE = "auto"
SERVER = "wire"

_TEXT = ("Content-Type", "text/plain; charset=utf-8")
_HELLO = b"hello"
_RANGE = ("Range", "bytes=0-4")


@dataclass(frozen=True, slots=True)
class Route:
    """One route of the demo: the request to send, the response it gets, the rule it breaks.

    ``headers`` get a valid ``Date`` added unless ``dated`` is false.  ``request`` are the
    request's header fields (``Range``, ``If-None-Match``, ``Expect``...), for the rules that
    judge a response against what was asked.  ``also``: the rules the route cannot help
    breaking besides its own (a 100 sent as a final response is always status-interim-final).
    """

    rule: str
    protocol: str  # "wsgi" or "asgi": the app that shows the rule
    path: str
    status: str  # a WSGI status line; the ASGI app sends its code
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    method: str = "GET"
    http_version: str = "1.1"
    dated: bool = True
    request: tuple[tuple[str, str], ...] = ()
    also: tuple[str, ...] = ()

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def response_headers(self) -> list[tuple[str, str]]:
        headers = list(self.headers)
        if self.dated:
            headers.append(("Date", formatdate(usegmt=True)))
        return headers


def _r(
    rule: str,
    path: str,
    status: str,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    **options: Any,
) -> Route:
    request = tuple(options.pop("request", ()))
    return Route(
        rule,
        options.pop("protocol", "wsgi"),
        path,
        status,
        tuple(headers),
        body,
        request=request,
        **options,
    )


ROUTES: tuple[Route, ...] = (
    # Field syntax (RFC 9110 §5)
    _r(
        "field-name-invalid", "/field-name-invalid", "200 OK", [_TEXT, ("X Bad Name", "1")], _HELLO
    ),
    _r(
        "field-value-invalid",
        "/header-injection",
        "200 OK",
        [_TEXT, ("X-Note", "ok\r\nX-Injected: 1")],
        _HELLO,
    ),
    _r(
        "field-value-whitespace",
        "/http2-padded-value",
        "200 OK",
        [_TEXT, ("Set-Cookie", " session=1; Path=/")],
        _HELLO,
        protocol="asgi",
        http_version="2",
    ),
    # Status line (RFC 9110 §15, RFC 9112 §4)
    _r("status-code-invalid", "/status-600", "600 Beyond"),
    _r("status-code-unregistered", "/status-299", "299 Custom", [_TEXT], _HELLO),
    _r("status-code-deprecated", "/teapot", "418 I'm a teapot", [_TEXT], _HELLO),
    _r(
        "status-interim-final",
        "/100-as-final",
        "100 Continue",
        method="POST",
        request=[("Expect", "100-continue")],
    ),
    _r("reason-phrase-invalid", "/reason-control", "200 O\x01K", [_TEXT], _HELLO),
    # Framing and connection fields (RFC 9110 §8.6, RFC 9112 §6, RFC 9113 §8.2.2, PEP 3333)
    _r("hop-by-hop-field", "/hop-by-hop", "200 OK", [_TEXT, ("Connection", "close")], _HELLO),
    _r(
        "connection-specific-field",
        "/http2-keep-alive",
        "200 OK",
        [_TEXT, ("Keep-Alive", "timeout=5")],
        _HELLO,
        protocol="asgi",
        http_version="2",
    ),
    _r(
        "content-length-forbidden",
        "/204-content-length",
        "204 No Content",
        [("Content-Length", "5")],
    ),
    _r(
        "transfer-encoding-forbidden",
        "/204-transfer-encoding",
        "204 No Content",
        [("Transfer-Encoding", "chunked")],
        protocol="asgi",
    ),
    _r(
        "transfer-encoding-invalid",
        "/chunked-twice",
        "200 OK",
        [_TEXT, ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
        _HELLO,
        protocol="asgi",
    ),
    _r(
        "content-length-with-transfer-encoding",
        "/length-and-chunked",
        "200 OK",
        [_TEXT, ("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
        _HELLO,
        protocol="asgi",
    ),
    _r(
        "content-length-invalid",
        "/length-five",
        "200 OK",
        [_TEXT, ("Content-Length", "five")],
        _HELLO,
    ),
    # Fields every response shares (RFC 9110 §5.3, §6.6.1, §10.2)
    _r(
        "field-duplicate",
        "/two-content-types",
        "200 OK",
        [_TEXT, ("Content-Type", "text/html")],
        _HELLO,
    ),
    _r(
        "date-invalid",
        "/date-yesterday",
        "200 OK",
        [_TEXT, ("Date", "yesterday")],
        _HELLO,
        dated=False,
    ),
    _r("date-missing", "/no-date", "200 OK", [_TEXT], _HELLO, dated=False),
    _r("location-invalid", "/redirect-with-space", "302 Found", [("Location", "/new place")]),
    _r(
        "content-range-invalid",
        "/range-backwards",
        "206 Partial Content",
        [_TEXT, ("Content-Range", "bytes 5-1/10")],
        _HELLO,
        request=[_RANGE],
    ),
    _r(
        "retry-after-invalid",
        "/retry-soon",
        "503 Service Unavailable",
        [_TEXT, ("Retry-After", "soon")],
        _HELLO,
    ),
    _r("etag-invalid", "/etag-unquoted", "200 OK", [_TEXT, ("ETag", "v1")], _HELLO),
    _r(
        "last-modified-invalid",
        "/last-modified-iso",
        "200 OK",
        [_TEXT, ("Last-Modified", "2026-01-01T00:00:00Z")],
        _HELLO,
    ),
    # Per status class (RFC 9110 §15.2–§15.5)
    _r(
        "upgrade-missing",
        "/426-no-upgrade",
        "426 Upgrade Required",
        [_TEXT],
        _HELLO,
        protocol="asgi",
    ),
    # What the request asked for (RFC 9110 §7.8, §10.1.1, §13.1, §14)
    _r(
        "upgrade-unrequested",
        "/101-unoffered",
        "101 Switching Protocols",
        [("Upgrade", "websocket"), ("Connection", "upgrade")],
        protocol="asgi",
        request=[("Upgrade", "h2c"), ("Connection", "Upgrade, HTTP2-Settings")],
    ),
    _r(
        "continue-unrequested",
        "/100-unasked",
        "100 Continue",
        method="POST",
        also=("status-interim-final",),
    ),
    _r("created-location-missing", "/201-no-location", "201 Created", [_TEXT], _HELLO),
    _r(
        "content-range-missing",
        "/206-no-range",
        "206 Partial Content",
        [_TEXT],
        _HELLO,
        request=[_RANGE],
    ),
    _r(
        "content-range-length-mismatch",
        "/206-length-mismatch",
        "206 Partial Content",
        [_TEXT, ("Content-Range", "bytes 0-4/11"), ("Content-Length", "4")],
        b"hell",
        request=[_RANGE],
    ),
    _r(
        "partial-content-unrequested",
        "/206-unasked",
        "206 Partial Content",
        [_TEXT, ("Content-Range", "bytes 0-4/11")],
        _HELLO,
    ),
    _r(
        "partial-content-multipart-single-range",
        "/206-multipart-one-range",
        "206 Partial Content",
        [("Content-Type", "multipart/byteranges; boundary=B")],
        b"--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/11\r\n\r\n"
        b"hello\r\n--B--\r\n",
        request=[_RANGE],
    ),
    _r(
        "content-range-unrequested",
        "/206-other-range",
        "206 Partial Content",
        [_TEXT, ("Content-Range", "bytes 0-4/11")],
        _HELLO,
        request=[("Range", "bytes=6-10")],
    ),
    _r("im-used-etag-missing", "/226-no-etag", "226 IM Used", [_TEXT, ("IM", "vcdiff")], _HELLO),
    _r("location-missing", "/302-no-location", "302 Found"),
    _r(
        "not-modified-representation-fields",
        "/304-content-type",
        "304 Not Modified",
        [_TEXT],
        request=[("If-None-Match", '"v1"')],
    ),
    _r(
        "not-modified-unconditional",
        "/304-unconditional",
        "304 Not Modified",
        [("ETag", '"v1"')],
    ),
    _r(
        "not-modified-method",
        "/304-to-post",
        "304 Not Modified",
        [("ETag", '"v1"')],
        method="POST",
        request=[("If-None-Match", '"v1"')],
    ),
    _r("www-authenticate-missing", "/401-no-challenge", "401 Unauthorized", [_TEXT], _HELLO),
    _r("allow-missing", "/405-no-allow", "405 Method Not Allowed", [_TEXT], _HELLO),
    _r(
        "allow-lists-request-method",
        "/405-allows-get",
        "405 Method Not Allowed",
        [_TEXT, ("Allow", "GET, POST")],
        _HELLO,
    ),
    _r(
        "get-head-unsupported",
        "/head-refused",
        "405 Method Not Allowed",
        [_TEXT, ("Allow", "GET")],
        method="HEAD",
    ),
    _r(
        "precondition-failed-unrequested",
        "/412-unasked",
        "412 Precondition Failed",
        [_TEXT],
        _HELLO,
        method="PUT",
    ),
    _r(
        "proxy-authenticate-missing",
        "/407-no-challenge",
        "407 Proxy Authentication Required",
        [_TEXT],
        _HELLO,
        protocol="asgi",
    ),
    _r(
        "content-range-recommended",
        "/416-no-range",
        "416 Range Not Satisfiable",
        [_TEXT],
        _HELLO,
        request=[("Range", "bytes=20-30")],
    ),
    _r(
        "range-not-satisfiable-content-range",
        "/416-satisfied-range",
        "416 Range Not Satisfiable",
        [_TEXT, ("Content-Range", "bytes 0-4/11")],
        _HELLO,
        request=[("Range", "bytes=20-30")],
    ),
    _r(
        "expectation-failed-unrequested",
        "/417-unasked",
        "417 Expectation Failed",
        [_TEXT],
        _HELLO,
        method="POST",
    ),
    # Content (RFC 9110 §6.4.1, §8.3, §9.3.2, RFC 9112 §6.3)
    _r("content-forbidden", "/204-with-content", "204 No Content", (), _HELLO),
    _r(
        "head-content",
        "/head-with-content",
        "200 OK",
        [_TEXT, ("Content-Length", "5")],
        _HELLO,
        method="HEAD",
    ),
    _r(
        "content-length-mismatch",
        "/length-short",
        "200 OK",
        [_TEXT, ("Content-Length", "3")],
        _HELLO,
    ),
    _r("content-type-missing", "/no-content-type", "200 OK", (), _HELLO),
)

_BY_PATH = {route.path: route for route in ROUTES}


def _index() -> Route:
    lines = [f"{r.method} {r.path} ({r.protocol}) breaks {r.rule}" for r in ROUTES]
    body = ("statusguard demo: each route breaks one rule\n\n" + "\n".join(lines) + "\n").encode()
    headers = (_TEXT, ("Content-Length", str(len(body))))
    return Route("", "wsgi", "/", "200 OK", headers, body)


def _not_found(path: str) -> Route:
    body = f"no demo route {path}\n".encode()
    return Route("", "wsgi", path, "404 Not Found", (_TEXT,), body)


def _route(path: str) -> Route:
    if path == "/":
        return _index()
    return _BY_PATH.get(path) or _not_found(path)


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """The WSGI side of the demo: sends exactly what the route says."""
    route = _route(environ.get("PATH_INFO") or "/")
    start_response(route.status, route.response_headers())
    return [route.body] if route.body else []


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


async def asgi_app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """The ASGI side of the demo (HTTP only): sends exactly what the route says."""
    if scope["type"] != "http":
        return
    route = _route(scope["path"])
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in route.response_headers()
    ]
    await send({"type": "http.response.start", "status": route.code, "headers": headers})
    await send({"type": "http.response.body", "body": route.body, "more_body": False})
