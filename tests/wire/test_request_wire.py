"""Issue 14 on real servers: correct range, conditional and upgrade exchanges pass strict mode.

Flask's ``send_file`` under the werkzeug dev server (``contrib.flask_fp_app:strict``) answers
If-None-Match with 304 and Range with 206 or 416; a websocket upgrade goes through uvicorn to a
strict ``ASGIStatusGuard``.  A false positive would be a 500 on the wire; the bytes are parsed
with h11 (``support.wire``).
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Iterator

import h11
import pytest
from support import servers, wire


@pytest.fixture(scope="module")
def werkzeug() -> Iterator[servers.Server]:
    with servers.serve("werkzeug", "contrib.flask_fp_app:strict") as server:
        yield server


def test_send_file_conditional_and_range_on_the_werkzeug_dev_server(
    werkzeug: servers.Server,
) -> None:
    first = wire.exchange(werkzeug, "GET", "/source.py")
    wire.assert_wire_clean(first, expected_status=200, no_content=False)
    assert first.first is not None
    (etag,) = first.first.raw_values(b"etag")
    cases = [
        ([("If-None-Match", etag.decode())], 304, True),
        ([("Range", "bytes=0-9")], 206, False),
        ([("Range", "bytes=0-9"), ("If-Range", etag.decode())], 206, False),
        ([("Range", "bytes=999999-")], 416, False),
    ]
    for headers, status, no_content in cases:
        ex = wire.exchange(werkzeug, "GET", "/source.py", headers=headers)
        wire.assert_wire_clean(ex, expected_status=status, no_content=no_content)
    assert "statusguard" not in werkzeug.logs().lower()


@pytest.fixture(scope="module")
def uvicorn() -> Iterator[servers.Server]:
    with servers.serve("uvicorn-h11", "apps.websocket_app:app") as server:
        yield server


def _frame(text: str) -> bytes:
    """One masked text frame from a client (RFC 6455 §5.2)."""
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def test_websocket_upgrade_through_uvicorn_in_strict_mode(uvicorn: servers.Server) -> None:
    key = base64.b64encode(os.urandom(16)).decode()
    client = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="GET",
        target="/ws",
        headers=[
            ("Host", f"{uvicorn.host}:{uvicorn.port}"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ],
    )
    with socket.create_connection(uvicorn.address, timeout=5) as sock:
        sock.sendall(client.send(request) or b"")
        event: object = h11.NEED_DATA
        while event is h11.NEED_DATA:
            client.receive_data(sock.recv(65536))
            event = client.next_event()
        assert isinstance(event, h11.InformationalResponse)
        assert event.status_code == 101
        assert (b"upgrade", b"websocket") in [(n, v.lower()) for n, v in event.headers]
        rest, _ = client.trailing_data
        sock.sendall(_frame("hi"))
        data = rest
        while len(data) < 9:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data[:2] == bytes([0x81, 7])
    assert data[2:9] == b"echo hi"
    # And an ordinary page next to it.
    ex = wire.exchange(uvicorn, "GET", "/")
    wire.assert_wire_clean(ex, expected_status=200, no_content=False)
