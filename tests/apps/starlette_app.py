"""A real Starlette app whose responses break status-code rules the way Starlette lets them.

``app`` has ``Middleware(ASGIStatusGuard, mode=...)`` in its stack (the mode comes from
``STATUSGUARD_MODE``, ``fix`` when unset), :func:`build` makes one with other options, and
``bare`` is the same routes without the guard.  Starlette
sends what the response object holds: it does not strip content from 204/304 or HEAD
responses (Kludex/starlette#1764), and does not check the headers an app sets.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from statusguard.asgi import ASGIStatusGuard

DATE_1994 = "Sun, 06 Nov 1994 08:49:37 GMT"


async def plain(request: Request) -> Response:
    return PlainTextResponse("plain")


async def null_204(request: Request) -> Response:
    # JSONResponse renders None as b"null" and sends it, 204 or not.
    return JSONResponse(None, status_code=204)


async def not_modified(request: Request) -> Response:
    # A 304 built from the 200's headers, Content-Length included (allowed by RFC 9110 §8.6).
    return Response(status_code=304, headers={"etag": '"v1"', "content-length": "5"})


async def dated(request: Request) -> Response:
    # An app-set Date: uvicorn and hypercorn add theirs beside it.
    return PlainTextResponse("dated", headers={"date": DATE_1994})


def _chunks() -> Iterator[bytes]:
    yield b"first,"
    yield b"second"


async def streamed_204(request: Request) -> Response:
    return StreamingResponse(_chunks(), status_code=204)


async def item(request: Request) -> Response:
    # GET and HEAD: Starlette sends the body for HEAD too and leaves dropping it to the server.
    return PlainTextResponse(f"item {request.path_params['item_id']}")


async def secret(request: Request) -> Response:
    # A 401 without WWW-Authenticate, under a route template (for the log labels).
    return PlainTextResponse("who are you?", status_code=401)


routes = [
    Route("/plain", plain),
    Route("/items/{item_id:int}/secret", secret),
    Route("/null-204", null_204),
    Route("/not-modified", not_modified),
    Route("/dated", dated),
    Route("/streamed-204", streamed_204),
    Route("/items/{item_id:int}", item),
]


def build(**options: Any) -> Starlette:
    """The app with ``Middleware(ASGIStatusGuard, **options)`` in its stack.  In process (a
    TestClient) it plays the server it is served by on the wire, uvicorn: it adds its own Date
    and drops a HEAD's content itself."""
    options.setdefault("server", "uvicorn")
    return Starlette(routes=routes, middleware=[Middleware(ASGIStatusGuard, **options)])


app = build(mode=os.environ.get("STATUSGUARD_MODE", "fix"))
bare = Starlette(routes=routes)
