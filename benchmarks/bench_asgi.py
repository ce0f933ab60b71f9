"""ASGI: the per-response cost of statusguard against the floor, Starlette's
``BaseHTTPMiddleware`` and a whole Starlette application.

Per response = awaiting the application with a fresh scope, a ``receive`` that returns the
(empty) request and a ``send`` that drops every message.  A batch awaits the application n
times inside one coroutine on one event loop: an ASGI app that never suspends (the raw app,
the pass-through, statusguard) runs without touching the loop, exactly as if driven by
``coro.send(None)``; ``BaseHTTPMiddleware`` and Starlette need the loop (anyio task groups).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from statusguard import ASGIStatusGuard, StatusGuardError

from ._quiet import quiet
from .cases import CASES, SCENARIOS, Case, Scenario, Variant
from .harness import Comparison, Contender, Pair, measure, measure_pairs

__all__ = [
    "ASGIHoldStart",
    "ASGIPassThrough",
    "contender_batch",
    "contenders",
    "make_app",
    "make_scope",
    "make_starlette",
    "make_variant_app",
    "run",
    "scenario_pairs",
    "starlette_contenders",
    "variant_batch",
]


MODES = ("fix", "warn", "strict")


class ASGIPassThrough:
    """The floor: a pure-ASGI middleware that wraps ``send`` and forwards every message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped(message: Message) -> None:
            await send(message)

        await self.app(scope, receive, wrapped)


class ASGIHoldStart:
    """The least a middleware that may correct ``Content-Length`` must do: hold the start until
    the content says how long it is, then send both.  It checks nothing; its cost is the floor
    under any guard that repairs the head of a response whose content it has not seen yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                held.append(message)
                return
            if held:
                await send(held.pop())
            await send(message)

        await self.app(scope, receive, wrapped)


class BaseHTTPPassThrough(BaseHTTPMiddleware):
    """Starlette's ``BaseHTTPMiddleware`` with a ``dispatch`` that only calls the app."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        return await call_next(request)


def make_app(case: Case) -> ASGIApp:
    """The raw ASGI application of ``case``; it builds its headers on every response (see
    :meth:`Case.byte_headers`) and sends the content in ``len(case.chunks)`` messages."""
    build_headers = case.byte_headers()
    status = case.status
    chunks = case.chunks or (b"",)
    last = len(chunks) - 1

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": build_headers()})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < last})

    return app


def make_starlette(case: Case, middleware: Iterable[Middleware] = ()) -> Starlette:
    """A Starlette application answering ``case`` from a routed endpoint."""
    ids = itertools.count(0x7F3A9C1E)
    extra = {
        name: value
        for name, value in case.headers
        if name.lower() not in ("content-type", "content-length", "x-request-id")
    }
    content_type = {n.lower(): v for n, v in case.headers}.get("content-type")
    has_id = any(n.lower() == "x-request-id" for n, _ in case.headers)

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in case.chunks:
            yield chunk

    async def endpoint(request: Request) -> Response:
        headers = dict(extra)
        if has_id:
            headers["X-Request-Id"] = f"{next(ids):08x}"
        if case.streamed:
            headers["Content-Length"] = str(len(case.body))
            return StreamingResponse(
                chunks(), status_code=case.status, headers=headers, media_type=content_type
            )
        return Response(case.body, case.status, headers=headers, media_type=content_type)

    return Starlette(routes=[Route("/", endpoint, methods=["GET"])], middleware=list(middleware))


def make_scope(case: Case) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": case.method,
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            *((n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in case.request),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}


async def _receive() -> Message:
    return _REQUEST


async def _send(message: Message) -> None:
    return None


def _batch(
    loop: asyncio.AbstractEventLoop, app: ASGIApp, scope: Scope, raises: bool = False
) -> Callable[[int], object]:
    async def many(n: int) -> None:
        for _ in range(n):
            await app(dict(scope), _receive, _send)

    async def many_raising(n: int) -> None:
        for _ in range(n):
            try:
                await app(dict(scope), _receive, _send)
            except StatusGuardError:
                pass

    run = loop.run_until_complete
    body = many_raising if raises else many

    def batch(n: int) -> None:
        run(body(n))

    return batch


def _contender(
    loop: asyncio.AbstractEventLoop, name: str, app: ASGIApp, scope: Scope
) -> Contender:
    try:
        _batch(loop, app, scope)(1)
    except StatusGuardError:
        return Contender(name, _batch(loop, app, scope, True), "raises StatusGuardError")
    return Contender(name, _batch(loop, app, scope))


