"""Probe apps that answer with what the server revealed about itself to the application.

``wsgi`` answers every request with a JSON object describing its ``environ`` (every key, the
value of each plain one, the type of the others) and the ``start_response`` callable; ``asgi``
with its ``scope`` and the ``receive`` / ``send`` callables.  :mod:`wire.test_server_detection`
runs them under every server to find the signals statusguard can detect a server by.

Under ``/framework/`` the same probe stands where the guard stands in a framework app: as
Flask's ``app.wsgi_app``, as a Starlette ``app.add_middleware()`` middleware.

``/connection-close`` answers ``200 plain`` with the app's own ``Connection: close`` line, to see
whether a server lets an application announce the close it is going to do anyway.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

from statusguard.servers import asgi_profile, wsgi_profile

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CLOSE_PATH = "/connection-close"
# Set in the server's process environment by the tests: found in the WSGI environ of the
# servers that copy their environment into it.
PROBE_MARKER = "STATUSGUARD_PROBE_MARKER"
FRAMEWORK_PATH = "/framework"  # the probe inside Flask (WSGI) or Starlette (ASGI)
_PLAIN = (b"plain", [("Content-Type", "text/plain"), ("Content-Length", "5")])


def type_name(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def describe_value(value: object) -> object:
    """A plain value as itself, a container of plain values as a list, anything else by type."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, tuple | list) and all(
        item is None or isinstance(item, bool | int | float | str) for item in value
    ):
        return list(value)
    return {"type": type_name(value)}


def describe_callable(fn: object) -> dict[str, object]:
    """What a server's callable tells about where it comes from (a partial: its func too)."""
    owner = getattr(fn, "__self__", None)
    described: dict[str, object] = {
        "type": type_name(fn),
        "module": getattr(fn, "__module__", None),
        "qualname": getattr(fn, "__qualname__", None),
        "self_type": None if owner is None else type_name(owner),
    }
    if isinstance(fn, functools.partial):
        described["func"] = describe_callable(fn.func)
    return described


def describe_mapping(mapping: object) -> object:
    if not isinstance(mapping, dict):
        return describe_value(mapping)
    return {str(key): describe_value(value) for key, value in mapping.items()}


def uwsgi_options() -> list[str] | None:
    """Under uWSGI, the names of the options it was started with (``uwsgi.opt``): the only
    place that tells ``--http-socket`` (one response per connection) from ``--http11-socket``
    or a ``uwsgi`` socket behind a proxy; the environ is the same under all of them."""
    try:
        module = importlib.import_module("uwsgi")  # importable only inside uWSGI
    except ImportError:
        return None
    return sorted(str(name) for name in module.opt)


def wsgi_report(environ: WSGIEnvironment, start_response: StartResponse) -> bytes:
    report = {
        "environ": {key: describe_value(value) for key, value in environ.items()},
        "start_response": describe_callable(start_response),
        "file_wrapper": describe_callable(environ.get("wsgi.file_wrapper")),
        "uwsgi_options": uwsgi_options(),
        # What the guard's detection (the function the adapters call) makes of this request.
        "detected": wsgi_profile(environ).name,
    }
    return json.dumps(report, sort_keys=True).encode()


def _wsgi_probe(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    body = wsgi_report(environ, start_response)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _flask_app() -> WSGIApplication:
    import flask

    app = flask.Flask(__name__)
    # Where WSGIStatusGuard goes in a Flask app: app.wsgi_app = WSGIStatusGuard(app.wsgi_app).
    app.wsgi_app = _wsgi_probe  # type: ignore[method-assign]
    return app


def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == CLOSE_PATH:
        start_response("200 OK", [*_PLAIN[1], ("Connection", "close")])
        return [_PLAIN[0]]
    if path.startswith(FRAMEWORK_PATH):
        return _flask_app()(environ, start_response)
    return _wsgi_probe(environ, start_response)


def asgi_report(scope: Scope, receive: Receive, send: Send) -> bytes:
    report = {
        "scope": {
            key: describe_mapping(value) if key in ("asgi", "extensions", "state") else value
            for key, value in scope.items()
            if key not in ("headers", "app", "router")
        }
        | {"headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]]},
        "scope_types": {key: type_name(value) for key, value in scope.items()},
        "send": describe_callable(send),
        "receive": describe_callable(receive),
        # What the guard's detection makes of this request: with the server's receive, as
        # ASGIStatusGuard calls it, and from the scope alone, as the Django middleware does.
        "detected": asgi_profile(scope, receive).name,
        "detected_by_scope": asgi_profile(scope).name,
    }
    return json.dumps(report, sort_keys=True, default=describe_value).encode()


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _respond(send: Send, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _asgi_probe(scope: Scope, receive: Receive, send: Send) -> None:
    await _drain(receive)
    body = asgi_report(scope, receive, send)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await _respond(send, headers, body)


class _ProbeMiddleware:
    """Stands where ASGIStatusGuard stands in ``app.add_middleware(ASGIStatusGuard)``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _asgi_probe(scope, receive, send)


@functools.cache
def _starlette_app() -> ASGIApp:
    from starlette.applications import Starlette

    app = Starlette()
    app.add_middleware(_ProbeMiddleware)
    return app


async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        raise RuntimeError(f"unsupported scope type {scope['type']!r}")
    if scope["path"] == CLOSE_PATH:
        await _drain(receive)
        headers = [(k.lower().encode(), v.encode()) for k, v in _PLAIN[1]]
        await _respond(send, [*headers, (b"connection", b"close")], _PLAIN[0])
        return
    if scope["path"].startswith(FRAMEWORK_PATH):
        await _starlette_app()(scope, receive, send)
        return
    await _asgi_probe(scope, receive, send)
