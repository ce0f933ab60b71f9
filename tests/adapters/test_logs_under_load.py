"""Readable logs under load: a violation repeated ten thousand times is a handful of log
records, and the counters (and the counts in the logs) are exact.

Each distinct violation — rule, status, method and route — is logged at its first occurrence;
repeats are added up and logged as one summary line per ``log_interval``, and at ``flush()``.
The route is the framework's template where it puts one in the ASGI scope (Starlette and
FastAPI set ``scope["route"]``), else the path.  The number of distinct keys is bounded.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from support.drive import call_asgi_async, call_wsgi, http_scope

from statusguard import ASGIStatusGuard, StatusGuardWarning, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from support.drive import Message, Receive, Send

N = 10_000
_SUMMARY = re.compile(r"statusguard: (\d+) repeated violations? since the last summary: (.*)")
_PART = re.compile(r"\[([a-z0-9-]+)\] (\d+) (\S+) (.*?) ×(\d+)$")
_REST = re.compile(r"(\d+) more keys? ×(\d+)$")
MORE = ("", 0, "", "more keys")  # the key the summaries' "N more keys ×M" parts count under


class Records(logging.Handler):
    """Every record of one logger, kept."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)
        self.logger.handlers[:] = [self]
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]

    @property
    def firsts(self) -> list[str]:
        return [m for m in self.messages if _SUMMARY.match(m) is None]

    def summarised(self) -> dict[tuple[str, int, str, str], int]:
        """The counts of every summary line, added up per (rule, status, method, route)."""
        counts: dict[tuple[str, int, str, str], int] = {}
        for message in self.messages:
            match = _SUMMARY.match(message)
            if match is None:
                continue
            total = 0
            for part in match.group(2).split("; "):
                found = _PART.match(part)
                if found is None:
                    rest = _REST.match(part)
                    assert rest is not None, part
                    key, count = MORE, rest.group(2)
                else:
                    rule, status, method, route, count = found.groups()
                    key = (rule, int(status), method, route)
                counts[key] = counts.get(key, 0) + int(count)
                total += int(count)
            assert total == int(match.group(1))  # the line's total is the sum of its parts
        return counts


@pytest.fixture
def records(request: pytest.FixtureRequest) -> Records:
    return Records(f"statusguard.test.{request.node.name}")


def wsgi_204(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("204 No Content", [])
    return [b"hello"]


async def asgi_204(scope: Message, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


async def drive_asgi(app: Any, paths: Iterable[str]) -> None:
    for path in paths:
        await call_asgi_async(app, path)


# --------------------------------------------------------------------------------------------
# ten thousand identical violations


def test_wsgi_ten_thousand_violations_make_a_handful_of_records(records: Records) -> None:
    guard = WSGIStatusGuard(wsgi_204, mode="fix", logger=records.logger)
    for _ in range(N):
        assert call_wsgi(guard, "/items").body == b""
    guard.flush()
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): N}
    assert len(records.records) == 2, records.messages
    assert len(records.firsts) == 1 and "[content-forbidden]" in records.firsts[0]
    assert records.summarised() == {("content-forbidden", 204, "GET", "/items"): N - 1}


def test_asgi_ten_thousand_violations_make_a_handful_of_records(records: Records) -> None:
    guard = ASGIStatusGuard(asgi_204, mode="fix", logger=records.logger)
    asyncio.run(drive_asgi(guard, ["/items"] * N))
    guard.flush()
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): N}
    assert len(records.records) == 2, records.messages
    assert records.summarised() == {("content-forbidden", 204, "GET", "/items"): N - 1}


@pytest.mark.parametrize("interval", [0.05, 0.2])
def test_the_interval_bounds_the_summaries_and_their_counts_are_exact(
    records: Records, interval: float
) -> None:
    # A summary is written when a repeat comes at least `interval` after the last one.  The
    # reporter's clock is replaced by one that advances 1 ms per response, so the bound is
    # exact and independent of how busy the machine is.
    now = [0.0]
    guard = WSGIStatusGuard(wsgi_204, mode="fix", logger=records.logger, log_interval=interval)
    guard.engine.reporter._clock = lambda: now[0]
    guard.engine.reporter._last_flush = 0.0
    for _ in range(N):
        now[0] += 0.001
        call_wsgi(guard, "/items")
    elapsed = now[0]
    guard.flush()  # the one summary that may come sooner
    summaries = len(records.records) - len(records.firsts)
    expected = elapsed / interval  # one per interval, give or take the rounding of the clock
    assert expected - 2 <= summaries <= expected + 1
    assert len(records.firsts) == 1
    assert records.summarised() == {("content-forbidden", 204, "GET", "/items"): N - 1}
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): N}


def test_warn_mode_warns_once_per_distinct_violation(records: Records) -> None:
    guard = WSGIStatusGuard(wsgi_204, mode="warn", logger=records.logger)
    with pytest.warns(StatusGuardWarning, match="content-forbidden") as warned:
        for _ in range(1_000):
            assert call_wsgi(guard, "/items").body == b"hello"  # warn changes nothing
    assert len(warned) == 1
    assert guard.stats().violations == {("content-forbidden", 204, "reported"): 1_000}


