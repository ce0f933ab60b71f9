"""What a guard remembers per violation is bounded, end to end (issue 11, bug 7).

The reporter keys its first-occurrence log and its repeat counts on (rule, status, method,
route).  A client chooses the method: 20,000 distinct 8,000-character methods must not make the
guard hold on to them.  Memory is measured with ``tracemalloc`` (what is still allocated once the
responses are done), never time.
"""

from __future__ import annotations

import gc
import logging
import tracemalloc
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest
from support.drive import call_wsgi

from statusguard import WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MiB = 1024 * 1024
METHODS = 20_000
METHOD_LENGTH = 8_000
# What bounded keys may still cost: 10,000 keys of a few hundred bytes each, plus the memos'
# bounded entries.  0.1 keeps every method whole: about 160 MiB.
BOUND = 8 * MiB


def untyped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Content without a Content-Type: content-type-missing, whatever the method."""
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def quiet_logger() -> Iterator[logging.Logger]:
    """A logger that makes no records: pytest's log capture (attached to every logger, even
    one that does not propagate) would keep each record, 8,000-character method included, and
    be counted as the guard's memory.  The reporter's keys are kept whether it logs or not."""
    logger = logging.getLogger("statusguard.tests.report_bounds")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield logger
    finally:
        logger.setLevel(level)


@pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")
def test_distinct_long_methods_do_not_grow_memory(quiet_logger: logging.Logger) -> None:
    # Expected: every key the guard keeps is bounded in length and number, so once the
    # responses are over the guard holds a few MiB at most, whatever the methods were.  On
    # 0.1 the reporter keeps each method whole (its first-occurrence set and its pending
    # repeat counts), about 160 MiB here.
    guard = WSGIStatusGuard(untyped, mode="warn", logger=quiet_logger)
    call_wsgi(guard)  # compile the plans outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(METHODS):
            method = f"M{i:07d}".ljust(METHOD_LENGTH, "X")
            call_wsgi(guard, method=method)
        del method
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = guard.stats().violations[("content-type-missing", 200, "reported")]
    assert counted == METHODS + 1  # every response was reported: the counts stay exact
    assert guard.stats().internal_errors == 0
    assert grown < BOUND, f"the guard kept {grown / MiB:.1f} MiB after {METHODS} methods"
