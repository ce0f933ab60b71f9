"""Drive one response through an engine's exchange, as an adapter does, for engine-level tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from statusguard.engine import HOLD, Engine, Exchange
from statusguard.servers import WIRE, with_date


class RouteReader:
    """A request that has a route label and no fields."""

    def route(self, request: Any, /) -> str:
        return str(request)

    def header(self, request: Any, name: bytes, /) -> bytes | None:
        return None


def respond(
    engine: Engine,
    status: object,
    headers: Sequence[Any],
    body: bytes = b"",
    *,
    method: str = "GET",
    route: str = "/x",
    server_date: str = "if-absent",
) -> Exchange:
    """One complete response of ``len(body)`` known bytes through ``engine``."""
    exchange = engine.exchange(method, "1.1", with_date(WIRE, server_date), RouteReader(), route)
    out = exchange.start(status, headers, len(body))
    assert out is not HOLD  # a known length never holds
    exchange.chunk(body)
    exchange.end()
    return exchange
