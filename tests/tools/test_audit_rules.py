"""The rules across responses (``statusguard.rules.exchanges``): a table of violating and
clean pairs per rule, the parsers they share, and meta-tests over ``CROSS_RULES``."""

from __future__ import annotations

import re

import pytest

from statusguard import CATALOGUE
from statusguard.model import Severity
from statusguard.rules import exchanges as x
from statusguard.rules.exchanges import (
    CROSS_RULES,
    CROSS_RULES_BY_ID,
    Observed,
    parse_content_range,
    parse_methods,
    parse_ranges,
    weakly_equal,
)

CONTENT = b"0123456789"
DATE = "Sun, 06 Nov 1994 08:49:37 GMT"


def seen(
    probe: str,
    status: int,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    method: str = "GET",
    asked: dict[str, str] | None = None,
) -> Observed:
    def lines(fields: dict[str, str] | None) -> tuple[tuple[bytes, bytes], ...]:
        return tuple((n.encode(), v.encode()) for n, v in (fields or {}).items())

    return Observed(probe, method, lines(asked), status, lines(headers), body)


OK = seen(
    x.GET,
    200,
    {
        "Content-Type": "text/plain",
        "ETag": '"v1"',
        "Last-Modified": DATE,
        "Vary": "Accept-Encoding",
        "Cache-Control": "max-age=60",
        "Date": DATE,
        "Accept-Ranges": "bytes",
    },
    CONTENT,
)
NOT_MODIFIED = {"ETag": '"v1"', "Vary": "Accept-Encoding", "Cache-Control": "max-age=60"}
NOT_MODIFIED_DATED = {**NOT_MODIFIED, "Date": DATE}


def head(headers: dict[str, str], status: int = 200) -> Observed:
    return seen(x.HEAD, status, headers, method="HEAD")


OK_HEAD = {
    "Content-Type": "text/plain",
    "ETag": '"v1"',
    "Last-Modified": DATE,
    "Vary": "Accept-Encoding",
    "Cache-Control": "max-age=60",
    "Date": DATE,
    "Accept-Ranges": "bytes",
}

