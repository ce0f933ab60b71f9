"""Reporting: exact counters, bounded logs, warnings, listeners, internal errors."""

from __future__ import annotations

import copy
import json
import logging
import os
import pickle
import time

import pytest
from support.exchange import respond

from statusguard import Stats, StatusGuardWarning
from statusguard.engine import Config, Engine
from statusguard.report import add_listener, remove_listener

DATE = (b"Date", b"Sun, 06 Nov 1994 08:49:37 GMT")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(mode: str = "fix", interval: float = 60.0) -> tuple[Engine, Clock]:
    eng = Engine(
        "asgi",
        Config.from_options(
            mode=mode, server_date="if-absent", log_interval=interval, logger="sg.test"
        ),
    )
    clock = Clock()
    eng.reporter._clock = clock
    eng.reporter._last_flush = 0.0
    return eng, clock


def send_204_with_content(eng: Engine, route: str = "/x") -> None:
    respond(eng, 204, [DATE, (b"Content-Length", b"2")], b"{}", route=route)


def test_ten_thousand_identical_violations_log_a_handful_and_count_exactly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    eng, clock = make()
    with caplog.at_level(logging.INFO, logger="sg.test"):
        for i in range(10_000):
            clock.now = i * 0.01  # 100 s in all: one summary after 60 s
            send_204_with_content(eng)
        eng.reporter.flush()
    stats = eng.stats()
    assert stats.violations == {
        ("content-forbidden", 204, "fixed"): 10_000,
        ("content-length-forbidden", 204, "fixed"): 10_000,
    }
    assert stats.total == 20_000
    records = [r for r in caplog.records if r.name == "sg.test"]
    # Two first occurrences, then one summary record per rule after 60 s and at the flush.
    assert 2 <= len(records) <= 6, [r.getMessage()[:80] for r in records]
    firsts = [r for r in records if "repeated" not in r.getMessage()]
    assert {r.statusguard_rule for r in firsts} == {  # type: ignore[attr-defined]
        "content-forbidden",
        "content-length-forbidden",
    }
    summaries = [r.getMessage() for r in records if "repeated" in r.getMessage()]
    # Every repeat is in some summary, exactly once.
    counted = sum(int(m.split(" repeated")[0].split()[-1]) for m in summaries)
    assert counted == 20_000 - 2


def test_each_distinct_route_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    eng, _ = make()
    with caplog.at_level(logging.WARNING, logger="sg.test"):
        for route in ("/a", "/b", "/a", "/b", "/c"):
            send_204_with_content(eng, route)
    firsts = [r.getMessage() for r in caplog.records if "content-forbidden" in r.getMessage()]
    assert len(firsts) == 3
    assert any("[GET /c]" in m for m in firsts)


def test_warn_mode_issues_a_warning_per_distinct_violation() -> None:
    eng, _ = make(mode="warn")
    with pytest.warns(StatusGuardWarning) as record:
        send_204_with_content(eng)
        send_204_with_content(eng)
    assert len([w for w in record if "content-forbidden" in str(w.message)]) == 1


def test_listeners_see_every_violation_with_the_request() -> None:
    eng, _ = make()
    seen: list[tuple[str, str]] = []

    def listener(violation: object, request: str) -> None:
        seen.append((getattr(violation, "rule_id", ""), request))

    add_listener(listener)
    try:
        send_204_with_content(eng, "/a")
        send_204_with_content(eng, "/a")
    finally:
        remove_listener(listener)
    send_204_with_content(eng, "/a")
    assert seen.count(("content-forbidden", "GET /a")) == 2


def test_internal_errors_are_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    eng, _ = make()
    with caplog.at_level(logging.ERROR, logger="sg.test"):
        for _ in range(3):
            try:
                raise RuntimeError("boom")
            except RuntimeError as exc:
                eng.reporter.internal_error(exc, "GET /x")
    assert eng.stats().internal_errors == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Traceback" in errors[0].getMessage() and "boom" in errors[0].getMessage()


def test_stats_as_dict_is_json_ready() -> None:
    before = time.time()
    eng, _ = make()
    send_204_with_content(eng)
    stats = eng.stats()
    assert before <= stats.since <= time.time()
    assert json.loads(json.dumps(stats.as_dict())) == {
        "violations": [
            {"rule": "content-forbidden", "status": 204, "action": "fixed", "count": 1},
            {"rule": "content-length-forbidden", "status": 204, "action": "fixed", "count": 1},
        ],
        "internal_errors": 0,
        "since": stats.since,
        "pid": os.getpid(),
        "steps": [],
        "excluded": 0,
    }


def test_stats_built_by_hand_keep_their_old_form() -> None:
    # Stats(violations, internal_errors) as 0.1 built it (the Django middleware sums that way).
    stats = Stats({("allow-missing", 405, "reported"): 2}, 1)
    assert (stats.since, stats.pid, stats.total) == (0.0, 0, 2)
    assert stats.as_dict()["violations"] == [
        {"rule": "allow-missing", "status": 405, "action": "reported", "count": 2}
    ]


def test_stats_combine_adds_up_and_keeps_the_earliest_start() -> None:
    a = Stats({("allow-missing", 405, "reported"): 2}, 1, since=20.0, pid=7)
    b = Stats(
        {("allow-missing", 405, "reported"): 3, ("date-missing", 200, "fixed"): 1}, 0, 10.0, 7
    )
    combined = Stats.combine([a, b, Stats({}, 0)])
    assert combined.violations == {
        ("allow-missing", 405, "reported"): 5,
        ("date-missing", 200, "fixed"): 1,
    }
    assert (combined.internal_errors, combined.since, combined.pid) == (1, 10.0, 0)
    assert Stats.combine([a, a]).pid == 7
    assert Stats.combine([]) == Stats({}, 0)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_reporter_works_and_counts_from_zero(how: str) -> None:
    # Frameworks and test tools copy middleware stacks: a copy has its own counters.
    eng, _ = make()
    send_204_with_content(eng)
    original = eng.reporter
    before = original.stats()
    copied = copy.deepcopy(original) if how == "deepcopy" else pickle.loads(pickle.dumps(original))
    assert copied.stats().violations == {} and copied.stats().since >= before.since
    assert copied.logger is original.logger and copied.interval == original.interval
    check = respond(eng, 405, [DATE, (b"Content-Length", b"0")], route="/y")  # counted
    for violation in check.violations:
        copied.report(violation, "GET", "/y")
    assert copied.stats().violations == {("allow-missing", 405, "reported"): 1}
    assert original.stats().violations == {
        **before.violations,
        ("allow-missing", 405, "reported"): 1,
    }
