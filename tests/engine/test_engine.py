"""The engine: configuration errors, modes and overrides, strict raising, streaming."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from statusguard import (
    ConfigurationError,
    Head,
    StatusGuardError,
    StatusGuardWarning,
    Violation,
)
from statusguard.engine import Config, Engine, ResponseCheck, force, parse_status

DATE = (b"Date", b"Sun, 06 Nov 1994 08:49:37 GMT")


def engine(**options: object) -> tuple[Engine, list[Violation]]:
    seen: list[Violation] = []
    config = Config.from_options(on_violation=seen.append, **options)  # type: ignore[arg-type]
    return Engine("asgi", config), seen


def begin(
    eng: Engine, status: int, headers: list[tuple[bytes, bytes]], **kw: object
) -> ResponseCheck:
    return eng.begin(Head(status, headers, **kw), route="/t")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        pytest.param({"mode": "loud"}, "mode", id="bad mode"),
        pytest.param({"rules": {"no-such-rule": "off"}}, "no-such-rule", id="unknown rule"),
        pytest.param({"rules": {"date-missing": "maybe"}}, "date-missing", id="bad rule mode"),
        pytest.param({"rules": ["date-missing"]}, "rules", id="rules not a mapping"),
        pytest.param({"on_violation": 3}, "on_violation", id="callback not callable"),
        pytest.param({"server_date": "sometimes"}, "server_date", id="bad server_date"),
        pytest.param({"log_interval": -1}, "log_interval", id="negative interval"),
        pytest.param({"logger": 3}, "logger", id="bad logger"),
    ],
)
def test_bad_configuration_fails_at_construction_naming_the_option(
    options: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Config.from_options(**options)  # type: ignore[arg-type]


def test_environment_sets_the_default_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATUSGUARD_MODE", "strict")
    assert Config.from_options().mode == "strict"
    assert Config.from_options(mode="fix").mode == "fix"
    monkeypatch.setenv("STATUSGUARD_MODE", "noisy")
    with pytest.raises(ConfigurationError, match="STATUSGUARD_MODE"):
        Config.from_options()


def test_default_mode_is_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATUSGUARD_MODE", raising=False)
    assert Config.from_options().mode == "warn"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (204, (204, None)),
        ("404 Not Found", (404, b"Not Found")),
        (b"200 OK", (200, b"OK")),
        ("200", (200, b"")),
        ("OK 200", (0, b"OK 200")),
        (True, (0, None)),
    ],
)
def test_parse_status(status: int | str | bytes, expected: tuple[int, bytes | None]) -> None:
    assert parse_status(status) == expected


def test_fix_mode_repairs_the_head_and_discards_content() -> None:
    eng, seen = engine(mode="fix", server_date="if-absent")
    rc = begin(eng, 204, [(b"Content-Length", b"5"), DATE], content_length=5, has_content=True)
    head = rc.start()
    assert head.headers == [DATE]
    assert rc.discard and rc.body(b"hello") == b""
    assert {(v.rule_id, v.fixed, v.action.value) for v in seen} == {
        ("content-length-forbidden", True, "fixed"),
        ("content-forbidden", True, "fixed"),
    }


def test_warn_mode_changes_nothing_and_reports() -> None:
    eng, seen = engine(mode="warn", server_date="if-absent", logger="statusguard.test")
    headers = [(b"Content-Length", b"5"), DATE]
    rc = begin(eng, 204, list(headers), content_length=5, has_content=True)
    with pytest.warns(StatusGuardWarning):
        head = rc.start()
    assert head.headers == headers
    assert not rc.discard
    assert rc.body(b"hello") == b"hello"
    assert {v.rule_id for v in seen} == {"content-length-forbidden", "content-forbidden"}
    assert all(not v.fixed and v.action.value == "reported" for v in seen)


def test_strict_mode_raises_with_the_violations_as_data() -> None:
    eng, _ = engine(mode="strict", server_date="if-absent")
    rc = begin(eng, 401, [DATE], content_length=0, has_content=False)
    with pytest.raises(StatusGuardError) as info:
        rc.start()
    assert info.value.rule_ids == ("www-authenticate-missing",)
    assert "RFC 9110 §15.5.2" in str(info.value)
    assert info.value.violations[0].action.value == "raised"


def test_strict_mode_does_not_raise_for_info_rules() -> None:
    eng, seen = engine(mode="strict", server_date="if-absent")
    rc = begin(eng, 201, [DATE], content_length=0, has_content=False)
    rc.start()
    assert [v.rule_id for v in seen] == ["created-location-missing"]


def test_per_rule_overrides() -> None:
    eng, seen = engine(
        mode="strict",
        server_date="if-absent",
        rules={"www-authenticate-missing": "off", "content-forbidden": "fix"},
    )
    rc = begin(eng, 401, [DATE], content_length=0, has_content=False)
    rc.start()  # off: no raise
    rc = begin(eng, 204, [DATE], content_length=2, has_content=True)
    rc.start()  # fix, although the mode is strict
    assert rc.discard
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-forbidden", True)]


def test_force_overrides_every_engine_and_undoes() -> None:
    eng, _ = engine(mode="warn", server_date="if-absent", rules={"allow-missing": "off"})
    try:
        force(mode="strict")
        rc = begin(eng, 401, [DATE], content_length=0, has_content=False)
        with pytest.raises(StatusGuardError):
            rc.start()
        # A rule the project turned off stays off in a forced run.
        begin(eng, 405, [DATE], content_length=0, has_content=False).start()
        force(mode="strict", rules={"www-authenticate-missing": "off"})
        begin(eng, 401, [DATE], content_length=0, has_content=False).start()
    finally:
        force()
    assert eng.mode == "warn"


def test_streamed_body_longer_than_content_length_is_truncated() -> None:
    eng, seen = engine(mode="fix", server_date="if-absent")
    rc = begin(eng, 200, [(b"Content-Length", b"3"), (b"Content-Type", b"text/plain"), DATE])
    assert rc.wants_content()
    rc.start()
    assert rc.needs_body
    out = [rc.body(c) for c in (b"he", b"llo", b"!")]
    rc.finish()
    assert b"".join(out) == b"hel"
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-length-mismatch", True)]


def test_streamed_body_shorter_than_content_length_is_reported() -> None:
    eng, seen = engine(mode="fix", server_date="if-absent")
    rc = begin(eng, 200, [(b"Content-Length", b"10"), (b"Content-Type", b"text/plain"), DATE])
    rc.start()
    assert rc.body(b"hello") == b"hello"
    rc.finish()
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-length-mismatch", False)]
    assert "ended after 5 bytes" in seen[0].message


def test_streamed_204_is_discarded_and_reported_at_the_first_byte() -> None:
    eng, seen = engine(mode="fix", server_date="if-absent")
    rc = begin(eng, 204, [DATE])
    head = rc.start()
    assert rc.needs_body and rc.discard and head.headers == [DATE]
    assert seen == []
    assert rc.body(b"") == b""
    assert seen == []
    assert rc.body(b"x") == b"" and rc.body(b"y") == b""
    rc.finish()
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-forbidden", True)]


def test_streamed_205_gets_zero_length_framing_before_the_head_goes_out() -> None:
    eng, _ = engine(mode="fix", server_date="if-absent")
    head = begin(eng, 205, [DATE]).start()
    assert (b"Content-Length", b"0") in head.headers


def test_strict_streamed_violation_raises_at_the_first_byte() -> None:
    eng, _ = engine(mode="strict", server_date="if-absent")
    rc = begin(eng, 200, [DATE])
    rc.start()
    with pytest.raises(StatusGuardError, match="content-type-missing"):
        rc.body(b"x")


def test_clean_response_wants_no_content() -> None:
    eng, seen = engine(mode="fix", server_date="if-absent")
    rc = begin(eng, 200, [(b"Content-Type", b"text/plain"), DATE])
    assert not rc.wants_content()
    rc.start()
    assert not rc.needs_body
    assert seen == []


def test_server_date_always_removes_the_application_date() -> None:
    eng, seen = engine(mode="fix")
    rc = begin(eng, 200, [DATE, (b"Content-Type", b"a/b")], server_date="always")
    assert rc.start().headers == [(b"Content-Type", b"a/b")]
    assert [v.rule_id for v in seen] == ["field-duplicate"]


def test_server_date_never_injects_one() -> None:
    eng, _ = engine(mode="fix")
    rc = begin(eng, 200, [(b"Content-Type", b"a/b")], server_date="never")
    ((_, value),) = [h for h in rc.start().headers if h[0] == b"Date"]
    assert value.endswith(b" GMT")


def test_extra_rules_and_logger_name(caplog: pytest.LogCaptureFixture) -> None:
    from statusguard import Reference, Rule, Severity

    teapot = Rule(
        id="no-teapots",
        severity=Severity.WARNING,
        reference=Reference(2324, "2.3.2"),
        summary="No teapots",
        check=lambda head: "a teapot." if head.status == 418 else None,
    )
    eng, seen = engine(
        mode="fix", extra_rules=[teapot], logger="custom", rules={"no-teapots": "fix"}
    )
    with caplog.at_level(logging.WARNING, logger="custom"):
        begin(eng, 418, [DATE], server_date="if-absent").start()
    assert "no-teapots" in {v.rule_id for v in seen}
    assert any("[no-teapots]" in r.getMessage() for r in caplog.records)
    with pytest.raises(ConfigurationError, match="already in the catalogue"):
        Config.from_options(extra_rules=[dataclasses.replace(teapot, id="date-missing")])


@pytest.mark.parametrize("entry", ["check", "repair"])
def test_pure_entry_points_refuse_an_unknown_server_date(entry: str) -> None:
    import statusguard

    with pytest.raises(ConfigurationError, match="server_date"):
        getattr(statusguard, entry)(200, [], server_date="bogus")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13", 13),
        (b"13", 13),
        ("0", 0),
        ("007", 7),
        (" 13", -1),
        ("+13", -1),
        ("1_3", -1),
        ("١٣", -1),  # Arabic-Indic digits: isdigit() but not a Content-Length
        ("", -1),
        ("9" * 18, 10**18 - 1),
        ("9" * 19, -1),
        (13, -1),
        (None, -1),
    ],
)
def test_plain_int_reads_plain_ascii_digits_only_and_remembers_them(
    value: object, expected: int
) -> None:
    from statusguard.engine import _plain_int

    assert _plain_int(value) == expected
    assert _plain_int(value) == expected  # the second time from the memo, when remembered


def test_plain_int_memo_is_bounded() -> None:
    from statusguard.engine import _LENGTHS, _MAX_LENGTHS, _plain_int

    for n in range(3 * _MAX_LENGTHS):
        assert _plain_int(str(n)) == n
    assert 0 < len(_LENGTHS) <= _MAX_LENGTHS
    assert all(_LENGTHS[key] == int(key) for key in _LENGTHS)  # type: ignore[call-overload]
