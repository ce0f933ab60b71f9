"""The engine's shortcuts seen through the adapters: what they pass untouched, and
everything that must take the full path.

Each guard here is warmed up with one clean response first, so that the screen knows its
head's shape: the next response with the same head is decided by the screen, and its content
passes untouched (or is only counted).  The tests then vary what comes after that head (content
of another length, write(), a second start_response, a stream, an app that returns or raises
after its start) and check that the full path took over and did its job.  ``Counted`` counts
the full path's runs (``statusguard.engine.exchange.FULL_PATH_RUNS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import warnings
from collections.abc import Iterable, Iterator
from decimal import Decimal
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pytest
from support.drive import Message, Output, call_asgi, call_wsgi, http_scope, wsgi_environ

import statusguard.asgi
import statusguard.engine
import statusguard.wsgi
from statusguard import (
    ASGIStatusGuard,
    StatusGuardError,
    StatusGuardWarning,
    Violation,
    WSGIStatusGuard,
)
from statusguard.engine import exchange

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

HEADERS = [("Content-Type", "text/plain"), ("Content-Length", "5")]
RAW_HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"5")]


class Counted:
    """Counts how many times the full path ran since it was made (or reset)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.start = exchange.FULL_PATH_RUNS

    @property
    def created(self) -> int:
        return exchange.FULL_PATH_RUNS - self.start

    @created.setter
    def created(self, value: int) -> None:
        self.start = exchange.FULL_PATH_RUNS - value


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    return Counted(monkeypatch)


# -- WSGI ------------------------------------------------------------------------------------


def wsgi_guard(mode: str = "fix", **options: Any) -> tuple[WSGIStatusGuard, list[Violation]]:
    """A guard over a switchable app, warmed up with the clean head."""
    seen: list[Violation] = []
    holder: dict[str, Any] = {}

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        result: Iterable[bytes] = holder["app"](environ, start_response)
        return result

    guard = WSGIStatusGuard(app, mode=mode, on_violation=seen.append, **options)
    guard.app_holder = holder  # type: ignore[attr-defined]
    holder["app"] = clean_wsgi_app
    assert call_wsgi(guard).body == b"hello"
    assert guard.engine.compiled.shapes  # the shape is known: the next one is screened
    return guard, seen


def clean_wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", list(HEADERS))
    return [b"hello"]


def use(guard: WSGIStatusGuard, app: Any) -> None:
    guard.app_holder["app"] = app  # type: ignore[attr-defined]


def test_wsgi_fast_path_hands_the_server_the_apps_own_objects(counted: Counted) -> None:
    guard, seen = wsgi_guard()
    body = [b"hello"]
    headers = list(HEADERS)
    got: list[Any] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", headers)
        return body

    def server_start_response(status: str, lines: Any, exc_info: Any = None) -> Any:
        got.append((status, lines))
        return lambda data: None

    use(guard, app)
    counted.created = 0
    result = guard(wsgi_environ(), server_start_response)
    assert result is body
    assert got == [("200 OK", headers)] and got[0][1] is headers
    assert counted.created == 0
    assert seen == []


def test_wsgi_same_head_with_content_of_another_length_is_repaired(counted: Counted) -> None:
    guard, seen = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", list(HEADERS))
        return [b"hello, world"]

    use(guard, app)
    counted.created = 0
    out = call_wsgi(guard)
    assert out.values("Content-Length") == ["12"]
    assert out.body == b"hello, world"
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]
    assert counted.created == 1


def test_wsgi_same_head_then_write_goes_through_the_full_path() -> None:
    guard, seen = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("200 OK", list(HEADERS))
        write(b"hel")
        return [b"lo"]

    use(guard, app)
    out = call_wsgi(guard)
    assert out.status == "200 OK"
    assert out.body == b"hello"
    assert seen == []


def test_wsgi_same_head_from_a_generator_that_starts_late() -> None:
    guard, seen = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", list(HEADERS))
        yield b"hello, world"

    use(guard, app)
    out = call_wsgi(guard)
    # The head went out with the first chunk; the extra bytes are cut to the declared length.
    assert out.values("Content-Length") == ["5"]
    assert out.body == b"hello"
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]


