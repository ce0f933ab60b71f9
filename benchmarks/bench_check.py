"""A full check of one complete response: ``statusguard.check`` against httplint.

httplint's ``HttpResponseLinter`` is the widest catalogue of response checks there is, and
report-only; ``statusguard.check`` runs the whole catalogue on a complete response without
changing it.  Both get the response as it goes on the wire: bytes, with a ``Date``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from httplint import HttpResponseLinter

import statusguard

from ._quiet import quiet
from .cases import CASES, DATE, Case
from .harness import Comparison, Contender, measure

__all__ = ["contenders", "run"]


def _wire_headers(case: Case) -> Callable[[], list[tuple[bytes, bytes]]]:
    """The headers of one response as they go on the wire (bytes, with ``Date``)."""
    build = case.byte_headers(lower=False)
    date = (DATE[0].encode("latin-1"), DATE[1].encode("latin-1"))

    def wire() -> list[tuple[bytes, bytes]]:
        headers = build()
        headers.append(date)
        return headers

    return wire


def _statusguard(case: Case) -> Callable[[int], object]:
    status = case.status_line
    headers = _wire_headers(case)
    body = case.body
    method = case.method
    check = statusguard.check

    def batch(n: int) -> None:
        for _ in range(n):
            check(status, headers(), body, method=method)

    return batch


def _httplint(case: Case) -> Callable[[int], object]:
    status = str(case.status).encode("ascii")
    reason = case.reason.encode("latin-1")
    headers = _wire_headers(case)
    chunks = case.chunks
    is_head = case.method == "HEAD"

    def batch(n: int) -> None:
        for _ in range(n):
            linter = HttpResponseLinter()
            linter.is_head_response = is_head
            linter.process_response_topline(b"HTTP/1.1", status, reason)
            linter.process_headers(headers())
            for chunk in chunks:
                linter.feed_content(chunk)
            linter.finish_content(True)

    return batch


def contenders(case: Case) -> list[Contender]:
    return [
        Contender("statusguard.check", _statusguard(case)),
        Contender("httplint", _httplint(case)),
    ]


def run(
    *, rounds: int = 30, loops: int | None = None, cases: Sequence[Case] = CASES
) -> list[Comparison]:
    results = []
    with quiet("httplint"):
        for case in cases:
            results.append(
                measure(
                    f"check/{case.key}",
                    f"Full check, {case.title}",
                    contenders(case),
                    rounds=rounds,
                    loops=loops,
                )
            )
    return results
