"""The WSGI middleware in process: real WSGI apps driven by a small PEP 3333 server.

:class:`MiniServer` plays the server's part exactly as PEP 3333 describes it (headers go out
at the first non-empty chunk or the first ``write()``, ``exc_info`` re-raises once they have,
``close()`` always) and records what it was given, so every test reads what a real server would
have put on the wire.  The wire itself is in ``test_wsgi_wire.py``.
"""

from __future__ import annotations

import inspect
import io
import logging
import sys
import warnings
import wsgiref.util
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from apps.routes import DATE_1994, DATE_2001, ROUTES, TEXT, Route
from apps.wsgi_guarded import EXTRA_ROUTES, extra_app
from apps.wsgi_routes import app as routes_app
from werkzeug.middleware.lint import LintMiddleware, WSGIWarning

from statusguard import (
    RULES_BY_ID,
    ConfigurationError,
    Head,
    Reference,
    Rule,
    Severity,
    StatusGuardError,
    StatusGuardWarning,
    Violation,
)
from statusguard.engine import Exchange
from statusguard.rules._syntax import is_imf_fixdate
from statusguard.wsgi import WSGIStatusGuard, server_date_policy

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Warn mode (and fix mode, for what it cannot fix) warns on purpose; the tests that are about
# the warning itself turn it back on.
pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

Headers = list[tuple[str, str]]


# --------------------------------------------------------------------------------------------
# a PEP 3333 server in a few lines


@dataclass
class Served:
    """What the server was handed for one response."""

    status: str | None = None
    headers: Headers = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)  # every yield and write(), in order
    events: list[str] = field(default_factory=list)
    result: object = None  # what the application (here: the guard) returned

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    @property
    def wire(self) -> tuple[str | None, Headers, list[bytes]]:
        return self.status, self.headers, self.chunks


