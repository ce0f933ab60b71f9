"""Raw ASGI app (no framework): one path per route of :data:`apps.routes.ROUTES`.

HTTP only (plus a lifespan handler that acknowledges startup and shutdown).  The app sends
exactly what the route says, whatever the request method.  Streamed routes send one
``http.response.body`` per chunk with ``more_body=True`` and a final empty one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from apps.routes import lookup

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _drain(receive: Receive) -> None:
    """Read the (empty) request body so that servers see the request as consumed."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        raise RuntimeError(f"unsupported scope type {scope['type']!r}")
    await _drain(receive)
    route = lookup(scope["path"])
    # ASGI header names are lower-case by convention (every framework sends them so).
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in route.headers
    ]
    await send({"type": "http.response.start", "status": route.status, "headers": headers})
    if route.streamed:
        for chunk in route.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        await send({"type": "http.response.body", "body": route.body, "more_body": False})
