"""ASGIStatusGuard driven directly: real ASGI apps, a recording ``send``, no server.

Each app sends a fixed sequence of messages; the tests compare what reaches ``send`` (the
server's side) message by message.  The wire tests (``test_asgi_wire.py``) show the same routes
through real servers.
"""

from __future__ import annotations

import asyncio
import copy
import email.utils
import functools
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import h11
import pytest
from asgiref.testing import ApplicationCommunicator
from hypothesis import given, settings
from hypothesis import strategies as st

from statusguard import (
    CATALOGUE,
    ConfigurationError,
    Head,
    Reference,
    Rule,
    Severity,
    StatusGuardError,
    StatusGuardWarning,
    Violation,
)
from statusguard._asgi_types import ASGIApp, Message, Receive, Scope, Send
from statusguard.asgi import ASGIStatusGuard, _Responder
from statusguard.rules._syntax import is_imf_fixdate

# Warn-mode reports issue StatusGuardWarning, which the suite's filterwarnings=error would turn
# into exceptions; the tests read the violations through on_violation instead.
pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

Header = tuple[bytes, bytes]

CT: Header = (b"content-type", b"text/plain")
DATE_1994 = b"Sun, 06 Nov 1994 08:49:37 GMT"
NOW = b"<now>"  # stands for a Date statusguard wrote (see normalize)


def cl(n: int | str) -> Header:
    return (b"content-length", str(n).encode())


TE: Header = (b"transfer-encoding", b"chunked")


def start(status: int, *headers: Header, **extra: Any) -> Message:
    return {"type": "http.response.start", "status": status, "headers": list(headers), **extra}