def test_wsgi_same_head_replaced_by_an_error_head_before_returning() -> None:
    guard, _ = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", list(HEADERS))
        try:
            raise ValueError("boom")
        except ValueError:
            start_response(
                "500 Internal Server Error",
                [("Content-Type", "text/plain"), ("Content-Length", "4")],
                sys.exc_info(),
            )
        return [b"oops"]

    use(guard, app)
    out = call_wsgi(guard)
    assert out.status == "500 Internal Server Error"
    assert out.body == b"oops"


def test_wsgi_a_second_start_response_without_exc_info_is_still_an_error() -> None:
    guard, _ = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", list(HEADERS))
        start_response("200 OK", list(HEADERS))
        return [b"hello"]

    use(guard, app)
    with pytest.raises(AssertionError, match="second time"):
        call_wsgi(guard)


def test_wsgi_strict_mode_raises_for_the_same_head_with_the_wrong_length() -> None:
    guard, _ = wsgi_guard("strict")

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", list(HEADERS))
        return [b"hi"]

    use(guard, app)
    with pytest.raises(StatusGuardError) as raised:
        call_wsgi(guard)
    assert [v.rule_id for v in raised.value.violations] == ["content-length-mismatch"]


def test_wsgi_a_head_remembered_for_get_is_not_reused_for_head() -> None:
    guard, seen = wsgi_guard()
    out = call_wsgi(guard, method="HEAD")
    assert out.body == b""  # fix mode drops the content of a HEAD response
    assert seen == []  # (a compatibility step, not a violation of the application)
    assert [key[0] for key in guard.stats().steps] == ["server-head-content"]


def test_wsgi_an_environ_without_protocol_is_judged_as_http_1_1(counted: Counted) -> None:
    # What the rules distinguish of a version is 1.0, 1.1, 2 or 3; no SERVER_PROTOCOL is 1.1.
    guard, seen = wsgi_guard()
    environ = wsgi_environ()
    del environ["SERVER_PROTOCOL"]
    counted.created = 0
    out = call_wsgi(guard, environ=environ)
    assert out.body == b"hello"
    assert counted.created == 0
    assert seen == []


# -- WSGI streams: counted on the way (_Counted) ---------------------------------------------


