"""Meta-tests over the catalogue itself (httplint keeps the same kind of tests)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusguard import CATALOGUE, RULES_BY_ID, Severity, lookup
from statusguard.codes import CODES
from statusguard.model import EVERY_FIELD, NO_REQUEST_HEADERS, Head, Rule
from statusguard.servers import STEPS, Step

KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# The ids the issue tracker promised; they are public and stable.
PUBLIC_IDS = {
    "status-code-invalid",
    "status-code-unregistered",
    "status-code-deprecated",
    "status-interim-final",
    "reason-phrase-invalid",
    "content-forbidden",
    "head-content",
    "content-length-forbidden",
    "transfer-encoding-forbidden",
    "transfer-encoding-invalid",
    "content-length-with-transfer-encoding",
    "content-length-invalid",
    "content-length-mismatch",
    "content-type-missing",
    "date-missing",
    "date-invalid",
    "field-duplicate",
    "field-name-invalid",
    "field-value-invalid",
    "location-missing",
    "created-location-missing",
    "location-invalid",
    "www-authenticate-missing",
    "proxy-authenticate-missing",
    "allow-missing",
    "content-range-missing",
    "content-range-recommended",
    "content-range-invalid",
    "upgrade-missing",
    "retry-after-invalid",
    "not-modified-representation-fields",
    "connection-specific-field",
    "hop-by-hop-field",
    # 0.2: the rules that read the request, and the validators
    "field-value-whitespace",
    "upgrade-unrequested",
    "continue-unrequested",
    "partial-content-unrequested",
    "partial-content-multipart-single-range",
    "content-range-length-mismatch",
    "content-range-unrequested",
    "im-used-etag-missing",
    "not-modified-unconditional",
    "not-modified-method",
    "allow-lists-request-method",
    "get-head-unsupported",
    "precondition-failed-unrequested",
    "range-not-satisfiable-content-range",
    "expectation-failed-unrequested",
    "etag-invalid",
    "last-modified-invalid",
}
RULES = [pytest.param(rule, id=rule.id) for rule in CATALOGUE]


def test_ids_are_unique_and_public_ones_present() -> None:
    ids = [rule.id for rule in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(RULES_BY_ID)
    assert set(ids) >= PUBLIC_IDS


@pytest.mark.parametrize("rule", RULES)
def test_rule_is_well_formed(rule: Rule) -> None:
    assert KEBAB.fullmatch(rule.id)
    assert isinstance(rule.severity, Severity)
    assert rule.reference.document in {"RFC", "PEP"}
    assert re.fullmatch(r"[0-9]+(\.[0-9]+)*|[a-z-]+", rule.reference.section)
    url = rule.reference.url
    assert url.startswith(("https://www.rfc-editor.org/rfc/rfc", "https://peps.python.org/"))
    assert rule.summary
    assert rule.summary[0].isupper() or rule.summary[0].isdigit()
    assert not rule.summary.endswith(".")
    assert rule.phase in {"head", "body"}
    assert rule.protocols <= {"wsgi", "asgi", "http"}
    assert rule.protocols
    assert (rule.fix is None) == (rule.fix_summary == "")
    # The sentence it enforces, verbatim, shown in docs/rules.md.
    assert rule.quote
    assert rule.quote == rule.quote.strip()
    if rule.statuses is not None:
        assert rule.statuses
        assert all(isinstance(s, int) for s in rule.statuses)


@pytest.mark.parametrize("rule", RULES)
def test_rule_statuses_are_valid_codes(rule: Rule) -> None:
    # A rule names registered codes, or a whole class (1xx, 2xx-4xx for Date).
    statuses = rule.statuses or frozenset()
    for status in statuses:
        assert 100 <= status <= 599
        first = status // 100 * 100
        whole_class = all(s in statuses for s in range(first, first + 100))
        assert lookup(status).registered or whole_class, status


def test_no_fix_invents_meaning() -> None:
    # DESIGN: no invented challenge, no guessed Allow list, no guessed Location.
    for rule_id in (
        "www-authenticate-missing",
        "proxy-authenticate-missing",
        "allow-missing",
        "location-missing",
        "created-location-missing",
        "content-range-missing",
    ):
        assert RULES_BY_ID[rule_id].fix is None


def test_severity_follows_the_rfc_keyword() -> None:
    must = {
        "www-authenticate-missing",
        "allow-missing",
        "date-missing",
        "field-duplicate",
        "upgrade-unrequested",  # RFC 9110 §7.8 MUST NOT
        "partial-content-multipart-single-range",  # §15.3.7.2 MUST NOT
        "content-range-length-mismatch",  # §8.6 MUST NOT
        "im-used-etag-missing",  # RFC 3229 §10.4.1 MUST
        "not-modified-method",  # §13.1.2 MUST
        "allow-lists-request-method",  # §15.5.6 MUST
        "get-head-unsupported",  # §9.1 MUST
        "etag-invalid",  # §2.2 MUST NOT (grammar)
        "last-modified-invalid",  # §5.6.7 MUST
    }
    should = {
        "content-type-missing",
        "content-range-recommended",
        "location-missing",
        "range-not-satisfiable-content-range",  # §14.4 SHOULD
    }
    # No keyword: what the status code indicates, or the registry's state.
    neither = {
        "created-location-missing",
        "status-code-unregistered",
        "status-code-deprecated",
        "continue-unrequested",
        "partial-content-unrequested",
        "content-range-unrequested",
        "not-modified-unconditional",
        "precondition-failed-unrequested",
        "expectation-failed-unrequested",
    }
    assert all(RULES_BY_ID[i].severity is Severity.ERROR for i in must)
    assert all(RULES_BY_ID[i].severity is Severity.WARNING for i in should)
    assert all(RULES_BY_ID[i].severity is Severity.INFO for i in neither)


ACCEPTING = [pytest.param(rule, id=rule.id) for rule in CATALOGUE if rule.accepts is not None]
# Values near the edges of what the accepting rules take: dates, URI-references, whitespace and
# control characters, obs-text.
EDGE_VALUES = st.one_of(
    st.binary(max_size=12),
    st.lists(
        st.sampled_from([b"a", b"0", b" ", b"\t", b"\x00", b"\x7f", b"\x80", b"%", b"/"])
    ).map(b"".join),
    st.sampled_from(
        [
            b"Sun, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 31 Feb 1994 08:49:37 GMT",
            b"Sunday, 06-Nov-94 08:49:37 GMT",
            b"/next?a=1#frag",
            b"https://example.com/%zz",
            b"http://[::1]/",
        ]
    ),
)


def test_every_rule_that_reads_values_says_how_to_accept_one() -> None:
    # The engine decides a head by its shape and the values its rules read (engine/memo.py):
    # a catalogue rule that reads values without ``accepts`` would send every response of
    # every status down the full path.
    reading = [rule for rule in CATALOGUE if rule.reads and rule.phase == "head"]
    assert reading
    assert [rule.id for rule in reading if rule.accepts is None] == []


@pytest.mark.parametrize("rule", ACCEPTING)
@settings(max_examples=300, deadline=None)
@given(value=EDGE_VALUES)
def test_accepts_says_what_check_says_of_one_line(rule: Rule, value: bytes) -> None:
    # ``accepts`` is the engine's shortcut for a new header line: it must agree with ``check``.
    assert rule.accepts is not None
    assert rule.reads
    name = b"X-Any" if rule.reads == EVERY_FIELD else sorted(rule.reads)[0].title()
    status = 200 if rule.applies_to(200) else min(rule.statuses or {200})
    passes = rule.check(Head(status, [(name, value)])) is None
    assert bool(rule.accepts(value)) == passes


ACCEPTING_ALL = [
    pytest.param(rule, id=rule.id) for rule in CATALOGUE if rule.accepts_all is not None
]


@pytest.mark.parametrize("rule", ACCEPTING_ALL)
@settings(max_examples=300, deadline=None)
@given(values=st.lists(EDGE_VALUES, max_size=5), as_text=st.booleans())
def test_accepts_all_says_what_check_says_of_every_line(
    rule: Rule, values: list[bytes], as_text: bool
) -> None:
    # ``accepts_all`` is the engine's shortcut for all the lines of a head at once, given as
    # the application gave them (str pairs for WSGI, bytes for ASGI).
    assert rule.accepts_all is not None
    assert rule.reads == EVERY_FIELD
    lines = [(b"X-Any", value) for value in values]
    passes = rule.check(Head(200, lines)) is None
    given_lines = [(n.decode(), v.decode("latin-1")) for n, v in lines] if as_text else lines
    assert bool(rule.accepts_all(given_lines)) == passes


ASKING = [pytest.param(rule, id=rule.id) for rule in CATALOGUE if rule.request_check is not None]


class _Fields:
    """A request with these fields (lower-case names), as a head's ``request_headers``."""

    known = True

    def __init__(self, lines: list[tuple[bytes, bytes]]) -> None:
        self.lines = lines

    def get(self, name: bytes, /) -> bytes | None:
        values = [value for lower, value in self.lines if lower == name]
        return b", ".join(values) if values else None


