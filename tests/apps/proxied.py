"""The raw routes behind nginx, unguarded and in fix mode, from one server process.

Served by :mod:`tools.test_docs_proxy` (``apps.proxied:wsgi`` under the WSGI servers,
``apps.proxied:asgi`` under the ASGI ones): ``/raw/<route>`` is the route app as it is,
``/fix/<route>`` the same app behind the guard in fix mode; ``<route>`` is a path of
:data:`ROUTES`.  Anything else answers the plain 200 of ``/plain``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from apps import asgi_routes
from apps.routes import HELLO, Route
from apps.routes import ROUTES as SHARED_ROUTES
from statusguard import ASGIStatusGuard, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# A 304 that declares the length of the content it should not have, and sends it: the shape
# uvicorn-httptools writes to the wire whole (it frames every response by Content-Length).
CL_304 = Route(
    "/304-cl-body",
    "304 with Content-Length: 5 and the body",
    304,
    [("Content-Length", "5")],
    HELLO,
)
# A correct response whose head the guard holds until the first chunk (a stream that declares
# its length): what a server that reads the head before iterating does with it (granian's WSGI).
STREAM_404 = Route(
    "/stream-404",
    "correct 404 streamed in 2 chunks, Content-Length: 9",
    404,
    [("Content-Type", "text/plain"), ("Content-Length", "9")],
    [b"not ", b"found"],
    streamed=True,
)
ROUTES: list[Route] = [*SHARED_ROUTES, CL_304, STREAM_404]
BY_PATH = {route.path: route for route in ROUTES}
PLAIN = BY_PATH["/plain"]


def _route(path: str) -> tuple[str, Route]:
    prefix, _, rest = path.lstrip("/").partition("/")
    if prefix not in ("raw", "fix"):
        return "raw", PLAIN
    return prefix, BY_PATH.get("/" + rest, PLAIN)


def _stream(route: Route) -> Iterator[bytes]:
    yield from route.chunks


def raw_wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    route = environ["statusguard.test.route"]
    start_response(route.status_line, list(route.headers))
    return _stream(route) if route.streamed else list(route.chunks)


_FIX_WSGI = WSGIStatusGuard(raw_wsgi, mode="fix")


def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    guard, route = _route(environ.get("PATH_INFO", ""))
    environ["statusguard.test.route"] = route
    environ["PATH_INFO"] = route.path
    app = _FIX_WSGI if guard == "fix" else raw_wsgi
    return app(environ, start_response)


async def raw_asgi(
    scope: asgi_routes.Scope, receive: asgi_routes.Receive, send: asgi_routes.Send
) -> None:
    while (await receive()).get("more_body", False):
        pass
    route = scope["extensions"]["statusguard.test.route"]
    headers = [(name.lower().encode(), value.encode()) for name, value in route.headers]
    await send({"type": "http.response.start", "status": route.status, "headers": headers})
    if route.streamed:
        for chunk in route.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        await send({"type": "http.response.body", "body": route.body, "more_body": False})


_FIX_ASGI = ASGIStatusGuard(raw_asgi, mode="fix")


async def asgi(
    scope: asgi_routes.Scope, receive: asgi_routes.Receive, send: asgi_routes.Send
) -> None:
    if scope["type"] != "http":  # lifespan
        await asgi_routes.app(scope, receive, send)
        return
    guard, route = _route(scope["path"])
    extensions = {**(scope.get("extensions") or {}), "statusguard.test.route": route}
    scope = {**scope, "path": route.path, "extensions": extensions}
    app = _FIX_ASGI if guard == "fix" else raw_asgi
    await app(scope, receive, send)
