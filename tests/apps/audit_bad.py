"""Apps that go wrong, for the bad-input tests of ``statusguard check``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from flask import Flask

RELEASE = threading.Event()  # the test sets it when it is done, so that /slow returns

app = Flask(__name__)


@app.get("/slow")
def slow() -> str:
    RELEASE.wait(60)
    return "late"


@app.get("/ok")
def ok() -> str:
    return "ok"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("the database is down")


def create_app() -> Flask:
    raise RuntimeError("DATABASE_URL is not set")


def make_nothing() -> None:
    return None


async def asgi_app(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """A raw ASGI app: /slow never answers, /boom raises, the rest is a plain 200."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(60)
    if scope["path"] == "/boom":
        raise RuntimeError("the cache is down")
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


STATUSGUARD_PATHS = ["/slow", "/ok", "/boom"]
