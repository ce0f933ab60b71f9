"""The screen's check of header lines it has not seen before (``engine._lines_pass``).

A rule with ``accepts`` is asked about each new value; the rules without it check the new lines
together in a head of their own.  Either way the screen passes a head exactly when the full
path finds nothing wrong with it: checked here with rules of both kinds, reading every field
and reading one, on long-lived engines that meet the same shapes with new values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusguard.engine import Config, Engine, ResponseCheck, headers_to_bytes
from statusguard.model import EVERY_FIELD, Head, Reference, Rule, Severity


def _every_line(head: Head) -> str | None:
    for name, value in head.headers:
        if b"9" in value:
            return f"{name!r} holds a 9."
    return None


def _named_accepts(value: bytes) -> bool:
    return b"!" not in value


def _named(head: Head) -> str | None:
    for value in head.fields.get(b"x-named", ()):
        if not _named_accepts(value):
            return "X-Named holds a !."
    return None


def _whole(head: Head) -> str | None:
    if any(value == b"bad" for value in head.fields.get(b"x-whole", ())):
        return "X-Whole is bad."
    return None


def _rule(rule_id: str, check: Any, reads: frozenset[bytes], accepts: Any = None) -> Rule:
    return Rule(
        id=rule_id,
        severity=Severity.ERROR,
        reference=Reference(9110, "5.5"),
        summary="A test rule",
        check=check,
        reads=reads,
        accepts=accepts,
    )


EXTRA = {
    "every field, no accepts": (_rule("x-every", _every_line, EVERY_FIELD),),
    "one field with accepts, one without": (
        _rule("x-named", _named, frozenset({b"x-named"}), _named_accepts),
        _rule("x-whole", _whole, frozenset({b"x-whole"})),
    ),
    "catalogue only": (),
}
ENGINES = {
    key: Engine("asgi", Config.from_options(mode="warn", extra_rules=rules), register=False)
    for key, rules in EXTRA.items()
}
NAMES = ["X-Named", "x-named", "X-Whole", "X-Other", "Date", "Location", "Content-Length"]
VALUES = st.sampled_from(
    ["a", "b", "9", "a!", "bad", " a", "a\x01", "/next", "Sun, 06 Nov 1994 08:49:37 GMT", "5"]
)
SHAPES = st.lists(st.sampled_from(NAMES), max_size=4)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(sorted(ENGINES)),
    SHAPES,
    st.lists(st.lists(VALUES, min_size=4, max_size=4), min_size=1, max_size=6),
    st.booleans(),
)
def test_new_lines_pass_exactly_when_the_full_path_passes(
    engine_key: str, names: list[str], rows: list[list[str]], as_bytes: bool
) -> None:
    engine = ENGINES[engine_key]
    for values in rows:  # one shape, new values: the lines of all but the first are checked
        headers = list(zip(names, values, strict=False))
        lines: list[Any] = headers_to_bytes(headers) if as_bytes else headers

        def describe(headers: list[tuple[str, str]] = headers) -> Head:
            return Head(200, headers_to_bytes(headers), server_date="always")

        verdict = engine.screen(200, ("GET",), lines, describe)
        full = ResponseCheck(engine, describe(), "GET", "/")
        full.start()
        head_ids = {rule.id for rule, _ in engine.plan(200).head}
        assert (verdict is not None) == (not head_ids & {v.rule_id for v in full.violations})
