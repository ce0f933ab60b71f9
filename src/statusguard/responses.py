"""The engine's pure entry points over one complete response: ``check`` and ``repair``.

Nothing here is logged or counted; the response given is never changed.  ``check`` is a pure
function of its arguments, so its results are remembered (bounded, like the engine's memos).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from .engine import (
    _MAX_LINE,
    QUIET_ALWAYS,
    QUIET_ASK,
    SERVER_DATE_POLICIES,
    Config,
    Engine,
    Verdict,
    _remember,
    headers_to_bytes,
    parse_status,
)
from .errors import ConfigurationError
from .model import Head, HeaderList, Violation

__all__ = ["Repaired", "check", "repair"]

Body = bytes | Iterable[bytes]

_CHECK = Engine("http", Config(mode="warn", server_date="never"), register=False)
_REPAIR = Engine("http", Config(mode="fix", server_date="never"), register=False)

# The results of the full path of ``check``, by everything they depend on: the content only by
# its length (a Head carries nothing else of it).  ``_CHECK`` is compiled once and for good
# (``force()`` recompiles registered engines only) and reports to nobody, so a remembered
# result is exactly what the full path would build again.  Heads that pass every rule are the
# screen's business; this memo serves the others, which the screen sends down the full path.
# Bounded like the engine's memos: emptied when full, and no head with a line (or a status
# line) longer than ``_MAX_LINE`` is remembered.
_RESULTS: dict[Hashable, tuple[int, tuple[Violation, ...]]] = {}
_MAX_RESULTS = 1024


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
    if server_date != "never":  # (the default, and valid)
        _check_server_date(server_date)
    lines = headers if isinstance(headers, (list, tuple)) else list(headers)
    data = body if isinstance(body, bytes) else b"".join(body)
    length = len(data)
    # A response checked before costs a lookup or two: the screen's memo of heads that passed,
    # then this module's of the results of those that broke a rule (for their exact content
    # length).
    # Only arguments whose equal values the full path cannot tell apart are remembered: not
    # 200.0 for 200, nor True for 1 as an HTTP version.
    context = (method, http_version, server_date)
    key: tuple[Any, ...] | None = None
    verdict: Verdict | None = None
    if (
        type(status) in _KEYED_STATUS
        and type(method) is str
        and type(http_version) is str
        and type(server_date) is str
    ):
        key = (status, *context, *lines)
        try:
            verdict = _CHECK.heads.get(key)
        except TypeError:  # unhashable lines (lists, bytearrays): the full path only
            key = None
    if key is None or verdict is None:
        describe = partial(_head, status, lines, data, method, http_version, server_date)
        if key is None:
            verdict = _CHECK.screen(status, context, lines, describe)
        else:
            verdict = _CHECK.screen_new(status, context, lines, describe, key)
    if verdict is not None:
        expected = verdict.quiet_length  # verdict.quiet() without the call, mostly
        if expected in (length, QUIET_ALWAYS) or (
            expected == QUIET_ASK and verdict.quiet(lines, length, length > 0)
        ):
            return []  # a response like one seen before, that passed every rule
    if key is not None:
        known = _RESULTS.get(key)
        if known is not None and known[0] == length:
            return list(known[1])  # a new list: the caller may change it
    screened = verdict is not None
    violations = _run(_CHECK, status, lines, data, method, http_version, server_date, screened)[2]
    if key is not None and _small(status, lines):
        _remember(_RESULTS, key, (length, tuple(violations)), _MAX_RESULTS)
    return violations


_KEYED_STATUS = (int, str, bytes)


def _small(status: int | str | bytes, lines: Sequence[Any]) -> bool:
    if not isinstance(status, int) and len(status) > _MAX_LINE:
        return False
    return all(len(line[0]) + len(line[1]) <= _MAX_LINE for line in lines)


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
