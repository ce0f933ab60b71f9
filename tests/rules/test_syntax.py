"""The shared field syntax (``rules/_syntax.py``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from statusguard.rules._syntax import CONTROL, FIELD_VALUE, is_field_value

# Bytes from every class the grammar tells apart: letters and digits, other VCHAR, SP, HTAB,
# the other controls, DEL and obs-text.
PIECES = st.sampled_from(
    [b"a", b"Z", b"7", b"-", b"/", b" ", b"\t", b"\x00", b"\r", b"\x7f", b"\xe9"]
)
VALUES = st.one_of(st.binary(max_size=16), st.lists(PIECES, max_size=8).map(b"".join))


@given(VALUES)
def test_a_field_value_has_no_control_and_no_surrounding_whitespace(value: bytes) -> None:
    # field-value = *field-content; field-content = field-vchar [ 1*( SP / HTAB / field-vchar )
    # field-vchar ] (RFC 9110 §5.5)
    expected = (
        CONTROL.search(value) is None
        and value[:1] not in (b" ", b"\t")
        and value[-1:] not in (b" ", b"\t")
    )
    assert is_field_value(value) == expected
    assert (FIELD_VALUE.fullmatch(value) is not None) == expected


def test_the_shortcuts_of_is_field_value() -> None:
    assert is_field_value(b"7f3a9c1e")  # letters and digits
    assert is_field_value(b"")
    assert is_field_value(b"text/plain; charset=utf-8")
    assert not is_field_value(b"text/plain ")
    assert not is_field_value(b" text/plain")
    assert is_field_value(b"caf\xe9")  # obs-text: the regular expression decides
    assert is_field_value(b"a\tb")
    assert not is_field_value(b"a\tb\t")
    assert not is_field_value(b"a\r\nb")
