"""Regression tests for the ASGI bugs of issue 11 ("Bugs this redesign must fix", 1, 2, 3, 9).

Public API only: ``ASGIStatusGuard``, ``StatusGuardError.violations``, ``stats()`` and
``on_violation``; the server's side is a recording ``send`` (``support.drive``) or uvicorn.
Each test marked ``xfail(strict=True)`` fails on 0.1 for the reason its marker names.  Nothing
here is timed: where the head must go out before the content, the test looks at what the
server's ``send`` had received at the moment the app is waiting, and the one real-server test
makes the app's next step depend on the client having read the head (bounded by a socket
timeout, so a held head fails the test instead of hanging it).
"""

from __future__ import annotations

import asyncio
import copy
import pickle
import socket
from collections.abc import Callable
from typing import Any

import h11
import pytest
from asgiref.sync import iscoroutinefunction
from asgiref.wsgi import WsgiToAsgi
from flask import Flask, Response
from support import servers
from support.drive import Message, Receive, Send, call_asgi, http_scope

from statusguard import ASGIStatusGuard, StatusGuardError, Violation

# Warn mode warns on purpose; the tests read the violations through on_violation.
pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

Scope = Message
START = "http.response.start"
BODY = "http.response.body"


# -- bug 1: the send handed to the app is a coroutine function -----------------------------------

flask_app = Flask(__name__)


@flask_app.get("/plain")
def plain() -> Response:
    return Response(b"plain", mimetype="text/plain")


def test_flask_through_wsgi_to_asgi_raises_no_warning() -> None:
    # The suite runs with filterwarnings = error, as a project using -W error does.
    # Expected: a plain 200 from Flask, no warning.  On 0.1 asgiref's WsgiToAsgi wraps the
    # guard's send in async_to_sync, which warns "async_to_sync was passed a non-async-marked
    # callable" on every request: an exception here.
    guard = ASGIStatusGuard(WsgiToAsgi(flask_app), mode="fix")  # type: ignore[no-untyped-call]
    out = call_asgi(guard, "/plain")
    assert out.status == 200
    assert out.body == b"plain"


@pytest.mark.parametrize("mode", ["strict", "warn", "fix"])
def test_the_send_an_app_gets_is_a_coroutine_function(mode: str) -> None:
    seen: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(iscoroutinefunction(send))
        await send({"type": START, "status": 204, "headers": []})
        await send({"type": BODY, "body": b""})

    call_asgi(ASGIStatusGuard(app, mode=mode))
    assert seen == [True]


# -- bug 2: http.response.start without "headers" -------------------------------------------------


async def start_without_headers(scope: Scope, receive: Receive, send: Send) -> None:
    # The ASGI spec makes "headers" optional ("Defaults to []").
    await send({"type": START, "status": 204})
    await send({"type": BODY, "body": b"gone"})


def test_strict_raises_the_violation_of_a_start_without_headers() -> None:
    guard = ASGIStatusGuard(start_without_headers, mode="strict")
    with pytest.raises(StatusGuardError) as caught:
        call_asgi(guard)
    assert [v.rule_id for v in caught.value.violations] == ["content-forbidden"]


@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_a_start_without_headers_is_checked_not_failed_open(mode: str) -> None:
    seen: list[Violation] = []
    guard = ASGIStatusGuard(start_without_headers, mode=mode, on_violation=seen.append)
    out = call_asgi(guard)
    assert guard.stats().internal_errors == 0
    assert [v.rule_id for v in seen] == ["content-forbidden"]
    assert out.status == 204
    assert out.body == (b"" if mode == "fix" else b"gone")


# -- bug 3: a stream's head is not held back until its first non-empty chunk ----------------------


@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_a_stream_head_reaches_the_server_before_the_app_waits(mode: str) -> None:
    # A 200 without Content-Type or Content-Length (a StreamingResponse without media type):
    # no fix can change this head whatever the content turns out to be, so nothing justifies
    # holding it.  The app sends the start, then waits on an event before its first body; a
    # second task, the "client", looks at what the server's send has received once the app
    # is waiting, and only then sets the event.  Expected: the start is there.  On 0.1 the
    # guard holds it until the first non-empty chunk (content-type-missing depends on the
    # content), which is what makes a slow first chunk reach the client late and an app
    # waiting on backpressure deadlock.
    received: list[Message] = []
    waiting = asyncio.Event()
    go = asyncio.Event()
    seen_while_waiting: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": START, "status": 200, "headers": []})
        waiting.set()
        await go.wait()
        await send({"type": BODY, "body": b"late", "more_body": True})
        await send({"type": BODY, "body": b"", "more_body": False})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        received.append(message)

    async def client() -> None:
        await waiting.wait()
        seen_while_waiting.extend(m["type"] for m in received)
        go.set()

    async def run() -> None:
        guard = ASGIStatusGuard(app, mode=mode)
        await asyncio.gather(guard(http_scope(), receive, send), client())

    asyncio.run(run())
    assert seen_while_waiting == [START], "the start was held while the app waited"
    assert [m["type"] for m in received][:2] == [START, BODY]
    assert b"".join(m.get("body", b"") for m in received[1:]) == b"late"


