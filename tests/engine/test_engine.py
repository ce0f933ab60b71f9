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
from statusguard.engine import (
    HOLD,
    SAME,
    Config,
    Engine,
    Exchange,
    Extended,
    Phase,
    force,
    parse_status,
)
from statusguard.servers import PROFILES, WIRE, with_date

DATE = (b"Date", b"Sun, 06 Nov 1994 08:49:37 GMT")


def engine(**options: object) -> tuple[Engine, list[Violation]]:
    seen: list[Violation] = []
    config = Config.from_options(on_violation=seen.append, **options)  # type: ignore[arg-type]
    return Engine("asgi", config), seen


class _Reader:
    def route(self, request: object, /) -> str:
        return "/t"

    def header(self, request: object, name: bytes, /) -> bytes | None:
        return None


def begin(eng: Engine, *, method: str = "GET", server_date: str = "if-absent") -> Exchange:
    return eng.exchange(method, "1.1", with_date(WIRE, server_date), _Reader(), None)


def done(ex: Exchange) -> bool:
    """``ex.done``, read through a call (each read is a new fact, not a narrowed one)."""
    return ex.done


def sent_head(out: object, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The header lines the adapter sends for the exchange's answer ``out``."""
    assert out is not HOLD
    if out is SAME:
        return headers
    if isinstance(out, Extended):  # the application's own lines, and these after them
        return [*headers, *out.lines]
    assert isinstance(out, Head)
    return out.headers


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
    eng, seen = engine(mode="fix")
    ex = begin(eng)
    headers = [(b"Content-Length", b"5"), DATE]
    assert sent_head(ex.start(204, headers, 5), headers) == [DATE]
    assert ex.done  # the known content need not be read
    assert ex.chunk(b"hello") == b""
    assert {(v.rule_id, v.fixed, v.action.value) for v in seen} == {
        ("content-length-forbidden", True, "fixed"),
        ("content-forbidden", True, "fixed"),
    }


def test_warn_mode_changes_nothing_and_reports() -> None:
    eng, seen = engine(mode="warn", logger="statusguard.test")
    headers = [(b"Content-Length", b"5"), DATE]
    ex = begin(eng)
    with pytest.warns(StatusGuardWarning):
        assert ex.start(204, list(headers), 5) is SAME
    assert not ex.done
    assert ex.chunk(b"hello") == b"hello"
    assert {v.rule_id for v in seen} == {"content-length-forbidden", "content-forbidden"}
    assert all(not v.fixed and v.action.value == "reported" for v in seen)


def test_strict_mode_raises_with_the_violations_as_data() -> None:
    eng, _ = engine(mode="strict")
    with pytest.raises(StatusGuardError) as info:
        begin(eng).start(401, [DATE], 0)
    assert info.value.rule_ids == ("www-authenticate-missing",)
    assert "RFC 9110 §15.5.2" in str(info.value)
    assert info.value.violations[0].action.value == "raised"
    assert info.value.request == "GET /t"


def test_strict_mode_does_not_raise_for_info_rules() -> None:
    eng, seen = engine(mode="strict")
    begin(eng).start(201, [DATE], 0)
    assert [v.rule_id for v in seen] == ["created-location-missing"]


def test_per_rule_overrides() -> None:
    eng, seen = engine(
        mode="strict", rules={"www-authenticate-missing": "off", "content-forbidden": "fix"}
    )
    begin(eng).start(401, [DATE], 0)  # off: no raise
    ex = begin(eng)
    ex.start(204, [DATE], 2)  # fix, although the mode is strict
    assert ex.chunk(b"no") == b""
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-forbidden", True)]


def test_force_overrides_every_engine_and_undoes() -> None:
    eng, _ = engine(mode="warn", rules={"allow-missing": "off"})
    try:
        force(mode="strict")
        with pytest.raises(StatusGuardError):
            begin(eng).start(401, [DATE], 0)
        # A rule the project turned off stays off in a forced run.
        begin(eng).start(405, [DATE], 0)
        force(mode="strict", rules={"www-authenticate-missing": "off"})
        begin(eng).start(401, [DATE], 0)
    finally:
        force()
    assert eng.mode == "warn"


def test_an_exchange_keeps_the_configuration_it_started_with() -> None:
    eng, seen = engine(mode="fix")
    ex = begin(eng)
    assert ex.start(200, [DATE, (b"Content-Length", b"3")]) is HOLD
    try:
        force(mode="strict")
        # The response under way finishes as it began (fix); the next one is strict.
        assert ex.commit(3, True) is SAME
        assert [v.rule_id for v in seen] == ["content-type-missing"]
        with pytest.raises(StatusGuardError):
            begin(eng).start(200, [DATE, (b"Content-Length", b"3")], 3)
    finally:
        force()


def test_streamed_body_longer_than_content_length_is_truncated() -> None:
    eng, seen = engine(mode="fix")
    ex = begin(eng)
    headers = [(b"Content-Length", b"3"), (b"Content-Type", b"text/plain"), DATE]
    assert ex.start(200, headers) is HOLD
    assert ex.commit(None, True) is SAME
    assert ex.phase is Phase.BODY
    out = [ex.chunk(c) for c in (b"he", b"llo", b"!")]
    assert ex.done
    ex.end()
    assert b"".join(out) == b"hel"
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-length-mismatch", True)]


def test_streamed_body_shorter_than_content_length_is_reported() -> None:
    eng, seen = engine(mode="fix")
    ex = begin(eng)
    ex.start(200, [(b"Content-Length", b"10"), (b"Content-Type", b"text/plain"), DATE])
    ex.commit(None, True)
    assert ex.chunk(b"hello") == b"hello"
    ex.end()
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-length-mismatch", False)]
    assert "ended after 5 bytes" in seen[0].message


def test_streamed_204_is_discarded_and_reported_at_the_first_byte() -> None:
    eng, seen = engine(mode="fix")
    ex = begin(eng)
    # Nothing the content shows can change a 204's head: it goes out at once, and whatever
    # content follows is discarded.
    assert ex.start(204, [DATE]) is SAME
    assert seen == [] and not done(ex)
    assert ex.chunk(b"") == b""
    assert seen == []
    assert ex.chunk(b"x") == b""
    assert done(ex)  # nothing more can be sent: the adapter stops reading the app
    assert ex.end() is None
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-forbidden", True)]


def test_discarded_content_that_never_came_ends_with_one_empty_chunk() -> None:
    # Some WSGI servers (wsgiref) add "Content-Length: 0" to a head they send at the end of an
    # empty body: one empty chunk makes them send the head as it is.
    eng, _ = engine(mode="fix")
    ex = begin(eng)
    ex.start(204, [DATE], 0)
    assert ex.end() == b""


def test_streamed_205_gets_zero_length_framing_before_the_head_goes_out() -> None:
    eng, _ = engine(mode="fix")
    ex = begin(eng)
    assert ex.start(205, [DATE]) is HOLD
    assert (b"Content-Length", b"0") in sent_head(ex.commit(None, True), [DATE])


def test_strict_mode_raises_while_the_head_is_held() -> None:
    eng, _ = engine(mode="strict")
    ex = begin(eng)
    assert ex.start(200, [DATE]) is HOLD
    with pytest.raises(StatusGuardError, match="content-type-missing"):
        ex.commit(None, True)
    assert ex.phase is Phase.IDLE  # nothing was sent: the adapter may send another head


def test_strict_mode_after_the_head_went_out_reports_loudly_and_ends_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    eng, seen = engine(mode="strict")
    ex = begin(eng)
    assert ex.start(204, [DATE]) is HOLD
    ex.commit(None, None)  # an empty flush: the head is out before any content
    with caplog.at_level(logging.ERROR, logger="statusguard"):
        assert ex.chunk(b"late") == b""
    assert ex.done
    assert [(v.rule_id, v.action.value) for v in seen] == [("content-forbidden", "fixed")]
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_clean_response_wants_no_content() -> None:
    eng, seen = engine(mode="fix")
    ex = begin(eng)
    assert ex.start(200, [(b"Content-Type", b"text/plain"), DATE]) is SAME
    assert ex.phase is Phase.PASS
    assert seen == []


def on(eng: Engine, server: str, *, method: str = "GET") -> Exchange:
    """An exchange served by the server of profile ``server``."""
    return eng.exchange(method, "1.1", PROFILES[server], _Reader(), None)


def test_a_server_that_always_adds_date_gets_the_application_date_removed() -> None:
    # Not the application's violation: what the server needs (a compatibility step).
    eng, seen = engine(mode="fix")
    out = on(eng, "uvicorn").start(200, [DATE, (b"Content-Type", b"a/b")], 0)
    assert sent_head(out, []) == [(b"Content-Type", b"a/b")]
    assert seen == []
    assert eng.stats().steps == {("server-date-duplicate", 200, "uvicorn"): 1}


def test_a_server_that_never_adds_date_gets_one_added() -> None:
    eng, seen = engine(mode="fix")
    for _ in range(2):  # the second time from the screen: the app's head, with a Date line
        out = on(eng, "daphne").start(200, [(b"Content-Type", b"a/b")], 0)
        assert isinstance(out, Extended)
        ((name, value),) = out.lines
        assert name == b"Date" and value.endswith(b" GMT")
    assert seen == []
    assert eng.stats().steps == {("server-date-missing", 200, "daphne"): 2}


def test_warn_mode_applies_no_step() -> None:
    eng, seen = engine(mode="warn")
    assert on(eng, "daphne").start(200, [(b"Content-Type", b"a/b")], 0) is SAME
    assert seen == [] and eng.stats().steps == {}


def test_on_the_wire_a_missing_date_is_the_response_s_own() -> None:
    eng = Engine("http", Config.from_options(mode="fix"))
    out = begin(eng, server_date="never").start(200, [(b"Content-Type", b"a/b")], 0)
    ((_, value),) = [h for h in sent_head(out, []) if h[0] == b"Date"]
    assert value.endswith(b" GMT")


def test_a_body_rule_of_the_user_sees_the_length_at_the_end() -> None:
    from statusguard import Reference, Rule, Severity

    def big(head: Head) -> str | None:
        if head.content_length is not None and head.content_length > 4:
            return f"{head.content_length} bytes."
        return None

    small = Rule(
        id="small-bodies",
        severity=Severity.WARNING,
        reference=Reference(9110, "6.4"),
        summary="Bodies stay small",
        check=big,
        phase="body",
    )
    eng, seen = engine(mode="fix", extra_rules=[small])
    ex = begin(eng)
    assert ex.start(200, [DATE, (b"Content-Type", b"a/b")]) is SAME  # it only reports
    assert ex.phase is Phase.BODY
    for chunk in (b"abc", b"def"):
        ex.chunk(chunk)
    assert seen == []
    ex.end()
    assert [(v.rule_id, v.message.split(": ")[-1]) for v in seen] == [("small-bodies", "6 bytes.")]


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
        begin(eng).start(418, [DATE], 0)
    assert "no-teapots" in {v.rule_id for v in seen}
    assert any("[no-teapots]" in r.getMessage() for r in caplog.records)
    with pytest.raises(ConfigurationError, match="already in the catalogue"):
        Config.from_options(extra_rules=[dataclasses.replace(teapot, id="date-missing")])


@pytest.mark.parametrize("entry", ["check", "repair"])
def test_pure_entry_points_refuse_an_unknown_server_date(entry: str) -> None:
    import statusguard

    with pytest.raises(ConfigurationError, match="server_date"):
        getattr(statusguard, entry)(200, [], server_date="bogus")


@pytest.mark.parametrize("shortcuts_on", [True, False], ids=["screen", "full path"])
def test_a_server_that_reads_the_head_when_the_app_returns_never_gets_it_held(
    shortcuts_on: bool,
) -> None:
    # granian's WSGI runner (ServerProfile.holds_head false): a stream whose Content-Length
    # fix mode would correct from its first chunk goes out at once, and what its content
    # shows is reported (and a longer stream cut) instead.
    from statusguard.engine import shortcuts

    headers = [(b"Content-Type", b"text/plain"), (b"Content-Length", b"5"), DATE]
    eng, seen = engine(mode="fix")
    held = eng.exchange("GET", "1.1", PROFILES["gunicorn"], _Reader(), None)
    granian = eng.exchange("GET", "1.1", PROFILES["granian"], _Reader(), None)
    with shortcuts(shortcuts_on):
        assert held.start(200, headers) is HOLD
        assert granian.start(200, headers) is not HOLD
        assert granian.phase is Phase.BODY
        assert granian.chunk(b"hello!") == b"hello"  # cut at the declared length
        granian.end()
    assert [v.rule_id for v in seen] == ["content-length-mismatch"]
    assert not PROFILES["granian"].holds_head and PROFILES["gunicorn"].holds_head
