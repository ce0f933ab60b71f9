"""A small, bounded HTTP/1.1 load generator, for machines without ``wrk``.

``python -m benchmarks.load_client HOST PORT --duration 5 --connections 8`` keeps that many
connections busy with ``GET /`` for that long (keep-alive when the server allows it, a new
connection when it closes), then prints one JSON line: requests completed, seconds, errors.
One thread, non-blocking sockets and ``selectors``: it measures the server, not itself, as
long as the server is slower than about 10 000 requests/s per core.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import time
from dataclasses import dataclass, field

__all__ = ["Result", "load"]

_HEADER_END = b"\r\n\r\n"


@dataclass
class Result:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class _Connection:
    sock: socket.socket
    buffer: bytearray = field(default_factory=bytearray)
    need: int = -1  # total bytes of the current response once its head is parsed
    close_after: bool = False


def _response_size(head: bytes) -> tuple[int, bool]:
    """(content length, whether the server closes) from a response head."""
    length = 0
    close = head.startswith(b"HTTP/1.0")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value.strip())
        elif key == b"connection":
            close = value.strip().lower() == b"close"
    return length, close


def load(host: str, port: int, duration: float, connections: int = 8) -> Result:
    """Send ``GET /`` over ``connections`` connections for ``duration`` seconds."""
    request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode("ascii")
    selector = selectors.DefaultSelector()
    result = Result()

    def connect() -> None:
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sock.sendall(request)  # a few dozen bytes always fit an empty socket buffer
        selector.register(sock, selectors.EVENT_READ, _Connection(sock))

    def drop(conn: _Connection) -> None:
        selector.unregister(conn.sock)
        conn.sock.close()

    start = time.perf_counter()
    deadline = start + duration
    try:
        for _ in range(connections):
            connect()
        while True:
            now = time.perf_counter()
            if now >= deadline:
                break
            for key, _ in selector.select(timeout=deadline - now):
                conn: _Connection = key.data
                try:
                    data = conn.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:  # closed: between responses that is how gunicorn sync ends one
                    if conn.buffer:
                        result.errors += 1
                    drop(conn)
                    connect()
                    continue
                conn.buffer += data
                while True:
                    if conn.need < 0:
                        end = conn.buffer.find(_HEADER_END)
                        if end < 0:
                            break
                        length, conn.close_after = _response_size(bytes(conn.buffer[:end]))
                        conn.need = end + len(_HEADER_END) + length
                    if len(conn.buffer) < conn.need:
                        break
                    del conn.buffer[: conn.need]
                    conn.need = -1
                    result.requests += 1
                    if conn.close_after:
                        drop(conn)
                        connect()
                        break
                    conn.sock.sendall(request)
    finally:
        result.seconds = time.perf_counter() - start
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        selector.close()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    result = load(args.host, args.port, args.duration, args.connections)
    print(
        json.dumps(
            {"requests": result.requests, "errors": result.errors, "seconds": result.seconds}
        )
    )


if __name__ == "__main__":
    main()
