"""Fail open: a bug inside statusguard never costs the application its response.

In warn and fix mode an exception inside statusguard (a rule's check or fix, an
``on_violation`` callback, a header it cannot read) lets the application's own response
through, is logged once per distinct failure with its traceback, and is counted in
``stats().internal_errors``.  In strict mode the bug propagates as itself: it is never
reported as a violation of the application.

The failures are planted through the public configuration (:mod:`apps.failopen`).  The wire
tests run the same apps under gunicorn (sync), wsgiref and uvicorn (h11 and httptools) and
compare the bytes with the unguarded app's; the in-process tests reach the paths a server
does not choose (``write()``, a late ``start_response``, a stream cut short, headers that are
not bytes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from apps import failopen
from apps.failopen import (
    CALLBACK_FAILURE,
    CHECK_FAILURE,
    EXTRA_RULES,
    FIX_FAILURE,
    PlantedError,
    failing_callback,
)
from support.drive import call_asgi, call_wsgi
from support.servers import Server, serve
from support.wire import exchange

from statusguard import ASGIStatusGuard, StatusGuardError, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from support.drive import Message, Receive, Send

pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

# (fault, shape) pairs: the planted rules on a head fix mode would change, a 204 whose content
# it would discard and a stream; the callback where content-length-mismatch shows, mid-stream
# (the only shape on which the callback fires).
CASES = [
    *(
        (fault, shape)
        for fault in ("check", "fix")
        for shape in ("dup-type", "204-body", "stream")
    ),
    ("callback", "stream-long"),
]


def fails(guard: str, fault: str) -> bool:
    """Whether the fault makes statusguard fail in this mode (warn never calls a fix)."""
    return not (guard == "warn" and fault == "fix")


def quiet_options(mode: str) -> dict[str, Any]:
    logger = logging.getLogger(f"statusguard.test_failopen.{mode}")
    logger.propagate = False
    logger.handlers = [logging.NullHandler()]
    return {
        "mode": mode,
        "extra_rules": EXTRA_RULES,
        "on_violation": failing_callback,
        "logger": logger,
    }


# --------------------------------------------------------------------------------------------
# in process: every shape, fault and mode, both adapters


@pytest.mark.parametrize("guard", ["warn", "fix"])
@pytest.mark.parametrize(("fault", "shape"), CASES)
def test_wsgi_fails_open(guard: str, fault: str, shape: str) -> None:
    path = f"/{guard}/{fault}/{shape}"
    protected = WSGIStatusGuard(failopen.wsgi_shape_app, **quiet_options(guard))
    bare = call_wsgi(failopen.wsgi_shape_app, path)
    for _ in range(3):
        assert call_wsgi(protected, path) == bare
    assert protected.stats().internal_errors == (3 if fails(guard, fault) else 0)


@pytest.mark.parametrize("guard", ["warn", "fix"])
@pytest.mark.parametrize(("fault", "shape"), CASES)
def test_asgi_fails_open(guard: str, fault: str, shape: str) -> None:
    path = f"/{guard}/{fault}/{shape}"
    protected = ASGIStatusGuard(failopen.asgi_shape_app, **quiet_options(guard))
    bare = call_asgi(failopen.asgi_shape_app, path)
    for _ in range(3):
        out = call_asgi(protected, path)
        assert (out.status, out.headers, out.chunks) == (bare.status, bare.headers, bare.chunks)
        assert out.messages == bare.messages
    assert protected.stats().internal_errors == (3 if fails(guard, fault) else 0)


def test_a_failure_is_logged_once_with_its_traceback_and_counted_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wsgi = WSGIStatusGuard(failopen.wsgi_shape_app, mode="fix", extra_rules=EXTRA_RULES)
    asgi = ASGIStatusGuard(failopen.asgi_shape_app, mode="fix", extra_rules=EXTRA_RULES)
    with caplog.at_level(logging.ERROR, logger="statusguard"):
        for _ in range(500):
            call_wsgi(wsgi, "/fix/check/dup-type")
            call_wsgi(wsgi, "/fix/fix/stream")
        for _ in range(50):
            call_asgi(asgi, "/fix/check/204-body")
    assert wsgi.stats().internal_errors == 1000
    assert asgi.stats().internal_errors == 50
    logged = [r.getMessage() for r in caplog.records if "failed internally" in r.getMessage()]
    assert len(logged) == 3  # one per guard and distinct failure
    assert all("Traceback (most recent call last)" in text for text in logged)
    assert sum(CHECK_FAILURE in text for text in logged) == 2
    assert sum(FIX_FAILURE in text for text in logged) == 1


# --------------------------------------------------------------------------------------------
# in process: the paths a server does not choose


def _wsgi_guard(app: WSGIApplication, mode: str = "fix") -> WSGIStatusGuard:
    return WSGIStatusGuard(app, **quiet_options(mode))


def test_wsgi_write_path_fails_open() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("204 No Content", [("X-Fault", "check"), ("Content-Length", "5")])
        write(b"hello")
        return []

    guard = _wsgi_guard(app)
    assert call_wsgi(guard, "/") == call_wsgi(app, "/")
    assert guard.stats().internal_errors == 1


def test_wsgi_late_start_response_fails_open() -> None:
    def body(start_response: StartResponse) -> Iterator[bytes]:
        start_response("204 No Content", [("X-Fault", "fix")])
        yield b"late"

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return body(start_response)

    guard = _wsgi_guard(app)
    assert call_wsgi(guard, "/") == call_wsgi(app, "/")
    assert guard.stats().internal_errors == 1


def test_wsgi_error_head_after_a_failure_reaches_the_server() -> None:
    # The app replaces its head with an error head (start_response with exc_info) after the
    # first one made the guard fail: the server gets the error head, as without the guard.
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("X-Fault", "check"), ("Content-Type", "text/plain")])
        try:
            raise ValueError("the app changed its mind")
        except ValueError:
            start_response("500 Internal Server Error", [("X-Fault", "check")], sys.exc_info())
        return [b"error"]

    guard = _wsgi_guard(app)
    assert call_wsgi(guard, "/") == call_wsgi(app, "/")
    assert guard.stats().internal_errors == 1


def test_wsgi_failure_at_the_end_of_a_short_stream() -> None:
    # The stream is shorter than its Content-Length: the engine notices at the end (finish),
    # where the raising callback fires.
    def chunks() -> Iterator[bytes]:
        yield b"hel"
        yield b"lo"

    class Closing:
        closed = 0

        def __iter__(self) -> Iterator[bytes]:
            return chunks()

        def close(self) -> None:
            Closing.closed += 1

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return Closing()

    guard = _wsgi_guard(app)
    out = call_wsgi(guard, "/")
    assert (out.status, out.headers, out.body) == (
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", "10")],
        b"hello",
    )
    assert guard.stats().internal_errors == 1
    assert Closing.closed == 1  # the app's iterable is closed exactly once


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([("X-Number", 5)], id="int value"),
        pytest.param([(None, "x")], id="None name"),
        pytest.param([("X-Surrogate", "\udcff")], id="lone surrogate"),
        pytest.param([("X-Triple", "a", "b")], id="three-item line"),
    ],
)
def test_wsgi_headers_it_cannot_read_pass_through(headers: list[Any]) -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", headers)
        return [b"hello"]

    guard = _wsgi_guard(app)
    out = call_wsgi(guard, "/")
    assert out.headers == headers  # as the app gave them: the server decides
    assert out.body == b"hello"
    assert guard.stats().internal_errors == 1


def _asgi_app(*messages: Message) -> Any:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        for message in messages:
            await send(message)

    return app


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(
            {"type": "http.response.start", "status": 200, "headers": [(b"a",)]},
            id="one-item line",
        ),
        pytest.param(
            {"type": "http.response.start", "status": 200, "headers": 7}, id="headers not iterable"
        ),
    ],
)
def test_asgi_starts_it_cannot_read_pass_through(start: Message) -> None:
    body = {"type": "http.response.body", "body": b"hello"}
    guard = ASGIStatusGuard(_asgi_app(start, body), **quiet_options("fix"))
    out = call_asgi(guard, "/")
    assert out.messages == [start, body]
    assert out.messages[0] is start
    assert guard.stats().internal_errors == 1


@pytest.mark.parametrize(
    ("start", "reported"),
    [
        # str lines are read as their latin-1 bytes (the server decides whether it takes them).
        pytest.param(
            {"type": "http.response.start", "status": 200, "headers": [("a", "b")]},
            {("content-type-missing", 200, "reported"): 1},
            id="str headers",
        ),
        # A start without a status has none: status-code-invalid, and the server decides.
        pytest.param(
            {"type": "http.response.start", "headers": []},
            {
                ("status-code-invalid", 0, "reported"): 1,
                ("content-type-missing", 0, "reported"): 1,
            },
            id="no status",
        ),
    ],
)
def test_asgi_starts_read_as_well_as_they_can_be_pass_through(
    start: Message, reported: dict[tuple[str, int, str], int]
) -> None:
    body = {"type": "http.response.body", "body": b"hello"}
    guard = ASGIStatusGuard(_asgi_app(start, body), **quiet_options("fix"))
    out = call_asgi(guard, "/")
    assert out.messages == [start, body]
    assert out.messages[0] is start
    assert guard.stats().internal_errors == 0
    assert guard.stats().violations == reported


def test_wsgi_a_line_it_cannot_read_does_not_let_an_injected_line_through() -> None:
    # Failing open sends the application's head as it is -- but never a line that would split
    # the response (issue 11, bug 5).
    headers: list[Any] = [("X-Number", 5), ("X-Evil", "a\r\nSet-Cookie: x=1"), ("X-Ok", "1")]

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK\r\nX-Status: injected", headers)
        return [b"hello"]

    guard = _wsgi_guard(app)
    out = call_wsgi(guard, "/")
    assert out.status == "200 OKX-Status: injected"
    assert out.headers == [("X-Number", 5), ("X-Ok", "1")]
    assert guard.stats().internal_errors == 1


def test_asgi_failure_at_the_end_of_a_short_stream() -> None:
    messages = [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"10")],
        },
        {"type": "http.response.body", "body": b"hel", "more_body": True},
        {"type": "http.response.body", "body": b"lo", "more_body": False},
    ]
    guard = ASGIStatusGuard(_asgi_app(*messages), **quiet_options("fix"))
    assert call_asgi(guard, "/").messages == messages
    assert guard.stats().internal_errors == 1


# --------------------------------------------------------------------------------------------
# strict mode: the bug is the bug


@pytest.mark.parametrize(
    ("fault", "shape", "failure"),
    [
        ("check", "dup-type", CHECK_FAILURE),
        ("check", "204-body", CHECK_FAILURE),
        ("callback", "stream-long", CALLBACK_FAILURE),
    ],
)
def test_strict_mode_propagates_an_internal_bug_as_itself(
    fault: str, shape: str, failure: str
) -> None:
    path = f"/strict/{fault}/{shape}"
    wsgi = WSGIStatusGuard(failopen.wsgi_shape_app, **quiet_options("strict"))
    asgi = ASGIStatusGuard(failopen.asgi_shape_app, **quiet_options("strict"))
    with pytest.raises(PlantedError, match=failure) as raised:
        call_wsgi(wsgi, path)
    assert not isinstance(raised.value, StatusGuardError)
    with pytest.raises(PlantedError, match=failure):
        call_asgi(asgi, path)
    for guard in (wsgi, asgi):
        stats = guard.stats()
        assert stats.internal_errors == 0  # not swallowed, so not counted
        assert not any(rule.startswith("planted-") for rule, _, _ in stats.violations)


def test_strict_mode_still_raises_the_violations_of_the_app() -> None:
    wsgi = WSGIStatusGuard(failopen.wsgi_shape_app, **quiet_options("strict"))
    with pytest.raises(StatusGuardError) as raised:
        call_wsgi(wsgi, "/strict/fix/dup-type")  # the planted rule flags, strict raises
    assert set(raised.value.rule_ids) == {"field-duplicate", "planted-fix-failure"}


# --------------------------------------------------------------------------------------------
# on real servers

APPS = {
    "gunicorn-sync": "apps.failopen:wsgi_app",
    "wsgiref": "apps.failopen:wsgi_app",
    "uvicorn-h11": "apps.failopen:asgi_app",
    "uvicorn-httptools": "apps.failopen:asgi_app",
}
_DATE = re.compile(rb"(?im)^(date:[ \t]*)[^\r\n]*")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(name, app)) for name, app in APPS.items()}


def masked(raw: bytes) -> bytes:
    return _DATE.sub(rb"\1-", raw)


def stats(srv: Server) -> dict[str, Any]:
    ex = exchange(srv, "GET", "/stats", pipeline=None)
    assert ex.first is not None and ex.first.status == 200, ex.describe()
    data: dict[str, Any] = json.loads(ex.first.body)
    return data


def wire(srv: Server, path: str) -> bytes:
    """Every byte the server sends for ``GET path`` with ``Connection: close``, up to the close.

    Read to the end, not to the end of the response as a client parses it: some of these
    responses (a 204 with content, a stream longer than its Content-Length) put more on the
    wire than their framing says, without the guard and so with it."""
    request = f"GET {path} HTTP/1.1\r\nHost: {srv.host}\r\nConnection: close\r\n\r\n"
    received = b""
    with socket.create_connection(srv.address, timeout=3.0) as sock:
        sock.sendall(request.encode("ascii"))
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while data := sock.recv(65536):
                received += data
    return masked(received)


@pytest.mark.parametrize("server", list(APPS))
@pytest.mark.parametrize("guard", ["warn", "fix"])
@pytest.mark.parametrize(("fault", "shape"), CASES)
def test_on_a_real_server_the_original_bytes_reach_the_client(
    servers: dict[str, Server], server: str, guard: str, fault: str, shape: str
) -> None:
    srv = servers[server]
    before = stats(srv)[guard]["internal_errors"]
    unguarded = wire(srv, f"/raw/{fault}/{shape}")
    assert unguarded  # the bare app's response reached the wire
    assert wire(srv, f"/{guard}/{fault}/{shape}") == unguarded
    after = stats(srv)[guard]["internal_errors"]
    assert after - before == (1 if fails(guard, fault) else 0)


@pytest.mark.parametrize("server", list(APPS))
def test_on_a_real_server_each_failure_is_logged_once_with_its_traceback(
    servers: dict[str, Server], server: str
) -> None:
    srv = servers[server]
    before = stats(srv)["fix"]["internal_errors"]
    for _ in range(10):
        for fault, shape in CASES:
            wire(srv, f"/fix/{fault}/{shape}")
    assert stats(srv)["fix"]["internal_errors"] - before == 10 * len(CASES)
    for failure in (CHECK_FAILURE, FIX_FAILURE, CALLBACK_FAILURE):
        assert srv.wait_for_log(f"PlantedError: {failure}")
    logs = srv.logs()
    records = re.findall(
        r"statusguard\.failopen\.fix ERROR statusguard failed internally on .*?\n"
        r"(Traceback \(most recent call last\):.*?PlantedError: [^\n]*)",
        logs,
        re.DOTALL,
    )
    failures = sorted(record.rsplit("PlantedError: ", 1)[1] for record in records)
    assert failures == sorted([CALLBACK_FAILURE, CHECK_FAILURE, FIX_FAILURE]), logs[-3000:]


@pytest.mark.parametrize("server", list(APPS))
def test_on_a_real_server_strict_mode_answers_500_with_the_bug_in_the_log(
    servers: dict[str, Server], server: str
) -> None:
    srv = servers[server]
    mark = srv.log_mark()
    ex = exchange(srv, "GET", "/strict/check/dup-type", pipeline=None)
    assert ex.first is not None and ex.first.status == 500, ex.describe()
    assert srv.wait_for_log(f"PlantedError: {CHECK_FAILURE}", since=mark)
    assert "StatusGuardError" not in srv.logs(since=mark)
    strict = stats(srv)["strict"]
    assert strict["internal_errors"] == 0
    assert not any(v["rule"].startswith("planted-") for v in strict["violations"])
