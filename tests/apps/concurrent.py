"""Apps for the concurrency tests: many kinds of broken responses, each marked with its request.

``/<kind>/<n>`` answers the response of :data:`KINDS` ``[kind]`` for request ``n``: the request
number is in a header and in the content, so a fix (or a violation) that went to the wrong
response would show.  The responses wait a little between their messages (``time.sleep`` in
WSGI, ``asyncio.sleep`` in ASGI) so that the server really interleaves them.

The guard runs in fix mode with an ``on_violation`` callback that records ``(path, rule,
status, fixed)``; the path comes from a context variable set when the request starts (each
gthread request runs in one thread, each ASGI request in one task).  ``/records`` answers
them as JSON.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statusguard import ASGIStatusGuard, Violation, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PAUSE = 0.002  # seconds between two messages of a streamed response


@dataclass(frozen=True)
class Response:
    """What the app sends for one request, and what must reach the client after the fix."""

    status: int
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    streamed: bool = False
    # after the fix
    expected_headers: list[tuple[str, str]] = field(default_factory=list)
    expected_body: bytes = b""
    rules: tuple[str, ...] = ()


def _len(body: bytes) -> tuple[str, str]:
    return ("Content-Length", str(len(body)))


TEXT = ("Content-Type", "text/plain")


def response(kind: str, n: int) -> Response:
    """The response of ``kind`` for request ``n`` (its id also sizes the content)."""
    tag = str(n)
    mark = ("X-Request", tag)
    body = f"{kind}-{tag}-".encode() + b"x" * (n % 17)
    if kind == "dup":  # a repeated singleton field: collapsed
        headers = [TEXT, mark, TEXT, _len(body)]
        return Response(
            200, headers, [body], False, [TEXT, mark, _len(body)], body, ("field-duplicate",)
        )
    if kind == "crlf":  # header injection: the line is dropped
        evil = ("X-Evil", f"{tag}\r\nX-Injected: {tag}")
        headers = [TEXT, mark, evil, _len(body)]
        return Response(
            200, headers, [body], False, [TEXT, mark, _len(body)], body, ("field-value-invalid",)
        )
    if kind == "bad-name":  # a field name that is not a token: the line is dropped
        headers = [TEXT, mark, (f"X Bad {tag}", tag), _len(body)]
        fixed = [TEXT, mark, _len(body)]
        return Response(200, headers, [body], False, fixed, body, ("field-name-invalid",))
    if kind == "204":  # content on a 204: discarded
        return Response(204, [mark], [body], False, [mark], b"", ("content-forbidden",))
    if kind == "stream-204":  # streamed content on a 204: discarded, chunk by chunk
        chunks = [body[:3], body[3:]]
        return Response(204, [mark], chunks, True, [mark], b"", ("content-forbidden",))
    if kind == "known-long":  # a list longer than its Content-Length: the length is corrected
        headers = [TEXT, mark, ("Content-Length", "3")]
        fixed = [TEXT, mark, _len(body)]
        return Response(200, headers, [body], False, fixed, body, ("content-length-mismatch",))
    if kind == "stream-long":  # a stream longer than its Content-Length: truncated
        head = f"{kind}-{tag}".encode()
        chunks = [head, b"-overflow-", b"y" * (n % 13 + 1)]
        headers = [TEXT, mark, _len(head)]
        return Response(200, headers, chunks, True, headers, head, ("content-length-mismatch",))
    if kind == "clean":
        headers = [TEXT, mark, _len(body)]
        return Response(200, headers, [body], True, headers, body, ())
    raise LookupError(kind)


KINDS = ("dup", "crlf", "bad-name", "204", "stream-204", "known-long", "stream-long", "clean")
PHRASES = {200: "OK", 204: "No Content", 404: "Not Found"}

CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("current_request", default="?")
RECORDS: list[tuple[str, str, int, bool]] = []


def record(violation: Violation) -> None:
    RECORDS.append((CURRENT.get(), violation.rule_id, violation.status, violation.fixed))


def parse(path: str) -> Response | None:
    kind, _, n = path.strip("/").partition("/")
    if kind in KINDS and n.isdigit():
        return response(kind, int(n))
    return None


def records_json() -> bytes:
    return json.dumps({"records": RECORDS}).encode()


# --------------------------------------------------------------------------------------------
# WSGI (gunicorn gthread)


def _paced(chunks: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        time.sleep(PAUSE)
        yield chunk


def wsgi_routes(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    found = parse(environ.get("PATH_INFO", ""))
    if found is None:
        start_response("404 Not Found", [TEXT, ("Content-Length", "9")])
        return [b"not found"]
    start_response(f"{found.status} {PHRASES[found.status]}", list(found.headers))
    return _paced(found.chunks) if found.streamed else list(found.chunks)


wsgi_guard = WSGIStatusGuard(wsgi_routes, mode="fix", on_violation=record)


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/records":
        body = records_json()
        start_response("200 OK", [("Content-Type", "application/json"), _len(body)])
        return [body]
    CURRENT.set(path)  # this thread serves this request until its iterable is closed
    return wsgi_guard(environ, start_response)


# --------------------------------------------------------------------------------------------
# ASGI (uvicorn)


async def asgi_routes(scope: Message, receive: Receive, send: Send) -> None:
    found = parse(scope["path"])
    if found is None:
        found = Response(404, [TEXT, ("Content-Length", "9")], [b"not found"])
    headers = [(n.lower().encode(), v.encode("latin-1")) for n, v in found.headers]
    await send({"type": "http.response.start", "status": found.status, "headers": headers})
    if found.streamed:
        for chunk in found.chunks:
            await asyncio.sleep(PAUSE)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        await asyncio.sleep(PAUSE)
        await send({"type": "http.response.body", "body": b"".join(found.chunks)})


asgi_guard = ASGIStatusGuard(asgi_routes, mode="fix", on_violation=record)


async def asgi_app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["path"] == "/records":
        body = records_json()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    CURRENT.set(scope["path"])  # this task serves this request
    await asgi_guard(scope, receive, send)
