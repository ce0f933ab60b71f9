"""Hostile input: what each adapter does, in fix mode, with responses built to hurt it.

Every row is one documented outcome (docs/hostile-input.md): what the server is handed, what is
reported (rule and action), and whether statusguard failed internally (logged once, counted,
the app's response passed unchanged).  None of them crashes the middleware.

Cost: the engine's work must stay linear in the size of the response.  Timing is not asserted
here; instead the tests count the Python-level calls (``sys.setprofile``) one response costs
and check how they grow with the number of header lines and chunks (linearly) and with the size
of one value (not at all: the per-byte work is in C, and ``benchmarks/hostile.py`` measures
it).  The wire tests run the worst of them under gunicorn and uvicorn.
"""

from __future__ import annotations

import contextlib
import gc
import http
import logging
import socket
import sys
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

import h11
import pytest
from apps.hostile import BIG, HOSTILE
from support.drive import Output, call_asgi, call_wsgi
from support.servers import Server, serve
from support.wire import Exchange, assert_wire_clean, exchange

from statusguard import ASGIStatusGuard, Violation, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from support.drive import Message, Receive, Send

pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

QUIET = logging.getLogger("statusguard.test_hostile")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False

SAME = object()  # the expected headers are the app's own, unchanged
ROUNDS = 3  # each hostile response is served this many times by the same guard
CT = ("Content-Type", "text/plain")


class Seen:
    def __init__(self) -> None:
        self.rules: dict[str, str] = {}

    def __call__(self, violation: Violation) -> None:
        self.rules[violation.rule_id] = violation.action.value


def wsgi(
    status: Any, headers: list[Any], body: Iterable[bytes] | Callable[[], Iterable[bytes]]
) -> tuple[Output, dict[str, str], int]:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, headers)
        return body() if callable(body) else body

    seen = Seen()
    guard = WSGIStatusGuard(app, mode="fix", on_violation=seen, logger=QUIET)
    out = call_wsgi(guard, "/hostile")
    for _ in range(ROUNDS - 1):  # again: what the guard remembered must give the same answer
        assert call_wsgi(guard, "/hostile") == out
    return out, seen.rules, guard.stats().internal_errors // ROUNDS


def asgi(start: Message, *bodies: Message) -> tuple[Output, dict[str, str], int]:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        await send(start)
        for message in bodies:
            await send(message)

    seen = Seen()
    guard = ASGIStatusGuard(app, mode="fix", on_violation=seen, logger=QUIET)
    out = call_asgi(guard, "/hostile")
    for _ in range(ROUNDS - 1):  # again: what the guard remembered must give the same answer
        assert call_asgi(guard, "/hostile").messages == out.messages
    return out, seen.rules, guard.stats().internal_errors // ROUNDS


def start(status: Any, headers: Any = ()) -> Message:
    return {"type": "http.response.start", "status": status, "headers": list(headers)}