def body(data: bytes = b"", *, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


def trailers(*headers: Header, more: bool = False) -> Message:
    return {"type": "http.response.trailers", "headers": list(headers), "more_trailers": more}


def http_scope(
    path: str = "/", *, method: str = "GET", http_version: str = "1.1", **extra: Any
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": http_version,
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "extensions": {},
        **extra,
    }


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def app_sending(*messages: Message) -> ASGIApp:
    """A raw ASGI app that sends ``messages`` in order, yielding to the loop between them."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            await send(message)
            await asyncio.sleep(0)  # lets concurrent responses interleave

    return app


async def drive(app: ASGIApp, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def run(app: ASGIApp, scope: Scope | None = None) -> list[Message]:
    return asyncio.run(drive(app, scope or http_scope()))


# The server these tests play: uvicorn (it adds its own Date, drops a HEAD's content itself).
# (Their scope has no server's fingerprint; detection is tested under tests/wire/.)
SERVER = "uvicorn"


def guarded(app: ASGIApp, mode: str, **options: Any) -> tuple[ASGIStatusGuard, list[Violation]]:
    seen: list[Violation] = []
    options = {"server": SERVER, **options}
    return ASGIStatusGuard(app, mode=mode, on_violation=seen.append, **options), seen


def normalize(messages: Sequence[Message]) -> list[Message]:
    """Replace a Date statusguard wrote (a valid IMF-fixdate near now) with ``NOW``."""
    out = []
    for message in messages:
        if message.get("type") == "http.response.start":
            headers = [
                (name, NOW if name.lower() == b"date" and _is_now(value) else value)
                for name, value in message.get("headers", ())
            ]
            message = {**message, "headers": headers}
        out.append(message)
    return out


def _is_now(value: bytes) -> bool:
    try:
        stamp = email.utils.parsedate_to_datetime(value.decode("ascii")).timestamp()
    except (TypeError, ValueError):
        return False
    return abs(stamp - time.time()) < 120


# -- one row per fixable rule ----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One response: what the app sends, what fix mode sends instead, the rules it fixes."""

    sends: list[Message]
    fixed_to: list[Message]
    fixed: set[str]
    id: str
    scope: dict[str, Any] = field(default_factory=dict)  # http_scope() options
    options: dict[str, Any] = field(default_factory=dict)  # guard options
    strict_before_start: bool = True  # strict mode can decide while the head is held


HELLO = b"hello"

FIX_ROWS: list[Row] = [
    Row(
        [start(200, CT, cl(5), (b"x bad", b"1")), body(HELLO)],
        [start(200, CT, cl(5)), body(HELLO)],
        {"field-name-invalid"},
        id="field-name-invalid",
    ),
    Row(
        [start(200, CT, cl(5), (b"x-test", b"ok\r\nX-Injected: 1")), body(HELLO)],
        [start(200, CT, cl(5)), body(HELLO)],
        {"field-value-invalid"},
        id="field-value-invalid crlf injection",
    ),
    Row(
        [start(200, CT, cl(5), (b"set-cookie", b" a=b; Path=/")), body(HELLO)],
        [start(200, CT, cl(5), (b"set-cookie", b"a=b; Path=/")), body(HELLO)],
        {"field-value-whitespace"},
        scope={"http_version": "2"},
        id="field-value-whitespace http2",
    ),
    Row(
        [
            start(
                200,
                CT,
                cl(5),
                (b"connection", b"keep-alive"),
                (b"keep-alive", b"timeout=5"),
                (b"proxy-connection", b"keep-alive"),
                (b"upgrade", b"websocket"),
            ),
            body(HELLO),
        ],
        [start(200, CT, cl(5)), body(HELLO)],
        {"connection-specific-field"},
        scope={"http_version": "2"},
        id="connection-specific-field http2",
    ),
    Row(
        [start(200, CT, TE), body(HELLO)],
        [start(200, CT), body(HELLO)],
        {"connection-specific-field"},
        scope={"http_version": "3"},
        id="connection-specific-field http3 transfer-encoding",
    ),
    Row(
        [start(204, cl(5)), body()],
        [start(204), body()],
        {"content-length-forbidden"},
        id="content-length-forbidden 204",
    ),
    Row(
        [start(200, CT, TE), body(HELLO)],
        [start(200, CT), body(HELLO)],
        {"transfer-encoding-forbidden"},
        scope={"http_version": "1.0"},
        id="transfer-encoding-forbidden http1.0",
    ),
    Row(
        [start(204, TE), body()],
        [start(204), body()],
        {"transfer-encoding-forbidden"},
        id="transfer-encoding-forbidden 204",
    ),
    Row(
        [start(200, CT, TE, TE), body(HELLO)],
        [start(200, CT, TE), body(HELLO)],
        {"transfer-encoding-invalid"},
        id="transfer-encoding-invalid",
    ),
    Row(
        [start(200, CT, cl(5), TE), body(HELLO)],
        [start(200, CT, TE), body(HELLO)],
        {"content-length-with-transfer-encoding"},
        id="content-length-with-transfer-encoding",
    ),
    Row(
        [start(200, CT, cl(5), cl(6)), body(HELLO)],
        [start(200, CT, cl(5)), body(HELLO)],
        {"content-length-invalid"},
        id="content-length-invalid conflicting",
    ),
    Row(
        [start(200, CT, cl("five")), body(HELLO)],
        [start(200, CT, cl(5)), body(HELLO)],
        {"content-length-invalid"},
        id="content-length-invalid not a number",
    ),
    Row(
        [start(200, CT, CT, cl(5)), body(HELLO)],
        [start(200, CT, cl(5)), body(HELLO)],
        {"field-duplicate"},
        id="field-duplicate content-type twice",
    ),
    # Nothing between the app and the wire (server="wire"): the response's own Date and HEAD.
    Row(
        [start(200, CT, cl(5)), body(HELLO)],
        [start(200, CT, cl(5), (b"date", NOW)), body(HELLO)],
        {"date-missing"},
        options={"server": "wire"},
        id="date-missing on the wire",
    ),
    Row(
        [start(200, CT, cl(5), (b"date", DATE_1994)), body(HELLO)],
        [start(200, CT, cl(5), (b"date", DATE_1994)), body()],
        {"head-content"},
        options={"server": "wire"},
        scope={"method": "HEAD"},
        id="head-content on the wire",
    ),
    Row(
        [start(200, CT, cl(5), (b"date", b"yesterday")), body(HELLO)],
        [start(200, CT, cl(5), (b"date", NOW)), body(HELLO)],
        {"date-invalid"},
        options={"server_date": "if-absent"},
        id="date-invalid",
    ),
    Row(
        [start(304, CT, (b"etag", b'"v1"')), body()],
        [start(304, (b"etag", b'"v1"')), body()],
        {"not-modified-representation-fields"},
        id="not-modified-representation-fields",
    ),
    Row(
        [start(204), body(HELLO)],
        [start(204), body()],
        {"content-forbidden"},
        id="content-forbidden 204",
    ),
    Row(
        [start(204), body(b"a", more=True), body(b"b", more=True), body()],
        [start(204), body()],
        {"content-forbidden"},
        id="content-forbidden 204 streamed",
    ),
    Row(
        [start(205, CT), body(HELLO)],
        [start(205, CT, cl(0)), body()],
        {"content-forbidden"},
        id="content-forbidden 205",
    ),
    Row(
        [start(205, cl(4)), body()],
        [start(205, cl(0)), body()],
        {"content-forbidden"},
        id="content-forbidden 205 stale content-length",
    ),
    Row(
        [start(304, (b"etag", b'"v1"')), body(HELLO)],
        [start(304, (b"etag", b'"v1"')), body()],
        {"content-forbidden"},
        id="content-forbidden 304",
    ),
    Row(
        [start(200, CT, cl(3)), body(HELLO)],
        [start(200, CT, cl(5)), body(HELLO)],
        {"content-length-mismatch"},
        id="content-length-mismatch one message",
    ),
    Row(
        [
            start(200, CT, cl(5)),
            body(b"one-", more=True),
            body(b"two-", more=True),
            body(b"three", more=True),
            body(),
        ],
        [start(200, CT, cl(5)), body(b"one-", more=True), body(b"t", more=True), body()],
        {"content-length-mismatch"},
        strict_before_start=False,
        id="content-length-mismatch stream truncated",
    ),
    Row(
        [start(304, cl(5)), body()],
        [start(304), body()],
        set(),
        strict_before_start=False,
        id="304 content-length removed for uvicorn-httptools",
    ),
]


def run_row(row: Row, mode: str, **options: Any) -> tuple[list[Message], list[Violation]]:
    guard, seen = guarded(app_sending(*row.sends), mode, **{**row.options, **options})
    return run(guard, http_scope(**row.scope)), seen


def params(rows: Sequence[Row]) -> list[Any]:
    return [pytest.param(row, id=row.id) for row in rows]


@pytest.mark.parametrize("row", params(FIX_ROWS))
def test_fix_mode_repairs(row: Row) -> None:
    before = copy.deepcopy(row.sends)
    sent, seen = run_row(row, "fix")
    assert normalize(sent) == row.fixed_to
    assert {v.rule_id for v in seen if v.fixed} == row.fixed
    assert row.sends == before  # the app's messages are never mutated


def test_every_fixable_asgi_rule_has_a_fix_row() -> None:
    # status-code-invalid's fix removes control bytes from a status line, which ASGI's integer
    # status does not have.
    fixable = {
        rule.id
        for rule in CATALOGUE
        if rule.fix is not None and "asgi" in rule.protocols and rule.id != "status-code-invalid"
    }
    covered = {rule_id for row in FIX_ROWS for rule_id in row.fixed}
    assert fixable - covered == set()


@pytest.mark.parametrize("row", params(FIX_ROWS))
def test_warn_mode_sends_the_app_messages_unchanged(row: Row) -> None:
    sent, seen = run_row(row, "warn")
    assert len(sent) == len(row.sends)
    assert all(out is original for out, original in zip(sent, row.sends, strict=True))
    assert row.fixed <= {v.rule_id for v in seen}
    assert not any(v.fixed for v in seen)


# What the server in front needs is not the application's violation: a compatibility step,
# applied in fix and strict mode (never raised), counted in stats().steps, none in warn mode.
STEP_ROWS = [
    pytest.param(
        {"server": "uvicorn"},
        [start(200, CT, cl(5), (b"date", DATE_1994)), body(HELLO)],
        [start(200, CT, cl(5)), body(HELLO)],
        "server-date-duplicate",
        id="the app's Date beside the one uvicorn adds",
    ),
    pytest.param(
        {"server": "daphne"},
        [start(200, CT, cl(5)), body(HELLO)],
        [start(200, CT, cl(5), (b"date", NOW)), body(HELLO)],
        "server-date-missing",
        id="no Date under daphne, which adds none",
    ),
]


@pytest.mark.parametrize(("options", "sends", "fixed_to", "step"), STEP_ROWS)
@pytest.mark.parametrize("mode", ["fix", "strict", "warn"])
def test_what_the_server_needs_is_a_step_not_a_violation(
    mode: str, options: dict[str, Any], sends: list[Message], fixed_to: list[Message], step: str
) -> None:
    guard, seen = guarded(app_sending(*sends), mode, **options)
    sent = run(guard)
    assert seen == []
    if mode == "warn":
        assert sent == sends
        assert guard.stats().steps == {}
    else:
        assert normalize(sent) == fixed_to
        assert list(guard.stats().steps) == [(step, 200, options["server"])]


# The rows strict mode can decide while the head is held (the others: see the stream tests).
STRICT_ROWS = [row for row in FIX_ROWS if row.strict_before_start]


@pytest.mark.parametrize("row", params(STRICT_ROWS))
def test_strict_mode_raises_before_the_head_is_sent(row: Row) -> None:
    guard, _ = guarded(app_sending(*row.sends), "strict", **row.options)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(StatusGuardError) as raised:
        asyncio.run(guard(http_scope(**row.scope), receive, send))
    assert sent == []
    assert row.fixed <= set(raised.value.rule_ids)
    assert all(v.action.value == "raised" for v in raised.value.violations)


# -- streams ---------------------------------------------------------------------------------


def test_strict_stream_longer_than_content_length_ends_cleanly_after_the_head(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The head went out with the first chunk; the excess is noticed on the second.  Raising
    # then would hand the server a half-sent response: strict mode cuts the content at its
    # Content-Length, as fix mode does, and reports loudly.
    app = app_sending(
        start(200, CT, cl(5)), body(b"one-", more=True), body(b"two-", more=True), body()
    )
    guard, seen = guarded(app, "strict")
    with caplog.at_level(logging.ERROR, logger="statusguard"):
        sent = run(guard)
    assert sent == [start(200, CT, cl(5)), body(b"one-", more=True), body(b"t", more=True), body()]
    assert [(v.rule_id, v.action.value) for v in seen] == [("content-length-mismatch", "fixed")]
    assert "ended the response cleanly" in seen[0].message
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_stream_shorter_than_content_length_is_reported(mode: str) -> None:
    messages = [start(200, CT, cl(10)), body(b"hel", more=True), body(b"lo", more=True), body()]
    guard, seen = guarded(app_sending(*messages), mode)
    assert run(guard) == messages  # nothing can be repaired once the head is out
    assert [(v.rule_id, v.fixed, v.action.value) for v in seen] == [
        ("content-length-mismatch", False, "reported")
    ]
    assert "ended after 5 bytes" in seen[0].message


def test_the_head_goes_with_the_first_body_message_and_chunks_as_they_come() -> None:
    sent: list[Message] = []
    seen_by_app: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in (
            start(200, CT, cl(10)),
            body(b"", more=True),  # says nothing: the head stays back
            body(b"hello", more=True),
            body(b"world", more=True),
            body(),
        ):
            await send(message)
            seen_by_app.append(len(sent))

    async def record(message: Message) -> None:
        sent.append(message)

    guard = ASGIStatusGuard(app, server=SERVER, mode="fix")
    asyncio.run(guard(http_scope(), receive, record))
    # The first body message, empty or not, sends the head with it.
    assert seen_by_app == [0, 2, 3, 4, 5]
    assert sent == [
        start(200, CT, cl(10)),
        body(b"", more=True),
        body(b"hello", more=True),
        body(b"world", more=True),
        body(),
    ]


def test_an_empty_stream_sends_its_head_with_its_first_message() -> None:
    messages = [start(200, CT, cl(3)), body(b"", more=True), body(b"", more=True), body()]
    guard, seen = guarded(app_sending(*messages), "fix")
    # A stream's head goes out with its first body message, empty or not: no stream waits for
    # its content to begin (a server's backpressure, an event stream's first event).  Its
    # length cannot be corrected afterwards: the short stream is reported.
    assert run(guard) == messages
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-length-mismatch", False)]


def test_a_single_final_body_still_corrects_the_length() -> None:
    guard, seen = guarded(app_sending(start(200, CT, cl(3)), body()), "fix")
    assert run(guard) == [start(200, CT, cl(0)), body()]
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-length-mismatch", True)]


def test_fast_path_forwards_the_start_at_once_and_every_message_as_is() -> None:
    # Content-Type present and no Content-Length: nothing about the content can change what
    # is sent, so the start is not held.
    sent: list[Message] = []
    seen_by_app: list[int] = []
    messages = [start(200, CT), body(b"a", more=True), body(b"b", more=True), body()]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            await send(message)
            seen_by_app.append(len(sent))

    async def record(message: Message) -> None:
        sent.append(message)

    asyncio.run(ASGIStatusGuard(app, server=SERVER, mode="fix")(http_scope(), receive, record))
    assert seen_by_app == [1, 2, 3, 4]
    assert all(out is original for out, original in zip(sent, messages, strict=True))


# -- trailers --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_trailers_pass_through_on_a_response_with_content(mode: str) -> None:
    messages = [
        start(200, CT, trailers=True),
        body(b"hello", more=True),
        body(),
        trailers((b"x-checksum", b"abc"), more=True),
        trailers((b"x-more", b"1")),
    ]
    guard, seen = guarded(app_sending(*messages), mode)
    assert run(guard) == messages
    assert seen == []


def test_discarded_content_loses_its_trailers_too() -> None:
    # RFC 9110 §15.3.5: a 204 "cannot contain content or trailers".  The server gets a
    # complete sequence without the promise of trailers, and never sees the app's trailers.
    messages = [
        start(204, trailers=True),
        body(b"oops", more=True),
        body(),
        trailers((b"x-checksum", b"abc"), more=True),
        trailers((b"x-more", b"1")),
    ]
    guard, seen = guarded(app_sending(*messages), "fix")
    assert run(guard) == [start(204), body()]
    assert [v.rule_id for v in seen] == ["content-forbidden"]


def test_a_head_response_with_trailers_is_left_to_the_server() -> None:
    messages = [start(200, CT, cl(5), trailers=True), body(HELLO), trailers((b"x-sum", b"1"))]
    guard, seen = guarded(app_sending(*messages), "fix")
    assert run(guard, http_scope(method="HEAD")) == messages
    assert seen == []


def test_trailers_on_a_204_are_left_alone_in_warn_mode() -> None:
    messages = [start(204, trailers=True), body(), trailers((b"x-sum", b"1"))]
    guard, seen = guarded(app_sending(*messages), "warn")
    assert run(guard) == messages
    assert seen == []  # no content: the 204 itself is fine


# -- file bodies (pathsend, zerocopysend) ----------------------------------------------------


def pathsend(path: Path) -> Message:
    return {"type": "http.response.pathsend", "path": str(path)}


def zerocopysend(file: Any, *, count: int | None = None, more: bool = False) -> Message:
    message: Message = {"type": "http.response.zerocopysend", "file": file, "more_body": more}
    if count is not None:
        message["count"] = count
    return message


PATHSEND_SCOPE: dict[str, Any] = {"extensions": {"http.response.pathsend": {}}}


@pytest.fixture
def hello_file(tmp_path: Path) -> Path:
    path = tmp_path / "hello.txt"
    path.write_bytes(HELLO)
    return path


def test_pathsend_passes_unchanged_when_nothing_must_change(hello_file: Path) -> None:
    messages = [start(200, CT, cl(5)), pathsend(hello_file)]
    guard, seen = guarded(app_sending(*messages), "fix")
    sent = run(guard, http_scope(**PATHSEND_SCOPE))
    assert all(out is original for out, original in zip(sent, messages, strict=True))
    assert seen == []


def test_pathsend_content_length_is_measured_from_the_file(hello_file: Path) -> None:
    guard, seen = guarded(app_sending(start(200, CT, cl(3)), pathsend(hello_file)), "fix")
    assert run(guard, http_scope(**PATHSEND_SCOPE)) == [
        start(200, CT, cl(5)),
        pathsend(hello_file),
    ]
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]


@pytest.mark.parametrize(
    ("status", "method", "rule"),
    [(204, "GET", "content-forbidden")],
)
def test_pathsend_is_replaced_by_an_empty_body_when_content_is_discarded(
    hello_file: Path, status: int, method: str, rule: str
) -> None:
    guard, seen = guarded(app_sending(start(status, CT), pathsend(hello_file)), "fix")
    sent = run(guard, http_scope(method=method, **PATHSEND_SCOPE))
    assert sent == [start(status, CT), body()]
    assert [v.rule_id for v in seen if v.fixed] == [rule]


def test_zerocopysend_passes_unchanged_and_measures_count(hello_file: Path) -> None:
    with hello_file.open("rb") as file:
        messages = [start(200, CT, cl(9)), zerocopysend(file, count=5)]
        guard, seen = guarded(app_sending(*messages), "fix")
        sent = run(guard)
    assert sent == [start(200, CT, cl(5)), messages[1]]
    assert sent[1] is messages[1]
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]