class MiniServer:
    """Run one request through a WSGI app the way PEP 3333 tells a server to."""

    def __init__(
        self,
        method: str = "GET",
        path: str = "/",
        *,
        protocol: str = "HTTP/1.1",
        # A server that adds Date when the app sent none, as wsgiref (whose name it gives).
        software: str | None = "WSGIServer/0.2 CPython/3.11.7",
        file_wrapper: object = wsgiref.util.FileWrapper,
        stop_after: int | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.protocol = protocol
        self.software = software
        self.file_wrapper = file_wrapper
        self.stop_after = stop_after  # stop iterating after this many chunks (client gone)
        self.served = Served()

    def environ(self) -> WSGIEnvironment:
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": self.protocol,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if self.software is not None:
            environ["SERVER_SOFTWARE"] = self.software
        if self.file_wrapper is not None:
            environ["wsgi.file_wrapper"] = self.file_wrapper
        return environ

    def run(self, app: WSGIApplication) -> Served:
        served = self.served = Served()
        # The callables reach ``served`` through this box, emptied at the end: served.result
        # holds the app, which holds start_response, and a cycle would keep a forgotten
        # iterable alive until the next garbage collection instead of freeing it at once.
        box = [served]
        headers_sent = False

        def write(data: bytes) -> None:
            nonlocal headers_sent
            if box[0].status is None:
                raise AssertionError("write() before start_response()")
            headers_sent = True
            box[0].events.append("write")
            box[0].chunks.append(data)

        def start_response(
            status: str, headers: Headers, exc_info: OptExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            current = box[0]
            if exc_info is not None:
                if headers_sent and exc_info[1] is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            elif current.status is not None:
                raise AssertionError("Headers already set!")
            current.events.append("start_response" + (" exc_info" if exc_info else ""))
            current.status, current.headers = status, list(headers)
            return write

        result = app(self.environ(), start_response)
        served.result = result
        try:
            for count, chunk in enumerate(result, 1):
                if served.status is None:
                    raise AssertionError("content before start_response()")
                if chunk:
                    headers_sent = True
                served.events.append("chunk")
                served.chunks.append(chunk)
                if self.stop_after is not None and count >= self.stop_after:
                    break
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                served.events.append("close")
                close()
            box.clear()
        return served


def serve(app: WSGIApplication, route: Route | None = None, **options: Any) -> Served:
    if route is not None:
        options.setdefault("method", route.method)
        options.setdefault("path", route.path)
    return MiniServer(**options).run(app)


def guarded(app: WSGIApplication, mode: str, **options: Any) -> tuple[WSGIStatusGuard, list[str]]:
    seen: list[str] = []

    def record(violation: Violation) -> None:
        seen.append(violation.rule_id)

    return WSGIStatusGuard(app, mode=mode, on_violation=record, **options), seen


def simple_app(
    status: str,
    headers: Headers,
    body: Iterable[bytes] | Callable[[], Iterable[bytes]] = (),
) -> WSGIApplication:
    """A WSGI app answering ``status``/``headers`` with ``body`` (called per request if it
    is a factory, so a generator is fresh each time)."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, list(headers))
        return body() if callable(body) else body

    return application


class Tracked:
    """An application iterable that counts its close() calls and can fail on purpose."""

    def __init__(self, chunks: list[bytes], *, fail_at: int | None = None) -> None:
        self.chunks = chunks
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise AppError("the application failed while streaming")
            yield chunk

    def close(self) -> None:
        self.closed += 1


class TrackedList(list[bytes]):
    """A list body (known length) with a close() to count."""

    closed = 0

    def close(self) -> None:
        self.closed += 1


class AppError(Exception):
    pass


def close(result: Iterable[bytes]) -> None:
    """What a server does with the iterable it got once the response is over."""
    method = getattr(result, "close", None)
    if method is not None:
        method()


# --------------------------------------------------------------------------------------------
# every route of the test apps, in the three modes

ALL_ROUTES = [(route, routes_app) for route in ROUTES] + [
    (route, extra_app) for route in EXTRA_ROUTES
]

# Rule ids reported per route: (fix mode, warn mode).  Strict mode reports the warn ids (no
# fix changes the head before the next rule looks at it).  The server is wsgiref's kind (it
# adds Date when absent), so the app's own valid Date is no violation.  Content on HEAD is
# the server's to drop, not the application's violation: fix and strict mode drop it (the
# compatibility step server-head-content), warn mode leaves it.
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "/plain": ([], []),
    "/204-body": (["content-forbidden"], ["content-forbidden"]),
    "/204-cl": (
        ["content-length-forbidden", "content-forbidden"],
        ["content-length-forbidden", "content-forbidden"],
    ),
    "/204-cl-nobody": (["content-length-forbidden"], ["content-length-forbidden"]),
    "/205-body": (["content-forbidden"], ["content-forbidden"]),
    "/205-stale-cl": (["content-forbidden"], ["content-forbidden"]),
    # The test client's GET carries no condition: the 304 is also reported as answering an
    # unconditional request (info, RFC 9110 §15.4.5).
    "/304-body": (
        ["not-modified-representation-fields", "not-modified-unconditional", "content-forbidden"],
        ["not-modified-representation-fields", "not-modified-unconditional", "content-forbidden"],
    ),
    "/304-cl": (["not-modified-unconditional"], ["not-modified-unconditional"]),
    "/head-body": ([], []),
    # Fix mode drops Transfer-Encoding first, so Content-Length no longer stands beside it.
    "/cl-te": (
        ["hop-by-hop-field"],
        ["hop-by-hop-field", "content-length-with-transfer-encoding"],
    ),
    "/cl-conflict": (
        ["content-length-invalid", "content-type-missing"],
        ["content-length-invalid", "content-type-missing"],
    ),
    "/cl-long": (["content-length-mismatch"], ["content-length-mismatch"]),
    "/cl-short": (["content-length-mismatch"], ["content-length-mismatch"]),
    "/crlf": (["field-value-invalid"], ["field-value-invalid"]),
    "/bad-name": (["field-name-invalid"], ["field-name-invalid"]),
    "/date-app": ([], []),
    "/date-dup": (["field-duplicate"], ["field-duplicate"]),
    "/date-bad": (["date-invalid"], ["date-invalid"]),
    "/stream-long": (["content-length-mismatch"], ["content-length-mismatch"]),
    "/stream-204": (["content-forbidden"], ["content-forbidden"]),
    "/stream-404": ([], []),
    "/write-204": (["content-forbidden"], ["content-forbidden"]),
    "/write-plain": ([], []),
    "/file": ([], []),
    "/file-bad-cl": (["content-length-mismatch"], ["content-length-mismatch"]),
    "/file-204": (
        ["content-length-forbidden", "content-forbidden"],
        ["content-length-forbidden", "content-forbidden"],
    ),
    "/file-head": ([], []),
    "/204-empty": ([], []),
    "/late-start": (["content-forbidden"], ["content-forbidden"]),
    "/head-stream": ([], []),
}
# Only the end of the stream shows these, after the head went out.
DECIDED_WHILE_STREAMING = {"/stream-long"}


def route_params() -> list[Any]:
    return [pytest.param(route, app, id=route.path.lstrip("/")) for route, app in ALL_ROUTES]


def test_every_route_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(route.path for route, _ in ALL_ROUTES)


def problems(served: Served, route: Route) -> list[str]:
    """What a server would put on the wire that HTTP forbids (the in-process assert_wire_clean)."""
    found = []
    if served.status is None or not served.status.startswith(str(route.status)):
        found.append(f"status {served.status!r}, expected {route.status}")
    if route.no_content and served.body:
        found.append(f"content on a no-content response: {served.body!r}")
    lengths = served.values("Content-Length")
    if route.status == 204 and lengths:
        found.append("Content-Length on a 204")
    if len(lengths) > 1:
        found.append(f"{len(lengths)} Content-Length lines")
    if (
        lengths
        and route.method != "HEAD"
        and route.status != 304
        and lengths[0] != str(len(served.body))
    ):
        found.append(f"Content-Length {lengths[0]} for {len(served.body)} bytes")
    if lengths and served.values("Transfer-Encoding"):
        found.append("Content-Length beside Transfer-Encoding")
    for name, value in served.headers:
        if not name.replace("-", "").isalnum() or any(c in value for c in "\r\n\0"):
            found.append(f"malformed header line {name!r}: {value!r}")
    dates = served.values("Date")
    if len(dates) > 1 or any(not is_imf_fixdate(d.encode()) for d in dates):
        found.append(f"Date lines {dates}")
    return found


@pytest.mark.parametrize(("route", "app"), route_params())
def test_fix_mode_repairs_every_route(route: Route, app: WSGIApplication) -> None:
    guard, seen = guarded(app, "fix")
    served = serve(guard, route)
    assert problems(served, route) == []
    assert seen == EXPECTED[route.path][0]
    assert guard.stats().total == len(seen)


@pytest.mark.parametrize(("route", "app"), route_params())
def test_warn_mode_hands_the_server_exactly_what_the_app_gave(
    route: Route, app: WSGIApplication
) -> None:
    guard, seen = guarded(app, "warn")
    assert serve(guard, route).wire == serve(app, route).wire
    assert seen == EXPECTED[route.path][1]


@pytest.mark.parametrize(("route", "app"), route_params())
def test_strict_mode_raises_before_the_head_reaches_the_server(
    route: Route, app: WSGIApplication
) -> None:
    guard, seen = guarded(app, "strict")
    # Info is reported, never raised.
    expected = [i for i in EXPECTED[route.path][1] if RULES_BY_ID[i].severity is not Severity.INFO]
    server = MiniServer(route.method, route.path)
    if not expected:
        if route.method == "HEAD":  # strict mode drops a HEAD's content, as fix mode does
            assert problems(server.run(guard), route) == []
        else:
            assert server.run(guard).wire == serve(app, route).wire
        return
    if route.path in DECIDED_WHILE_STREAMING:
        # The head went out before the stream showed the violation: strict mode ends the
        # response cleanly (as fix mode would) and reports it loudly, never raising into the
        # server, which would write its 500 page into the middle of the response.
        served = server.run(guard)
        assert served.events[0] == "start_response"
        assert problems(served, route) == []
        assert seen == expected
        assert guard.stats().violations == {(expected[0], route.status, "fixed"): 1}
        return
    with pytest.raises(StatusGuardError) as raised:
        server.run(guard)
    assert list(raised.value.rule_ids) == expected
    assert all(v.rule_id in str(raised.value) for v in raised.value.violations)
    # The server never saw the broken head: it answers 500 in its place.
    assert server.served.status is None


def test_strict_mode_error_names_the_request() -> None:
    guard = WSGIStatusGuard(simple_app("401 Unauthorized", [TEXT], [b"no"]), mode="strict")
    with pytest.raises(StatusGuardError, match=r"www-authenticate-missing") as raised:
        serve(guard, method="POST", path="/login")
    assert raised.value.request == "POST /login"


def test_a_rule_set_to_strict_raises_in_fix_mode() -> None:
    app = simple_app("401 Unauthorized", [TEXT], [b"no"])
    guard = WSGIStatusGuard(app, mode="fix", rules={"www-authenticate-missing": "strict"})
    with pytest.raises(StatusGuardError):
        serve(guard)
    relaxed = WSGIStatusGuard(app, mode="strict", rules={"www-authenticate-missing": "off"})
    assert serve(relaxed).status == "401 Unauthorized"


# --------------------------------------------------------------------------------------------
# the fast path


@pytest.mark.parametrize("mode", ["strict", "warn", "fix"])
@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        pytest.param("200 OK", [TEXT], [b"hi"], id="list without Content-Length"),
        pytest.param(
            "200 OK", [TEXT, ("Content-Length", "2")], [b"hi"], id="list with its length"
        ),
        pytest.param("404 Not Found", [TEXT], (b"no",), id="tuple"),
        pytest.param("200 OK", [TEXT], lambda: iter([b"a", b"b"]), id="stream without length"),
    ],
)
def test_a_clean_response_returns_the_apps_own_iterable(
    mode: str, status: str, headers: Headers, body: Any
) -> None:
    result = body() if callable(body) else body
    guard = WSGIStatusGuard(simple_app(status, headers, result), mode=mode)
    served = serve(guard)
    assert served.result is result
    assert (served.status, served.headers) == (status, headers)


def test_a_head_only_repair_still_returns_the_apps_iterable() -> None:
    body = [b"hello"]
    app = simple_app("200 OK", [TEXT, ("Content-Length", "3"), ("X Bad", "1")], body)
    served = serve(WSGIStatusGuard(app, mode="fix"))
    assert served.result is body
    assert served.headers == [TEXT, ("Content-Length", "5")]


def test_a_stream_with_a_length_to_verify_is_wrapped() -> None:
    stream = iter([b"hel", b"lo"])
    app = simple_app("200 OK", [TEXT, ("Content-Length", "5")], stream)
    served = serve(WSGIStatusGuard(app, mode="fix"))
    assert served.result is not stream
    assert served.chunks == [b"hel", b"lo"]


# --------------------------------------------------------------------------------------------
# holding the head, streams stay streams


def test_the_head_waits_for_the_first_chunk_then_streams() -> None:
    log: list[str] = []

    def stream() -> Iterator[bytes]:
        log.append("app: first")
        yield b"one"
        log.append("app: second")
        yield b"two"

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [TEXT, ("Content-Length", "6")])
        return stream()

    def start_response(status: str, headers: Headers, exc_info: object = None) -> Any:
        log.append(f"server: {status}")
        return log.append

    result = WSGIStatusGuard(app, mode="fix")(MiniServer().environ(), start_response)
    assert log == []  # nothing forwarded until the body says something
    iterator = iter(result)
    assert next(iterator) == b"one"
    assert log == ["app: first", "server: 200 OK"]
    assert next(iterator) == b"two"  # one chunk in, one chunk out: never buffered
    assert log[-1] == "app: second"
    with pytest.raises(StopIteration):
        next(iterator)
    close(result)


def test_an_empty_chunk_sends_the_head_at_once() -> None:
    def stream() -> Iterator[bytes]:
        yield b""
        yield b"late"

    guard, seen = guarded(simple_app("204 No Content", [], stream), "fix")
    served = serve(guard)
    assert served.events[:2] == ["start_response", "chunk"]
    assert served.body == b""
    assert seen == ["content-forbidden"]


@pytest.mark.parametrize(
    ("method", "status", "stream", "content_length"),
    [
        pytest.param("GET", "204 No Content", False, None, id="204 empty list"),
        pytest.param("GET", "204 No Content", True, None, id="204 empty stream"),
        pytest.param("GET", "304 Not Modified", True, "7", id="304 empty stream"),
        pytest.param("HEAD", "200 OK", True, None, id="HEAD empty stream"),
    ],
)
def test_an_empty_no_content_response_yields_one_empty_chunk_in_fix_mode(
    method: str, status: str, stream: bool, content_length: str | None
) -> None:
    # wsgiref adds "Content-Length: 0" to a head it sends when an iterable with a length ends
    # empty; an iterable without __len__ that yields b"" makes it send the head as it is.
    headers = [("Content-Length", content_length)] if content_length else []
    guard = WSGIStatusGuard(
        simple_app(status, headers, (lambda: iter(())) if stream else []), mode="fix"
    )
    served = serve(guard, method=method)
    assert served.chunks == [b""]
    assert not hasattr(served.result, "__len__")
    assert served.values("Content-Length") == ([content_length] if content_length else [])


def test_an_empty_response_under_wsgiref_gets_no_content_length() -> None:
    from wsgiref.handlers import SimpleHandler

    def raw(app: WSGIApplication) -> bytes:
        out = io.BytesIO()
        environ = {"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1"}
        SimpleHandler(io.BytesIO(), out, io.StringIO(), environ).run(app)
        return out.getvalue()

    app = simple_app("204 No Content", [], [])
    assert b"Content-Length: 0" in raw(app)  # the server's own habit
    assert b"Content-Length" not in raw(WSGIStatusGuard(app, mode="fix"))


# --------------------------------------------------------------------------------------------
# close(): exactly once, on every path


def _raise_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    raise AppError("the application failed before returning")


BOOM = Rule(
    id="test-boom",
    severity=Severity.ERROR,
    reference=Reference(3333, "x", document="PEP"),
    summary="A rule that fails",
    check=lambda head: 1 / 0,  # type: ignore[arg-type,return-value]
)


@dataclass
class CloseCase:
    status: str
    headers: Headers
    body: Tracked | TrackedList
    mode: str = "fix"
    raises: type[BaseException] | None = None
    stop_after: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


CLOSE_CASES = {
    "fast path": CloseCase("200 OK", [TEXT], Tracked([b"a"])),
    "wrapped stream": CloseCase("200 OK", [TEXT, ("Content-Length", "2")], Tracked([b"a", b"b"])),
    "discarded list": CloseCase("204 No Content", [], TrackedList([b"gone"])),
    "discarded stream": CloseCase("204 No Content", [], Tracked([b"gone", b"too"])),
    "error while streaming": CloseCase(
        "200 OK",
        [TEXT, ("Content-Length", "2")],
        Tracked([b"a", b"b"], fail_at=1),
        raises=AppError,
    ),
    "error at the first chunk": CloseCase(
        "200 OK", [TEXT, ("Content-Length", "2")], Tracked([b"a"], fail_at=0), raises=AppError
    ),
    "strict before returning": CloseCase(
        "204 No Content", [], TrackedList([b"x"]), mode="strict", raises=StatusGuardError
    ),
    "strict at the first chunk": CloseCase(
        "204 No Content", [], Tracked([b"x"]), mode="strict", raises=StatusGuardError
    ),
    # Found after the head went out: the response is ended cleanly, nothing raised.
    "strict while streaming": CloseCase(
        "200 OK",
        [TEXT, ("Content-Length", "1")],
        Tracked([b"a", b"b"]),
        mode="strict",
    ),
    "server stops early": CloseCase(
        "200 OK", [TEXT, ("Content-Length", "3")], Tracked([b"a", b"b", b"c"]), stop_after=1
    ),
    "internal error": CloseCase(
        "200 OK", [TEXT], Tracked([b"a"]), options={"extra_rules": [BOOM]}
    ),
    "internal error in strict mode": CloseCase(
        "200 OK",
        [TEXT],
        TrackedList([b"a"]),
        mode="strict",
        options={"extra_rules": [BOOM]},
        raises=ZeroDivisionError,
    ),
}


@pytest.mark.parametrize("case", CLOSE_CASES.values(), ids=CLOSE_CASES.keys())
def test_close_is_called_exactly_once(case: CloseCase) -> None:
    guard = WSGIStatusGuard(
        simple_app(case.status, case.headers, case.body), mode=case.mode, **case.options
    )
    server = MiniServer(stop_after=case.stop_after)
    if case.raises is None:
        server.run(guard)
    else:
        with pytest.raises(case.raises):
            server.run(guard)
    assert case.body.closed == 1


def test_an_app_that_raises_has_nothing_to_close() -> None:
    with pytest.raises(AppError):
        serve(WSGIStatusGuard(_raise_app, mode="fix"))


def test_a_failing_server_start_response_still_closes_the_body() -> None:
    body = TrackedList([b"x"])
    guard = WSGIStatusGuard(simple_app("200 OK", [TEXT], body), mode="fix")

    def start_response(status: str, headers: Headers, exc_info: object = None) -> Any:
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        guard(MiniServer().environ(), start_response)
    assert body.closed == 1


def test_closing_the_guard_twice_closes_the_app_once() -> None:
    body = Tracked([b"a"])
    guard = WSGIStatusGuard(simple_app("204 No Content", [], body), mode="fix")
    result = guard(MiniServer().environ(), lambda *args: lambda data: None)
    close(result)
    close(result)
    assert body.closed == 1


# --------------------------------------------------------------------------------------------
# write()


def write_app(status: str, headers: Headers, *writes: bytes, rest: Iterable[bytes] = ()) -> Any:
    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response(status, list(headers))
        for data in writes:
            write(data)
        return rest

    return application


def test_write_sends_the_head_and_goes_through_the_guard() -> None:
    guard, seen = guarded(write_app("204 No Content", [], b"hello", b"again"), "fix")
    served = serve(guard)
    assert served.events[:2] == ["start_response", "write"]
    assert served.body == b""
    assert seen == ["content-forbidden"]


def test_write_then_an_iterable_keep_one_length_check() -> None:
    app = write_app(
        "200 OK", [TEXT, ("Content-Length", "5")], b"hel", rest=Tracked([b"lo", b"-extra"])
    )
    guard, seen = guarded(app, "fix")
    served = serve(guard)
    assert served.body == b"hello"  # the stream is cut at its Content-Length
    assert seen == ["content-length-mismatch"]


def test_write_in_warn_mode_changes_nothing() -> None:
    app = write_app("204 No Content", [("Content-Length", "5")], b"hello")
    assert serve(WSGIStatusGuard(app, mode="warn")).wire == serve(app).wire


def test_write_in_strict_mode_raises_before_the_server_gets_the_head() -> None:
    server = MiniServer()
    with pytest.raises(StatusGuardError, match="content-forbidden"):
        server.run(WSGIStatusGuard(write_app("204 No Content", [], b"hello"), mode="strict"))
    assert server.served.events == []


def test_an_empty_write_sends_the_head() -> None:
    served = serve(WSGIStatusGuard(write_app("204 No Content", [], b""), mode="fix"))
    assert served.events[:2] == ["start_response", "write"]


# --------------------------------------------------------------------------------------------
# exc_info


def error_app(*, yield_first: bytes | None) -> WSGIApplication:
    """Starts a 200, fails, and answers 500 through start_response(..., exc_info)."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [TEXT])
        if yield_first is None:
            try:
                raise AppError("failed before any content")
            except AppError:
                start_response("500 Internal Server Error", [TEXT], sys.exc_info())
            return [b"error page"]

        def stream() -> Iterator[bytes]:
            yield yield_first
            try:
                raise AppError("failed while streaming")
            except AppError:
                start_response("500 Internal Server Error", [TEXT], sys.exc_info())
            yield b"error page"

        return stream()

    return application


@pytest.mark.parametrize("mode", ["fix", "warn"])
def test_exc_info_replaces_the_held_head(mode: str) -> None:
    served = serve(WSGIStatusGuard(error_app(yield_first=None), mode=mode))
    assert served.events[0] == "start_response"  # the server only ever saw the 500
    assert (served.status, served.body) == ("500 Internal Server Error", b"error page")


def test_exc_info_reaches_the_server_when_it_holds_an_unsent_head() -> None:
    # b"" makes the guard forward the 200; the server has not sent it yet and may replace it.
    served = serve(WSGIStatusGuard(error_app(yield_first=b""), mode="fix"))
    assert served.events.count("start_response exc_info") == 1
    assert (served.status, served.body) == ("500 Internal Server Error", b"error page")


def test_exc_info_reraises_once_content_was_sent() -> None:
    with pytest.raises(AppError, match="failed while streaming"):
        serve(WSGIStatusGuard(error_app(yield_first=b"partial"), mode="fix"))


def test_a_second_start_response_without_exc_info_is_an_error() -> None:
    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [TEXT])
        start_response("404 Not Found", [TEXT])
        return []

    with pytest.raises(AssertionError, match="exc_info"):
        serve(WSGIStatusGuard(application, mode="fix"))


def test_an_iterator_that_starts_the_response_itself() -> None:
    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("204 No Content", [("Content-Length", "4")])
        yield b"late"

    guard, seen = guarded(application, "fix")
    served = serve(guard)
    assert (served.status, served.headers, served.body) == ("204 No Content", [], b"")
    assert seen == ["content-length-forbidden", "content-forbidden"]


# --------------------------------------------------------------------------------------------
# wsgi.file_wrapper


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "payload.bin"
    path.write_bytes(b"x" * 10_000)
    return path


def file_app(path: Path, status: str, headers: Headers) -> WSGIApplication:
    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, list(headers))
        wrapper = environ["wsgi.file_wrapper"]
        result: Iterable[bytes] = wrapper(path.open("rb"), 4096)
        return result

    return application