def test_concurrent_threads_count_exactly(records: Records) -> None:
    from concurrent.futures import ThreadPoolExecutor

    guard = WSGIStatusGuard(wsgi_204, mode="fix", logger=records.logger)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: call_wsgi(guard, "/items"), range(N)))
    guard.flush()
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): N}
    assert len(records.firsts) == 1
    assert records.summarised() == {("content-forbidden", 204, "GET", "/items"): N - 1}


# --------------------------------------------------------------------------------------------
# routes: the template where the framework knows it, else the path


async def item(request: Request) -> Response:
    return Response(b"deleted", status_code=204)  # a 204 with content, on every item


def test_starlette_routes_aggregate_under_their_template(records: Records) -> None:
    app = Starlette(
        routes=[Route("/items/{item_id:int}", item)],
        middleware=[Middleware(ASGIStatusGuard, mode="fix", logger=records.logger)],
    )
    asyncio.run(drive_asgi(app, [f"/items/{i}" for i in range(2_000)]))
    guard = app.middleware_stack
    while not isinstance(guard, ASGIStatusGuard):  # the guard inside Starlette's stack
        guard = guard.app  # type: ignore[union-attr]
    guard.flush()
    assert records.firsts == [
        "[content-forbidden] 1xx, 204, 205 and 304 responses cannot contain content "
        "(RFC 9110 §15.3.5): a 204 response carried 7 content bytes. Fixed: discard the "
        "content; a 205 gets Content-Length: 0. [GET /items/{item_id:int}]"
    ]
    assert records.summarised() == {
        ("content-forbidden", 204, "GET", "/items/{item_id:int}"): 1_999
    }


def test_without_a_template_each_path_is_a_key(records: Records) -> None:
    guard = ASGIStatusGuard(asgi_204, mode="fix", logger=records.logger)
    asyncio.run(drive_asgi(guard, [f"/items/{i % 50}" for i in range(1_000)]))
    guard.flush()
    assert len(records.firsts) == 50
    assert sum(records.summarised().values()) == 950


def test_the_number_of_keys_is_bounded(records: Records, monkeypatch: pytest.MonkeyPatch) -> None:
    # The bound is 10,000 keys; 100 here, so the test stays fast.  Past it, new routes are
    # added up under "*" and never logged one by one.
    monkeypatch.setattr("statusguard.report._MAX_KEYS", 100)
    guard = WSGIStatusGuard(wsgi_204, mode="fix", logger=records.logger)
    for i in range(1_000):
        call_wsgi(guard, f"/users/{i}")
    guard.flush()
    assert len(records.firsts) == 100
    assert records.summarised() == {("content-forbidden", 204, "GET", "*"): 900}
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): 1_000}


def test_a_summary_names_the_top_keys_and_adds_up_the_rest(records: Records) -> None:
    guard = WSGIStatusGuard(wsgi_204, mode="fix", logger=records.logger)
    for i in range(50):
        for _ in range(i + 2):  # route i repeats i + 1 times after its first occurrence
            call_wsgi(guard, f"/r/{i}")
    guard.flush()
    (summary,) = [m for m in records.messages if _SUMMARY.match(m)]
    match = _SUMMARY.match(summary)
    assert match is not None
    parts = match.group(2).split("; ")
    assert len(parts) == 21
    assert parts[0] == "[content-forbidden] 204 GET /r/49 ×50"
    assert parts[-1] == f"30 more keys ×{sum(range(1, 31))}"
    assert summary.startswith(f"statusguard: {sum(range(1, 51))} repeated violations")


def test_a_path_cannot_forge_log_lines_or_grow_the_keys(records: Records) -> None:
    guard = ASGIStatusGuard(asgi_204, mode="fix", logger=records.logger)
    scope = http_scope("/x")
    scope["path"] = "/a\r\n2026-01-01 CRITICAL forged line\x00" + "b" * 10_000
    asyncio.run(call_asgi_async(guard, scope=scope))
    (message,) = records.messages
    assert "\r" not in message and "\n" not in message and "\x00" not in message
    assert "/a\\r\\n2026-01-01 CRITICAL forged line\\x00bbb" in message
    assert len(message) < 600


def test_statuses_outside_the_range_share_one_counter(records: Records) -> None:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        status = 1_000 + int(scope["path"].rsplit("/", 1)[1])
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = ASGIStatusGuard(app, mode="fix", logger=records.logger)
    asyncio.run(drive_asgi(guard, [f"/s/{i}" for i in range(300)]))
    assert guard.stats().violations == {("status-code-invalid", 0, "reported"): 300}


def _chunks() -> Iterator[bytes]:
    yield b"streamed"


def test_first_occurrences_are_logged_for_each_distinct_violation(records: Records) -> None:
    responses = {
        "/a": ("204 No Content", [b"x"]),
        "/b": ("205 Reset Content", [b"x"]),
        "/c": ("204 No Content", [b"y"]),  # same rule, status and method as /a: new route
    }

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        status, body = responses[environ["PATH_INFO"]]
        start_response(status, [])
        return body

    guard = WSGIStatusGuard(app, mode="fix", logger=records.logger)
    for _ in range(100):
        for path in responses:
            call_wsgi(guard, path)
    guard.flush()
    assert sorted(m.rsplit("[", 1)[1] for m in records.firsts) == ["GET /a]", "GET /b]", "GET /c]"]
    assert sum(records.summarised().values()) == 297
