"""One process per server for all the unguarded wire tests of this package.

``unguarded(name)`` serves :mod:`apps.unguarded` (the raw routes, the detection probe, the
HTTP/2-only route) with server ``name``, started on first use and stopped when the last test of
``tests/wire`` has run; a server that failed to start is not tried again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apps.probe import PROBE_MARKER
from support.servers import GetServer, Server, ServerError, kind_of, start, stop_all


@pytest.fixture(scope="package")
def unguarded() -> Iterator[GetServer]:
    servers: dict[str, Server] = {}
    failed: dict[str, ServerError] = {}

    def get(name: str) -> Server:
        if name in failed:
            raise failed[name]
        if name not in servers:
            app = f"apps.unguarded:{kind_of(name)}"
            # The marker in the process environment shows which servers copy it into the
            # WSGI environ (test_server_detection.py).
            try:
                servers[name] = start(name, app, env={PROBE_MARKER: "1"})
            except ServerError as exc:
                failed[name] = exc
                raise
        return servers[name]

    try:
        yield get
    finally:
        stop_all(servers.values())
