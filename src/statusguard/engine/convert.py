"""Conversions between what applications hand over and the engine's neutral :class:`Head`.

No I/O, no rules.  Everything here accepts whatever an application may pass (a status that is
not a status, a header value that is an ``int``) without raising: what cannot be read is turned
into something the rules can judge, so that a single odd value never makes the engine give up
on the lines beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from ..model import HeaderList

__all__ = [
    "headers_to_bytes",
    "http_version",
    "method_class",
    "parse_status",
    "safe_lines",
    "safe_status",
    "splits",
    "to_bytes",
]


def parse_status(status: object) -> tuple[int, bytes | None]:
    """``200`` or ``"200 OK"`` → ``(200, b"OK")``.

    A status line whose three digits are followed by anything but one space (a TAB, a VT, a
    NEL, no separator at all) keeps that separator in its reason, so that the reason-phrase
    rule sees it.  Anything that does not start with three digits (``None``, a float, a
    garbled line) is status 0, with the whole line as its reason.
    """
    if isinstance(status, bool):
        return 0, None
    if isinstance(status, int):
        return status, None
    if isinstance(status, str):
        raw = status.encode("latin-1", "replace")
    elif isinstance(status, (bytes, bytearray)):
        raw = bytes(status)
    else:  # None, a float...: an application's bug, reported by status-code-invalid
        return 0, None
    code = raw[:3]
    if len(code) == 3 and code.isdigit() and code.isascii() and not raw[3:4].isdigit():
        return int(code), raw[4:] if raw[3:4] in (b" ", b"") else raw[3:]
    return 0, raw


def to_bytes(value: object) -> bytes:
    """A name or value as bytes: ``str`` as latin-1 (UTF-8 where latin-1 cannot say it),
    bytes-like as bytes.  Anything else (an ``int``, ``None``, a lone surrogate) raises: the
    engine cannot judge it, and fails open (see ``Exchange``)."""
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"a header name or value must be str or bytes, not {type(value).__name__}")


def headers_to_bytes(headers: Iterable[tuple[Any, Any]]) -> HeaderList:
    """``(name, value)`` pairs of ``str`` or ``bytes`` → bytes pairs (raises for anything
    else: a line that is not a pair, a value that is not a string)."""
    return [(to_bytes(name), to_bytes(value)) for name, value in headers]


# The bytes that split a message when they reach the wire inside a name, a value or a status
# line (RFC 9110 §5.5: "CR, LF, or NUL"; RFC 9112 §2.2 for bare CR).
_SPLITTING: Final = ("\r", "\n", "\x00")
_SPLITTING_BYTES: Final = (b"\r", b"\n", b"\x00")


def splits(value: object) -> bool:
    """Whether ``value`` (``str`` or bytes-like) holds CR, LF or NUL."""
    if isinstance(value, str):
        return any(c in value for c in _SPLITTING)
    if isinstance(value, (bytes, bytearray)):
        return any(c in value for c in _SPLITTING_BYTES)
    return False


def safe_lines(headers: Iterable[Any]) -> list[Any] | None:
    """The lines of ``headers`` that cannot split the response, as they are, or ``None`` when
    every line is safe: what a head that statusguard failed to judge may still send (fail
    open, but never a line that would inject another).  A line that is not a sequence of
    names and values is kept: it splits nothing, and the server decides about it."""
    lines = list(headers)
    kept = [line for line in lines if not _line_splits(line)]
    return None if len(kept) == len(lines) else kept


def _line_splits(line: object) -> bool:
    if isinstance(line, (str, bytes, bytearray)):
        return splits(line)
    if isinstance(line, Sequence):
        return any(splits(part) for part in line)
    return False


def safe_status(status: object) -> object:
    """``status`` without the bytes that would split the status line (CR, LF, NUL)."""
    if isinstance(status, str):
        return status.replace("\r", "").replace("\n", "").replace("\x00", "")
    if isinstance(status, (bytes, bytearray)):
        return bytes(status).replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")
    return status


_METHOD_CLASSES: Final = {"HEAD": "HEAD", "CONNECT": "CONNECT"}


def method_class(method: str) -> str:
    """What the rules distinguish of a method: ``"HEAD"``, ``"CONNECT"`` or ``""`` (any
    other).  Memos key on this, never on the method a client made up."""
    return _METHOD_CLASSES.get(method, "")


_VERSIONS: Final = {
    "1.1": "1.1",
    "HTTP/1.1": "1.1",
    "1.0": "1.0",
    "HTTP/1.0": "1.0",
    "2": "2",
    "2.0": "2",
    "HTTP/2": "2",
    "HTTP/2.0": "2",
    "3": "3",
    "3.0": "3",
    "HTTP/3": "3",
    "HTTP/3.0": "3",
}


def http_version(version: object) -> str:
    """``"HTTP/1.1"``, ``"1.1"``, ``"2.0"``... → ``"1.0"``, ``"1.1"``, ``"2"`` or ``"3"``
    (anything else counts as 1.1)."""
    if type(version) is not str:
        return "1.1"
    return _VERSIONS.get(version) or _VERSIONS.get(version.upper(), "1.1")