@pytest.mark.parametrize("mode", ["strict", "warn", "fix"])
def test_a_file_wrapper_passes_through_untouched(payload: Path, mode: str) -> None:
    headers = [TEXT, ("Content-Length", "10000")]
    served = serve(WSGIStatusGuard(file_app(payload, "200 OK", headers), mode=mode))
    assert isinstance(served.result, wsgiref.util.FileWrapper)  # the server's sendfile path
    assert (served.headers, len(served.body)) == (headers, 10_000)


def test_a_file_wrapper_with_a_wrong_length_keeps_sendfile(payload: Path) -> None:
    app = file_app(payload, "200 OK", [TEXT, ("Content-Length", "1")])
    guard, seen = guarded(app, "fix")
    served = serve(guard)
    assert isinstance(served.result, wsgiref.util.FileWrapper)
    assert served.values("Content-Length") == ["10000"]
    assert seen == ["content-length-mismatch"]


def test_a_file_wrapper_keeps_what_was_already_read(payload: Path) -> None:
    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        handle = payload.open("rb")
        handle.seek(9_000)  # a range: only the rest of the file is sent
        start_response("200 OK", [TEXT, ("Content-Length", "1000")])
        result: Iterable[bytes] = environ["wsgi.file_wrapper"](handle)
        return result

    guard, seen = guarded(application, "fix")
    assert len(serve(guard).body) == 1000
    assert seen == []


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        pytest.param("GET", "204 No Content", ["content-length-forbidden", "content-forbidden"]),
        pytest.param("HEAD", "200 OK", []),  # the server-head-content step, not a violation
    ],
)
def test_a_file_wrapper_without_content_is_discarded_unread(
    payload: Path, method: str, status: str, expected: list[str]
) -> None:
    app = file_app(payload, status, [("Content-Length", "10000")])
    guard, seen = guarded(app, "fix")
    served = serve(guard, method=method)
    assert served.body == b""
    assert not isinstance(served.result, wsgiref.util.FileWrapper)
    assert seen == expected