def body(data: Any = b"", more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


def stream(chunks: list[bytes]) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        yield from chunks

    return generate


FIXED_VALUE = {"field-value-invalid": "fixed"}

# --------------------------------------------------------------------------------------------
# WSGI: (status, headers, body) → (status sent, headers sent, content sent, rules, internal)

WSGI_ROWS = [
    *(
        pytest.param(
            "200 OK",
            [CT, ("X-Evil", f"a{ctl}b")],
            [b"hi"],
            "200 OK",
            [CT],
            b"hi",
            FIXED_VALUE,
            0,
            id=f"value with {name}",
        )
        for name, ctl in [
            ("CR", "\r"),
            ("LF", "\n"),
            ("CRLF injection", "\r\nX-Injected: 1"),
            ("NUL", "\x00"),
            ("BEL", "\x07"),
            ("ESC", "\x1b"),
            ("VT", "\x0b"),
            ("DEL", "\x7f"),
        ]
    ),
    pytest.param(
        "200 OK", [CT, ("X-Tab", "a\tb")], [b"hi"], "200 OK", SAME, b"hi", {}, 0, id="inner HTAB"
    ),
    # In HTTP/1.1 the whitespace around a value is the field line's (RFC 9112 §5): it is fine.
    pytest.param(
        "200 OK",
        [CT, ("X-Pad", " \tv ")],
        [b"hi"],
        "200 OK",
        SAME,
        b"hi",
        {},
        0,
        id="surrounding whitespace",
    ),
    pytest.param(
        "200 OK",
        [CT, ("X-Evil\r\nX-Injected", "1"), ("X Space", "1"), ("", "1")],
        [b"hi"],
        "200 OK",
        [CT],
        b"hi",
        {"field-name-invalid": "fixed"},
        0,
        id="names that are not tokens",
    ),
    pytest.param(
        "200 OK\r\nX-Injected: 1",
        [CT],
        [b"hi"],
        "200 OK",
        SAME,
        b"hi",
        {"reason-phrase-invalid": "fixed"},
        0,
        id="CRLF in the reason phrase",
    ),
    pytest.param(
        "200 OK", [CT, ("X-Bytes", b"v")], [b"hi"], "200 OK", SAME, b"hi", {}, 0, id="bytes value"
    ),
    pytest.param(
        "200 OK", [CT, ("X-Int", 5)], [b"hi"], "200 OK", SAME, b"hi", {}, 1, id="int value"
    ),
    pytest.param(
        "200 OK",
        [CT, ("X-Surrogate", "\udcff")],
        [b"hi"],
        "200 OK",
        SAME,
        b"hi",
        {},
        1,
        id="lone surrogate",
    ),
    *(
        pytest.param(
            status,
            [CT],
            [b"hi"],
            status,
            SAME,
            b"hi",
            {"status-code-invalid": "reported"},
            0,
            id=f"status {status!r}",
        )
        for status in [
            "abc",
            "2000 OK",
            "",
            "99 Low",
            "600 High",
            " 200 OK",
            "2OO OK",
            None,
            200.0,
        ]
    ),
    pytest.param("200", [CT], [b"hi"], "200", SAME, b"hi", {}, 0, id="status '200'"),
    pytest.param(
        "200 OK",
        [CT, ("Content-Length", "9" * 5000)],
        [b"hi"],
        "200 OK",
        [CT, ("Content-Length", "2")],
        b"hi",
        {"content-length-invalid": "fixed"},
        0,
        id="5000-digit Content-Length, known content",
    ),
    pytest.param(
        "200 OK",
        [CT, ("Content-Length", "9" * 5000)],
        stream([b"h", b"i"]),
        "200 OK",
        [CT],
        b"hi",
        {"content-length-invalid": "fixed"},
        0,
        id="5000-digit Content-Length, streamed",
    ),
    pytest.param(
        "200 OK",
        [CT, ("Content-Length", "0" * 5000 + "2")],
        [b"hi"],
        "200 OK",
        [CT, ("Content-Length", "2")],
        b"hi",
        {"content-length-invalid": "fixed"},
        0,
        id="Content-Length 2 with 5000 leading zeros",
    ),
    pytest.param(
        "200 OK",
        [CT, *((f"X-H{i}", str(i)) for i in range(5000))],
        [b"hi"],
        "200 OK",
        SAME,
        b"hi",
        {},
        0,
        id="5000 headers",
    ),
    pytest.param(
        "200 OK",
        [CT] * 5000,
        [b"hi"],
        "200 OK",
        [CT],
        b"hi",
        {"field-duplicate": "fixed"},
        0,
        id="5000 copies of a singleton",
    ),
    pytest.param(
        "200 OK",
        [CT, *((f"X-H{i}", f"{i}\r\n") for i in range(5000))],
        [b"hi"],
        "200 OK",
        [CT],
        b"hi",
        FIXED_VALUE,
        0,
        id="5000 injected headers",
    ),
    pytest.param(
        "200 OK",
        [CT, ("X-Big", "v" * BIG)],
        [b"hi"],
        "200 OK",
        SAME,
        b"hi",
        {},
        0,
        id="2 MB value",
    ),
    pytest.param(
        "200 OK",
        [CT, ("X-Big", "v" * BIG + "\x00")],
        [b"hi"],
        "200 OK",
        [CT],
        b"hi",
        FIXED_VALUE,
        0,
        id="2 MB value ending in NUL",
    ),
    pytest.param(
        "200 OK",
        [CT, ("Content-Length", "2")],
        stream([b""] * 100_000 + [b"hi"]),
        "200 OK",
        SAME,
        b"hi",
        {},
        0,
        id="100k empty chunks",
    ),
    pytest.param(
        "204 No Content",
        [],
        stream([b""] * 100_000 + [b"hi"]),
        "204 No Content",
        SAME,
        b"",
        {"content-forbidden": "fixed"},
        0,
        id="100k empty chunks on a 204",
    ),
    pytest.param(
        "200 OK",
        [CT, ("Content-Length", "2")],
        [b""] * 100_000 + [b"hi"],
        "200 OK",
        SAME,
        b"hi",
        {},
        0,
        id="100k empty chunks in a list",
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "content", "sent_status", "sent_headers", "sent", "rules", "internal"),
    WSGI_ROWS,
)
def test_wsgi_hostile_input(
    status: Any,
    headers: list[Any],
    content: Any,
    sent_status: Any,
    sent_headers: Any,
    sent: bytes,
    rules: dict[str, str],
    internal: int,
) -> None:
    out, seen, internal_errors = wsgi(status, headers, content)
    assert out.status == sent_status
    assert out.headers == (headers if sent_headers is SAME else sent_headers)
    assert out.body == sent
    assert seen == rules
    assert internal_errors == internal


def test_wsgi_non_latin_1_values_pass_as_given_when_nothing_else_is_fixed() -> None:
    # PEP 3333 wants latin-1 str; no rule reads the str itself, so the server gets it as the
    # app gave it and refuses it as it would without the guard (gunicorn answers 500).
    headers: list[Any] = [CT, ("Content-Disposition", 'attachment; filename="€.txt"')]
    out, seen, internal = wsgi("200 OK", headers, [b"hi"])
    assert (out.headers, seen, internal) == (headers, {}, 0)


def test_wsgi_non_latin_1_values_go_out_as_utf_8_when_the_head_is_rewritten() -> None:
    # Once a fix rewrites the head, every line is re-encoded: the value is sent as its UTF-8
    # bytes (obs-text, RFC 9110 §5.5), which every server can send.
    headers: list[Any] = [CT, CT, ("Content-Disposition", 'attachment; filename="€.txt"')]
    out, seen, internal = wsgi("200 OK", headers, [b"hi"])
    utf8_as_latin_1 = 'attachment; filename="€.txt"'.encode().decode("latin-1")
    assert out.headers == [CT, ("Content-Disposition", utf8_as_latin_1)]
    assert (seen, internal) == ({"field-duplicate": "fixed"}, 0)


# --------------------------------------------------------------------------------------------
# ASGI

HB = (b"content-type", b"text/plain")

ASGI_ROWS = [
    *(
        pytest.param(
            start(status, [HB]),
            [body(b"hi")],
            status,
            [HB],
            b"hi",
            {"status-code-invalid": "reported"},
            0,
            id=f"status {status!r}",
        )
        for status in ["200", None, 200.0, 200.5, True, 2000, 99, 0, -1]
    ),
    pytest.param(
        start(http.HTTPStatus.NO_CONTENT),
        [body(b"hi")],
        http.HTTPStatus.NO_CONTENT,
        [],
        b"",
        {"content-forbidden": "fixed"},
        0,
        id="HTTPStatus.NO_CONTENT",
    ),
    pytest.param(
        start(103, [HB]),
        [body(b"hi")],
        103,
        [HB],
        b"",
        {"status-interim-final": "reported", "content-forbidden": "fixed"},
        0,
        id="status 103 as the final response",
    ),
    pytest.param(
        start(200, [HB, (b"x-evil", b"a\r\nx-injected: 1"), (b"x-nul", b"\x00")]),
        [body(b"hi")],
        200,
        [HB],
        b"hi",
        FIXED_VALUE,
        0,
        id="CR, LF and NUL in values",
    ),
    pytest.param(
        start(200, [HB, (b"x evil\r\n", b"1")]),
        [body(b"hi")],
        200,
        [HB],
        b"hi",
        {"field-name-invalid": "fixed"},
        0,
        id="CRLF in a name",
    ),
    pytest.param(
        start(200, [HB, (bytearray(b"x-a"), bytearray(b"1"))]),
        [body(b"hi")],
        200,
        [HB, (bytearray(b"x-a"), bytearray(b"1"))],
        b"hi",
        {},
        0,
        id="bytearray lines",
    ),
    pytest.param(
        start(200, [("content-type", "text/plain")]),
        [body(b"hi")],
        200,
        [("content-type", "text/plain")],
        b"hi",
        {},
        0,
        id="str lines",
    ),
    pytest.param(
        start(200, [HB, (b"x-big", b"v" * BIG)]),
        [body(b"hi")],
        200,
        [HB, (b"x-big", b"v" * BIG)],
        b"hi",
        {},
        0,
        id="2 MB value",
    ),
    pytest.param(
        start(200, [HB, *((b"x-h%d" % i, b"%d" % i) for i in range(5000))]),
        [body(b"hi")],
        200,
        [HB, *((b"x-h%d" % i, b"%d" % i) for i in range(5000))],
        b"hi",
        {},
        0,
        id="5000 headers",
    ),
    pytest.param(
        start(200, [HB, (b"content-length", b"9" * 5000)]),
        [body(b"hi")],
        200,
        [HB, (b"content-length", b"2")],
        b"hi",
        {"content-length-invalid": "fixed"},
        0,
        id="5000-digit Content-Length",
    ),
    pytest.param(
        start(200, [HB, (b"content-length", b"2")]),
        [*[body(b"", more=True)] * 100_000, body(b"hi")],
        200,
        [HB, (b"content-length", b"2")],
        b"hi",
        {},
        0,
        id="100k empty body messages",
    ),
    pytest.param(
        start(204),
        [*[body(b"", more=True)] * 100_000, body(b"hi")],
        204,
        [],
        b"",
        {"content-forbidden": "fixed"},
        0,
        id="100k empty body messages on a 204",
    ),
    pytest.param(
        start(204),
        [body(None)],
        204,
        [],
        b"",
        {},
        0,
        id="body None",
    ),
]


@pytest.mark.parametrize(
    ("first", "bodies", "sent_status", "sent_headers", "sent", "rules", "internal"), ASGI_ROWS
)
def test_asgi_hostile_input(
    first: Message,
    bodies: list[Message],
    sent_status: Any,
    sent_headers: list[Any],
    sent: bytes,
    rules: dict[str, str],
    internal: int,
) -> None:
    out, seen, internal_errors = asgi(first, *bodies)
    assert out.status == sent_status
    assert type(out.status) is type(sent_status)  # the app's own status object goes out
    assert out.headers == sent_headers
    assert out.body == sent
    assert seen == rules
    assert internal_errors == internal
    assert out.messages[-1].get("more_body", False) is False


def test_asgi_empty_messages_are_forwarded_once_the_head_is_out() -> None:
    # No check holds this start: the empty messages reach the server, one for one.
    out, _, _ = asgi(start(200, [HB]), *[body(b"", more=True)] * 1000, body(b"hi"))
    assert len(out.messages) == 1002


# --------------------------------------------------------------------------------------------
# bounded messages and memory


def test_a_several_megabyte_value_makes_a_short_message() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [CT, ("X-Big", "v" * BIG + "\r")])
        return [b"hi"]

    seen: list[Violation] = []
    guard = WSGIStatusGuard(app, mode="fix", on_violation=seen.append, logger=QUIET)
    call_wsgi(guard, "/")
    (violation,) = seen
    assert len(violation.message) < 1_000
    assert "more characters)" in violation.message