REQUEST_NAMES = [b"if-none-match", b"if-modified-since", b"if-match", b"if-range", b"if"]
REQUEST_NAMES += [b"if-unmodified-since", b"range", b"expect", b"upgrade", b"x-other"]
REQUEST_VALUES = [b'"v1"', b"*", b"bytes=0-4", b"100-continue", b"websocket", b""]


def test_the_rules_that_read_only_the_request_are_the_expected_ones() -> None:
    # The screen runs these on every response of their status (engine/memo.py, Shape.asks).
    assert sorted(rule.id for rule in CATALOGUE if rule.request_check is not None) == [
        "continue-unrequested",
        "expectation-failed-unrequested",
        "not-modified-method",
        "not-modified-unconditional",
        "partial-content-unrequested",
        "precondition-failed-unrequested",
    ]


@pytest.mark.parametrize("rule", ASKING)
@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "M0001", "get"]),
    asked=st.none()
    | st.lists(st.tuples(st.sampled_from(REQUEST_NAMES), st.sampled_from(REQUEST_VALUES))),
    lines=st.lists(
        st.tuples(
            st.sampled_from([b"Content-Type", b"Content-Range", b"ETag", b"Upgrade", b"X-Id"]),
            EDGE_VALUES,
        ),
        max_size=4,
    ),
    version=st.sampled_from(["1.0", "1.1", "2"]),
)
def test_request_check_says_what_check_says_whatever_the_response(
    rule: Rule,
    method: str,
    asked: list[tuple[bytes, bytes]] | None,
    lines: list[tuple[bytes, bytes]],
    version: str,
) -> None:
    # ``request_check`` lets the screen decide the rest of the head by its shape: it must say
    # exactly what ``check`` says, and ``check`` must read nothing of the response but its
    # status (any header lines, any version give the same answer).
    assert rule.request_check is not None
    assert rule.statuses is not None
    request: Any = NO_REQUEST_HEADERS if asked is None else _Fields(asked)
    for status in sorted(rule.statuses):
        head = Head(status, lines, method, version, request_headers=request)
        bare = Head(status, [], method, "1.1", request_headers=request)
        expected = rule.request_check(method, request)
        assert rule.check(head) == expected
        assert rule.check(bare) == expected