def test_an_in_memory_file_wrapper_is_measured() -> None:
    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [TEXT, ("Content-Length", "3")])
        result: Iterable[bytes] = environ["wsgi.file_wrapper"](io.BytesIO(b"hello"))
        return result

    served = serve(WSGIStatusGuard(application, mode="fix"))
    assert isinstance(served.result, wsgiref.util.FileWrapper)
    assert (served.values("Content-Length"), served.body) == (["5"], b"hello")


def test_an_unmeasurable_file_wrapper_streams_through_the_guard() -> None:
    class Reader:
        def __init__(self) -> None:
            self.data = io.BytesIO(b"hello")
            self.closed = False

        def read(self, size: int = -1) -> bytes:
            return self.data.read(size)

        def close(self) -> None:
            self.closed = True

    reader = Reader()

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [TEXT, ("Content-Length", "3")])
        result: Iterable[bytes] = environ["wsgi.file_wrapper"](reader)
        return result

    served = serve(WSGIStatusGuard(application, mode="fix"))
    assert (served.values("Content-Length"), served.body) == (["3"], b"hel")  # truncated
    assert reader.closed


def test_a_server_without_file_wrapper() -> None:
    app = simple_app("200 OK", [TEXT, ("Content-Length", "2")], [b"ok"])
    served = serve(WSGIStatusGuard(app, mode="fix"), file_wrapper=None)
    assert served.body == b"ok"