def retained_by(run: Callable[[int], object], count: int) -> int:
    """Bytes still allocated after ``count`` runs, compared with after one (tracemalloc)."""
    run(0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(1, count + 1):
            run(i)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
def test_distinct_large_values_are_not_kept(adapter: str) -> None:
    value = "v" * 1_000_000

    def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [CT, ("X-Big", value + environ["PATH_INFO"])])
        return [b"hi"]

    async def asgi_app(scope: Message, receive: Receive, send: Send) -> None:
        line = (b"x-big", (value + scope["path"]).encode())
        await send(start(200, [HB, line]))
        await send(body(b"hi"))

    if adapter == "wsgi":
        guard: Any = WSGIStatusGuard(wsgi_app, mode="fix", logger=QUIET)
        retained = retained_by(lambda i: call_wsgi(guard, f"/{i}"), 50)
    else:
        guard = ASGIStatusGuard(asgi_app, mode="fix", logger=QUIET)
        retained = retained_by(lambda i: call_asgi(guard, f"/{i}"), 50)
    assert retained < 5_000_000, f"{retained / 1e6:.1f} MB kept after 50 responses"


# --------------------------------------------------------------------------------------------
# cost: linear in the size of the response, counted in calls


def calls(run: Callable[[], object]) -> int:
    """How many Python function calls and executed lines ``run()`` takes (``sys.settrace``):
    every iteration of a Python loop is a line event, so a quadratic pass shows up.  Work done
    inside one C call (a regular expression over a value) is not counted; it is linear in the
    value and measured by ``benchmarks/hostile.py``."""
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        count += 1
        return trace

    sys.settrace(trace)
    try:
        run()
    finally:
        sys.settrace(None)
    return count