class Closing:
    """An iterable that is not a list and records its close(), like werkzeug's
    ClosingIterator around every Flask response."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        self.closed += 1


def stream_app(*chunks: bytes, holder: list[Closing] | None = None) -> Any:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", list(HEADERS))
        body = Closing(chunks)
        if holder is not None:
            holder.append(body)
        return body

    return app


@pytest.mark.parametrize("chunks", [(b"hello",), (b"he", b"llo"), (b"h", b"", b"ello")])
def test_wsgi_a_stream_of_the_declared_length_is_only_counted(
    counted: Counted, chunks: tuple[bytes, ...]
) -> None:
    guard, seen = wsgi_guard()
    bodies: list[Closing] = []
    use(guard, stream_app(*chunks, holder=bodies))
    counted.created = 0
    out = call_wsgi(guard)
    assert out.status == "200 OK" and out.headers == HEADERS
    assert out.body == b"hello"
    assert counted.created == 0
    assert bodies[0].closed == 1 and out.closed == 1
    assert seen == []


@pytest.mark.parametrize(
    ("mode", "sent", "reported"),
    [("fix", b"hello", True), ("warn", b"hello, world", True)],
)
def test_wsgi_a_stream_longer_than_declared_is_cut_or_reported(
    mode: str, sent: bytes, reported: bool
) -> None:
    guard, seen = wsgi_guard(mode)
    bodies: list[Closing] = []
    use(guard, stream_app(b"hel", b"lo, ", b"world", holder=bodies))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatusGuardWarning)
        out = call_wsgi(guard)
    assert out.values("Content-Length") == ["5"]  # the head went out with the first chunk
    assert out.body == sent
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]
    assert bodies[0].closed == 1


def test_wsgi_strict_mode_stops_a_stream_longer_than_declared() -> None:
    # The head is out: strict mode ends the response at its Content-Length, reported loudly.
    guard, seen = wsgi_guard("strict")
    bodies: list[Closing] = []
    use(guard, stream_app(b"hel", b"lo, world", holder=bodies))
    assert call_wsgi(guard).body == b"hello"
    assert [(v.rule_id, v.action.value) for v in seen] == [("content-length-mismatch", "fixed")]
    assert bodies[0].closed == 1


def test_wsgi_a_stream_shorter_than_declared_is_reported_at_its_end() -> None:
    guard, seen = wsgi_guard()
    use(guard, stream_app(b"hel"))
    out = call_wsgi(guard)
    assert out.body == b"hel"
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]
    assert "ended after 3 bytes" in seen[0].message


def test_wsgi_a_stream_without_content_gets_its_length_corrected() -> None:
    guard, seen = wsgi_guard()
    use(guard, stream_app())
    out = call_wsgi(guard)
    # The head was still held when the stream ended: it goes out with the true length.
    assert out.values("Content-Length") == ["0"]
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]


def test_wsgi_a_stream_that_flushes_first_is_counted_too(counted: Counted) -> None:
    guard, seen = wsgi_guard()
    use(guard, stream_app(b"", b"hello"))
    counted.created = 0
    out = call_wsgi(guard)
    assert out.body == b"hello" and out.values("Content-Length") == ["5"]
    assert counted.created == 0
    assert seen == []


def test_wsgi_write_during_a_counted_stream() -> None:
    guard, seen = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        write = start_response("200 OK", list(HEADERS))

        def stream() -> Iterator[bytes]:
            yield b"hel"
            write(b"lo")

        return stream()

    use(guard, app)
    out = call_wsgi(guard)
    assert out.body == b"hello"
    assert seen == []


def test_wsgi_an_error_head_after_a_counted_stream_began_is_raised() -> None:
    guard, _ = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", list(HEADERS))

        def stream() -> Iterator[bytes]:
            yield b"hel"
            try:
                raise ValueError("late failure")
            except ValueError:
                start_response("500 Internal Server Error", [], sys.exc_info())
            yield b"lo"

        return stream()

    use(guard, app)
    # PEP 3333: once the head is out, start_response re-raises the error it was given.
    with pytest.raises(ValueError, match="late failure"):
        call_wsgi(guard)


def test_wsgi_a_file_wrapper_keeps_its_sendfile() -> None:
    class FileWrapper:
        def __init__(self, filelike: Any, block_size: int = 8192) -> None:
            self.filelike = filelike

        def __iter__(self) -> Iterator[bytes]:
            return iter([self.filelike.read()])

    guard, seen = wsgi_guard()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", list(HEADERS))
        wrapper: Iterable[bytes] = environ["wsgi.file_wrapper"](io.BytesIO(b"hello"))
        return wrapper

    use(guard, app)
    environ = wsgi_environ()
    environ["wsgi.file_wrapper"] = FileWrapper
    result = guard(environ, lambda status, headers, exc_info=None: lambda data: None)
    assert isinstance(result, FileWrapper)  # the server can still send the file itself
    assert seen == []


@pytest.mark.parametrize("status", [200.0, Decimal(200)], ids=["float", "Decimal"])
@pytest.mark.parametrize("via", ["cache", "memo"])
def test_wsgi_a_status_equal_to_a_remembered_int_is_judged_by_the_full_path(
    status: object, via: str
) -> None:
    guard, seen = wsgi_guard()
    statuses: list[object] = [200]

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(statuses[0], list(HEADERS))  # type: ignore[arg-type]
        return [b"hello"]

    use(guard, app)
    assert call_wsgi(guard).body == b"hello"  # an int 200 passes, and is remembered
    if via == "memo":  # another head in the one-entry cache: the memo is asked
        use(guard, clean_wsgi_app)
        call_wsgi(guard)
        use(guard, app)
    assert seen == []
    statuses[0] = status
    out = call_wsgi(guard)
    assert out.body == b"hello"
    assert [v.rule_id for v in seen] == ["status-code-invalid"]


def late_stream_app(after: str) -> Any:
    """A stream without Content-Length (nothing left for the engine: the fast path returns it
    to the server as it is) whose generator calls write() or start_response(exc_info) once its
    head went out."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])

        def stream() -> Iterator[bytes]:
            yield b"hel"
            if after == "write":
                write(b"lo")
                return
            try:
                raise ValueError("late failure")
            except ValueError:
                start_response("500 Internal Server Error", [], sys.exc_info())
            yield b"oops"

        return stream()

    return app


