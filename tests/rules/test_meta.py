"""Meta-tests over the catalogue itself (httplint keeps the same kind of tests)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusguard import CATALOGUE, RULES_BY_ID, Severity, lookup
from statusguard.model import EVERY_FIELD, Head, Rule

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
    must = {"www-authenticate-missing", "allow-missing", "date-missing", "field-duplicate"}
    should = {"content-type-missing", "content-range-recommended", "location-missing"}
    assert all(RULES_BY_ID[i].severity is Severity.ERROR for i in must)
    assert all(RULES_BY_ID[i].severity is Severity.WARNING for i in should)
    assert RULES_BY_ID["created-location-missing"].severity is Severity.INFO


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