# --------------------------------------------------------------------------------------------
# Date, per server


@pytest.mark.parametrize(
    ("software", "policy"),
    [
        pytest.param("gunicorn/27.0.1", "replace", id="gunicorn"),
        pytest.param("WSGIServer/0.2 CPython/3.11.7", "if-absent", id="wsgiref"),
        pytest.param("Werkzeug/3.1.9", "always", id="werkzeug"),
        # Unknown (a test client sets none): the guard adds a Date where the app sent none.
        pytest.param("", "never", id="test client"),
        pytest.param("waitress", "if-absent", id="waitress"),
        pytest.param("Cheroot/11.1.2 Server", "if-absent", id="cheroot"),
        pytest.param("gevent/24.2 gunicorn/27.0.1", "never", id="unknown"),
    ],
)
def test_server_date_policy(software: str, policy: str) -> None:
    assert server_date_policy(software) == policy


NOW = "now"  # a valid IMF-fixdate of the current time


@pytest.mark.parametrize(
    ("software", "server_date", "path", "dates"),
    [
        # gunicorn drops whatever Date the app sends: the guard keeps the app's head sane.
        ("gunicorn/27.0.1", "auto", "/date-app", [DATE_1994]),
        ("gunicorn/27.0.1", "auto", "/date-dup", [DATE_1994]),
        ("gunicorn/27.0.1", "auto", "/date-bad", [NOW]),
        ("gunicorn/27.0.1", "auto", "/plain", []),
        # wsgiref adds one only when absent: one valid app Date wins.
        ("WSGIServer/0.2 CPython/3.11.7", "auto", "/date-app", [DATE_1994]),
        ("WSGIServer/0.2 CPython/3.11.7", "auto", "/date-dup", [DATE_1994]),
        ("WSGIServer/0.2 CPython/3.11.7", "auto", "/date-bad", [NOW]),
        ("WSGIServer/0.2 CPython/3.11.7", "auto", "/plain", []),
        # the werkzeug dev server always writes its own: the app's would be a second line.
        ("Werkzeug/3.1.9", "auto", "/date-app", []),
        ("Werkzeug/3.1.9", "auto", "/date-dup", []),
        ("Werkzeug/3.1.9", "auto", "/date-bad", []),
        ("Werkzeug/3.1.9", "auto", "/plain", []),
        # a server that never adds Date (server_date="never"): the guard adds it.
        ("", "never", "/plain", [NOW]),
        ("", "never", "/date-app", [DATE_1994]),
        # an explicit policy wins over SERVER_SOFTWARE.
        ("gunicorn/27.0.1", "always", "/date-app", []),
    ],
)
def test_fix_mode_date_per_server(
    software: str, server_date: str, path: str, dates: list[str]
) -> None:
    guard = WSGIStatusGuard(routes_app, mode="fix", server_date=server_date)
    served = serve(guard, software=software, path=path)
    seen = served.values("Date")
    assert len(seen) == len(dates)
    for value, expected in zip(seen, dates, strict=True):
        if expected == NOW:
            assert is_imf_fixdate(value.encode()) and value not in (DATE_1994, DATE_2001)
        else:
            assert value == expected


