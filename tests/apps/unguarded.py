"""The raw route apps, the detection probe and the HTTP/2-only route, in one app per interface.

The unguarded wire tests (:mod:`wire.test_wire_baseline`, :mod:`wire.test_wire_h2`,
:mod:`wire.test_server_detection`) share one process per server (``tests/wire/conftest.py``),
so each server is started once for all three.  Paths:

* ``/probe``, ``/framework/...``, ``/connection-close``: :mod:`apps.probe`;
* ``/connection-fields``: :data:`CONNECTION_FIELDS`, a 200 with the fields RFC 9113 §8.2.2
  forbids in an HTTP/2 message ("An endpoint MUST NOT generate an HTTP/2 message containing
  connection-specific header fields"): an app written for HTTP/1.1 sends them;
* anything else: :mod:`apps.wsgi_routes` / :mod:`apps.asgi_routes`, unchanged (the dispatch
  passes ``environ`` / ``start_response`` and ``scope`` / ``receive`` / ``send`` as they come).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from apps import asgi_routes, probe, wsgi_routes
from apps.routes import HELLO, TEXT, Route

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

CONNECTION_FIELDS = Route(
    "/connection-fields",
    "200 with Connection, Keep-Alive, Proxy-Connection and Upgrade lines",
    headers=[
        TEXT,
        ("Content-Length", "5"),
        ("Connection", "keep-alive"),
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Connection", "keep-alive"),
        ("Upgrade", "h2c"),
    ],
    chunks=HELLO,
)
PROBE_PATHS = ("/probe", probe.FRAMEWORK_PATH, probe.CLOSE_PATH)


def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path.startswith(PROBE_PATHS):
        return probe.wsgi(environ, start_response)
    if path == CONNECTION_FIELDS.path:
        start_response(CONNECTION_FIELDS.status_line, list(CONNECTION_FIELDS.headers))
        return list(CONNECTION_FIELDS.chunks)
    return wsgi_routes.app(environ, start_response)


async def asgi(
    scope: asgi_routes.Scope, receive: asgi_routes.Receive, send: asgi_routes.Send
) -> None:
    path = scope.get("path", "") if scope["type"] == "http" else ""
    if path.startswith(PROBE_PATHS):
        await probe.asgi(scope, receive, send)
    elif path == CONNECTION_FIELDS.path:
        while (await receive()).get("more_body", False):
            pass
        headers = [(k.lower().encode(), v.encode()) for k, v in CONNECTION_FIELDS.headers]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": CONNECTION_FIELDS.body})
    else:
        await asgi_routes.app(scope, receive, send)
