"""Structured logs: every record of the ``statusguard`` logger carries the same attributes,
and the counts in the records add up to the counters (issue 17; issue 18, item 7).

The JSON setups of docs/production.md (standard library and structlog) are run from the page
itself, so the documented fields are the ones a log pipeline gets.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from support.drive import call_wsgi
from support.exchange import respond
from support.snippets import snippet

from statusguard import WSGIStatusGuard
from statusguard.engine import Config, Engine
from statusguard.report import LOG_ATTRIBUTES, add_exporter, remove_exporter

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

DATE = (b"Date", b"Sun, 06 Nov 1994 08:49:37 GMT")


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

    def attributes(self, event: str) -> list[dict[str, Any]]:
        return [
            {name: getattr(r, name) for name in LOG_ATTRIBUTES}
            for r in self.records
            if getattr(r, "statusguard_event", None) == event
        ]


@pytest.fixture
def records(request: pytest.FixtureRequest) -> Records:
    return Records(f"statusguard.test.{request.node.name}")


def engine(logger: logging.Logger, mode: str = "fix") -> Engine:
    return Engine("asgi", Config.from_options(mode=mode, server_date="if-absent", logger=logger))


def test_first_occurrences_carry_rule_status_route_method_action_and_request_id(
    records: Records,
) -> None:
    eng = engine(records.logger)
    reporter = eng.reporter
    check = respond(eng, 204, [DATE], b"null", method="DELETE", route="/items/{id}")
    (violation,) = check.violations
    records.records.clear()
    reporter._seen.clear()  # as if this were the first time: now with the request id
    reporter.report(violation, "DELETE", "/items/{id}", request_id="9f1c2e")
    assert records.attributes("violation") == [
        {
            "statusguard_event": "violation",
            "statusguard_rule": "content-forbidden",
            "statusguard_status": 204,
            "statusguard_action": "fixed",
            "statusguard_severity": "error",
            "statusguard_method": "DELETE",
            "statusguard_route": "/items/{id}",
            "statusguard_request_id": "9f1c2e",
            "statusguard_count": 1,
        }
    ]
    (record,) = records.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().endswith("[DELETE /items/{id}]")


def test_without_a_request_id_the_attribute_is_none(records: Records) -> None:
    eng = engine(records.logger)
    respond(eng, 204, [DATE], b"x", route="/x")
    ((first),) = records.attributes("violation")
    assert first["statusguard_request_id"] is None


def test_summaries_carry_rule_status_action_and_their_count(records: Records) -> None:
    eng = engine(records.logger)
    for _ in range(4):
        respond(eng, 204, [DATE], b"x", route="/a")
        respond(eng, 405, [DATE, (b"Content-Length", b"0")], method="POST", route="/b")
    eng.reporter.flush()
    summaries = records.attributes("summary")
    assert summaries == [
        {
            "statusguard_event": "summary",
            "statusguard_rule": "allow-missing",
            "statusguard_status": 405,
            "statusguard_action": "reported",
            "statusguard_severity": "error",
            "statusguard_method": None,
            "statusguard_route": None,
            "statusguard_request_id": None,
            "statusguard_count": 3,
        },
        {
            "statusguard_event": "summary",
            "statusguard_rule": "content-forbidden",
            "statusguard_status": 204,
            "statusguard_action": "fixed",
            "statusguard_severity": "error",
            "statusguard_method": None,
            "statusguard_route": None,
            "statusguard_request_id": None,
            "statusguard_count": 3,
        },
    ]
    messages = [r.getMessage() for r in records.records if r.statusguard_event == "summary"]  # type: ignore[attr-defined]
    assert messages == [
        "statusguard: 3 repeated violations since the last summary: "
        "[allow-missing] 405 POST /b ×3",
        "statusguard: 3 repeated violations since the last summary: "
        "[content-forbidden] 204 GET /a ×3",
    ]


def test_internal_error_records_carry_the_attributes(records: Records) -> None:
    eng = engine(records.logger)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        eng.reporter.internal_error(exc, "GET /x", request_id="abc", status=204)
    (attributes,) = records.attributes("internal-error")
    assert attributes == {
        "statusguard_event": "internal-error",
        "statusguard_rule": None,
        "statusguard_status": 204,
        "statusguard_action": None,
        "statusguard_severity": None,
        "statusguard_method": "GET",
        "statusguard_route": "/x",
        "statusguard_request_id": "abc",
        "statusguard_count": 1,
    }
    (record,) = records.records
    assert record.levelno == logging.ERROR
    assert "Traceback (most recent call last)" in record.getMessage()


def test_an_internal_error_through_a_guard_has_them_too(records: Records) -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("204 No Content", [])
        return [b"body"]

    def broken(violation: object) -> None:
        raise RuntimeError("a bug in a callback")

    guard = WSGIStatusGuard(app, mode="fix", logger=records.logger, on_violation=broken)
    call_wsgi(guard, "/x")
    (attributes,) = records.attributes("internal-error")
    assert attributes["statusguard_rule"] is None
    assert attributes["statusguard_event"] == "internal-error"
    assert attributes["statusguard_method"] == "GET"
    assert attributes["statusguard_route"] == "/x"
    assert all(set(LOG_ATTRIBUTES) <= vars(r).keys() for r in records.records)


def test_the_counts_in_the_records_add_up_to_the_counters(records: Records) -> None:
    eng = engine(records.logger)
    eng.reporter.interval = 0.0  # a summary at every repeat: the most records
    for i in range(300):
        status = (204, 304, 405)[i % 3]
        respond(
            eng,
            status,
            [DATE, (b"Content-Length", b"1")],
            b"x",
            method=("GET", "HEAD", "BREW")[i % 2],
            route=f"/r/{i % 7}",
        )
    eng.reporter.flush()
    from_logs: dict[tuple[str, int, str], int] = {}
    for record in records.records:
        key = (record.statusguard_rule, record.statusguard_status, record.statusguard_action)  # type: ignore[attr-defined]
        from_logs[key] = from_logs.get(key, 0) + record.statusguard_count  # type: ignore[attr-defined]
    assert from_logs == eng.stats().violations
    assert sum(from_logs.values()) > 300


def test_an_exporter_that_fails_costs_the_response_nothing(records: Records) -> None:
    class Broken:
        def count(self, rule: str, status: int, action: str) -> None:
            raise OSError("the metrics directory is gone")

        def count_internal_error(self) -> None:
            raise OSError("the metrics directory is gone")

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("204 No Content", [])
        return [b"body"]

    guard = WSGIStatusGuard(app, mode="fix", logger=records.logger)
    broken = Broken()
    add_exporter(broken)
    try:
        outputs = [call_wsgi(guard, "/x") for _ in range(3)]
    finally:
        remove_exporter(broken)
    assert all(out.body == b"" for out in outputs)  # still repaired
    stats = guard.stats()
    assert stats.violations == {("content-forbidden", 204, "fixed"): 3}
    assert stats.internal_errors == 3
    # Logged once, not once per response: the failure, then the exporter failing again to
    # count it as an internal error.
    errors = [r for r in records.records if r.levelno == logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == [
        "statusguard failed internally on GET /x; an exporter failed, the response was not "
        "affected",
        "statusguard",
    ]
    assert "OSError: the metrics directory is gone" in errors[0].getMessage()
    assert all(r.statusguard_event == "internal-error" for r in errors)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# the JSON setups of docs/production.md


@pytest.fixture
def statusguard_logger() -> Iterator[logging.Logger]:
    """The "statusguard" logger, as it was after the test."""
    logger = logging.getLogger("statusguard")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    try:
        yield logger
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


@pytest.mark.parametrize("name", ["logging_json.py", "logging_structlog.py"])
def test_the_documented_json_setups_give_one_object_per_record_with_every_field(
    name: str, statusguard_logger: logging.Logger
) -> None:
    namespace: dict[str, Any] = {"__name__": name.removesuffix(".py")}
    exec(compile(snippet("production.md", name), name, "exec"), namespace)
    stream = io.StringIO()
    handler: logging.StreamHandler[Any] = namespace["handler"]
    handler.setStream(stream)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("204 No Content", [])
        return [b"body"]

    guard = WSGIStatusGuard(app, mode="fix")  # the default logger: "statusguard"
    for _ in range(5):
        call_wsgi(guard, "/items/1", method="DELETE")
    guard.flush()
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 2
    first, summary = entries
    assert {key: first[key] for key in LOG_ATTRIBUTES} == {
        "statusguard_event": "violation",
        "statusguard_rule": "content-forbidden",
        "statusguard_status": 204,
        "statusguard_action": "fixed",
        "statusguard_severity": "error",
        "statusguard_method": "DELETE",
        "statusguard_route": "/items/1",
        "statusguard_request_id": None,
        "statusguard_count": 1,
    }
    assert summary["statusguard_event"] == "summary"
    assert summary["statusguard_count"] == 4
    assert first["level"].lower() == summary["level"].lower() == "warning"
    message = first.get("message", first.get("event"))
    assert message.startswith("[content-forbidden]") and message.endswith("[DELETE /items/1]")