def test_the_werkzeug_test_client_sets_no_server_software() -> None:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder().get_environ()
    assert "SERVER_SOFTWARE" not in environ  # hence the unknown server's profile


# --------------------------------------------------------------------------------------------
# what the rules see: HEAD, the HTTP version, the route


@pytest.mark.parametrize(
    ("environ", "seen"),
    [
        pytest.param({}, ("GET", "1.1", "GET /where"), id="defaults"),
        pytest.param({"REQUEST_METHOD": "HEAD"}, ("HEAD", "1.1", "HEAD /where"), id="HEAD"),
        pytest.param({"SERVER_PROTOCOL": "HTTP/1.0"}, ("GET", "1.0", "GET /where"), id="HTTP/1.0"),
        pytest.param({"SERVER_PROTOCOL": "HTTP/2"}, ("GET", "2", "GET /where"), id="HTTP/2"),
        pytest.param({"SCRIPT_NAME": "/app"}, ("GET", "1.1", "GET /app/where"), id="mounted"),
    ],
)
def test_the_head_carries_the_request(environ: dict[str, str], seen: tuple[str, ...]) -> None:
    heads: list[tuple[str, str]] = []

    def record(head: Head) -> str:
        heads.append((head.method, head.http_version))
        return "recorded."

    spy = Rule(
        id="test-spy",
        severity=Severity.ERROR,
        reference=Reference(3333, "x", document="PEP"),
        summary="Records the head",
        check=record,
    )
    guard = WSGIStatusGuard(
        simple_app("200 OK", [TEXT], [b"ok"]), mode="strict", extra_rules=[spy]
    )
    base = MiniServer(path="/where").environ()
    base.update(environ)
    with pytest.raises(StatusGuardError) as raised:
        guard(base, lambda *args: lambda data: None)
    assert (*heads[0], raised.value.request) == seen


