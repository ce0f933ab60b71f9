"""The shared field syntax (``rules/_syntax.py``)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusguard.rules._syntax import CONTROL, is_uri_reference, no_control_in_values

# Bytes from every class the grammar tells apart: letters and digits, other VCHAR, SP, HTAB,
# the other controls, DEL and obs-text.
PIECES = st.sampled_from(
    [b"a", b"Z", b"7", b"-", b"/", b" ", b"\t", b"\x00", b"\r", b"\x7f", b"\xe9", b"\x85"]
)
VALUES = st.one_of(st.binary(max_size=16), st.lists(PIECES, max_size=8).map(b"".join))


@given(st.lists(VALUES, max_size=6))
def test_no_control_in_values_is_the_control_search_of_each_value(values: list[bytes]) -> None:
    expected = all(CONTROL.search(value) is None for value in values)
    as_bytes = [(b"X-Name", value) for value in values]
    as_text = [("X-Name", value.decode("latin-1")) for value in values]
    assert no_control_in_values(as_bytes) == expected
    assert no_control_in_values(as_text) == expected


def test_no_control_in_values_leaves_what_it_cannot_read_to_the_rule() -> None:
    assert not no_control_in_values([("Content-Length", 5)])  # an int: the check decides
    assert not no_control_in_values([("A", "x"), (b"B", b"y")])  # a mix of str and bytes
    assert no_control_in_values([])
    assert no_control_in_values([("A", "caf\u20ac")])  # beyond latin-1: sent as UTF-8


# RFC 3986 §4.1 URI-reference over its character set, as a regular expression: the reference
# the linear check must agree with.
_URI_REFERENCE = re.compile(
    rb"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?\[\]]|%[0-9A-Fa-f]{2})*"
    rb"(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?"
)
URI_PIECES = st.sampled_from(
    [
        b"a",
        b"Z",
        b"0",
        b"-",
        b"/",
        b"?",
        b":",
        b"[",
        b"]",
        b"%",
        b"%2F",
        b"%g1",
        b"#",
        b" ",
        b"\xe9",
    ]
)


@given(st.lists(URI_PIECES, max_size=10).map(b"".join))
def test_is_uri_reference_agrees_with_the_grammar(value: bytes) -> None:
    assert is_uri_reference(value) == (_URI_REFERENCE.fullmatch(value) is not None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(b"https://example.com/a?b=c#d", True, id="absolute"),
        pytest.param(b"/login?next=%2Fadmin%2F", True, id="relative with escapes"),
        pytest.param(b"/a b", False, id="space"),
        pytest.param(b"/a%2", False, id="cut escape"),
        pytest.param(b"/a#b#c", False, id="two fragments"),
        pytest.param(b"/a#[b]", False, id="brackets in the fragment"),
        pytest.param(b"http://[::1]/", True, id="IPv6 literal"),
        pytest.param(b"/" + b"a" * 4096 + b" ", False, id="4 KB then a space"),
    ],
)
def test_is_uri_reference(value: bytes, expected: bool) -> None:
    assert is_uri_reference(value) is expected