# The fields the status-code table lists for a code that no rule checks, each with its reason.
NOT_ENFORCED = {
    (200, "ETag"): "recommended for a representation that has one: a resource may have none",
    (200, "Last-Modified"): "sent when a modification date is known (RFC 9110 §8.8.2.1)",
    (300, "Location"): "only when the server has a preferred choice (RFC 9110 §15.4.1)",
    (413, "Retry-After"): "only when the condition is temporary (RFC 9110 §15.5.14)",
    (451, "Link"): "only when the blocking entity is identified (RFC 7725 §4)",
}


def _checked_by(code: int, field: str) -> list[str]:
    name = field.lower().encode("ascii")
    return [rule.id for rule in CATALOGUE if rule.requires == name and rule.applies_to(code)]


TABLE_FIELDS = [
    pytest.param(code, field, id=f"{code} {field}")
    for code, status in CODES.items()
    for field in (*status.required_headers, *status.recommended_headers)
]


@pytest.mark.parametrize(("code", "field"), TABLE_FIELDS)
def test_the_table_and_the_catalogue_agree(code: int, field: str) -> None:
    # Each field the table requires or recommends for a code is checked by a rule, or is
    # listed above with the reason it is not.
    checked = _checked_by(code, field)
    if (code, field) in NOT_ENFORCED:
        assert checked == [], f"{code} {field} is checked by {checked}: drop it from NOT_ENFORCED"
    else:
        assert checked, f"the table lists {field} for {code}, but no rule checks it"


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(r, id=r.id)
        for r in CATALOGUE
        if r.requires is not None and r.severity is not Severity.INFO
    ],
)
def test_a_field_a_rule_requires_is_in_the_table(rule: Rule) -> None:
    # The other way round: a warning or an error about a missing field stands on a field the
    # table requires or recommends for each of its statuses (an info one, such as 201's
    # Location, on a field that is only usual).
    assert rule.requires is not None and rule.statuses is not None
    for code in rule.statuses:
        listed = {
            f.lower().encode()
            for f in (*CODES[code].required_headers, *CODES[code].recommended_headers)
        }
        assert rule.requires in listed, (
            f"{rule.id}: the table lists no {rule.requires!r} for {code}"
        )


