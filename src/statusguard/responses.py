"""The engine's pure entry points over one complete response: ``check`` and ``repair``.

Nothing here is logged or counted; the response given is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .engine import SERVER_DATE_POLICIES, Config, Engine, headers_to_bytes, parse_status
from .errors import ConfigurationError
from .model import Head, HeaderList, Violation

__all__ = ["Repaired", "check", "repair"]

Body = bytes | Iterable[bytes]

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


def _run(
    engine: Engine,
    status: int | str | bytes,
    headers: Iterable[tuple[str | bytes, str | bytes]],
    body: Body,
    method: str,
    http_version: str,
    server_date: str,
    screened: bool = False,
) -> tuple[Head, bytes, list[Violation]]:
    data = body if isinstance(body, bytes) else b"".join(body)
    head = _head(status, headers, data, method, http_version, server_date)
    response = engine.begin(head, route="-", screened=screened)
    out_head = response.start()
    out = response.body(data) if response.needs_body else data
    if response.discard:
        out = b""
    response.finish()
    return out_head, out, response.violations


def _check_server_date(server_date: str) -> None:
    if server_date == "auto" or server_date not in SERVER_DATE_POLICIES:
        choices = ", ".join(p for p in SERVER_DATE_POLICIES if p != "auto")
        raise ConfigurationError(f"server_date must be one of {choices}, not {server_date!r}")


def _head(
    status: int | str | bytes,
    headers: Iterable[tuple[str | bytes, str | bytes]],
    data: bytes,
    method: str,
    http_version: str,
    server_date: str,
) -> Head:
    code, reason = parse_status(status)
    return Head(
        code,
        headers_to_bytes(headers),
        method.upper(),
        http_version,
        reason,
        content_length=len(data),
        has_content=bool(data),
        server_date=server_date,
    )


def check(
    status: int | str | bytes,
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    body: Body = b"",
    *,
    method: str = "GET",
    http_version: str = "1.1",
    server_date: str = "never",
) -> list[Violation]:
    """The violations of one complete response, which is left unchanged.

    ``status`` is an int or a WSGI status line (``"404 Not Found"``) so that the reason phrase
    is checked too; ``headers`` are ``(name, value)`` pairs of ``str`` or ``bytes``.
    ``server_date`` says what the server would do with Date (``"never"``: the response is
    what goes on the wire).
    """
    _check_server_date(server_date)
    lines = headers if isinstance(headers, (list, tuple)) else list(headers)
    data = body if isinstance(body, bytes) else b"".join(body)
    verdict = _CHECK.screen(
        status,
        (method, http_version, server_date),
        lines,
        lambda: _head(status, lines, data, method, http_version, server_date),
    )
    if verdict is not None and verdict.quiet(lines, len(data), bool(data)):
        return []  # a response like one seen before, that passed every rule
    screened = verdict is not None
    return _run(_CHECK, status, lines, data, method, http_version, server_date, screened)[2]


def repair(
    status: int | str | bytes,
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    body: Body = b"",
    *,
    method: str = "GET",
    http_version: str = "1.1",
    server_date: str = "never",
) -> Repaired:
    """The response as fix mode would send it, with the violations of the original."""
    _check_server_date(server_date)
    head, out, violations = _run(_REPAIR, status, headers, body, method, http_version, server_date)
    return Repaired(head.status, head.reason, head.headers, out, violations)