def test_zerocopysend_without_count_is_measured_from_the_offset(hello_file: Path) -> None:
    with hello_file.open("rb") as file:
        message = zerocopysend(file)
        message["offset"] = 2
        guard, _ = guarded(app_sending(start(200, CT, cl(5)), message), "fix")
        assert run(guard) == [start(200, CT, cl(3)), message]


def test_zerocopysend_stream_on_a_204_is_discarded(hello_file: Path) -> None:
    with hello_file.open("rb") as file:
        messages = [
            start(204),
            zerocopysend(file, count=2, more=True),
            zerocopysend(file, count=3),
        ]
        guard, seen = guarded(app_sending(*messages), "fix")
        assert run(guard) == [start(204), body()]
    assert [v.rule_id for v in seen] == ["content-forbidden"]


# -- other scopes ----------------------------------------------------------------------------


class Communicator(Protocol):
    """What this module uses of asgiref's (untyped) ``ApplicationCommunicator``."""

    input_queue: asyncio.Queue[Message]
    output_queue: asyncio.Queue[Message]

    async def send_input(self, message: Message) -> None: ...

    async def receive_output(self, timeout: float = 1) -> Message: ...

    async def wait(self, timeout: float = 1) -> None: ...


def communicator(app: ASGIApp, scope: Scope) -> Communicator:
    return cast(Communicator, ApplicationCommunicator(app, scope))  # type: ignore[no-untyped-call]


