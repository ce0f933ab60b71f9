"""The screen (``Engine.screen``) decides exactly what the full path decides.

Whatever it remembers, a head the screen passes is one on which every head rule passes
unchanged, and a response its verdict calls quiet is one the full path sends untouched, with
nothing to report and no content to look at.  Hypothesis drives long-lived engines through many
heads sharing shapes and lines, so every memo (whole heads, shapes, lines) is exercised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusguard import CATALOGUE, Head, Reference, Rule, Severity, StatusGuardError
from statusguard.engine import (
    QUIET_ALWAYS,
    QUIET_ASK,
    Config,
    Engine,
    ResponseCheck,
    headers_to_bytes,
    parse_status,
)
from statusguard.model import EVERY_FIELD, SHAPE_ONLY

NAMES = [
    "Content-Type",
    "content-type",
    "Content-Length",
    "Transfer-Encoding",
    "Date",
    "Location",
    "ETag",
    "Retry-After",
    "Content-Range",
    "WWW-Authenticate",
    "Allow",
    "Upgrade",
    "Connection",
    "X-Custom",
    "X Bad",
]
VALUES = st.sampled_from(
    [
        "text/plain",
        "0",
        "5",
        "13",
        "05",
        " 5",
        "5, 5",
        "-3",
        "chunked",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "yesterday",
        "/relative",
        "bytes 0-4/10",
        "bytes */10",
        "120",
        "ok\r\nX-Injected: 1",
        "tab\tinside",
        "",
        "²",
    ]
)
LINES = st.tuples(st.sampled_from(NAMES), VALUES)
# Mostly well-formed lines, so that many heads pass and the memos fill up and get hit.
CLEAN_LINES = st.one_of(
    st.sampled_from(
        [
            ("Content-Type", "text/plain"),
            ("Content-Length", "5"),
            ("Content-Length", "13"),
            ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("ETag", '"v1"'),
            ("Cache-Control", "no-cache"),
            ("Location", "/next"),
            ("WWW-Authenticate", "Basic"),
            ("Allow", "GET"),
        ]
    ),
    st.tuples(
        st.sampled_from(["X-Request-Id", "Vary"]),
        st.text(alphabet="abc0123 ", min_size=1, max_size=4),
    ),
)
HEADERS = st.one_of(
    st.lists(LINES, max_size=6),
    st.lists(CLEAN_LINES, max_size=6),
    st.lists(st.one_of(CLEAN_LINES, LINES), max_size=6),
)
STATUSES = st.one_of(
    st.sampled_from([200, 304]),
    st.sampled_from(
        [100, 101, 200, 201, 204, 205, 206, 301, 304, 401, 405, 407, 416, 418, 449, 500, 599, 600]
    ),
)
STATUS_LINES = st.sampled_from(["200 OK", "200 Fine", "204 No Content", "304 x\x01", "404"])
METHODS = st.sampled_from(["GET", "HEAD", "POST", "CONNECT"])
VERSIONS = st.sampled_from(["1.0", "1.1", "2"])
SERVER_DATES = st.sampled_from(["never", "always", "replace", "if-absent"])
CONTENT = st.sampled_from([(None, None), (None, True), (0, False), (5, True), (13, True)])

ENGINES = {
    (protocol, mode, str(rules)): Engine(
        protocol, Config.from_options(mode=mode, rules=rules), register=False
    )
    for protocol in ("wsgi", "asgi", "http")
    for mode in ("fix", "warn", "strict")
    for rules in (
        {},
        {"content-length-mismatch": "off", "content-type-missing": "off"},
        {"content-forbidden": "warn", "head-content": "strict", "date-invalid": "off"},
    )
}


def _full(
    engine: Engine, head: Head, screened: bool = False
) -> tuple[list[str], Head, bool, bool, bool]:
    check = ResponseCheck(engine, head, head.method, "/", screened)
    try:
        out = check.start()
    except StatusGuardError:
        out = check.head
    return (
        [v.rule_id for v in check.violations],
        out,
        check.needs_body,
        check.discard,
        check.truncate,
    )


def _head(
    status: int | str,
    headers: Sequence[tuple[str, str]],
    method: str,
    version: str,
    server_date: str,
    content: tuple[int | None, bool | None],
) -> Head:
    code, reason = parse_status(status)
    return Head(
        code,
        headers_to_bytes(headers),
        method,
        version,
        reason,
        content_length=content[0],
        has_content=content[1],
        server_date=server_date,
    )


def _agree(
    engine: Engine,
    status: int | str,
    headers: list[tuple[Any, Any]],
    method: str,
    version: str,
    server_date: str,
    content: tuple[int | None, bool | None],
) -> None:
    def describe() -> Head:
        return _head(status, headers, method, version, server_date, content)

    verdict = engine.screen(status, (method, version, server_date), headers, describe)
    full = _full(engine, describe())
    if verdict is None:
        return
    violations, out, needs_body, discard, truncate = full
    head_rule_ids = {rule.id for rule, _ in engine.plan(describe().status).head}
    assert not head_rule_ids & set(violations)
    # Skipping the head rules changes nothing on a screened head.
    screened = _full(engine, describe(), screened=True)
    assert screened[0] == violations
    assert screened[1].headers == out.headers
    assert screened[2:] == full[2:]
    fresh = describe()
    assert verdict.holds == ResponseCheck(engine, fresh, method, "/").wants_content()
    length = content[0]
    if length is not None and content[1] == (length > 0):
        expected = verdict.quiet_length
        shortcut = expected in (length, QUIET_ALWAYS) or (
            expected == QUIET_ASK and verdict.quiet(headers, *content)
        )
        assert shortcut == verdict.quiet(headers, *content)
    if verdict.quiet(headers, *content):
        assert violations == []
        assert out.headers == fresh.headers
        assert (out.status, out.reason) == (fresh.status, fresh.reason)
        assert not (needs_body or discard or truncate)


@settings(max_examples=2500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(sorted(ENGINES)),
    st.one_of(STATUSES, STATUS_LINES),
    HEADERS,
    METHODS,
    VERSIONS,
    SERVER_DATES,
    CONTENT,
    st.booleans(),
)
def test_the_screen_agrees_with_the_full_path(
    engine_key: tuple[str, str, str],
    status: int | str,
    headers: list[tuple[str, str]],
    method: str,
    version: str,
    server_date: str,
    content: tuple[int | None, bool | None],
    as_bytes: bool,
) -> None:
    engine = ENGINES[engine_key]
    lines: list[tuple[Any, Any]] = list(headers)
    if as_bytes:
        lines = headers_to_bytes(headers)
    _agree(engine, status, lines, method, version, server_date, content)


def test_clean_heads_are_remembered_per_shape_and_per_line() -> None:
    engine = Engine("asgi", Config.from_options(mode="fix"), register=False)
    calls: list[int] = []

    def screen(request_id: bytes) -> bool:
        headers = [(b"content-type", b"text/plain"), (b"x-request-id", request_id)]

        def describe() -> Head:
            calls.append(1)
            return Head(200, list(headers), server_date="always")

        verdict = engine.screen(200, ("GET",), headers, describe)
        return verdict is not None and verdict.quiet(headers, 2, True)

    assert screen(b"1")
    assert screen(b"2")  # a new value on a known shape: checked without building a head
    assert screen(b"2")
    assert len(calls) == 1
    assert not screen(b"bad\r\nvalue")  # a value the rules refuse: the full path decides
    assert len(calls) == 1


def test_a_shape_that_fails_is_not_learnt_twice() -> None:
    engine = Engine("asgi", Config.from_options(mode="warn"), register=False)
    calls: list[int] = []
    headers = [(b"content-type", b"text/plain")]

    def describe() -> Head:
        calls.append(1)
        return Head(401, list(headers), server_date="always")

    for _ in range(3):
        assert engine.screen(401, ("GET",), headers, describe) is None
    assert len(calls) == 1


def test_unhashable_lines_take_the_full_path() -> None:
    engine = Engine("asgi", Config.from_options(mode="fix"), register=False)
    headers: list[Any] = [[b"content-type", b"text/plain"], (b"etag", bytearray(b'"1"'))]
    assert engine.screen(200, ("GET",), headers, lambda: Head(200, [])) is None


def test_recompiling_forgets_what_was_learnt() -> None:
    engine = Engine("asgi", Config.from_options(mode="fix"), register=False)
    headers = [(b"content-type", b"text/plain")]

    def describe() -> Head:
        return Head(200, list(headers), server_date="always")

    assert engine.screen(200, ("GET",), headers, describe) is not None
    assert engine.plan(200).shapes
    engine.recompile()
    assert not engine.plan(200).shapes
    assert engine.screen(200, ("GET",), headers, describe) is not None


def _reads_content_length(head: Head) -> str | None:
    return "seen." if head.content_length == 3 else None


UNDECLARED = Rule(
    id="x-undeclared",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A rule that says nothing of what it reads",
    check=_reads_content_length,
)


def test_a_rule_that_does_not_say_what_it_reads_runs_on_every_response() -> None:
    engine = Engine(
        "asgi", Config.from_options(mode="warn", extra_rules=[UNDECLARED]), register=False
    )
    assert not engine.plan(200).screened
    assert engine.screen(200, ("GET",), [], lambda: Head(200, [])) is None


@pytest.mark.parametrize(
    "rule", [r for r in CATALOGUE if r.phase == "head"], ids=lambda r: str(r.id)
)
def test_every_head_rule_of_the_catalogue_says_what_it_reads(rule: Rule) -> None:
    if rule.id == "content-range-missing":
        # It passes on Content-Range *or* a multipart Content-Type: not line by line.
        assert rule.reads is None
    else:
        assert rule.reads is not None
        assert rule.reads in (SHAPE_ONLY, EVERY_FIELD) or all(
            name == name.lower() for name in rule.reads
        )
