"""The engine's pure entry points over one complete response: ``check`` and ``repair``.

Nothing here is logged or counted; the response given is never changed.  Both drive the same
:class:`~statusguard.engine.Exchange` as the middlewares, through the same screen; no result
is remembered, so a check costs the same whether its response repeats or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .engine import SAME, SERVER_DATE_POLICIES, Config, Engine, Extended
from .engine.convert import headers_to_bytes, parse_status, to_bytes
from .errors import ConfigurationError
from .model import Head, HeaderList, Violation
from .servers import WIRE, with_date

__all__ = ["Repaired", "check", "repair"]

Body = bytes | Iterable[bytes]
RequestHeaderLines = Mapping[Any, Any] | Iterable[tuple[str | bytes, str | bytes]]

_CHECK = Engine("http", Config(mode="warn", server_date="never"), register=False)
_REPAIR = Engine("http", Config(mode="fix", server_date="never"), register=False)


@dataclass(frozen=True, slots=True)
class Repaired:
    """A repaired response: what to send instead, and the violations of the original."""

    status: int
    reason: bytes | None
    headers: HeaderList
    body: bytes
    violations: list[Violation]

    @property
    def status_line(self) -> str:
        """The WSGI-style status line, ``"204 No Content"``."""
        reason = (self.reason or b"").decode("latin-1")
        if self.status == 0:  # not a status line at all: it stays as the app wrote it
            return reason
        return f"{self.status} {reason}".rstrip() if reason else str(self.status)


class _Given:
    """The request of a response given whole: its fields, as the caller passed them."""

    __slots__ = ("fields",)

    def __init__(self, request_headers: RequestHeaderLines | None) -> None:
        fields: dict[bytes, list[bytes]] = {}
        if request_headers is not None:
            items = (
                request_headers.items()
                if isinstance(request_headers, Mapping)
                else request_headers
            )
            for name, value in items:
                fields.setdefault(to_bytes(name).lower(), []).append(to_bytes(value))
        self.fields = fields


class _GivenReader:
    """What the engine may ask about the request of a response given whole."""

    __slots__ = ("knows_request",)

    def __init__(self, knows_request: bool) -> None:
        self.knows_request = knows_request

    def route(self, request: _Given, /) -> str:
        return "-"

    def header(self, request: _Given, name: bytes, /) -> bytes | None:
        values = request.fields.get(name)
        return b", ".join(values) if values else None


_READER = _GivenReader(True)
_NO_REQUEST = _GivenReader(False)  # no request given: the rules about the request say nothing
_NOTHING_GIVEN = _Given(None)  # (read only: one for every call without a request)


def _run(
    engine: Engine,
    status: object,
    lines: Sequence[Any],
    data: bytes,
    method: str,
    http_version: str,
    server_date: str,
    request_headers: RequestHeaderLines | None,
) -> tuple[Any, bytes, list[Violation]]:
    exchange = engine.exchange(
        method.upper(),
        http_version,
        with_date(WIRE, server_date),
        _NO_REQUEST if request_headers is None else _READER,
        _NOTHING_GIVEN if request_headers is None else _Given(request_headers),
    )
    out = exchange.start(status, lines, len(data))
    sent = exchange.chunk(data, last=True)
    exchange.end()
    return out, sent, exchange.violations


def _check_server_date(server_date: str) -> None:
    if server_date == "auto" or server_date not in SERVER_DATE_POLICIES:
        choices = ", ".join(p for p in SERVER_DATE_POLICIES if p != "auto")
        raise ConfigurationError(f"server_date must be one of {choices}, not {server_date!r}")


def check(
    status: int | str | bytes,
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    body: Body = b"",
    *,
    method: str = "GET",
    http_version: str = "1.1",
    server_date: str = "never",
    request_headers: RequestHeaderLines | None = None,
) -> list[Violation]:
    """The violations of one complete response, which is left unchanged.

    ``status`` is an int or a WSGI status line (``"404 Not Found"``) so that the reason phrase
    is checked too; ``headers`` are ``(name, value)`` pairs of ``str`` or ``bytes``.
    ``server_date`` says what the server would do with Date (``"never"``: the response is
    what goes on the wire).  ``request_headers`` (pairs, or a mapping) are the fields of the
    request it answers, for the rules that read them.
    """
    if server_date != "never":  # (the default, and valid)
        _check_server_date(server_date)
    lines = headers if isinstance(headers, (list, tuple)) else list(headers)
    data = body if isinstance(body, bytes) else b"".join(body)
    return _run(_CHECK, status, lines, data, method, http_version, server_date, request_headers)[2]


def repair(
    status: int | str | bytes,
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    body: Body = b"",
    *,
    method: str = "GET",
    http_version: str = "1.1",
    server_date: str = "never",
    request_headers: RequestHeaderLines | None = None,
) -> Repaired:
    """The response as fix mode would send it, with the violations of the original."""
    _check_server_date(server_date)
    lines = list(headers)
    data = body if isinstance(body, bytes) else b"".join(body)
    out, sent, violations = _run(
        _REPAIR, status, lines, data, method, http_version, server_date, request_headers
    )
    if out is SAME or isinstance(out, Extended):
        code, reason = parse_status(status)
        added = out.lines if isinstance(out, Extended) else []
        head = Head(int(code), [*headers_to_bytes(lines), *added], reason=reason)
    else:
        head = out
    return Repaired(head.status, head.reason, head.headers, sent, violations)
