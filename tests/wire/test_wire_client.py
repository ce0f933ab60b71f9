"""The raw-socket client of :mod:`support.wire` reads what arrives, however it is split.

A server writes a large head in several pieces when it likes (gunicorn's sync worker did, once
in a CI run, for the 3,000 fields of ``/many-headers``); the client must parse the head the
same whether it came in one read or in many.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from support.wire import HEAD_LIMIT, exchange

FIELDS = 3000


def _reply(fields: int) -> bytes:
    lines = [b"HTTP/1.1 200 OK", b"Content-Length: 2", b"Connection: close"]
    lines += [b"X-H%d: %d" % (i, i) for i in range(fields)]
    return b"\r\n".join(lines) + b"\r\n\r\nhi"


@pytest.fixture
def trickle() -> Iterator[tuple[str, int]]:
    """A one-shot server on 127.0.0.1 that sends a 43 KB head in 1 KB pieces, 1 ms apart."""
    listener = socket.create_server(("127.0.0.1", 0))
    reply = _reply(FIELDS)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for start in range(0, len(reply), 1024):
                conn.sendall(reply[start : start + 1024])
                time.sleep(0.001)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[:2]
    finally:
        listener.close()
        thread.join(timeout=5)


def test_a_head_longer_than_h11s_default_limit_parses_when_it_arrives_in_pieces(
    trickle: tuple[str, int],
) -> None:
    assert len(_reply(FIELDS)) > 16 * 1024 and len(_reply(FIELDS)) < HEAD_LIMIT
    ex = exchange(trickle, "GET", "/", pipeline=None)
    assert ex.protocol_error is None, ex.describe()
    reply = ex.first
    assert reply is not None and reply.complete
    assert reply.body == b"hi"
    assert len([n for n, _ in reply.headers if n.startswith(b"x-h")]) == FIELDS
