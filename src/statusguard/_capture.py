"""Parse a captured HTTP/1.x (or curl-printed HTTP/2) response, as ``curl -si URL`` prints it.

Only what ``statusguard lint`` needs, by hand, so that the CLI depends on nothing but the
standard library: the status line, the field lines (obs-fold unfolded), and the content framed
by Content-Length, chunked coding or the end of the input.  Interim 1xx responses and redirect
chains (``curl -siL``) give several responses in a row.  The parser is lenient where the rules
have something to say (a bad Content-Length is for ``content-length-invalid`` to report) and
strict only where the input is not an HTTP response at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CaptureError", "CapturedResponse", "parse_responses"]

# HTTP-version SP status-code [ SP reason-phrase ] (RFC 9112 §4); curl prints HTTP/2 and
# HTTP/3 status lines as "HTTP/2 200" with no reason phrase.
_STATUS_LINE = re.compile(rb"HTTP/([0-9](?:\.[0-9])?) ([0-9]{3})(?: (.*))?")
_REQUEST_LINE = re.compile(rb"[A-Z]+ \S+ HTTP/[0-9](?:\.[0-9])?")
_NO_CONTENT = frozenset({204, 304})


class CaptureError(ValueError):
    """The input is not an HTTP response (or not one that can be framed)."""


@dataclass(frozen=True, slots=True)
class CapturedResponse:
    """One response of the input.

    ``reason`` is ``None`` for HTTP/2 and HTTP/3 status lines, which have none.  ``interim`` is
    true for a 1xx followed by another response.  ``head_only`` says that the response declares
    content that the input does not hold at all (what ``curl -I`` prints for a HEAD request).
    """

    http_version: str
    status: int
    reason: bytes | None
    headers: list[tuple[bytes, bytes]]
    body: bytes
    interim: bool = False
    head_only: bool = False

    @property
    def status_line(self) -> bytes:
        """``b"204 No Content"``: what ``statusguard.check`` takes to see the reason phrase."""
        if self.reason is None:
            return str(self.status).encode()
        return f"{self.status} ".encode() + self.reason


def parse_responses(data: bytes) -> list[CapturedResponse]:
    """Every response in ``data``, in order.  Raises :class:`CaptureError`."""
    responses: list[CapturedResponse] = []
    position = _skip_blank_lines(data, 0)
    if position >= len(data):
        raise CaptureError("the input is empty: expected an HTTP response such as `curl -si URL`")
    while True:
        response, position = _parse_one(data, position, first=not responses)
        rest = _skip_blank_lines(data, position)
        more = _STATUS_LINE.match(data, rest) is not None
        if response.status < 200 and response.status != 101 and more:
            response = _replace_interim(response)
        responses.append(response)
        # After a 101 the connection speaks another protocol: nothing more to read as HTTP.
        if not more or response.status == 101:
            return responses
        position = rest


def _replace_interim(response: CapturedResponse) -> CapturedResponse:
    return CapturedResponse(
        response.http_version,
        response.status,
        response.reason,
        response.headers,
        response.body,
        interim=True,
    )


def _skip_blank_lines(data: bytes, position: int) -> int:
    while data.startswith(b"\r\n", position) or data.startswith(b"\n", position):
        position += 2 if data[position] == 0x0D else 1
    return position


def _read_line(data: bytes, position: int) -> tuple[bytes, int, bool]:
    """The line at ``position`` without its CRLF (a bare LF ends a line too, RFC 9112 §2.2),
    the position after it, and whether a line ending was found."""
    end = data.find(b"\n", position)
    if end < 0:
        return data[position:], len(data), False
    line = data[position:end]
    if line.endswith(b"\r"):
        line = line[:-1]
    return line, end + 1, True


def _parse_one(data: bytes, position: int, *, first: bool) -> tuple[CapturedResponse, int]:
    line, position, _ = _read_line(data, position)
    match = _STATUS_LINE.fullmatch(line)
    if match is None:
        raise CaptureError(_not_a_response(line, first))
    version = match.group(1).decode("ascii")
    status = int(match.group(2))
    reason: bytes | None = match.group(3)
    if version.startswith(("2", "3")):
        reason = None  # curl prints "HTTP/2 200 ": no reason phrase exists in HTTP/2
    elif reason is None:
        reason = b""
    headers, position, line_number = _read_fields(data, position)
    body, position, head_only = _read_content(data, position, status, headers, line_number)
    return CapturedResponse(version, status, reason, headers, body, head_only=head_only), position


def _not_a_response(line: bytes, first: bool) -> str:
    shown = line[:60].decode("latin-1")
    if _REQUEST_LINE.fullmatch(line):
        return f"the input is an HTTP request, not a response: {shown!r}"
    if first:
        return (
            f"the input is not an HTTP response: it starts with {shown!r} where a status line "
            "such as 'HTTP/1.1 200 OK' was expected (try `curl -si URL | statusguard lint`)"
        )
    return f"expected the status line of the next response, found {shown!r}"


def _read_fields(data: bytes, position: int) -> tuple[list[tuple[bytes, bytes]], int, int]:
    headers: list[tuple[bytes, bytes]] = []
    number = 1  # line number within the response, for the error messages
    while position < len(data):
        line, position, _ = _read_line(data, position)
        number += 1
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            # obs-fold: "replace each received obs-fold with one or more SP octets" (RFC 9112
            # §5.2).
            if not headers:
                raise CaptureError(
                    f"line {number} continues a header field, but there is none before it"
                )
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip(b" \t"))
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name:
            raise CaptureError(
                f"line {number} is not a header field (name: value): "
                f"{line[:60].decode('latin-1')!r}"
            )
        # Leading and trailing whitespace around a value is OWS, not part of the value
        # (RFC 9112 §5.1).
        headers.append((name, value.strip(b" \t")))
    return headers, position, number


def _read_content(
    data: bytes, position: int, status: int, headers: list[tuple[bytes, bytes]], line: int
) -> tuple[bytes, int, bool]:
    if status < 200 or status in _NO_CONTENT:
        # These end with the head; anything before the next status line is content they
        # should not have had.
        end = _next_status_line(data, position)
        return data[position:end], end, False
    fields = {name.lower(): value for name, value in headers}
    coding = fields.get(b"transfer-encoding", b"").split(b",")[-1].strip().lower()
    length = fields.get(b"content-length", b"").strip()
    declared = int(length) if length.isdigit() else None
    nothing_follows = position >= len(data) or (
        _STATUS_LINE.match(data, _skip_blank_lines(data, position)) is not None
    )
    if nothing_follows and (coding == b"chunked" or declared):
        # Content is announced but not one byte of it is there before the end or the next
        # response: the head of a HEAD request (what curl -I prints).
        return b"", position, True
    if coding == b"chunked":
        try:
            return _read_chunked(data, position, line)
        except CaptureError:
            # curl -si prints the content already de-chunked (and keeps the header): take the
            # rest, up to the next response, as the decoded content.
            end = _next_status_line(data, position)
            return data[position:end], end, False
    if declared is not None:
        end = position + declared
        if _STATUS_LINE.match(data, _skip_blank_lines(data, end)) is not None:
            return data[position:end], end, False
        # More (or fewer) bytes than declared up to the end of the input: keep them all so
        # that content-length-mismatch sees what the server really sent.
        return data[position:], len(data), False
    return data[position:], len(data), False


def _next_status_line(data: bytes, position: int) -> int:
    """Where the next response starts (or the end of the input)."""
    start = position
    while True:
        if _STATUS_LINE.match(data, _skip_blank_lines(data, start)) is not None:
            return start
        newline = data.find(b"\n", start)
        if newline < 0:
            return len(data)
        start = newline + 1


def _read_chunked(data: bytes, position: int, line: int) -> tuple[bytes, int, bool]:
    chunks: list[bytes] = []
    while True:
        size_line, position, ended = _read_line(data, position)
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise CaptureError(
                f"the chunked content after line {line} is malformed: chunk size "
                f"{size_line[:20].decode('latin-1')!r} is not hexadecimal"
            ) from None
        if size == 0:
            break
        if position + size > len(data) or not ended:
            raise CaptureError(
                f"the chunked content after line {line} is truncated: a chunk of {size} bytes "
                f"has only {max(len(data) - position, 0)}"
            )
        chunks.append(data[position : position + size])
        position += size
        _, position, _ = _read_line(data, position)  # the CRLF after the chunk data
    # Trailer section: field lines up to an empty line (or the end of the input).
    while position < len(data):
        trailer, position, _ = _read_line(data, position)
        if not trailer:
            break
    return b"".join(chunks), position, False