def test_http_10_gets_no_transfer_encoding() -> None:
    app = simple_app("200 OK", [TEXT, ("Transfer-Encoding", "chunked")], [b"ok"])
    guard, seen = guarded(app, "fix")
    served = serve(guard, protocol="HTTP/1.0")
    assert served.values("Transfer-Encoding") == []
    assert seen == ["hop-by-hop-field"]


# --------------------------------------------------------------------------------------------
# fail open, warnings, reporting


def test_an_internal_error_lets_the_original_response_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = ROUTES[1]  # /204-body: something the guard would otherwise have changed
    for mode in ("warn", "fix"):
        guard = WSGIStatusGuard(routes_app, mode=mode, extra_rules=[BOOM])
        with caplog.at_level(logging.ERROR, logger="statusguard"):
            first = serve(guard, route)
            second = serve(guard, route)
        assert first.wire == second.wire == serve(routes_app, route).wire
        assert guard.stats().internal_errors == 2
    logged = [r for r in caplog.records if "failed internally" in r.getMessage()]
    assert len(logged) == 2  # once per guard, not once per response


def test_an_internal_error_while_streaming_passes_the_rest_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: Exchange, *args: object, **kwargs: object) -> bytes:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(Exchange, "_content", broken)
    app = simple_app("200 OK", [TEXT, ("Content-Length", "3")], lambda: iter([b"hel", b"lo"]))
    guard = WSGIStatusGuard(app, mode="fix")
    assert serve(guard).body == b"hello"
    assert guard.stats().internal_errors == 1
    with pytest.raises(RuntimeError, match="engine bug"):
        serve(WSGIStatusGuard(app, mode="strict"))


def test_a_failing_on_violation_callback_fails_open() -> None:
    def callback(violation: Violation) -> None:
        raise KeyError("metrics backend down")

    app = simple_app("401 Unauthorized", [TEXT], [b"no"])
    guard = WSGIStatusGuard(app, mode="warn", on_violation=callback)
    assert serve(guard).wire == serve(app).wire
    assert guard.stats().internal_errors == 1


def test_warnings_made_errors_propagate() -> None:
    body = TrackedList([b"no"])
    guard = WSGIStatusGuard(simple_app("401 Unauthorized", [TEXT], body), mode="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StatusGuardWarning)
        with pytest.raises(StatusGuardWarning, match="www-authenticate-missing"):
            serve(guard)
    assert guard.stats().internal_errors == 0
    assert body.closed == 1


def test_warn_mode_warns() -> None:
    guard = WSGIStatusGuard(simple_app("405 Method Not Allowed", [TEXT], [b"no"]), mode="warn")
    with pytest.warns(StatusGuardWarning, match="allow-missing"):
        serve(guard)


def test_stats_and_flush(caplog: pytest.LogCaptureFixture) -> None:
    guard = WSGIStatusGuard(routes_app, mode="fix", log_interval=3600)
    for _ in range(3):
        serve(guard, path="/204-body")
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): 3}
    with caplog.at_level(logging.WARNING, logger="statusguard"):
        guard.flush()
    assert any("×2" in record.getMessage() for record in caplog.records)


# --------------------------------------------------------------------------------------------
# the guard is a correct WSGI component


LINT_LENGTH_MISMATCH = "Content-Length and the number of bytes sent to the client do not match."