def test_websocket_scope_passes_straight_through() -> None:
    calls: list[tuple[Receive, Send]] = []

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append((receive, send))
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": message["text"].upper()})
        await send({"type": "websocket.close", "code": 1000})

    async def talk() -> list[Message]:
        scope = {"type": "websocket", "path": "/ws", "headers": [], "subprotocols": []}
        talker = communicator(ASGIStatusGuard(echo, server=SERVER, mode="strict"), scope)
        await talker.send_input({"type": "websocket.connect"})
        out = [await talker.receive_output(1)]
        await talker.send_input({"type": "websocket.receive", "text": "hi"})
        out += [await talker.receive_output(1), await talker.receive_output(1)]
        await talker.wait(1)
        # The guard handed the app the server's own callables: nothing was wrapped.
        receive, send = calls[0]
        assert getattr(receive, "__self__", None) is talker.input_queue
        assert getattr(send, "__self__", None) is talker.output_queue
        return out

    assert asyncio.run(talk()) == [
        {"type": "websocket.accept"},
        {"type": "websocket.send", "text": "HI"},
        {"type": "websocket.close", "code": 1000},
    ]


def test_lifespan_scope_passes_straight_through() -> None:
    async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def cycle() -> list[Message]:
        guard = ASGIStatusGuard(lifespan, server=SERVER, mode="fix")
        talker = communicator(guard, {"type": "lifespan", "asgi": {}})
        await talker.send_input({"type": "lifespan.startup"})
        out = [await talker.receive_output(1)]
        await talker.send_input({"type": "lifespan.shutdown"})
        out.append(await talker.receive_output(1))
        await talker.wait(1)
        return out

    assert asyncio.run(cycle()) == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