CASES = [
    # not-modified-fields
    pytest.param(
        "not-modified-fields",
        OK,
        seen(x.IF_NONE_MATCH, 304, NOT_MODIFIED_DATED, asked={"If-None-Match": '"v1"'}),
        False,
        id="304 keeps every field",
    ),
    pytest.param(
        "not-modified-fields",
        OK,
        seen(x.IF_NONE_MATCH, 304, {"ETag": '"v1"', "Date": DATE}),
        True,
        id="304 drops Vary and Cache-Control",
    ),
    pytest.param(
        "not-modified-fields",
        OK,
        seen(x.IF_NONE_MATCH, 304, {**NOT_MODIFIED_DATED, "ETag": '"v2"'}),
        True,
        id="304 changes the ETag",
    ),
    pytest.param(
        "not-modified-fields",
        OK,
        seen(x.IF_MODIFIED_SINCE, 304, {**NOT_MODIFIED_DATED, "Vary": "accept-encoding"}),
        False,
        id="Vary compared as a set of names",
    ),
    pytest.param(
        "not-modified-fields",
        seen(x.GET, 404, {"Vary": "Accept"}),
        seen(x.IF_NONE_MATCH, 304, {}),
        False,
        id="only a 200 says what a 304 keeps",
    ),
    # if-none-match-ignored
    pytest.param(
        "if-none-match-ignored",
        OK,
        seen(x.IF_NONE_MATCH, 200, {}, CONTENT, asked={"If-None-Match": '"v1"'}),
        True,
        id="matching If-None-Match answered 200",
    ),
    pytest.param(
        "if-none-match-ignored",
        OK,
        seen(x.IF_NONE_MATCH_WEAK, 200, {}, CONTENT, asked={"If-None-Match": 'W/"v1"'}),
        True,
        id="weak comparison matches W/ too",
    ),
    pytest.param(
        "if-none-match-ignored",
        OK,
        seen(x.IF_NONE_MATCH, 200, {}, CONTENT, asked={"If-None-Match": '"other"'}),
        False,
        id="a tag that does not match may be answered 200",
    ),
    pytest.param(
        "if-none-match-ignored",
        OK,
        seen(x.IF_NONE_MATCH_HEAD, 304, NOT_MODIFIED, method="HEAD"),
        False,
        id="304 is right",
    ),
    # if-modified-since-ignored
    pytest.param(
        "if-modified-since-ignored",
        OK,
        seen(x.IF_MODIFIED_SINCE, 200, {}, CONTENT, asked={"If-Modified-Since": DATE}),
        True,
        id="If-Modified-Since answered 200",
    ),
    pytest.param(
        "if-modified-since-ignored",
        OK,
        seen(x.IF_MODIFIED_SINCE, 304, NOT_MODIFIED, asked={"If-Modified-Since": DATE}),
        False,
        id="If-Modified-Since answered 304",
    ),
    # head-status-mismatch, head-fields-mismatch, head-content-length-mismatch
    pytest.param("head-status-mismatch", OK, head(OK_HEAD, 405), True, id="HEAD 405"),
    pytest.param("head-status-mismatch", OK, head(OK_HEAD), False, id="HEAD 200"),
    pytest.param(
        "head-fields-mismatch",
        OK,
        head({k: v for k, v in OK_HEAD.items() if k != "ETag"}),
        True,
        id="HEAD without ETag",
    ),
    pytest.param(
        "head-fields-mismatch",
        OK,
        head({**OK_HEAD, "Content-Type": "text/html"}),
        True,
        id="HEAD with another Content-Type",
    ),
    pytest.param(
        "head-fields-mismatch",
        OK,
        head({**OK_HEAD, "Date": "Mon, 07 Nov 1994 08:49:37 GMT", "X-Request-Id": "2"}),
        False,
        id="Date and per-response fields may differ",
    ),
    pytest.param(
        "head-fields-mismatch", OK, head({}, 404), False, id="a status mismatch says it already"
    ),
    pytest.param(
        "head-content-length-mismatch",
        OK,
        head({**OK_HEAD, "Content-Length": "11"}),
        True,
        id="HEAD Content-Length longer than GET's content",
    ),
    pytest.param(
        "head-content-length-mismatch",
        OK,
        head({**OK_HEAD, "Content-Length": "10"}),
        False,
        id="HEAD Content-Length as GET's content",
    ),
    pytest.param("head-content-length-mismatch", OK, head(OK_HEAD), False, id="HEAD may omit it"),
    # not-allowed-allow-mismatch, options-allow-mismatch
    pytest.param(
        "not-allowed-allow-mismatch",
        seen(x.HEAD, 200, method="HEAD"),
        seen(x.NOT_ALLOWED, 405, {"Allow": "GET, OPTIONS"}, method="TRACE"),
        True,
        id="405 Allow leaves out HEAD, which answers",
    ),
    pytest.param(
        "not-allowed-allow-mismatch",
        seen(x.HEAD, 405, method="HEAD"),
        seen(x.NOT_ALLOWED, 405, {"Allow": "GET, HEAD"}, method="TRACE"),
        True,
        id="405 Allow lists HEAD, which is refused",
    ),
    pytest.param(
        "not-allowed-allow-mismatch",
        seen(x.GET, 401),
        seen(x.NOT_ALLOWED, 405, {"Allow": "GET, HEAD, OPTIONS"}, method="TRACE"),
        False,
        id="a 401 is an answer too",
    ),
    pytest.param(
        "not-allowed-allow-mismatch",
        seen(x.IF_NONE_MATCH_HEAD, 304, method="HEAD"),
        seen(x.NOT_ALLOWED, 405, {"Allow": "GET"}, method="TRACE"),
        False,
        id="only the plain probes count as the method's answer",
    ),
    pytest.param(
        "options-allow-mismatch",
        seen(x.NOT_ALLOWED, 405, {"Allow": "GET, HEAD"}, method="TRACE"),
        seen(x.OPTIONS, 200, {"Allow": "GET, HEAD, OPTIONS, TRACE"}, method="OPTIONS"),
        True,
        id="OPTIONS lists TRACE, which is refused",
    ),
    pytest.param(
        "options-allow-mismatch",
        seen(x.GET, 200),
        seen(x.OPTIONS, 200, {"Allow": "get,head"}, method="OPTIONS"),
        False,
        id="methods are compared case-insensitively",
    ),
    # partial-content-mismatch
    pytest.param(
        "partial-content-mismatch",
        OK,
        seen(x.RANGE, 206, {"Content-Range": "bytes 0-0/10"}, b"0"),
        False,
        id="the first byte",
    ),
    pytest.param(
        "partial-content-mismatch",
        OK,
        seen(x.RANGE, 206, {"Content-Range": "bytes 0-0/10"}, b"X"),
        True,
        id="other bytes",
    ),
    pytest.param(
        "partial-content-mismatch",
        OK,
        seen(x.IF_RANGE, 206, {"Content-Range": "bytes 0-0/99"}, b"0"),
        True,
        id="another length",
    ),
    pytest.param(
        "partial-content-mismatch",
        OK,
        seen(x.RANGE_TWO, 206, {"Content-Type": "multipart/byteranges; boundary=x"}, b"--x"),
        False,
        id="multipart: judged per part elsewhere",
    ),
    # range-not-satisfiable-length, range-satisfiable-rejected
    pytest.param(
        "range-not-satisfiable-length",
        OK,
        seen(x.RANGE_UNSATISFIABLE, 416, {"Content-Range": "bytes */99"}),
        True,
        id="416 with another length",
    ),
    pytest.param(
        "range-not-satisfiable-length",
        OK,
        seen(x.RANGE_UNSATISFIABLE, 416, {"Content-Range": "bytes */10"}),
        False,
        id="416 with the length",
    ),
    pytest.param(
        "range-satisfiable-rejected",
        OK,
        seen(x.RANGE_TWO, 416, {"Content-Range": "bytes */10"}, asked={"Range": "bytes=0-0,9-9"}),
        True,
        id="416 to two satisfiable ranges",
    ),
    pytest.param(
        "range-satisfiable-rejected",
        OK,
        seen(x.RANGE, 416, asked={"Range": "bytes=10-"}),
        False,
        id="416 to an unsatisfiable range",
    ),
    # if-range-stale-partial, if-range-current-ignored
    pytest.param(
        "if-range-stale-partial",
        OK,
        seen(x.IF_RANGE_STALE, 206, {"Content-Range": "bytes 0-0/10"}, b"0"),
        True,
        id="stale If-Range answered 206",
    ),
    pytest.param(
        "if-range-stale-partial",
        OK,
        seen(x.IF_RANGE_STALE, 200, {}, CONTENT),
        False,
        id="stale If-Range answered 200",
    ),
    pytest.param(
        "if-range-current-ignored",
        seen(x.RANGE, 206, {"Content-Range": "bytes 0-0/10"}, b"0"),
        seen(x.IF_RANGE, 200, {}, CONTENT, asked={"If-Range": '"v1"'}),
        True,
        id="current If-Range answered 200 where Range alone gets 206",
    ),
    pytest.param(
        "if-range-current-ignored",
        seen(x.RANGE, 200, {}, CONTENT),
        seen(x.IF_RANGE, 200, {}, CONTENT, asked={"If-Range": '"v1"'}),
        False,
        id="a server that ignores Range altogether",
    ),
]