def serve_as_wsgiref(app: Any) -> tuple[list[str], object]:
    """The heads a server was given for one response, and the content it sent or the error
    it raised, with wsgiref's start_response rules: a second call needs exc_info, and
    re-raises it once content went out."""
    heads: list[str] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        if heads and exc_info is None:
            raise AssertionError("Headers already set!")
        if exc_info is not None and chunks:
            raise exc_info[1].with_traceback(exc_info[2])
        heads.append(status)
        return chunks.append

    try:
        for chunk in app(wsgi_environ(), start_response):
            if chunk:
                chunks.append(chunk)
    except ValueError as exc:
        return heads, str(exc)
    return heads, b"".join(chunks)


@pytest.mark.parametrize("after", ["write", "exc_info"])
def test_wsgi_a_stream_passed_as_it_is_still_follows_pep_3333(after: str) -> None:
    guard = WSGIStatusGuard(late_stream_app(after), mode="fix")
    # The full path first, then the fast path with the head remembered.
    outcomes = [serve_as_wsgiref(guard) for _ in range(3)]
    expected = b"hello" if after == "write" else "late failure"
    assert outcomes == [(["200 OK"], expected)] * 3


@pytest.mark.parametrize("body", ["list", "stream"])
def test_wsgi_the_servers_start_response_failing_is_not_retried(body: str) -> None:
    bodies: list[Closing] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        if body == "list":
            return [b"hello"]
        bodies.append(Closing([b"hello"]))
        return bodies[-1]

    guard = WSGIStatusGuard(app, mode="fix")
    assert call_wsgi(guard).body == b"hello"  # remembered: the next one takes the fast path
    calls: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        calls.append(status)
        raise OSError("the client went away")

    with pytest.raises(OSError, match="the client went away"):
        guard(wsgi_environ(), start_response)
    assert calls == ["200 OK"]  # the server's error, once, as without the guard
    assert all(closing.closed == 1 for closing in bodies)  # nothing returned: closed here


# -- ASGI ------------------------------------------------------------------------------------


def asgi_guard(mode: str = "fix") -> tuple[ASGIStatusGuard, list[Violation], dict[str, Any]]:
    seen: list[Violation] = []
    holder: dict[str, Any] = {"app": clean_asgi_app}

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await holder["app"](scope, receive, send)

    guard = ASGIStatusGuard(app, mode=mode, on_violation=seen.append)
    assert call_asgi(guard).body == b"hello"
    assert guard.engine.compiled.shapes
    return guard, seen, holder


async def clean_asgi_app(scope: Message, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)})
    await send({"type": "http.response.body", "body": b"hello"})


def test_asgi_fast_path_hands_the_server_the_apps_own_messages(counted: Counted) -> None:
    guard, seen, holder = asgi_guard()
    start = {"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)}
    body = {"type": "http.response.body", "body": b"hello"}

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send(start)
        await send(body)

    holder["app"] = app
    counted.created = 0
    out = call_asgi(guard)
    assert out.messages[0] is start and out.messages[1] is body
    assert len(out.messages) == 2
    assert counted.created == 0
    assert seen == []


@pytest.mark.parametrize(
    ("bodies", "length", "body"),
    [
        # One final body: the head is still held, and goes out with the true length.
        pytest.param([{"body": b"hello, world"}], b"12", b"hello, world", id="another length"),
        # A stream: the head went out with its first chunk; the rest is cut to the length.
        pytest.param(
            [{"body": b"hel", "more_body": True}, {"body": b"lo, world"}],
            b"5",
            b"hello",
            id="a longer stream",
        ),
    ],
)
def test_asgi_same_start_with_content_of_another_length(
    bodies: list[dict[str, Any]], length: bytes, body: bytes
) -> None:
    guard, seen, holder = asgi_guard()

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)})
        for message in bodies:
            await send({"type": "http.response.body", **message})

    holder["app"] = app
    out = call_asgi(guard)
    assert out.values("content-length") == [length]
    assert out.body == body
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]


