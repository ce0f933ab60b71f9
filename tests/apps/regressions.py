"""Apps for the wire halves of the issue 11 regression tests (``adapters/test_*_regressions.py``).

``wsgi_injection`` (WSGI, fix mode, for the werkzeug dev server): a head whose one ``int``
header value stands beside a CR/LF-injected line (bug 5), and status lines with a TAB, VT or
NEL after the code or no separator at all, carrying ``\\r\\nSet-Cookie: x=1`` (bug 6).

``asgi_held`` (ASGI, fix mode, for uvicorn): a stream whose head goes out before its content,
and whose content waits for the client (bug 3): the app sends ``http.response.start``, then
waits for the request body, which the client sends only once it has read the response head.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from support.drive import Message, Receive, Send

from apps.lifespan import acknowledge_lifespan
from statusguard import ASGIStatusGuard, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

TEXT = ("Content-Type", "text/plain")
Scope = Message

# path -> the status line the app hands to start_response (bug 6)
INJECTED_STATUSES = {
    "/status-tab": "200\tOK\r\nSet-Cookie: x=1",
    "/status-vt": "200\x0bOK\r\nSet-Cookie: x=1",
    "/status-nel": "200\x85OK\r\nSet-Cookie: x=1",
    "/status-glued": "200OK\r\nSet-Cookie: x=1",
}


def injection(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/int-beside-crlf":
        headers: list[Any] = [
            TEXT,
            ("Content-Length", "2"),
            ("X-Count", 3),  # not a str: PEP 3333 says it must be, apps do it anyway
            ("X-Note", "ok\r\nX-Injected: 1"),
        ]
        start_response("200 OK", headers)
        return [b"ok"]
    status = INJECTED_STATUSES.get(path)
    if status is not None:
        start_response(status, [TEXT, ("Content-Length", "2")])
        return [b"ok"]
    start_response("200 OK", [TEXT, ("Content-Length", "5")])
    return [b"plain"]


wsgi_injection = WSGIStatusGuard(injection, mode="fix")


async def held(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] != "/held":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")],
            }
        )
        await send({"type": "http.response.body", "body": b"plain"})
        return
    # No Content-Type and no Content-Length: a stream of unknown length, whose head nothing
    # in the content can change.
    await send({"type": "http.response.start", "status": 200, "headers": []})
    received = 0
    while True:  # the client sends its request body once it has read this head
        message = await receive()
        if message["type"] != "http.request":
            return  # the client gave up
        received += len(message.get("body", b""))
        if received or not message.get("more_body", False):
            break
    await send({"type": "http.response.body", "body": b"after", "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


asgi_held = acknowledge_lifespan(ASGIStatusGuard(held, mode="fix"))