# -- isolation -------------------------------------------------------------------------------


def test_concurrent_responses_each_carry_exactly_their_own_fixes() -> None:
    rows = [row for row in FIX_ROWS if not row.options]
    expected = []
    for row in rows:  # each route alone, with a guard of its own
        expected.append(run_row(row, "fix")[0])

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        row = rows[int(scope["path"].strip("/"))]
        await app_sending(*row.sends)(scope, receive, send)

    guard, seen = guarded(dispatch, "fix")
    count = 12 * len(rows)  # > 200 responses in flight together

    async def all_at_once() -> list[list[Message]]:
        return await asyncio.gather(
            *(
                drive(guard, http_scope(f"/{i % len(rows)}", **rows[i % len(rows)].scope))
                for i in range(count)
            )
        )

    results = asyncio.run(all_at_once())
    assert count >= 200
    for i, sent in enumerate(results):
        assert normalize(sent) == normalize(expected[i % len(rows)]), f"response {i}"
    fixed = [v.rule_id for v in seen if v.fixed]
    for row in rows:
        for rule_id in row.fixed:
            per_route = sum(1 for r in rows if rule_id in r.fixed)
            assert fixed.count(rule_id) == 12 * per_route


def test_per_response_state_lives_in_a_slotted_object() -> None:
    async def send(message: Message) -> None:
        pass

    guard = ASGIStatusGuard(app_sending(), server=SERVER, mode="fix")
    responder = _Responder(guard.engine, http_scope(), receive, send)
    assert not hasattr(responder, "__dict__")
    assert not hasattr(guard, "__dict__")