def lint_warnings(app: WSGIApplication, route: Route) -> Counter[str]:
    """The WSGIWarnings werkzeug's linter raises while ``app`` answers ``route``.

    HTTPWarnings are left out: they are the linter's opinion of HTTP, not of WSGI, and some
    are false positives (it wants "Content-Length: 0" on every 204, where RFC 9110 §8.6 says
    a 204 has none, and absolute Location URLs, an RFC 2616 rule RFC 7231 dropped).  One
    WSGIWarning is a false positive too: the linter compares Content-Length with the bytes
    sent without looking at the method, but the answer to HEAD announces the length of the
    GET and sends nothing (RFC 9110 §9.3.2), which is exactly what fix mode produces.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # An iterable nobody closed is reported from its __del__, when serve()'s result is
        # dropped here (MiniServer leaves no reference cycle behind).
        serve(app, route)
    found = Counter(str(w.message) for w in caught if issubclass(w.category, WSGIWarning))
    if route.method == "HEAD":
        del found[LINT_LENGTH_MISMATCH]
    return found


# werkzeug's linter cannot itself take a header value with CR/LF: its Headers raise ValueError
# in the inner layer, before the guard sees anything (see the outer-layer test below).
LINTABLE = [param for param in route_params() if param.id != "crlf"]


@pytest.mark.parametrize("mode", ["fix", "warn"])
@pytest.mark.parametrize(("route", "app"), LINTABLE)
def test_between_two_linters_the_guard_adds_no_wsgi_warning(
    route: Route, app: WSGIApplication, mode: str
) -> None:
    # The inner linter checks the guard as a server, the outer one the guard as an app.  Some
    # test routes break WSGI on purpose (a Content-Length that does not match the body), so
    # the baseline is the same pair of linters with nothing between them.
    baseline = lint_warnings(LintMiddleware(LintMiddleware(app)), route)
    sandwich = lint_warnings(
        LintMiddleware(WSGIStatusGuard(LintMiddleware(app), mode=mode)), route
    )
    assert sandwich - baseline == Counter()


def test_the_linters_would_catch_a_guard_that_forgets_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The control for the test above: the same harness notices an unclosed app iterable.
    from statusguard import wsgi

    monkeypatch.setattr(wsgi._Response, "close", lambda self: None)
    route = next(route for route, _ in ALL_ROUTES if route.path == "/204-body")
    sandwich = lint_warnings(
        LintMiddleware(WSGIStatusGuard(LintMiddleware(routes_app), mode="fix")), route
    )
    assert sandwich == Counter({"Iterator was garbage collected before it was closed.": 1})


def test_the_linter_after_the_guard_sees_no_header_injection() -> None:
    route = next(route for route, _ in ALL_ROUTES if route.path == "/crlf")
    sandwich = lint_warnings(LintMiddleware(WSGIStatusGuard(routes_app, mode="fix")), route)
    assert sandwich == Counter()


def test_the_linters_see_the_exc_info_and_write_paths() -> None:
    for app in (error_app(yield_first=None), write_app("200 OK", [TEXT], b"hi")):
        route = Route("/", "x")
        sandwich = lint_warnings(LintMiddleware(WSGIStatusGuard(LintMiddleware(app))), route)
        assert sandwich == Counter()


# --------------------------------------------------------------------------------------------
# configuration and state


def test_the_options_are_those_of_the_asgi_guard() -> None:
    from statusguard.asgi import ASGIStatusGuard

    def options(cls: type) -> list[tuple[str, object, object]]:
        parameters = list(inspect.signature(cls).parameters.values())[1:]
        return [(p.name, p.kind, p.default) for p in parameters]

    assert options(WSGIStatusGuard) == options(ASGIStatusGuard)
    assert all(kind is inspect.Parameter.KEYWORD_ONLY for _, kind, _ in options(WSGIStatusGuard))


@pytest.mark.parametrize(
    ("options", "named"),
    [
        pytest.param({"mode": "loud"}, "mode", id="mode"),
        pytest.param({"rules": {"no-such-rule": "off"}}, "no-such-rule", id="rules"),
        pytest.param({"server_date": "sometimes"}, "server_date", id="server_date"),
        pytest.param({"on_violation": "print"}, "on_violation", id="on_violation"),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        WSGIStatusGuard(routes_app, **options)


def test_the_guard_holds_no_per_response_state() -> None:
    guard = WSGIStatusGuard(routes_app, mode="fix")
    before = dict(vars(guard))
    # Two responses in flight at once, interleaved: each keeps its own state.
    first = guard(MiniServer(path="/stream-204").environ(), lambda *args: lambda data: None)
    second = guard(MiniServer(path="/stream-long").environ(), lambda *args: lambda data: None)
    one, two = iter(first), iter(second)
    assert (next(one), next(two), next(two)) == (b"", b"one-", b"t")
    # The 204's content was discarded: nothing more can be sent, and the app is not read on.
    assert list(one) == []
    for result in (first, second):
        close(result)
    assert vars(guard) == before


def test_repr_names_the_mode() -> None:
    assert "mode='fix'" in repr(WSGIStatusGuard(routes_app, mode="fix"))


# -- the server option against what detection finds --------------------------------------------


def _dated_app(dates: list[str]) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [TEXT, ("Content-Length", "5"), *(("Date", d) for d in dates)])
        return [b"hello"]

    return app


@pytest.mark.parametrize(
    ("option", "dates", "wire"),
    [
        # SERVER_SOFTWARE says werkzeug, which always writes its own Date: the app's is dropped,
        # none is added.
        pytest.param({}, [DATE_1994], [], id="detected werkzeug: the app's dropped"),
        pytest.param({}, [], [], id="detected werkzeug: none added"),
        # The option names the server in front and wins: waitress adds one only when absent,
        # uWSGI never adds one.
        pytest.param({"server": "waitress"}, [DATE_1994], [DATE_1994], id="waitress: kept"),
        pytest.param({"server": "uwsgi"}, [], ["added"], id="uwsgi: one added"),
    ],
)
def test_the_server_option_wins_over_detection(
    option: dict[str, Any], dates: list[str], wire: list[str]
) -> None:
    guard = WSGIStatusGuard(_dated_app(dates), mode="fix", **option)
    out = MiniServer(software="Werkzeug/3.1.9").run(guard)
    sent = out.values("Date")
    if wire == ["added"]:
        assert len(sent) == 1 and is_imf_fixdate(sent[0].encode()) and sent != [DATE_1994]
    else:
        assert sent == wire
    assert out.body == b"hello"