def test_asgi_same_start_and_the_app_returns_without_a_body() -> None:
    guard, _, holder = asgi_guard()

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)})

    holder["app"] = app
    out = call_asgi(guard)
    # The start held for its content still reaches the server, as the app sent it: the
    # response never ended, which the server reports as it would without the guard.
    assert [m["type"] for m in out.messages] == ["http.response.start"]
    assert out.headers == RAW_HEADERS


def test_asgi_same_start_and_the_app_raises_before_its_body() -> None:
    guard, _, holder = asgi_guard()

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)})
        raise RuntimeError("the app failed")

    holder["app"] = app
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}

    with pytest.raises(RuntimeError, match="the app failed"):
        asyncio.run(guard(http_scope(), receive, send))
    assert sent == []  # the server answers 500 instead of a half-sent response


def test_asgi_strict_mode_raises_for_the_same_start_with_the_wrong_length() -> None:
    guard, _, holder = asgi_guard("strict")

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)})
        await send({"type": "http.response.body", "body": b"hi"})

    holder["app"] = app
    with pytest.raises(StatusGuardError) as raised:
        call_asgi(guard)
    assert [v.rule_id for v in raised.value.violations] == ["content-length-mismatch"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(HTTPStatus.OK, []), (200.0, ["status-code-invalid"])],
    ids=["IntEnum", "float"],
)
def test_asgi_a_status_equal_to_200_but_not_an_int_is_judged_by_the_full_path(
    status: object, expected: list[str]
) -> None:
    guard, seen, holder = asgi_guard("warn")

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(RAW_HEADERS)})
        await send({"type": "http.response.body", "body": b"hello"})

    holder["app"] = app
    # (Any other warning fails the test: the suite runs with filterwarnings = error.)
    with pytest.warns(StatusGuardWarning) if expected else contextlib.nullcontext():
        out: Output = call_asgi(guard)
    assert out.body == b"hello"
    assert [v.rule_id for v in seen] == expected


def test_asgi_headers_given_as_a_generator_are_read_once(counted: Counted) -> None:
    guard, seen, holder = asgi_guard()

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": iter(list(RAW_HEADERS))}
        )
        await send({"type": "http.response.body", "body": b"hello"})

    holder["app"] = app
    counted.created = 0
    out = call_asgi(guard)
    assert out.headers == RAW_HEADERS
    assert counted.created == 0  # read once into a list, which the screen decides
    assert seen == []


def test_asgi_a_head_remembered_for_get_is_not_reused_for_head(counted: Counted) -> None:
    guard, seen, _ = asgi_guard()
    shapes = dict(guard.engine.compiled.shapes)
    counted.created = 0
    out = call_asgi(guard, method="HEAD")
    assert len(guard.engine.compiled.shapes) == len(shapes) + 1  # a shape of its own
    assert out.headers == RAW_HEADERS
    assert seen == []


