"""A small HTTP/2 prior-knowledge (h2c) client that shows what a server put in its frames.

:func:`h2_exchange` opens one plain-text connection, sends the connection preface, one request
on stream 1, then (once stream 1 has ended) a follow-up ``GET /plain`` on stream 3, and reads
until both streams end, the peer closes or sends GOAWAY, or the timeout passes; then it sends
a PING and reads up to its ACK, so a RST_STREAM or GOAWAY the server sent after the responses
is seen too (no sleeping: the server answers frames in order).

``h2`` drives the protocol (preface, SETTINGS and their ACKs, HPACK encoding of the requests,
flow control).  What the server sent is recorded from the frames themselves: every frame read
is also parsed by a frame buffer of its own and every header block decoded by an HPACK decoder
of its own (fed the same blocks in the same order, it stays in step with the server's encoder).
So a response ``h2`` refuses as a client (conflicting ``content-length``, more DATA than the
``content-length``, DATA after a HEAD) is still seen whole, and ``h2``'s complaint is kept
beside it in :attr:`H2Exchange.client_error`.  Inbound header validation and normalisation are
off, so header names and values arrive exactly as the server encoded them.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.frame_buffer
import hpack
import hyperframe.frame

from support.wire import PLAIN_BODY, PLAIN_PATH, Target, is_imf_fixdate

# RFC 9113 §8.2.2: fields a response must not carry over HTTP/2.
CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)
_PING = b"sg-settl"  # opaque data of the PING that ends an exchange (8 bytes)


@dataclass
class H2Reply:
    """One stream's response, as the server's frames carried it."""

    stream_id: int
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # every field, in order
    informational: list[list[tuple[bytes, bytes]]] = field(default_factory=list)  # 1xx blocks
    trailers: list[tuple[bytes, bytes]] = field(default_factory=list)
    data: bytes = b""  # every DATA payload of the stream (padding excluded)
    data_frames: int = 0
    ended: bool = False  # END_STREAM seen
    reset: int | None = None  # RST_STREAM error code from the server

    def values(self, name: bytes) -> list[bytes]:
        """Values of every field called ``name`` (case-insensitive), pseudo-fields included."""
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def regular_headers(self) -> list[tuple[bytes, bytes]]:
        return [(key, value) for key, value in self.headers if not key.startswith(b":")]

    @property
    def connection_specific(self) -> list[bytes]:
        """Names of fields RFC 9113 §8.2.2 forbids in an HTTP/2 response (``te`` too)."""
        return [key for key, _ in self.headers if key.lower() in CONNECTION_SPECIFIC]


@dataclass
class H2Exchange:
    """Everything one h2c connection carried."""

    method: str
    path: str
    follow_up: str | None
    replies: dict[int, H2Reply] = field(default_factory=dict)
    frames: list[str] = field(default_factory=list)  # "HEADERS 1 END_HEADERS,END_STREAM", ...
    goaway: tuple[int, int, bytes] | None = None  # (error code, last stream id, debug data)
    client_error: str | None = None  # h2 (as the client) refused what the server sent
    closed_by_peer: bool = False
    reset_by_peer: bool = False  # TCP reset
    timed_out: bool = False
    server_settings: dict[int, int] = field(default_factory=dict)

    @property
    def first(self) -> H2Reply:
        return self.replies[1]

    @property
    def second(self) -> H2Reply | None:
        return self.replies.get(3)

    @property
    def follow_up_intact(self) -> bool:
        """The follow-up ``GET /plain`` on the same connection came back 200 ``plain``."""
        second = self.second
        return (
            second is not None
            and second.ended
            and second.reset is None
            and second.status == 200
            and second.data == PLAIN_BODY
        )

    @property
    def stream_reset(self) -> bool:
        return any(reply.reset is not None for reply in self.replies.values())

    def describe(self) -> str:
        """A readable dump for assertion messages."""
        lines = [
            f"request: {self.method} {self.path}"
            + (f" then GET {self.follow_up}" if self.follow_up else ""),
            f"goaway: {self.goaway} client_error: {self.client_error}",
            f"closed_by_peer: {self.closed_by_peer} reset: {self.reset_by_peer} "
            f"timed_out: {self.timed_out}",
            f"frames: {self.frames}",
        ]
        for reply in self.replies.values():
            lines.append(
                f"stream {reply.stream_id}: status={reply.status} ended={reply.ended} "
                f"reset={reply.reset} headers={reply.headers!r} data={reply.data[:200]!r}"
            )
        return "\n".join(lines)


def _address(target: Target) -> tuple[str, int]:
    if isinstance(target, tuple):
        return target
    return (target.host, target.port)


class _Session:
    """One h2c connection: ``h2`` speaks the protocol, a raw frame reader records the truth."""

    def __init__(self, sock: socket.socket, ex: H2Exchange, authority: bytes) -> None:
        self.sock = sock
        self.ex = ex
        self.authority = authority
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_inbound_headers=False,
            normalize_inbound_headers=False,
        )
        self.conn: h2.connection.H2Connection | None = h2.connection.H2Connection(config)
        self.frames = h2.frame_buffer.FrameBuffer(server=False)
        self.frames.max_frame_size = 16384  # RFC 9113 §6.5.2 default; h2 advertises no more
        self.decoder = hpack.Decoder()
        self.ping_acked = False
        self.conn.initiate_connection()
        self.flush()

    def flush(self) -> None:
        if self.conn is not None:
            data = self.conn.data_to_send()
            if data:
                self.sock.sendall(data)

    def request(self, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> int:
        assert self.conn is not None
        stream_id = self.conn.get_next_available_stream_id()
        self.ex.replies[stream_id] = H2Reply(stream_id)
        request_headers = [
            (b":method", method.encode("ascii")),
            (b":scheme", b"http"),
            (b":authority", self.authority),
            (b":path", path.encode("ascii")),
            *headers,
        ]
        self.conn.send_headers(stream_id, request_headers, end_stream=True)
        self.flush()
        return stream_id

    def feed(self, data: bytes) -> None:
        """Record the frames in ``data``, then let ``h2`` answer them (ACKs, WINDOW_UPDATE)."""
        self.frames.add_data(data)
        for frame in self.frames:
            self._record(frame)
        if self.conn is None:
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            self.ex.client_error = f"{type(exc).__name__}: {exc}"
            self.conn = None  # stop speaking; keep reading the raw frames
            return
        for event in events:
            if isinstance(event, h2.events.DataReceived) and event.stream_id:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        try:
            self.flush()
        except OSError:
            self.ex.reset_by_peer = True

    def _record(self, frame: hyperframe.frame.Frame) -> None:
        flags = ",".join(sorted(frame.flags))
        kind = type(frame).__name__.removesuffix("Frame").upper()
        self.ex.frames.append(f"{kind} {frame.stream_id} {flags}".rstrip())
        reply = self.ex.replies.get(frame.stream_id)
        if isinstance(frame, hyperframe.frame.HeadersFrame):
            block = [(bytes(k), bytes(v)) for k, v in self.decoder.decode(frame.data, raw=True)]
            if reply is None:
                return
            status = dict(block).get(b":status")
            if reply.status is None and status is not None and status.startswith(b"1"):
                reply.informational.append(block)
            elif reply.status is None:
                reply.headers = block
                reply.status = int(status) if status is not None and status.isdigit() else None
            else:
                reply.trailers = block
        elif isinstance(frame, hyperframe.frame.DataFrame) and reply is not None:
            reply.data += bytes(frame.data)
            reply.data_frames += 1
        elif isinstance(frame, hyperframe.frame.RstStreamFrame) and reply is not None:
            reply.reset = frame.error_code
        elif isinstance(frame, hyperframe.frame.GoAwayFrame):
            self.ex.goaway = (frame.error_code, frame.last_stream_id, bytes(frame.additional_data))
        elif isinstance(frame, hyperframe.frame.PingFrame) and "ACK" in frame.flags:
            self.ping_acked = self.ping_acked or bytes(frame.opaque_data) == _PING
        elif isinstance(frame, hyperframe.frame.SettingsFrame) and "ACK" not in frame.flags:
            self.ex.server_settings.update(frame.settings)
        if reply is not None and "END_STREAM" in frame.flags:
            reply.ended = True

    def ping(self) -> None:
        """Send a PING (raw, so it goes out even once ``h2`` has given up)."""
        self.sock.sendall(hyperframe.frame.PingFrame(0, opaque_data=_PING).serialize())

    def wait(self, done: Callable[[], bool], deadline: float) -> None:
        """Read until ``done()`` (or GOAWAY, the peer's close, the deadline)."""
        while not done() and self.ex.goaway is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.ex.timed_out = True
                return
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                self.ex.timed_out = True
                return
            except ConnectionResetError:
                self.ex.reset_by_peer = True
                data = b""
            if not data:
                self.ex.closed_by_peer = True
                return
            self.feed(data)

    def wait_stream(self, stream_id: int, deadline: float) -> None:
        reply = self.ex.replies[stream_id]
        self.wait(lambda: reply.ended or reply.reset is not None, deadline)

    def settle(self, deadline: float) -> None:
        """PING and wait for its ACK: whatever the server sent before it has then arrived
        (a late RST_STREAM or GOAWAY included), without sleeping."""
        try:
            self.ping()
        except OSError:
            self.ex.reset_by_peer = True
            return
        self.wait(lambda: self.ping_acked, deadline)


def h2_exchange(
    target: Target,
    method: str,
    path: str,
    *,
    follow_up: str | None = PLAIN_PATH,
    headers: list[tuple[bytes, bytes]] | None = None,
    timeout: float = 5.0,
) -> H2Exchange:
    """Send ``method path`` over h2c on stream 1, then ``GET follow_up`` on stream 3."""
    host, port = _address(target)
    ex = H2Exchange(method=method, path=path, follow_up=follow_up)
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        # Small frames written one after the other: without this, Nagle's algorithm and the
        # server's delayed ACK hold the second one back ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = _Session(sock, ex, f"{host}:{port}".encode("ascii"))
        streams = [session.request(method, path, list(headers or []))]
        if follow_up is not None:
            streams.append(session.request("GET", follow_up, []))
        for stream_id in streams:
            session.wait_stream(stream_id, deadline)
        if ex.goaway is None and not ex.closed_by_peer and not ex.timed_out:
            session.settle(deadline)
    return ex


# --------------------------------------------------------------------------------------------
# predicates used by the HTTP/2 wire tests

_TOKEN_LOWER = re.compile(rb"[!#$%&'*+\-.^_`|~0-9a-z]+")
_FORBIDDEN_IN_VALUE = re.compile(rb"[\r\n\x00]")


def h2_problems(
    ex: H2Exchange, *, expected_status: int, no_content: bool, method: str = "GET"
) -> list[str]:
    """What is wrong with stream 1 of ``ex`` on the wire (empty list: clean).

    Checks: the expected status arrived and the stream ended normally; no RST_STREAM, no
    GOAWAY, and the follow-up stream came back intact; no DATA on 204/205/304/HEAD
    (``no_content``); no ``content-length`` on a 204, at most one value, equal to the DATA
    received (HEAD and 304 excepted: they may announce the omitted representation); no
    connection-specific field (RFC 9113 §8.2.2); field names lower-case tokens and values
    without CR, LF or NUL (§8.2.1); exactly one IMF-fixdate ``date`` on 2xx-4xx.
    """
    first = ex.replies.get(1)
    if first is None or first.status is None:
        return [f"no response on stream 1 (expected {expected_status})"]
    problems = []
    if first.status != expected_status:
        problems.append(f"status {first.status} arrived, expected {expected_status}")
    if first.reset is not None:
        problems.append(f"stream 1 reset by the server (error code {first.reset})")
    elif not first.ended:
        problems.append("stream 1 did not end")
    if ex.goaway is not None:
        problems.append(f"GOAWAY from the server: {ex.goaway}")
    if ex.follow_up is not None and not ex.follow_up_intact:
        second = ex.second
        problems.append(
            "follow-up stream damaged: "
            + ("absent" if second is None else f"status {second.status}, data {second.data!r}")
        )
    if ex.client_error is not None:
        problems.append(f"h2 refused the response as a client: {ex.client_error}")

    if no_content and first.data:
        problems.append(f"DATA on a no-content response: {first.data[:80]!r}")
    lengths = first.values(b"content-length")
    if first.status == 204 and lengths:
        problems.append("content-length on a 204")
    if len(set(lengths)) > 1:
        problems.append(f"conflicting content-length fields: {lengths!r}")
    elif (
        lengths
        and method != "HEAD"
        and first.status not in (204, 304)
        and lengths[0] != str(len(first.data)).encode()
    ):
        problems.append(
            f"content-length {lengths[0]!r} != DATA received {len(first.data)} "
            f"({first.data[:80]!r})"
        )
    connection = first.connection_specific
    if connection:
        problems.append(f"connection-specific fields: {connection!r}")
    for name, value in first.headers:
        if not _TOKEN_LOWER.fullmatch(name.removeprefix(b":")):
            problems.append(f"field name is not a lower-case token: {name!r}")
        if _FORBIDDEN_IN_VALUE.search(value):
            problems.append(f"field value contains CR, LF or NUL: {name!r}: {value!r}")

    if 200 <= first.status < 500:
        dates = first.values(b"date")
        if len(dates) != 1:
            problems.append(f"{len(dates)} date fields, expected exactly one: {dates!r}")
        problems.extend(
            f"date is not an IMF-fixdate: {d!r}" for d in dates if not is_imf_fixdate(d)
        )
    return problems
