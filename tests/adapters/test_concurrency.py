"""Concurrency on real servers: every response carries exactly its own fixes.

Hundreds of requests are in flight at once on 127.0.0.1 (one connection each, an asyncio
client parsing with h11) against gunicorn's gthread worker (4 threads) and uvicorn (one event
loop, one task per request), across routes that break different rules
(:mod:`apps.concurrent`).  Each response is marked with its request number in a header and
in its content; each must arrive exactly as the fix for *its* route makes it — its own headers
and content, no line, byte or fix of another response — and the ``on_violation`` records,
tagged with the request that was being served, must name exactly the rules of that request's
route.  The in-process tests push more responses through more threads and tasks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import h11
import pytest
from apps import concurrent
from apps.concurrent import KINDS, Response, response
from support.drive import call_asgi_async, call_wsgi
from support.servers import Server, serve

from statusguard import ASGIStatusGuard, Violation, WSGIStatusGuard

REQUESTS = 480  # 60 of each kind
IN_FLIGHT = 240  # requests open at the same time
ADDED_BY_SERVERS = {b"date", b"server", b"connection"}


@dataclass
class Reply:
    path: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


async def fetch(host: str, port: int, path: str) -> Reply:
    """One request on its own connection; the reply as h11 (the client) parses it."""
    reader, writer = await asyncio.open_connection(host, port)
    client = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="GET", target=path, headers=[("Host", f"{host}:{port}"), ("Connection", "close")]
    )
    writer.write((client.send(request) or b"") + (client.send(h11.EndOfMessage()) or b""))
    await writer.drain()
    status, headers, body = 0, [], b""
    try:
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                client.receive_data(await reader.read(65536))
                continue
            if isinstance(event, h11.Response):
                status, headers = (
                    event.status_code,
                    [(bytes(n), bytes(v)) for n, v in event.headers],
                )
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
    finally:
        writer.close()
        await writer.wait_closed()
    return Reply(path, status, headers, body)


async def fetch_all(srv: Server, paths: list[str]) -> list[Reply]:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(path: str) -> Reply:
        async with gate:
            return await fetch(srv.host, srv.port, path)

    return await asyncio.gather(*(one(path) for path in paths))


def plan(seed: int) -> list[tuple[str, int]]:
    """REQUESTS (kind, request number) pairs, shuffled; request numbers are unique."""
    pairs = [(KINDS[i % len(KINDS)], seed * 100_000 + i) for i in range(REQUESTS)]
    random.Random(seed).shuffle(pairs)
    return pairs


def expected_wire(expected: Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(n.lower().encode(), v.encode()) for n, v in expected.expected_headers]
    return expected.status, sorted(headers), expected.expected_body


def seen_wire(reply: Reply) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(n, v) for n, v in reply.headers if n not in ADDED_BY_SERVERS]
    return reply.status, sorted(headers), reply.body


def records(srv: Server) -> list[tuple[str, str, int, bool]]:
    reply = asyncio.run(fetch(srv.host, srv.port, "/records"))
    assert reply.status == 200
    return [
        (path, rule, status, fixed)
        for path, rule, status, fixed in json.loads(reply.body)["records"]
    ]


@pytest.fixture(scope="module", params=["gunicorn-gthread", "uvicorn-httptools", "uvicorn-h11"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    app = (
        "apps.concurrent:wsgi_app"
        if request.param.startswith("gunicorn")
        else ("apps.concurrent:asgi_app")
    )
    with serve(request.param, app) as srv:
        yield srv


def test_each_response_carries_exactly_its_own_fixes(server: Server) -> None:
    pairs = plan(seed=1)
    paths = [f"/{kind}/{n}" for kind, n in pairs]
    replies = asyncio.run(fetch_all(server, paths))
    wrong = [
        (reply.path, seen_wire(reply), expected_wire(response(kind, n)))
        for reply, (kind, n) in zip(replies, pairs, strict=True)
        if seen_wire(reply) != expected_wire(response(kind, n))
    ]
    assert not wrong, wrong[:3]


def test_violations_are_reported_for_the_request_that_had_them(server: Server) -> None:
    pairs = plan(seed=2)
    paths = {f"/{kind}/{n}": response(kind, n) for kind, n in pairs}
    asyncio.run(fetch_all(server, list(paths)))
    expected = {path: sorted(response.rules) for path, response in paths.items()}
    # A stream longer than its Content-Length is reported when its extra chunk is produced,
    # which can be after the client has read every byte it was promised and gone: the
    # records are read again until they are complete (or the deadline says they never are).
    deadline = time.monotonic() + 10
    while True:
        seen: dict[str, list[str]] = {}
        for path, rule, _status, fixed in records(server):
            if path in paths:
                seen.setdefault(path, []).append(rule)
                if rule != "content-length-mismatch" or not path.startswith("/stream-long"):
                    assert fixed, (path, rule)
        got = {path: sorted(seen.get(path, [])) for path in paths}
        if got == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for path in paths:
        assert got[path] == expected[path], path


# --------------------------------------------------------------------------------------------
# in process: more threads and tasks than a test server offers


def _recorded_guard(guard_type: type[Any], app: Any) -> tuple[Any, list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []

    def on_violation(violation: Violation) -> None:
        seen.append((concurrent.CURRENT.get(), violation.rule_id))

    logger = logging.getLogger("statusguard.test_concurrency")
    logger.handlers = [logging.NullHandler()]  # a first occurrence per request: not shown
    logger.propagate = False
    return guard_type(app, mode="fix", on_violation=on_violation, logger=logger), seen


def test_threads_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(concurrent, "PAUSE", 0.0005)
    guard, seen = _recorded_guard(WSGIStatusGuard, concurrent.wsgi_routes)
    pairs = plan(seed=3) * 4

    def run(pair: tuple[str, int]) -> bool:
        kind, n = pair
        path = f"/{kind}/{n}"
        concurrent.CURRENT.set(path)
        out = call_wsgi(guard, path)
        expected = response(kind, n)
        headers = sorted((name.lower(), value) for name, value in out.headers)
        return (
            out.status == f"{expected.status} {concurrent.PHRASES[expected.status]}"
            and headers == sorted((k.lower(), v) for k, v in expected.expected_headers)
            and out.body == expected.expected_body
        )

    with ThreadPoolExecutor(32) as pool:
        assert all(pool.map(run, pairs))
    by_path = Counter(seen)
    for kind, n in pairs:
        for rule in response(kind, n).rules:
            assert by_path[(f"/{kind}/{n}", rule)] == 4
    assert sum(by_path.values()) == sum(len(response(k, n).rules) for k, n in pairs)
    assert guard.stats().total == len(seen)


def test_tasks_in_process() -> None:
    guard, seen = _recorded_guard(ASGIStatusGuard, concurrent.asgi_routes)
    pairs = plan(seed=4) * 4

    async def run(kind: str, n: int) -> bool:
        path = f"/{kind}/{n}"
        concurrent.CURRENT.set(path)
        out = await call_asgi_async(guard, path)
        expected = response(kind, n)
        return (
            out.status == expected.status
            and sorted(out.headers) == sorted(expected_wire(expected)[1])
            and out.body == expected.expected_body
        )

    async def main() -> list[bool]:
        return await asyncio.gather(*(run(kind, n) for kind, n in pairs))

    assert all(asyncio.run(main()))
    by_path = Counter(seen)
    for kind, n in pairs:
        for rule in response(kind, n).rules:
            assert by_path[(f"/{kind}/{n}", rule)] == 4
    assert guard.stats().total == len(seen)