# -- failures --------------------------------------------------------------------------------


def _boom(head: Head) -> str | None:
    raise RuntimeError("a bug inside a rule")


BOOM = Rule(
    id="x-boom",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A rule that fails",
    check=_boom,
)


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param([start(200, CT), body(HELLO)], id="fast path"),
        pytest.param([start(204), body(HELLO, more=True), body()], id="while held"),
    ],
)
@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_an_internal_error_lets_the_original_messages_through(
    messages: list[Message], mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    guard, _ = guarded(app_sending(*messages), mode, extra_rules=[BOOM])
    with caplog.at_level(logging.ERROR, logger="statusguard"):
        for _ in range(3):
            sent = run(guard)
            assert all(out is original for out, original in zip(sent, messages, strict=True))
            assert len(sent) == len(messages)
    assert guard.stats().internal_errors == 3
    failures = [r for r in caplog.records if "failed internally" in r.getMessage()]
    assert len(failures) == 1  # logged once, counted every time
    assert "a bug inside a rule" in failures[0].getMessage()


def test_strict_mode_does_not_fail_open() -> None:
    guard, _ = guarded(app_sending(start(200, CT), body(HELLO)), "strict", extra_rules=[BOOM])
    with pytest.raises(RuntimeError, match="a bug inside a rule"):
        run(guard)


def test_warnings_turned_into_errors_are_not_swallowed_as_internal_errors() -> None:
    # -W error::statusguard.StatusGuardWarning is the documented way to make warn mode fail.
    guard = ASGIStatusGuard(
        app_sending(start(401, CT, cl(5)), body(HELLO)), server=SERVER, mode="warn"
    )
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with warnings.catch_warnings():
        warnings.simplefilter("error", StatusGuardWarning)
        with pytest.raises(StatusGuardWarning, match="www-authenticate-missing"):
            asyncio.run(guard(http_scope(), receive, send))
    assert sent == []
    assert guard.stats().internal_errors == 0


def test_an_app_exception_after_the_start_passes_through_unchanged() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start(200, CT))
        await send(body(b"partial", more=True))
        raise ValueError("the app failed mid-stream")

    sent: list[Message] = []

    async def record(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ValueError, match="mid-stream"):
        asyncio.run(ASGIStatusGuard(app, server=SERVER, mode="fix")(http_scope(), receive, record))
    assert sent == [start(200, CT), body(b"partial", more=True)]


def test_an_app_exception_while_the_start_is_held_sends_nothing() -> None:
    # The server then answers 500, as if the app had failed before starting.  (Fix mode holds
    # a start whose Content-Length a single final body could correct.)
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start(200, CT, cl(5)))
        raise ValueError("the app failed before its body")

    sent: list[Message] = []

    async def record(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ValueError, match="before its body"):
        asyncio.run(ASGIStatusGuard(app, server=SERVER, mode="fix")(http_scope(), receive, record))
    assert sent == []


def test_an_app_returning_with_the_start_held_gets_its_start_sent_as_is() -> None:
    # The response never ended: the server reports that, as it would without the middleware.
    message = start(200, CT, cl(5))  # held in fix mode: a single final body could correct it
    assert run(ASGIStatusGuard(app_sending(message), server=SERVER, mode="fix")) == [message]


def test_after_a_strict_error_before_the_head_went_out_a_new_start_is_checked() -> None:
    # The start is held until the body (Content-Length to check): the error comes from the
    # send of the body, and nothing has reached the server yet.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(start(401, CT, cl(5)))
            await send(body(b"nope!"))
        except StatusGuardError:
            await send(start(500, CT, cl(5)))
            await send(body(b"error"))

    assert run(ASGIStatusGuard(app, server=SERVER, mode="strict")) == [
        start(500, CT, cl(5)),
        body(b"error"),
    ]


def test_messages_the_guard_does_not_know_keep_their_place() -> None:
    debug: Message = {"type": "http.response.debug", "info": {"template": "x.html"}}
    messages = [debug, start(204), body(HELLO)]
    guard, _ = guarded(app_sending(*messages), "fix")
    assert run(guard) == [debug, start(204), body()]


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "loud"},
        {"rules": {"no-such-rule": "fix"}},
        {"rules": {"content-forbidden": "maybe"}},
        {"server_date": "sometimes"},
        {"on_violation": "print"},
        {"log_interval": -1},
    ],
)
def test_bad_configuration_raises_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        ASGIStatusGuard(app_sending(), **options)


def test_mode_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATUSGUARD_MODE", "strict")
    guard = ASGIStatusGuard(app_sending(start(204), body(HELLO)))
    with pytest.raises(StatusGuardError):
        run(guard)