def test_not_enforced_lists_only_what_the_table_lists() -> None:
    listed = {(code, field) for code, field in (p.values for p in TABLE_FIELDS)}
    assert set(NOT_ENFORCED) <= listed


@pytest.mark.parametrize(
    "rule", [pytest.param(r, id=r.id) for r in CATALOGUE if r.requires is not None]
)
def test_a_rule_that_requires_a_field_reports_its_absence(rule: Rule) -> None:
    # ``requires`` names the field whose absence the rule reports: a head of one of its
    # statuses without that field, to a request that asked for what the status answers,
    # is a violation; the same head with the field is not.
    from statusguard import check

    status = min(rule.statuses or {200})
    request = {
        416: [("Range", "bytes=0-1")],
    }.get(status, [])
    found = check(status, [], b"", request_headers=request, server_date="always")
    assert rule.id in {v.rule_id for v in found}
    assert rule.requires is not None
    field = rule.requires.decode().title()
    value = {"content-range": "bytes */10"}.get(rule.requires.decode(), "x")
    found = check(status, [(field, value)], b"", request_headers=request, server_date="always")
    assert rule.id not in {v.rule_id for v in found}


STEPS_ACCEPTING_ALL = [
    pytest.param(step, id=step.id) for step in STEPS.values() if step.accepts_all is not None
]


@pytest.mark.parametrize("step", STEPS_ACCEPTING_ALL)
@settings(max_examples=300, deadline=None)
@given(values=st.lists(EDGE_VALUES, max_size=5), as_text=st.booleans())
def test_a_steps_accepts_all_says_what_when_says_of_every_line(
    step: Step, values: list[bytes], as_text: bool
) -> None:
    # A compatibility step's shortcut over all the lines at once (engine/memo.py): truthy only
    # where the step has nothing to do, and exactly that where no value holds an LF.
    assert step.accepts_all is not None
    lines = [(b"X-Any", value) for value in values]
    needed = step.when(Head(200, lines))
    given_lines = [(n.decode(), v.decode("latin-1")) for n, v in lines] if as_text else lines
    accepted = bool(step.accepts_all(given_lines))
    if accepted:
        assert not needed
    if not any(b"\n" in value for value in values):
        assert accepted == (not needed)