def wsgi_cost(status: str, headers: list[Any], chunks: Callable[[], Iterable[bytes]]) -> int:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, headers)
        return chunks()

    guard = WSGIStatusGuard(app, mode="fix", logger=QUIET)  # fresh: nothing remembered
    return calls(lambda: call_wsgi(guard, "/"))


def asgi_cost(first: Message, bodies: list[Message]) -> int:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        await send(first)
        for message in bodies:
            await send(message)

    guard = ASGIStatusGuard(app, mode="fix", logger=QUIET)
    return calls(lambda: call_asgi(guard, "/"))


def lines(n: int, tag: str, value: str = "v") -> list[tuple[str, str]]:
    # Distinct names per measurement, so no name is already known to be a token.
    return [(f"X-{tag}-{n}-{i}", value) for i in range(n)]


LINE_CASES: dict[str, Callable[[int], int]] = {
    "clean lines": lambda n: wsgi_cost("200 OK", [CT, *lines(n, "a")], lambda: [b"hi"]),
    "injected lines": lambda n: wsgi_cost(
        "200 OK", [CT, *lines(n, "b", "v\r\n")], lambda: [b"hi"]
    ),
    "bad names": lambda n: wsgi_cost(
        "200 OK", [CT, *((f"X {n} {i}", "v") for i in range(n))], lambda: [b"hi"]
    ),
    "duplicates": lambda n: wsgi_cost("200 OK", [CT] * n, lambda: [b"hi"]),
    "content-lengths": lambda n: wsgi_cost(
        "200 OK", [CT, *(("Content-Length", str(i)) for i in range(n))], lambda: [b"hi"]
    ),
    "asgi lines": lambda n: asgi_cost(
        start(200, [HB, *((b"x-%d-%d" % (n, i), b"v\r") for i in range(n))]), [body(b"hi")]
    ),
    "empty chunks": lambda n: wsgi_cost(
        "200 OK", [CT, ("Content-Length", "2")], stream([b""] * n + [b"hi"])
    ),
    "empty chunks 204": lambda n: wsgi_cost("204 No Content", [], stream([b""] * n + [b"hi"])),
    "asgi empty messages": lambda n: asgi_cost(
        start(204), [*[body(b"", more=True)] * n, body(b"hi")]
    ),
}