def contenders(loop: asyncio.AbstractEventLoop, case: Case) -> list[Contender]:
    app = make_app(case)
    scope = make_scope(case)
    found = [
        _contender(loop, "direct", app, scope),
        _contender(loop, "pass-through", ASGIPassThrough(app), scope),
    ]
    for mode in MODES:
        guard = ASGIStatusGuard(app, mode=mode)
        found.append(_contender(loop, f"statusguard {mode}", guard, scope))
    found.append(_contender(loop, "BaseHTTPMiddleware", BaseHTTPPassThrough(app), scope))
    return found


def starlette_contenders(loop: asyncio.AbstractEventLoop, case: Case) -> list[Contender]:
    scope = make_scope(case)
    return [
        _contender(loop, "Starlette app", make_starlette(case), scope),
        # What any pure-ASGI middleware costs here, doing nothing: the floor in this setting.
        _contender(
            loop,
            "Starlette app + pass-through",
            make_starlette(case, [Middleware(ASGIPassThrough)]),
            scope,
        ),
        _contender(
            loop,
            "Starlette app + hold-start",
            make_starlette(case, [Middleware(ASGIHoldStart)]),
            scope,
        ),
        _contender(
            loop,
            "Starlette app + statusguard fix",
            make_starlette(case, [Middleware(ASGIStatusGuard, mode="fix")]),
            scope,
        ),
        _contender(
            loop,
            "Starlette app + BaseHTTPMiddleware",
            make_starlette(case, [Middleware(BaseHTTPPassThrough)]),
            scope,
        ),
    ]


def make_variant_app(variant: Variant) -> ASGIApp:
    """The raw ASGI application of one variant of a scenario: each response built anew (see
    :meth:`Variant.byte_responses`), its content in one final body message."""
    respond = variant.byte_responses()
    status = variant.status

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers, body = respond()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return app


def variant_batch(
    loop: asyncio.AbstractEventLoop, app: ASGIApp, variant: Variant
) -> Callable[[int], object]:
    """As :func:`_batch`, with the request method of each response from the variant."""
    scope = make_scope(CASES[0])
    methods = variant.methods()

    async def many(n: int) -> None:
        for _ in range(n):
            request = dict(scope)
            request["method"] = methods()
            await app(request, _receive, _send)

    run = loop.run_until_complete

    def batch(n: int) -> None:
        run(many(n))

    return batch


def scenario_pairs(loop: asyncio.AbstractEventLoop, scenario: Scenario) -> list[Pair]:
    """Per variant: the application alone and behind ``ASGIStatusGuard`` in fix mode, each
    with its own sequence of responses."""
    pairs = []
    for variant in scenario.variants:
        direct = variant_batch(loop, make_variant_app(variant), variant)
        guard = ASGIStatusGuard(make_variant_app(variant), mode="fix")
        pairs.append(
            Pair(
                variant.label,
                Contender("app", direct),
                Contender("statusguard fix", variant_batch(loop, guard, variant)),
                warmup=variant.period,
            )
        )
    return pairs


def run(
    *,
    rounds: int = 30,
    loops: int | None = None,
    cases: Sequence[Case] = CASES,
    scenarios: Sequence[Scenario] = SCENARIOS,
) -> list[Comparison]:
    results = []
    loop = asyncio.new_event_loop()
    try:
        with quiet():
            for case in cases:
                results.append(
                    measure(
                        f"asgi/{case.key}",
                        f"ASGI, {case.title}",
                        contenders(loop, case),
                        rounds=rounds,
                        loops=loops,
                    )
                )
            for scenario in scenarios:
                results.append(
                    measure_pairs(
                        f"asgi/{scenario.key}",
                        f"ASGI, fix mode, {scenario.title}",
                        scenario_pairs(loop, scenario),
                        rounds=rounds,
                        loops=loops,
                    )
                )
            for case in cases:
                results.append(
                    measure(
                        f"starlette/{case.key}",
                        f"Starlette application, {case.title}",
                        starlette_contenders(loop, case),
                        rounds=rounds,
                        loops=loops,
                    )
                )
    finally:
        loop.close()
    return results


def contender_batch(
    loop: asyncio.AbstractEventLoop, app: ASGIApp, case: Case
) -> Callable[[int], object]:
    """``batch(n)``: ``n`` responses of ``case`` from ``app``, as the comparisons time them."""
    return _contender(loop, "app", app, make_scope(case)).batch