EMPTY_STREAM_CASES = [
    # With a Content-Type, 0.1 already sends the head with the first (empty) chunk.
    pytest.param([(b"content-type", b"text/plain")], id="with Content-Type"),
    # Without one, content-type-missing made 0.1 hold the head until a non-empty chunk, that
    # is, to the end (issue 11 bug 3).
    pytest.param([], id="without Content-Type"),
]


@pytest.mark.parametrize("headers", EMPTY_STREAM_CASES)
@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_a_stream_of_empty_chunks_sends_its_head_with_the_first(
    mode: str, headers: list[tuple[bytes, bytes]]
) -> None:
    # A correct empty 200 sent as 1,000 empty more_body chunks.  Expected ("a stream's head
    # goes out with the first body message, whatever it holds"): once the app's first body
    # message has been sent, the server has the start.
    received: list[Message] = []
    after_first_body: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": START, "status": 200, "headers": headers})
        for i in range(1000):
            await send({"type": BODY, "body": b"", "more_body": True})
            if i == 0:
                after_first_body.extend(m["type"] for m in received)
        await send({"type": BODY, "body": b"", "more_body": False})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        received.append(message)

    asyncio.run(ASGIStatusGuard(app, mode=mode)(http_scope(), receive, send))
    assert after_first_body[:1] == [START], "the start was still held after the first body"
    assert received[-1]["type"] == BODY and not received[-1].get("more_body", False)
    assert b"".join(m.get("body", b"") for m in received[1:]) == b""


def test_uvicorn_stream_head_reaches_the_client_before_the_app_continues() -> None:
    # apps.regressions:held (fix mode) sends a 200 start without Content-Type, then waits for
    # the request body; the client sends that body only after it has parsed the response
    # head.  Expected: the head arrives, the client answers, the app sends b"after".  On 0.1
    # the guard holds the head until the first non-empty chunk, which the app only sends
    # after the client's answer: no head within the socket timeout.
    with servers.serve("uvicorn-h11", "apps.regressions:asgi_held") as server:
        client = h11.Connection(h11.CLIENT)
        request = h11.Request(
            method="POST",
            target="/held",
            headers=[("Host", f"{server.host}:{server.port}"), ("Content-Length", "2")],
        )
        with socket.create_connection(server.address, timeout=5.0) as sock:
            sock.sendall(client.send(request) or b"")
            head = _next_event(client, sock, h11.Response)
            assert isinstance(head, h11.Response) and head.status_code == 200
            sock.sendall(
                (client.send(h11.Data(data=b"go")) or b"")
                + (client.send(h11.EndOfMessage()) or b"")
            )
            body = b""
            while True:
                event = _next_event(client, sock, (h11.Data, h11.EndOfMessage))
                if isinstance(event, h11.EndOfMessage):
                    break
                assert isinstance(event, h11.Data)
                body += bytes(event.data)
        assert body == b"after"


def _next_event(
    client: h11.Connection, sock: socket.socket, wanted: type[Any] | tuple[type[Any], ...]
) -> Any:
    """The next h11 event of one of the ``wanted`` types, reading from ``sock`` as needed; the
    socket's timeout turns a response that never comes into a test failure."""
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                pytest.fail(f"nothing from the server within {sock.gettimeout()} s")
            client.receive_data(data)
            continue
        if isinstance(event, wanted):
            return event
        if isinstance(event, h11.ConnectionClosed):
            pytest.fail("the server closed the connection")


# -- bug 9: copy.deepcopy and pickle give working guards with their own counters ----------------


async def no_content(scope: Scope, receive: Receive, send: Send) -> None:
    """A 204 with content (module level, so pickle can name it)."""
    await send({"type": START, "status": 204, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": BODY, "body": b"gone"})


def _deepcopy(guard: ASGIStatusGuard) -> ASGIStatusGuard:
    return copy.deepcopy(guard)


def _pickled(guard: ASGIStatusGuard) -> ASGIStatusGuard:
    copied: ASGIStatusGuard = pickle.loads(pickle.dumps(guard))
    return copied


@pytest.mark.parametrize("duplicate", [_deepcopy, _pickled], ids=["deepcopy", "pickle"])
def test_a_copied_asgi_guard_works_with_its_own_counters(
    duplicate: Callable[[ASGIStatusGuard], ASGIStatusGuard],
) -> None:
    guard = ASGIStatusGuard(no_content, mode="fix")
    twin = duplicate(guard)
    out = call_asgi(twin)
    assert out.status == 204 and out.body == b""  # the copy repairs
    assert twin.stats().violations == {("content-forbidden", 204, "fixed"): 1}
    assert guard.stats().total == 0  # its own counters, not the original's
    call_asgi(guard)
    call_asgi(guard)
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): 2}
    assert twin.stats().violations == {("content-forbidden", 204, "fixed"): 1}
