"""A plain Starlette app (no FastAPI) of the kind users have, for ``statusguard check``:
function routes, one restricted by ``methods=[...]``, an ``{item_id:int}`` parameter, an
``HTTPEndpoint`` class, mounts with nested routes (one whose own path has a parameter), a
``StaticFiles`` mount and a WebSocket route.  ``RECEIVED`` records the method of every request
that reaches an endpoint."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

STATIC = Path(__file__).resolve().parent / "audit_static"
RECEIVED: list[str] = []


async def home(request: Request) -> Response:
    RECEIVED.append(request.method)
    return PlainTextResponse("home")


async def item(request: Request) -> Response:
    RECEIVED.append(request.method)
    if request.method == "DELETE":
        return Response(status_code=204)
    item_id = request.path_params["item_id"]
    if item_id != 1:
        return JSONResponse({"detail": "no such item"}, status_code=404)
    return JSONResponse({"id": item_id})


async def submit(request: Request) -> Response:
    RECEIVED.append(request.method)
    return JSONResponse({"id": 2}, status_code=201, headers={"Location": "/items/2"})


async def status(request: Request) -> Response:
    RECEIVED.append(request.method)
    return JSONResponse({"ok": True})


async def user(request: Request) -> Response:
    RECEIVED.append(request.method)
    return JSONResponse({"name": request.path_params["name"]})


async def profile(request: Request) -> Response:
    RECEIVED.append(request.method)
    return JSONResponse({"user": request.path_params["user_id"]})


class Things(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        RECEIVED.append(request.method)
        return JSONResponse(["a thing"])

    async def put(self, request: Request) -> Response:
        RECEIVED.append(request.method)
        return Response(status_code=204)


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.close()


app = Starlette(
    routes=[
        Route("/", home),
        Route("/items/{item_id:int}", item, methods=["GET", "DELETE"]),
        Route("/submit", submit, methods=["POST"]),
        Route("/things", Things),
        Mount(
            "/api",
            routes=[
                Route("/status", status),
                Mount("/v1", routes=[Route("/users/{name}", user)]),
            ],
        ),
        Mount("/users/{user_id:int}", routes=[Route("/profile", profile)]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        WebSocketRoute("/ws", echo),
    ]
)