@pytest.mark.parametrize(("rule_id", "first", "second", "violates"), CASES)
def test_cross_rule(rule_id: str, first: Observed, second: Observed, violates: bool) -> None:
    rule = CROSS_RULES_BY_ID[rule_id]
    applies = rule.applies_to(first, second)
    detail = rule.check(first, second) if applies else None
    assert (detail is not None) is violates, detail
    if detail is not None:
        assert detail.endswith(".")
        assert rule.message(detail).startswith(f"[{rule_id}] {rule.summary} ({rule.reference}): ")


def test_every_cross_rule_has_a_violating_and_a_clean_row() -> None:
    rows = [(case.values[0], case.values[3]) for case in CASES]
    for rule in CROSS_RULES:
        assert (rule.id, True) in rows, rule.id
        assert (rule.id, False) in rows, rule.id


def test_cross_rule_ids_are_unique_kebab_case_and_apart_from_the_catalogue() -> None:
    ids = [rule.id for rule in CROSS_RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id) for rule_id in ids)
    assert not set(ids) & {rule.id for rule in CATALOGUE}


@pytest.mark.parametrize("rule", CROSS_RULES, ids=[r.id for r in CROSS_RULES])
def test_severity_follows_the_keyword_of_the_quoted_sentence(rule: x.CrossRule) -> None:
    keyword = re.search(r"\b(MUST(?: NOT)?|SHOULD(?: NOT)?)\b", rule.quote)
    expected = (
        Severity.INFO
        if keyword is None
        else (Severity.ERROR if keyword.group().startswith("MUST") else Severity.WARNING)
    )
    assert rule.severity is expected
    assert rule.reference.rfc == 9110
    assert re.fullmatch(r"\d+(\.\d+)*", rule.reference.section)
    assert rule.first and rule.second
    assert (rule.first | rule.second) <= set(x.ALL_PROBES)


@pytest.mark.parametrize(
    ("value", "length", "expected"),
    [
        ("bytes=0-0", 10, [(0, 0)]),
        ("bytes=0-0,9-9", 10, [(0, 0), (9, 9)]),
        ("bytes=-3", 10, [(7, 9)]),
        ("bytes=5-", 10, [(5, 9)]),
        ("bytes=10-", 10, []),
        ("bytes=2-100", 10, [(2, 9)]),
        ("bytes=5-1", 10, None),
        ("items=0-1", 10, None),
        ("bytes=x", 10, None),
    ],
)
def test_parse_ranges(value: str, length: int, expected: list[tuple[int, int]] | None) -> None:
    assert parse_ranges(value.encode(), length) == expected


def test_parse_content_range_methods_and_weak_comparison() -> None:
    assert parse_content_range(b"bytes 0-9/10") == (0, 9, 10)
    assert parse_content_range(b"bytes */10") == (None, None, 10)
    assert parse_content_range(b"bytes 0-9/*") == (0, 9, None)
    assert parse_content_range(b"items 0-9/10") is None
    assert parse_methods(b"GET, head,OPTIONS") == {"GET", "HEAD", "OPTIONS"}
    assert parse_methods(None) == frozenset()
    assert weakly_equal(b'W/"a"', b'"a"')
    assert not weakly_equal(b'"a"', b'"b"')
