"""A full check of one complete response: ``statusguard.check`` against httplint.

httplint's ``HttpResponseLinter`` is the widest catalogue of response checks there is, and
report-only; ``statusguard.check`` runs the whole catalogue on a complete response without
changing it.  Both get the response as it goes on the wire: bytes, with a ``Date``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from httplint import HttpResponseLinter

import statusguard

from ._quiet import quiet
from .cases import CASES, DATE, SCENARIOS, Case, Scenario, Variant
from .harness import Comparison, Contender, Pair, measure, measure_pairs

__all__ = ["FIRST_SIGHT", "contenders", "has_new_ids", "run", "scenario_pairs"]


def _wire_headers(case: Case, *, new_id: bool = False) -> Callable[[], list[tuple[bytes, bytes]]]:
    """The headers of one response as they go on the wire (bytes, with ``Date``); ``new_id``
    adds an ``X-Request-Id`` whose value is new on every response."""
    build = case.byte_headers(lower=False)
    date = (DATE[0].encode("latin-1"), DATE[1].encode("latin-1"))
    ids = itertools.count(0x1D000000)

    def wire() -> list[tuple[bytes, bytes]]:
        headers = build()
        headers.append(date)
        if new_id:
            headers.append((b"X-Request-Id", b"%08x" % next(ids)))
        return headers

    return wire


def has_new_ids(case: Case) -> bool:
    """Whether the case itself stamps a new ``X-Request-Id`` on every response."""
    return any(name.lower() == "x-request-id" for name, _ in case.headers)


def _statusguard(case: Case, *, new_id: bool = False) -> Callable[[int], object]:
    status = case.status_line
    headers = _wire_headers(case, new_id=new_id)
    body = case.body
    method = case.method
    request = case.request or None
    check = statusguard.check

    def batch(n: int) -> None:
        for _ in range(n):
            check(status, headers(), body, method=method, request_headers=request)

    return batch


def _httplint(case: Case, *, new_id: bool = False) -> Callable[[int], object]:
    status = str(case.status).encode("ascii")
    reason = case.reason.encode("latin-1")
    headers = _wire_headers(case, new_id=new_id)
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


# The contenders that check a response whose values are new every time (first sight).
FIRST_SIGHT = ("statusguard.check, new X-Request-Id", "httplint, new X-Request-Id")


def contenders(case: Case) -> list[Contender]:
    """statusguard and httplint on the case as it is and, unless the case already does so,
    with a new ``X-Request-Id`` on every response: then nothing statusguard remembers of the
    response serves it, and every rule runs (the first sight of a response, in effect)."""
    found = [
        Contender("statusguard.check", _statusguard(case)),
        Contender("httplint", _httplint(case)),
    ]
    if not has_new_ids(case):
        found += [
            Contender(FIRST_SIGHT[0], _statusguard(case, new_id=True)),
            Contender(FIRST_SIGHT[1], _httplint(case, new_id=True)),
        ]
    return found


def _variant_batch(variant: Variant, *, checked: bool) -> Callable[[int], object]:
    """Build each response of ``variant`` as it goes on the wire (with ``Date``) and, when
    ``checked``, pass it to ``statusguard.check``: the build alone is the baseline."""
    status = variant.status_line
    respond = variant.byte_responses(lower=False)
    methods = variant.methods()
    date = (DATE[0].encode("latin-1"), DATE[1].encode("latin-1"))
    check = statusguard.check

    def build(n: int) -> None:
        for _ in range(n):
            headers, _body = respond()
            headers.append(date)
            methods()

    def build_and_check(n: int) -> None:
        for _ in range(n):
            headers, body = respond()
            headers.append(date)
            check(status, headers, body, method=methods())

    return build_and_check if checked else build


def scenario_pairs(scenario: Scenario) -> list[Pair]:
    """Per variant: building its responses, and building and checking them."""
    return [
        Pair(
            variant.label,
            Contender("build", _variant_batch(variant, checked=False)),
            Contender("statusguard.check", _variant_batch(variant, checked=True)),
            warmup=variant.period,
        )
        for variant in scenario.variants
    ]


def run(
    *,
    rounds: int = 30,
    loops: int | None = None,
    cases: Sequence[Case] = CASES,
    scenarios: Sequence[Scenario] = SCENARIOS,
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
        for scenario in scenarios:
            results.append(
                measure_pairs(
                    f"check/{scenario.key}",
                    f"Full check, {scenario.title}",
                    scenario_pairs(scenario),
                    rounds=rounds,
                    loops=loops,
                )
            )
    return results
