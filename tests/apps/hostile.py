"""Hostile responses, for the wire tests: ``/<name>`` answers :data:`HOSTILE` ``[name]``.

``wsgi_fix`` and ``asgi_fix`` are the raw apps behind the guard in fix mode; every response
here is one statusguard must survive and, where it can, repair (docs/hostile-input.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statusguard import ASGIStatusGuard, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TEXT = ("Content-Type", "text/plain")
BIG = 2_000_000


@dataclass(frozen=True)
class Hostile:
    status: int
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    streamed: bool = False


HOSTILE: dict[str, Hostile] = {
    "/control-values": Hostile(
        200,
        [
            TEXT,
            ("X-Nul", "a\x00b"),
            ("X-Bel", "a\x07b"),
            ("X-Esc", "a\x1b[31m"),
            ("X-Del", "a\x7f"),
        ],
        [b"hello"],
    ),
    "/crlf-value": Hostile(200, [TEXT, ("X-Evil", "a\r\nX-Injected: 1")], [b"hello"]),
    "/bare-cr": Hostile(200, [TEXT, ("X-Evil", "a\rX-Injected: 1")], [b"hello"]),
    "/bare-lf": Hostile(200, [TEXT, ("X-Evil", "a\nX-Injected: 1")], [b"hello"]),
    "/crlf-name": Hostile(200, [TEXT, ("X-Evil\r\nX-Injected", "1")], [b"hello"]),
    "/many-headers": Hostile(200, [TEXT, *((f"X-H{i}", str(i)) for i in range(3000))], [b"hi"]),
    "/many-duplicates": Hostile(200, [TEXT] * 3000, [b"hi"]),
    "/big-value": Hostile(200, [TEXT, ("X-Big", "v" * BIG)], [b"hi"]),
    "/big-value-nul": Hostile(200, [TEXT, ("X-Big", "v" * BIG + "\x00")], [b"hi"]),
    "/empty-chunks": Hostile(
        200, [TEXT, ("Content-Length", "2")], [b""] * 100_000 + [b"hi"], streamed=True
    ),
    "/empty-chunks-204": Hostile(204, [], [b""] * 100_000 + [b"hi"], streamed=True),
    "/huge-length": Hostile(200, [TEXT, ("Content-Length", "9" * 5000)], [b"hi"]),
}
PHRASES = {200: "OK", 204: "No Content"}


def _stream(chunks: list[bytes]) -> Iterator[bytes]:
    yield from chunks


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    hostile = HOSTILE.get(environ.get("PATH_INFO", ""))
    if hostile is None:
        start_response("200 OK", [TEXT, ("Content-Length", "5")])
        return [b"plain"]
    start_response(f"{hostile.status} {PHRASES[hostile.status]}", list(hostile.headers))
    return _stream(hostile.chunks) if hostile.streamed else list(hostile.chunks)


async def asgi_app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    hostile = HOSTILE.get(scope["path"])
    if hostile is None:
        hostile = Hostile(200, [TEXT, ("Content-Length", "5")], [b"plain"])
    headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in hostile.headers]
    await send({"type": "http.response.start", "status": hostile.status, "headers": headers})
    if hostile.streamed:
        for chunk in hostile.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        await send({"type": "http.response.body", "body": b"".join(hostile.chunks)})


wsgi_fix = WSGIStatusGuard(wsgi_app, mode="fix")
asgi_fix = ASGIStatusGuard(asgi_app, mode="fix")
