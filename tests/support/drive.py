"""Drive a WSGI or ASGI app in process and record what the server would have been handed.

:func:`call_wsgi` plays a PEP 3333 server in a few lines (``start_response`` may be called
again with ``exc_info`` until the head is out, the iterable is always closed), and
:func:`call_asgi` runs one HTTP request through an ASGI app on a fresh event loop.  Both
return an :class:`Output` with the status, the header lines and the content chunks exactly as
the server received them, so tests can compare a guarded app with the bare one.  The servers of
the wire tests are in :mod:`support.servers`; these drivers are for tests that need many
thousands of responses, or to count what happens inside one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


@dataclass
class Output:
    """What a server was handed for one response."""

    status: object = None  # a WSGI status line, or the ASGI start message's "status"
    headers: list[tuple[Any, Any]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # ASGI: every message, in order
    closed: int = 0  # WSGI: how many times the server closed the iterable

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def values(self, name: str) -> list[Any]:
        """The values of every header line called ``name`` (any case, str or bytes names)."""
        wanted = name.lower()
        return [v for n, v in self.headers if _text(n).lower() == wanted]


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def wsgi_environ(
    path: str = "/", method: str = "GET", *, server: str = "gunicorn/27.0.1"
) -> WSGIEnvironment:
    """A minimal PEP 3333 environ for ``method path`` over HTTP/1.1."""
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": server,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def call_wsgi(
    app: WSGIApplication,
    path: str = "/",
    method: str = "GET",
    *,
    environ: WSGIEnvironment | None = None,
) -> Output:
    """Run one request through ``app``; content chunks are recorded as they would be sent."""
    out = Output()
    head_sent = False

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None and head_sent and exc_info[1] is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        out.status, out.headers = status, list(headers)
        return write

    def write(data: bytes) -> None:
        nonlocal head_sent
        head_sent = True
        out.chunks.append(data)

    result: Iterable[bytes] = app(environ or wsgi_environ(path, method), start_response)
    try:
        for chunk in result:
            if chunk:
                head_sent = True
                out.chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            out.closed += 1
            close()
    return out


def http_scope(path: str = "/", method: str = "GET") -> MutableMapping[str, Any]:
    """A minimal ASGI ``http`` scope for ``method path`` over HTTP/1.1."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }


async def call_asgi_async(
    app: ASGIApp, path: str = "/", method: str = "GET", *, scope: Message | None = None
) -> Output:
    """Run one request through ``app`` on the running loop."""
    out = Output()
    request_sent = False

    async def receive() -> Message:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is produced
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        out.messages.append(message)
        kind = message.get("type")
        if kind == "http.response.start":
            out.status = message.get("status")
            headers = message.get("headers", ())
            # Hostile starts are recorded as they are; the server would refuse them.
            out.headers = list(headers) if isinstance(headers, (list, tuple)) else [headers]
        elif kind == "http.response.body":
            body = message.get("body", b"")
            if body:
                out.chunks.append(body)

    await app(scope or http_scope(path, method), receive, send)
    return out


def call_asgi(
    app: ASGIApp, path: str = "/", method: str = "GET", *, scope: Message | None = None
) -> Output:
    """Run one request through ``app`` on a fresh event loop."""
    return asyncio.run(call_asgi_async(app, path, method, scope=scope))