def test_a_rule_override_beats_the_mode() -> None:
    messages = [start(204), body(HELLO)]
    guard, seen = guarded(app_sending(*messages), "fix", rules={"content-forbidden": "warn"})
    assert run(guard) == messages
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-forbidden", False)]


@pytest.mark.parametrize("mode", ["fix", "strict"])
def test_the_304_compatibility_step_runs_in_fix_and_strict_mode(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Not a violation (RFC 9110 §8.6 allows it), a need of uvicorn-httptools: counted apart,
    # logged once, never raised.
    messages = [start(304, cl(5)), body()]
    guard, seen = guarded(app_sending(*messages), mode, rules={"content-forbidden": "warn"})
    conditional = http_scope(headers=[(b"if-none-match", b'"v1"')])
    with caplog.at_level(logging.INFO, logger="statusguard"):
        assert run(guard, conditional) == [start(304), body()]
        assert run(guard, conditional) == [start(304), body()]
    assert seen == []
    assert guard.stats().steps == {("server-304-content-length", 304, "uvicorn"): 2}
    assert [r.statusguard_step for r in caplog.records] == ["server-304-content-length"]  # type: ignore[attr-defined]


def test_warn_mode_applies_no_compatibility_step() -> None:
    messages = [start(304, cl(5)), body()]
    guard, _ = guarded(app_sending(*messages), "warn")
    assert run(guard) == messages
    assert guard.stats().steps == {}


@pytest.mark.parametrize(
    ("server_date", "expected"),
    [
        ("auto", [start(200, CT, cl(5)), body(HELLO)]),  # uvicorn and hypercorn add their own
        ("always", [start(200, CT, cl(5)), body(HELLO)]),
        ("if-absent", [start(200, CT, cl(5), (b"date", DATE_1994)), body(HELLO)]),
        ("never", [start(200, CT, cl(5), (b"date", DATE_1994)), body(HELLO)]),
    ],
)
def test_the_app_date_follows_the_server_date_policy(
    server_date: str, expected: list[Message]
) -> None:
    app = app_sending(start(200, CT, cl(5), (b"date", DATE_1994)), body(HELLO))
    guard = ASGIStatusGuard(app, server=SERVER, mode="fix", server_date=server_date)
    assert run(guard) == expected


def test_stats_count_and_flush_logs_the_repeats(caplog: pytest.LogCaptureFixture) -> None:
    guard, _ = guarded(app_sending(start(204), body(HELLO)), "fix", log_interval=3600)
    with caplog.at_level(logging.INFO, logger="statusguard"):
        for _ in range(5):
            run(guard)
        guard.flush()
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): 5}
    assert any("×4" in r.getMessage() for r in caplog.records)


class _Route:
    path = "/items/{item_id}"


@pytest.mark.parametrize(
    ("extra", "label"),
    [({}, "/items/42"), ({"route": _Route()}, "/items/{item_id}")],
    ids=["path", "route template"],
)
def test_reports_are_labelled_with_the_route_template_when_known(
    extra: dict[str, Any], label: str, caplog: pytest.LogCaptureFixture
) -> None:
    guard = ASGIStatusGuard(app_sending(start(204), body(HELLO)), server=SERVER, mode="fix")
    with caplog.at_level(logging.WARNING, logger="statusguard"):
        run(guard, http_scope("/items/42", **extra))
    assert [r.getMessage().rsplit(" [", 1)[1] for r in caplog.records] == [f"GET {label}]"]


# -- properties over generated responses -----------------------------------------------------
#
# Oracle: h11 in the server role, fed the messages exactly as uvicorn-h11 and hypercorn feed it
# (start → Response, each body chunk → Data, the end → EndOfMessage).  Whatever fix mode sends
# must be accepted, except a stream shorter than its Content-Length: the head was gone when
# that became known, so the guard reports it (the case the engine documents).

FIELDS = st.one_of(
    st.tuples(st.just(b"content-type"), st.sampled_from([b"text/plain", b" padded "])),
    st.tuples(st.just(b"content-length"), st.sampled_from([b"0", b"3", b"5", b"12", b"-3"])),
    st.tuples(st.just(b"transfer-encoding"), st.just(b"chunked")),
    st.tuples(st.just(b"date"), st.sampled_from([DATE_1994, b"yesterday"])),
    st.tuples(
        st.sampled_from([b"x-custom", b"x bad", b"etag"]),
        st.sampled_from([b"1", b"ok\r\nX-Injected: 1", b"a\x00b"]),
    ),
)


@st.composite
def responses(draw: st.DrawFn) -> tuple[str, list[Message]]:
    method = draw(st.sampled_from(["GET", "HEAD"]))
    status = draw(st.sampled_from([200, 201, 204, 205, 206, 304, 401, 404, 500]))
    headers = draw(st.lists(FIELDS, max_size=5))
    chunks = draw(st.lists(st.binary(max_size=6), max_size=4))
    messages = [start(status, *headers)]
    messages += [body(chunk, more=True) for chunk in chunks]
    messages.append(body(draw(st.binary(max_size=6))))
    return method, messages


