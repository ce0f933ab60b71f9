"""A raw-socket HTTP/1.1 client that shows what a server really put on the wire.

:func:`exchange` sends one request immediately followed by a pipelined ``GET /plain`` on the same
connection, reads until both answers are complete (or the peer closes, or the timeout passes),
and parses the bytes with ``h11`` in the client role.  Body bytes that leak past the framing
(a 204 with a body, a body longer than its Content-Length) therefore show up as a broken or
missing second response, or as a protocol error.

:func:`assert_wire_clean` is the acceptance check the middleware must make every server pass.
"""

from __future__ import annotations

import email.utils
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import h11

PLAIN_PATH = "/plain"
PLAIN_BODY = b"plain"
LINGER = 0.25  # after a parse error, keep reading this long (idle) to capture the rest

# RFC 9110 §5.1 token, §5.5 field-value (obs-text allowed, no CTLs but HTAB).
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_FIELD_LINE = re.compile(rb"(" + _TOKEN + rb"):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_STATUS_LINE = re.compile(rb"HTTP/(\d\.\d) (\d{3})(?: (.*))?")
_IMF_FIXDATE = re.compile(
    rb"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    rb"(\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT"
)
_DAYS = (b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun")


class HasAddress(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


Target = HasAddress | tuple[str, int]


def split_head(head: bytes) -> tuple[bytes, list[bytes]]:
    """Split a raw response head into its status line and header lines, exactly as sent.

    Lines are split on CRLF only, so a bare CR or LF inside a line stays visible.
    """
    lines = head.split(b"\r\n")
    while lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return b"", []
    return lines[0], lines[1:]


def parse_field_line(line: bytes) -> tuple[bytes, bytes] | None:
    """``(lower-case name, value)`` if ``line`` is a valid ``token: value`` field line."""
    match = _FIELD_LINE.fullmatch(line)
    if match is None:
        return None
    return match.group(1).lower(), match.group(2)


@dataclass
class Reply:
    """One response as parsed by h11, with its raw head as it appeared on the wire."""

    status: int
    reason: bytes
    http_version: bytes
    headers: list[tuple[bytes, bytes]]  # as h11 gives them: lower-case names
    raw_head: bytes  # status line + header lines + blank line, verbatim
    status_line: bytes
    raw_headers: list[bytes]  # header lines verbatim (no CRLF), duplicates and odd lines kept
    body: bytes = b""
    complete: bool = False  # h11 saw the end of the message
    protocol_error: str | None = None  # h11's error while this reply was being parsed
    parsed_by_h11: bool = True  # False: h11 refused the head, fields parsed from raw bytes

    def header_values(self, name: bytes) -> list[bytes]:
        """Values of the header ``name`` as h11 parsed them."""
        name = name.lower()
        return [value for key, value in self.headers if key == name]

    def raw_values(self, name: bytes) -> list[bytes]:
        """Values of every well-formed raw header line called ``name`` (case-insensitive)."""
        name = name.lower()
        values = []
        for line in self.raw_headers:
            parsed = parse_field_line(line)
            if parsed is not None and parsed[0] == name:
                values.append(parsed[1])
        return values

    @property
    def bad_header_lines(self) -> list[bytes]:
        """Raw header lines that are not ``token: value``."""
        return [line for line in self.raw_headers if parse_field_line(line) is None]

    @property
    def close_announced(self) -> bool:
        """``Connection: close``, or HTTP/1.0 without ``Connection: keep-alive``."""
        tokens = {
            token.strip().lower()
            for value in self.header_values(b"connection")
            for token in value.split(b",")
        }
        if b"close" in tokens:
            return True
        return self.http_version < b"1.1" and b"keep-alive" not in tokens


@dataclass
class Exchange:
    """Everything one connection carried: the request(s) sent and the replies received."""

    method: str
    path: str
    pipeline: str | None
    sent: bytes
    raw: bytes = b""
    responses: list[Reply] = field(default_factory=list)
    informational: list[tuple[int, bytes]] = field(default_factory=list)  # 1xx (status, reason)
    protocol_error: str | None = None  # first h11 error on this connection, if any
    unparsed: bytes = b""  # received bytes h11 did not (or could not) consume
    closed_by_peer: bool = False
    reset_by_peer: bool = False
    timed_out: bool = False
    elapsed: float = 0.0

    @property
    def first(self) -> Reply | None:
        return self.responses[0] if self.responses else None

    @property
    def close_announced(self) -> bool:
        """The first reply announced that the server closes the connection after it."""
        return self.first is not None and self.first.close_announced

    @property
    def expected_replies(self) -> int:
        return 1 if self.pipeline is None else 2

    def describe(self, limit: int = 3000) -> str:
        """A readable dump for assertion messages."""
        raw = self.raw if len(self.raw) <= limit else self.raw[:limit] + b"...(truncated)"
        lines = [
            f"request: {self.method} {self.path}"
            + (f" + GET {self.pipeline}" if self.pipeline else ""),
            f"replies: {[(r.status, r.complete) for r in self.responses]}",
            f"protocol_error: {self.protocol_error}",
            f"closed_by_peer: {self.closed_by_peer} reset: {self.reset_by_peer} "
            f"timed_out: {self.timed_out} unparsed: {len(self.unparsed)} bytes",
            f"raw: {raw!r}",
        ]
        return "\n".join(lines)


def _address(target: Target) -> tuple[str, int]:
    if isinstance(target, tuple):
        return target
    return (target.host, target.port)


HEAD_LIMIT = 1 << 20
"""The largest response head :func:`exchange` parses, in bytes."""


class _Parser:
    """Feeds received bytes to an h11 client connection that knows which requests were sent."""

    def __init__(self, ex: Exchange, requests: list[h11.Request]) -> None:
        self.ex = ex
        self.requests = requests
        # h11's default limit on an incomplete head, 16 KiB, is a guard against a hostile peer,
        # not a protocol rule: a head of 3,000 fields (about 43 KB) that arrives in two reads
        # would fail at random. 1 MiB keeps the guard and parses every head the tests send.
        self.conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=HEAD_LIMIT)
        self.fed = 0
        self.current: Reply | None = None
        self.dead = False
        self.failed_at: int | None = None
        self.next_request = 0
        self._send_next()

    def _send_next(self) -> None:
        request = self.requests[self.next_request]
        self.next_request += 1
        self.conn.send(request)
        self.conn.send(h11.EndOfMessage())

    def _offset(self) -> int:
        """Offset in ``raw`` of the first byte h11 has not consumed yet."""
        return self.fed - len(self.conn.trailing_data[0])

    @property
    def finished(self) -> bool:
        done = sum(1 for reply in self.ex.responses if reply.complete)
        return done >= len(self.requests) or self.dead

    def feed(self, data: bytes) -> None:
        if self.dead:
            return
        self.fed += len(data)
        self.conn.receive_data(data)
        while not self.dead:
            start = self._offset()
            try:
                event = self.conn.next_event()
            except h11.ProtocolError as exc:
                if not data and self.current is None and start == self.fed:
                    # EOF between two messages: nothing malformed, the reply just never came.
                    self.dead = True
                    return
                self.failed_at = start
                self._fail(f"{type(exc).__name__}: {exc}")
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.InformationalResponse):
                self.ex.informational.append((event.status_code, bytes(event.reason)))
            elif isinstance(event, h11.Response):
                head = self.ex.raw[start : self._offset()]
                status_line, raw_headers = split_head(head)
                self.current = Reply(
                    status=event.status_code,
                    reason=bytes(event.reason),
                    http_version=bytes(event.http_version),
                    headers=[(bytes(k), bytes(v)) for k, v in event.headers],
                    raw_head=head,
                    status_line=status_line,
                    raw_headers=raw_headers,
                )
                self.ex.responses.append(self.current)
            elif isinstance(event, h11.Data):
                if self.current is not None:
                    self.current.body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                if self.current is not None:
                    self.current.complete = True
                self.current = None
                if (
                    self.next_request < len(self.requests)
                    and self.conn.our_state is h11.DONE
                    and self.conn.their_state is h11.DONE
                ):
                    self.conn.start_next_cycle()
                    self._send_next()
            elif isinstance(event, h11.ConnectionClosed):
                self.dead = True
                return

    def _fail(self, error: str) -> None:
        self.dead = True
        if self.current is None and self.failed_at is not None:
            # h11 rejected a head (conflicting Content-Length, bad header line...): keep what
            # reached the wire visible as an incomplete reply parsed from the raw bytes.
            self.current = _reply_from_raw(self.ex.raw[self.failed_at :])
            if self.current is not None:
                self.ex.responses.append(self.current)
        if self.current is not None:
            self.current.protocol_error = error
        if self.ex.protocol_error is None:
            self.ex.protocol_error = error

    def close(self) -> None:
        # After an error h11 may have swallowed the offending head: report from its start.
        offset = self._offset() if self.failed_at is None else self.failed_at
        self.ex.unparsed = self.ex.raw[offset:]


def _reply_from_raw(data: bytes) -> Reply | None:
    """Best-effort reply from raw bytes h11 refused; ``None`` unless they start a head."""
    end = _HEAD_END.search(data)
    if end is None:
        return None
    head = data[: end.end()]
    status_line, raw_headers = split_head(head)
    match = _STATUS_LINE.fullmatch(status_line)
    if match is None:
        return None
    fields = [parse_field_line(line) for line in raw_headers]
    return Reply(
        status=int(match.group(2)),
        reason=match.group(3) or b"",
        http_version=match.group(1),
        headers=[f for f in fields if f is not None],
        raw_head=head,
        status_line=status_line,
        raw_headers=raw_headers,
        body=data[end.end() :],  # best effort: whatever had arrived when h11 gave up
        parsed_by_h11=False,
    )


def _serialize(request: h11.Request) -> bytes:
    conn = h11.Connection(h11.CLIENT)
    return (conn.send(request) or b"") + (conn.send(h11.EndOfMessage()) or b"")


def exchange(
    target: Target,
    method: str,
    path: str,
    *,
    pipeline: str | None = PLAIN_PATH,
    timeout: float = 5.0,
    headers: Sequence[tuple[str, str]] = (),
) -> Exchange:
    """Send ``method path`` plus a pipelined ``GET pipeline`` and parse what comes back."""
    host, port = _address(target)
    host_header = ("Host", f"{host}:{port}")
    requests = [h11.Request(method=method, target=path, headers=[host_header, *headers])]
    if pipeline is not None:
        requests.append(h11.Request(method="GET", target=pipeline, headers=[host_header]))
    sent = b"".join(_serialize(request) for request in requests)
    ex = Exchange(method=method, path=path, pipeline=pipeline, sent=sent)
    parser = _Parser(ex, requests)

    started = time.monotonic()
    deadline = started + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(sent)
        while True:
            remaining = deadline - time.monotonic()
            if parser.dead and not ex.closed_by_peer:
                remaining = min(remaining, LINGER)
            if remaining <= 0:
                ex.timed_out = not parser.dead
                break
            sock.settimeout(remaining)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                ex.timed_out = not parser.dead
                break
            except ConnectionResetError:
                ex.reset_by_peer = True
                data = b""
            if data:
                ex.raw += data
            else:
                ex.closed_by_peer = True
            parser.feed(data)
            if ex.closed_by_peer:
                break
            if parser.finished and not parser.dead:
                break
    parser.close()
    ex.elapsed = time.monotonic() - started
    return ex


# --------------------------------------------------------------------------------------------
# predicates used by the acceptance tests


def date_lines(reply: Reply) -> list[bytes]:
    """Values of every raw ``Date`` header line of ``reply``, in wire order."""
    return reply.raw_values(b"date")


def is_imf_fixdate(value: bytes) -> bool:
    """``value`` is an RFC 9110 IMF-fixdate such as ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    match = _IMF_FIXDATE.fullmatch(value)
    if match is None:
        return False
    try:
        parsed = email.utils.parsedate_to_datetime(value.decode("ascii"))
    except (TypeError, ValueError):
        return False
    return _DAYS[parsed.weekday()] == match.group(1) and int(match.group(2)) == parsed.day


def _framing_problems(reply: Reply, method: str) -> list[str]:
    problems = []
    lengths = reply.raw_values(b"content-length")
    if lengths and reply.raw_values(b"transfer-encoding"):
        problems.append("Content-Length stands beside Transfer-Encoding")
    # A HEAD answer and a 304 may announce the length of the representation they omit.
    # A 204 is reported by its own check ("Content-Length on a 204").
    if method != "HEAD" and reply.status not in (204, 304) and reply.parsed_by_h11:
        for value in lengths:
            if value != str(len(reply.body)).encode():
                problems.append(
                    f"Content-Length {value!r} != body length {len(reply.body)} ({reply.body!r})"
                )
    return problems


def wire_problems(ex: Exchange, *, expected_status: int, no_content: bool) -> list[str]:
    """The violations :func:`assert_wire_clean` reports (empty list: clean)."""
    first = ex.first
    if first is None:
        return [f"no response reached the wire (expected {expected_status})"]
    problems = []
    if first.status != expected_status:
        problems.append(f"status {first.status} reached the wire, expected {expected_status}")
    if not first.complete:
        problems.append(f"first response incomplete ({first.protocol_error or 'no error'})")

    # The connection stayed usable: the pipelined reply follows, intact.
    if ex.pipeline is not None and not first.close_announced:
        second = ex.responses[1] if len(ex.responses) > 1 else None
        if second is None:
            problems.append("pipelined response missing (connection dropped or desynced)")
        elif not second.complete or second.status != 200 or second.body != PLAIN_BODY:
            problems.append(
                f"pipelined response damaged: status {second.status}, "
                f"complete={second.complete}, body={second.body[:80]!r}"
            )
    if first.complete and first.close_announced and ex.unparsed:
        problems.append(f"{len(ex.unparsed)} bytes after the response: {ex.unparsed[:80]!r}")
    if ex.protocol_error is not None:
        problems.append(f"h11 could not parse the wire: {ex.protocol_error}")

    if no_content and first.body:
        problems.append(f"content on a no-content response: {first.body[:80]!r}")
    if first.status == 204 and first.raw_values(b"content-length"):
        problems.append("Content-Length on a 204")
    problems.extend(_framing_problems(first, ex.method))

    if first.header_values(b"x-injected") or first.raw_values(b"x-injected"):
        problems.append("injected header X-Injected reached the wire")
    for line in first.bad_header_lines:
        problems.append(f"raw header line is not 'token: value': {line!r}")

    if 200 <= first.status < 500:
        dates = date_lines(first)
        if len(dates) != 1:
            problems.append(f"{len(dates)} Date lines, expected exactly one: {dates!r}")
        problems.extend(
            f"Date is not an IMF-fixdate: {d!r}" for d in dates if not is_imf_fixdate(d)
        )
    return problems


def assert_wire_clean(ex: Exchange, *, expected_status: int, no_content: bool) -> None:
    """Assert that the response in ``ex`` is exactly what HTTP allows on the wire.

    Checks: the expected status reached the wire; the connection stayed usable (the pipelined
    ``GET /plain`` came back complete, 200, ``plain``, unless the first reply announced close —
    then nothing may follow it); no content on 204/205/304/HEAD (``no_content``); no
    Content-Length on 204; Content-Length equals the body length (HEAD and 304 excepted) and
    never stands beside Transfer-Encoding; no injected header line; exactly one IMF-fixdate
    Date line on 2xx-4xx.
    """
    problems = wire_problems(ex, expected_status=expected_status, no_content=no_content)
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise AssertionError(f"wire not clean:\n{listing}\n{ex.describe()}")