@pytest.mark.parametrize("fails_on", ["start", "chunk"])
def test_asgi_a_server_send_that_raises_at_once_is_not_retried(fails_on: str) -> None:
    """A send that raises when called (not when awaited) raises once, as without the guard:
    the fast path does not hand the message to the full path to send it again."""
    no_length = [(b"content-type", b"text/plain")]

    async def app(scope: Message, receive: Any, send: Any) -> None:
        if fails_on == "start":  # nothing left to check: the start goes out at once
            await send({"type": "http.response.start", "status": 200, "headers": no_length})
            await send({"type": "http.response.body", "body": b"hello"})
        else:  # a counted stream: its second chunk goes out as it comes
            await send(
                {"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)}
            )
            await send({"type": "http.response.body", "body": b"hel", "more_body": True})
            await send({"type": "http.response.body", "body": b"lo"})

    guard = ASGIStatusGuard(app, mode="fix")
    assert call_asgi(guard).body == b"hello"  # remembered: the next one takes the fast path
    calls: list[Message] = []

    class Sent:
        def __await__(self) -> Any:
            return iter(())

    def send(message: Message) -> Any:
        calls.append(message)
        if fails_on == "start" or message.get("body") == b"lo":
            raise OSError("the client went away")
        return Sent()

    async def receive() -> Message:
        return {"type": "http.request"}

    with pytest.raises(OSError, match="the client went away"):
        asyncio.run(guard(http_scope(), receive, send))
    expected = 1 if fails_on == "start" else 3
    assert len(calls) == expected  # each message once, the failing one included


# -- ASGI streams: counted on the way -----------------------------------------------------------


def streaming_asgi_app(*chunks: bytes, end: bool = True, trailers: bool = False) -> Any:
    async def app(scope: Message, receive: Any, send: Any) -> None:
        start = {"type": "http.response.start", "status": 200, "headers": list(RAW_HEADERS)}
        if trailers:
            start["trailers"] = True
        await send(start)
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if end:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        if trailers:
            await send({"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]})

    return app


def test_asgi_a_stream_of_the_declared_length_is_only_counted(counted: Counted) -> None:
    guard, seen, holder = asgi_guard()
    holder["app"] = streaming_asgi_app(b"he", b"llo")
    counted.created = 0
    out = call_asgi(guard)
    assert out.headers == RAW_HEADERS and out.body == b"hello"
    assert [m.get("more_body") for m in out.messages[1:]] == [True, True, False]
    assert counted.created == 0
    assert seen == []


@pytest.mark.parametrize(("mode", "body"), [("fix", b"hello"), ("warn", b"hello, world")])
def test_asgi_a_stream_longer_than_declared_is_cut_or_reported(mode: str, body: bytes) -> None:
    guard, seen, holder = asgi_guard(mode)
    holder["app"] = streaming_asgi_app(b"hel", b"lo, ", b"world")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatusGuardWarning)
        out = call_asgi(guard)
    assert out.values("content-length") == [b"5"]  # the head went out with the first chunk
    assert out.body == body
    assert out.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]


def test_asgi_strict_mode_stops_a_stream_longer_than_declared() -> None:
    # The head is out: strict mode ends the response at its Content-Length, reported loudly.
    guard, seen, holder = asgi_guard("strict")
    holder["app"] = streaming_asgi_app(b"hel", b"lo, world")
    assert call_asgi(guard).body == b"hello"
    assert [(v.rule_id, v.action.value) for v in seen] == [("content-length-mismatch", "fixed")]


@pytest.mark.parametrize(
    ("end", "reported"),
    [
        pytest.param(True, ["content-length-mismatch"], id="ended: reported at its end"),
        # A stream that never ends is never measured, with or without the screen, and
        # nothing is invented: the server sees the response end as the app left it.
        pytest.param(False, [], id="left unfinished: stays so"),
    ],
)
def test_asgi_a_stream_shorter_than_declared(end: bool, reported: list[str]) -> None:
    guard, seen, holder = asgi_guard()
    holder["app"] = streaming_asgi_app(b"hel", end=end)
    out = call_asgi(guard)
    assert out.body == b"hel"
    assert len(out.messages) == (3 if end else 2)
    assert [v.rule_id for v in seen] == reported


def test_asgi_trailers_after_a_counted_stream_pass() -> None:
    guard, seen, holder = asgi_guard()
    holder["app"] = streaming_asgi_app(b"he", b"llo", trailers=True)
    out = call_asgi(guard)
    assert out.body == b"hello"
    assert out.messages[-1] == {"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]}
    assert seen == []


# -- the one-entry cache in front of the memo (Engine.last) ----------------------------------


def test_wsgi_a_header_list_changed_in_place_is_judged_again() -> None:
    headers = list(HEADERS)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", headers)  # the same list object every time
        return [b"hello"]

    guard, seen = wsgi_guard()
    use(guard, app)
    assert call_wsgi(guard).body == b"hello"
    assert call_wsgi(guard).body == b"hello"
    headers[1] = ("Content-Length", "3")  # the app changes its list in place
    out = call_wsgi(guard)
    assert out.values("Content-Length") == ["5"]
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]


def test_asgi_a_start_message_changed_in_place_is_judged_again() -> None:
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": 200,
        "headers": list(RAW_HEADERS),
    }

    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send(start)  # the same message object every time
        await send({"type": "http.response.body", "body": b"hello"})

    guard, seen, holder = asgi_guard()
    holder["app"] = app
    assert call_asgi(guard).body == b"hello"
    assert call_asgi(guard).body == b"hello"
    start["headers"][1] = (b"content-length", b"3")  # changed in place, list and all
    out = call_asgi(guard)
    assert out.values("content-length") == [b"5"]
    start["status"] = 204
    start["headers"] = []
    out = call_asgi(guard)
    assert out.status == 204 and out.body == b""
    assert [v.rule_id for v in seen] == ["content-length-mismatch", "content-forbidden"]


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
def test_what_the_fast_path_remembers_goes_when_force_recompiles(adapter: str) -> None:
    """A head remembered as passing stops passing when the pytest plugin's force() makes a
    rule strict: the memo goes with the old generation of plans."""
    rules = {"content-type-missing": "off"}
    if adapter == "wsgi":

        def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            start_response("200 OK", [("Content-Length", "5")])
            return [b"hello"]

        guard: Any = WSGIStatusGuard(wsgi_app, mode="fix", rules=rules)
        run: Any = call_wsgi
    else:

        async def asgi_app(scope: Message, receive: Any, send: Any) -> None:
            start = {"type": "http.response.start", "status": 200}
            await send(start | {"headers": [(b"content-length", b"5")]})
            await send({"type": "http.response.body", "body": b"hello"})

        guard = ASGIStatusGuard(asgi_app, mode="fix", rules=rules)
        run = call_asgi
    assert run(guard).body == b"hello"
    assert run(guard).body == b"hello"  # screened by its shape
    assert guard.engine.compiled.shapes
    try:
        statusguard.engine.force(rules={"content-type-missing": "strict"})
        with pytest.raises(StatusGuardError) as raised:
            run(guard)
    finally:
        statusguard.engine.force()
    assert [v.rule_id for v in raised.value.violations] == ["content-type-missing"]