@pytest.mark.parametrize("case", list(LINE_CASES))
def test_cost_grows_linearly_with_lines_and_chunks(case: str) -> None:
    measure = LINE_CASES[case]
    measure(10)  # lazy imports and first-time work happen here
    small, large = measure(1_000), measure(4_000)
    # Linear: four times the lines or chunks, at most about four times the calls (a quadratic
    # pass would make it sixteen).
    assert large <= 4.4 * small, (small, large)


VALUE_CASES: dict[str, Callable[[int], tuple[str, str]]] = {
    "clean": lambda size: ("X-Big", "v" * size),
    "NUL at the end": lambda size: ("X-Big", "v" * size + "\x00"),
    "space at the end": lambda size: ("X-Big", "v" * size + " "),
    "Date": lambda size: ("Date", "v" * size),
    "Location": lambda size: ("Location", "/" + "v" * size),
    "Retry-After": lambda size: ("Retry-After", "1" * size + "x"),
    "Content-Length": lambda size: ("Content-Length", "9" * size),
    "name": lambda size: ("X" * size, "v"),
}


@pytest.mark.parametrize("case", list(VALUE_CASES))
def test_cost_does_not_grow_with_the_size_of_a_value(case: str) -> None:
    line = VALUE_CASES[case]
    status = "503 Service Unavailable" if line(1)[0] == "Retry-After" else "302 Found"
    wsgi_cost(status, [CT, line(10)], lambda: [b"hi"])  # lazy imports happen here
    small = wsgi_cost(status, [CT, line(100_000)], lambda: [b"hi"])
    large = wsgi_cost(status, [CT, line(1_000_000)], lambda: [b"hi"])
    # The same work, give or take a constant: the Date a fix adds is formatted at most once a
    # second, so one of the two runs may format it.  A pass over the bytes in Python would add
    # at least 900,000 events.
    assert large <= small + 500, (small, large)