def h11_accepts(method: str, messages: Sequence[Message]) -> None:
    server = h11.Connection(h11.SERVER)
    server.receive_data(f"{method} / HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert isinstance(server.next_event(), h11.Request)
    head = messages[0]
    server.send(h11.Response(status_code=head["status"], headers=list(head["headers"])))
    for message in messages[1:]:
        if message["body"] and method != "HEAD":  # uvicorn drops HEAD content before h11
            server.send(h11.Data(data=message["body"]))
    server.send(h11.EndOfMessage())


def well_ordered(messages: Sequence[Message]) -> bool:
    kinds = [m["type"] for m in messages]
    ends = [not m.get("more_body", False) for m in messages[1:]]
    return (
        kinds[:1] == ["http.response.start"]
        and set(kinds[1:]) <= {"http.response.body"}
        and ends.count(True) == 1
        and ends[-1]
    )


def without_empty_chunks(messages: Sequence[Message]) -> list[Message]:
    return [m for m in messages if m.get("body", b"x") or not m.get("more_body", False)]


async def replay(scope: Scope, receive: Receive, send: Send) -> None:
    """Sends the messages the test put in the scope (one guard serves every example)."""
    await app_sending(*scope["test.messages"])(scope, receive, send)


@functools.cache
def generated_guard(mode: str) -> tuple[ASGIStatusGuard, list[Violation]]:
    # Built once: compiling the per-status plans is the expensive part of a guard.
    return guarded(replay, mode)


def run_generated(
    mode: str, method: str, messages: list[Message]
) -> tuple[list[Violation], list[Message]]:
    guard, seen = generated_guard(mode)
    seen.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatusGuardWarning)
        scope = http_scope(method=method)
        scope["test.messages"] = messages
        sent = run(guard, scope)
    return [*seen], sent


@settings(max_examples=200, deadline=None)
@given(responses())
def test_fix_mode_output_is_well_ordered_and_accepted_by_h11(
    response: tuple[str, list[Message]],
) -> None:
    method, messages = response
    seen, sent = run_generated("fix", method, messages)
    assert well_ordered(sent), sent
    short = any(v.rule_id == "content-length-mismatch" and not v.fixed for v in seen)
    if not short:
        h11_accepts(method, sent)


@settings(max_examples=100, deadline=None)
@given(responses())
def test_warn_mode_output_is_the_input(response: tuple[str, list[Message]]) -> None:
    method, messages = response
    _, sent = run_generated("warn", method, messages)
    # Only an empty chunk that came while the head was held may be missing: it carried nothing.
    assert without_empty_chunks(sent) == without_empty_chunks(messages)
    assert all(any(out is original for original in messages) for out in sent)


@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_one_shot_header_iterables_reach_the_server(mode: str) -> None:
    # ASGI allows any iterable of headers; a generator read by the guard must not go out empty.
    lines = [(b"content-type", b"text/plain"), (b"x-id", b"1")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": iter(lines)})
        await send({"type": "http.response.body", "body": b"hi"})

    guard, seen = guarded(app, mode)
    sent = run(guard)
    assert list(sent[0]["headers"]) == lines
    assert sent[1]["body"] == b"hi"
    assert seen == []


@pytest.mark.parametrize("mode", ["strict", "warn", "fix"])
def test_content_of_a_head_response_is_left_to_the_server(mode: str) -> None:
    # Every ASGI server drops it (tests/test_asgi_wire.py checks the wire), and Starlette and
    # Django send it on purpose: head-content is a WSGI rule, so nothing is reported here.
    messages = [start(200, CT, cl(5)), body(HELLO)]
    guard, seen = guarded(app_sending(*messages), mode)
    assert run(guard, http_scope(method="HEAD")) == messages
    assert seen == []


# -- the server option against what detection finds --------------------------------------------

# daphne's scope: asgi is {"version": "3.0"} alone, no lifespan state, the address a list.
DAPHNE_SCOPE: dict[str, Any] = {"asgi": {"version": "3.0"}, "server": ["127.0.0.1", 8000]}


@pytest.mark.parametrize(
    ("option", "dates", "sent"),
    [
        # The scope says daphne, which adds no Date: the app's is kept, or one is added.
        pytest.param({}, [DATE_1994], [DATE_1994], id="detected daphne: the app's kept"),
        pytest.param({}, [], ["added"], id="detected daphne: one added"),
        # The option names the server in front and wins: uvicorn always adds its own.
        pytest.param({"server": "uvicorn"}, [DATE_1994], [], id="uvicorn: the app's dropped"),
        pytest.param({"server": "uvicorn"}, [], [], id="uvicorn: none added"),
    ],
)
def test_the_server_option_wins_over_detection(
    option: dict[str, Any], dates: list[bytes], sent: list[bytes | str]
) -> None:
    app = app_sending(start(200, CT, cl(5), *((b"date", d) for d in dates)), body(HELLO))
    messages = run(ASGIStatusGuard(app, mode="fix", **option), http_scope(**DAPHNE_SCOPE))
    assert messages[1:] == [body(HELLO)]
    got = [value for name, value in messages[0]["headers"] if name.lower() == b"date"]
    if sent == ["added"]:
        assert len(got) == 1 and is_imf_fixdate(got[0]) and got != [DATE_1994]
    else:
        assert got == sent