# -- statuses whose rules read the request ----------------------------------------------------


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
def test_a_304_to_a_conditional_get_takes_the_shortcut(
    adapter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # not-modified-unconditional and not-modified-method read only the request
    # (Rule.request_check): the screen decides the rest of a 304 by its shape and runs them.
    seen: list[Violation] = []
    lines = [("ETag", '"v1"'), ("Cache-Control", "max-age=60")]

    def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("304 Not Modified", list(lines))
        return []

    async def asgi_app(scope: Message, receive: Any, send: Any) -> None:
        headers = [(n.lower().encode(), v.encode()) for n, v in lines]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def request(method: str, conditional: bool) -> Output:
        if adapter == "wsgi":
            environ = wsgi_environ("/", method)
            if conditional:
                environ["HTTP_IF_NONE_MATCH"] = '"v1"'
            return call_wsgi(guard, environ=environ)
        scope = http_scope("/", method)
        scope["headers"] = [(b"if-none-match", b'"v1"')] if conditional else []
        return call_asgi(guard, scope=scope)

    guard: Any = (
        WSGIStatusGuard(wsgi_app, mode="fix", on_violation=seen.append)
        if adapter == "wsgi"
        else ASGIStatusGuard(asgi_app, mode="fix", on_violation=seen.append)
    )
    request("GET", True)  # the screen learns the shape
    counted = Counted(monkeypatch)
    for _ in range(3):
        request("GET", True)
    assert counted.created == 0
    assert seen == []
    # The same shape answering an unconditional GET, then a POST: the full path reports each.
    request("GET", False)
    request("POST", True)
    assert counted.created == 2
    assert [v.rule_id for v in seen] == ["not-modified-unconditional", "not-modified-method"]
