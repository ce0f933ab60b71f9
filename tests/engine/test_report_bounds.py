"""Every key the reporter keeps is bounded in length and in number (issue 11, bug 7).

The method, the route and a request id come from the client: 20,000 distinct 8,000-character
methods used to add 156 MiB to a guard.  The keys now hold the methods of RFC 9110 and PATCH as
they are and any other as ``OTHER``; routes are cut to 200 characters and at most 10,000 are
kept; the logs show what the client sent, cut and escaped.
"""

from __future__ import annotations

import gc
import logging
import tracemalloc
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest
from support.drive import call_wsgi

from statusguard import Action, Severity, Violation, WSGIStatusGuard
from statusguard.report import Reporter
from statusguard.rules import RULES_BY_ID

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

RULE = RULES_BY_ID["content-forbidden"]
VIOLATION = Violation(
    RULE.id, 204, Severity.ERROR, "a message", RULE.reference, True, Action.FIXED
)


class Records(logging.Handler):
    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)
        self.logger.handlers[:] = [self]
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records(request: pytest.FixtureRequest) -> Records:
    return Records(f"statusguard.test.{request.node.name}")


def retained_bytes(reporter: Reporter, calls: Iterable[tuple[str, str]]) -> int:
    """The memory still allocated after reporting ``calls`` (method, route) and dropping
    every argument: what the reporter keeps."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for method, route in calls:
            reporter.report(VIOLATION, method, route)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_distinct_long_methods_do_not_grow_the_reporter(records: Records) -> None:
    reporter = Reporter(logger=records.logger, interval=3600.0, on_violation=None)
    # 2,000 methods of 8,000 characters, each a new string: 16 MB if the keys held them.
    calls = ((f"M{i:05d}" + "X" * 7_994, "/x") for i in range(2_000))
    kept = retained_bytes(reporter, calls)
    assert kept < 256 * 1024, f"{kept} bytes kept"
    assert reporter.stats().violations == {("content-forbidden", 204, "fixed"): 2_000}
    reporter.flush()
    summaries = [r for r in records.records if r.statusguard_event == "summary"]  # type: ignore[attr-defined]
    assert [r.getMessage() for r in summaries] == [
        "statusguard: 1999 repeated violations since the last summary: "
        "[content-forbidden] 204 OTHER /x ×1999"
    ]


def test_the_first_occurrence_shows_the_method_cut_and_escaped(records: Records) -> None:
    reporter = Reporter(logger=records.logger, interval=3600.0, on_violation=None)
    reporter.report(VIOLATION, "BREW\r\nX-Forged: 1" + "A" * 5_000, "/pot")
    (record,) = records.records
    message = record.getMessage()
    assert "\r" not in message and "\n" not in message
    # Cut to 24 characters, then escaped.
    assert message.endswith("[BREW\\r\\nX-Forged: 1AAAAAAA… /pot]")
    assert record.statusguard_method == "BREW\\r\\nX-Forged: 1AAAAAAA…"  # type: ignore[attr-defined]


def test_standard_methods_stay_distinct_keys(records: Records) -> None:
    reporter = Reporter(logger=records.logger, interval=3600.0, on_violation=None)
    for method in ("GET", "POST", "PATCH", "get", "PROPFIND", "GET", "PROPFIND"):
        reporter.report(VIOLATION, method, "/x")
    firsts = [r.statusguard_method for r in records.records]  # type: ignore[attr-defined]
    # "get" is not GET (methods are case-sensitive): it is one of the others, like PROPFIND.
    assert firsts == ["GET", "POST", "PATCH", "get"]
    reporter.flush()
    assert (
        records.records[-1]
        .getMessage()
        .endswith("[content-forbidden] 204 OTHER /x ×2; [content-forbidden] 204 GET /x ×1")
    )


def test_ten_thousand_keys_of_the_longest_routes_stay_small(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporter = Reporter(logger=records.logger, interval=3600.0, on_violation=None)
    records.logger.setLevel(logging.ERROR)  # 10,000 first occurrences: not logged
    # 20,000 distinct routes of 8,000 characters with a long unknown method: half fill the
    # keys, the other half are added up under "*".
    calls = ((f"XMETHOD{i}" * 1_000, f"/{i:06d}" + "r" * 7_993) for i in range(20_000))
    kept = retained_bytes(reporter, calls)
    # 10,000 keys of a 200-character route: about 4 MB with the set's table, not 160 MB.
    assert kept < 8 * 1024 * 1024, f"{kept} bytes kept"
    records.logger.setLevel(logging.DEBUG)
    reporter.flush()
    (summary,) = [r for r in records.records if r.statusguard_event == "summary"]  # type: ignore[attr-defined]
    assert summary.getMessage().endswith("[content-forbidden] 204 OTHER * ×10000")


def test_a_request_id_is_logged_cut_and_escaped_never_kept(records: Records) -> None:
    reporter = Reporter(logger=records.logger, interval=3600.0, on_violation=None)
    calls = 0

    def report(method: str, route: str) -> None:
        nonlocal calls
        calls += 1
        reporter.report(VIOLATION, method, route, request_id=f"{calls}\n" + "i" * 10_000)

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1_000):
            report("GET", "/x")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 64 * 1024
    request_id = records.records[0].statusguard_request_id  # type: ignore[attr-defined]
    assert request_id.startswith("1\\niiii") and request_id.endswith("…")
    assert len(request_id) <= 131


def test_a_guard_under_distinct_methods_keeps_its_reporter_small(records: Records) -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("204 No Content", [])
        return [b"body"]

    guard = WSGIStatusGuard(app, mode="fix", logger=records.logger)
    for i in range(300):
        call_wsgi(guard, "/x", method=f"M{i}" + "X" * 8_000)
    guard.flush()
    firsts = [r for r in records.records if r.statusguard_event == "violation"]  # type: ignore[attr-defined]
    assert len(firsts) == 1
    assert guard.stats().violations == {("content-forbidden", 204, "fixed"): 300}