# --------------------------------------------------------------------------------------------
# on the wire

WIRE_APPS = {
    "gunicorn-sync": "apps.hostile:wsgi_fix",
    "uvicorn-h11": "apps.hostile:asgi_fix",
    "uvicorn-httptools": "apps.hostile:asgi_fix",
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(name, app)) for name, app in WIRE_APPS.items()}


def _wire(srv: Server, path: str) -> Exchange:
    return exchange(srv, "GET", path, timeout=10.0)


def _fetch_large(srv: Server, path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request, the reply parsed by an h11 client that accepts a head of several MB
    (:func:`support.wire.exchange` accepts up to :data:`support.wire.HEAD_LIMIT`)."""
    client = h11.Connection(h11.CLIENT, max_incomplete_event_size=4 * BIG)
    request = h11.Request(
        method="GET", target=path, headers=[("Host", "x"), ("Connection", "close")]
    )
    status, headers, content = 0, [], b""
    with socket.create_connection(srv.address, timeout=10.0) as sock:
        sock.sendall((client.send(request) or b"") + (client.send(h11.EndOfMessage()) or b""))
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                client.receive_data(sock.recv(1 << 20))
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = [(bytes(n), bytes(v)) for n, v in event.headers]
            elif isinstance(event, h11.Data):
                content += bytes(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return status, headers, content


LARGE_HEADS = ("/big-value", "/big-value-nul")


@pytest.mark.parametrize("server", list(WIRE_APPS))
@pytest.mark.parametrize("path", [path for path in HOSTILE if path not in LARGE_HEADS])
def test_hostile_responses_reach_the_wire_clean(
    servers: dict[str, Server], server: str, path: str
) -> None:
    ex = _wire(servers[server], path)
    hostile = HOSTILE[path]
    assert_wire_clean(ex, expected_status=hostile.status, no_content=hostile.status == 204)
    reply = ex.first
    assert reply is not None
    if path == "/many-headers":
        assert len([n for n, _ in reply.headers if n.startswith(b"x-h")]) == 3000
    if path in ("/control-values", "/crlf-value", "/bare-cr", "/bare-lf", "/crlf-name"):
        assert not [n for n, _ in reply.headers if n.startswith(b"x-")]
    if path == "/empty-chunks":
        assert reply.body == b"hi"


@pytest.mark.parametrize("server", list(WIRE_APPS))
@pytest.mark.parametrize("path", LARGE_HEADS)
def test_a_several_megabyte_header_reaches_the_wire_whole_or_not_at_all(
    servers: dict[str, Server], server: str, path: str
) -> None:
    status, headers, content = _fetch_large(servers[server], path)
    assert (status, content) == (200, b"hi")
    big = [value for name, value in headers if name == b"x-big"]
    assert big == ([] if path.endswith("-nul") else [b"v" * BIG])
    assert len([value for name, value in headers if name == b"date"]) == 1
