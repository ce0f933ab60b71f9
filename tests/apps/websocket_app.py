"""A Starlette app with a websocket echo and an HTTP page, under ``ASGIStatusGuard`` in strict
mode (``wire/test_request_wire.py`` runs it under uvicorn).  The 101 of a websocket upgrade is
the server's (the ASGI ``websocket`` scope); strict mode must leave the handshake alone."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from statusguard import ASGIStatusGuard


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"echo {text}")
    await websocket.close()


async def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("page")


async def plain(request: Request) -> PlainTextResponse:
    """The pipelined ``GET /plain`` of the wire client (``support.wire``)."""
    return PlainTextResponse("plain")


app = ASGIStatusGuard(
    Starlette(routes=[Route("/", page), Route("/plain", plain), WebSocketRoute("/ws", echo)]),
    mode="strict",
)
