"""``check`` returns exactly what the full path builds, however often a response repeats.

The reference is the full path itself (``check`` with the engine's shortcuts off: every rule
run on every response); ``check`` goes through the screen.  Nothing of a result is remembered.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusguard import check, responses
from statusguard.engine import force, headers_to_bytes, shortcuts
from statusguard.model import Head, Violation

_RUN = responses._run


def _uncached(
    status: Any,
    headers: list[Any],
    body: bytes,
    method: str = "GET",
    http_version: Any = "1.1",
    server_date: str = "never",
) -> list[Violation]:
    # The full path itself, as captured before any test counts its calls.
    with shortcuts(False):
        return _RUN(
            responses._CHECK, status, headers, body, method, http_version, server_date, None
        )[2]


NAMES = ["Content-Type", "Content-Length", "Date", "Location", "ETag", "WWW-Authenticate", "X-Id"]
VALUES = st.sampled_from(
    ["text/plain", "0", "4", "-3", "Sun, 06 Nov 1994 08:49:37 GMT", "yesterday", "/next", " x"]
)
HEADERS = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=4)
STATUSES = st.sampled_from(
    [200, 204, 301, 304, 401, 200.0, True, 1, "200 OK", "204 No Content", b"401 Unauthorized"]
)
CALLS = st.tuples(
    STATUSES,
    HEADERS,
    st.sampled_from([b"", b"null", b"Hello"]),
    st.sampled_from(["GET", "HEAD"]),
    st.sampled_from(["1.1", "1.0", 1, True]),
    st.sampled_from(["never", "always"]),
    st.booleans(),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(CALLS, min_size=1, max_size=8))
def test_check_returns_what_the_full_path_returns(
    calls: list[tuple[Any, list[tuple[str, str]], bytes, str, Any, str, bool]],
) -> None:
    # Each call twice, in a row and in another order: the repeats go through the screen.
    for status, headers, body, method, version, server_date, as_bytes in [*calls, *calls[::-1]]:
        lines: list[Any] = headers_to_bytes(headers) if as_bytes else list(headers)
        expected = _uncached(status, lines, body, method, version, server_date)
        for _ in range(2):
            got = check(
                status, lines, body, method=method, http_version=version, server_date=server_date
            )
            assert got == expected
            # Callers own the list they get: changing it changes nothing of the next result.
            got.append(_SENTINEL)
            got.reverse()


_SENTINEL = _uncached(401, [], b"")[0]


def test_a_repeated_response_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # No result is remembered: a repeat costs what the first sight costs (docs/performance.md).
    calls = _count_full_path(monkeypatch)
    headers = [("Content-Type", "text/plain"), ("Content-Length", "12")]
    first = check("401 Unauthorized", headers, b"Unauthorized")
    assert [v.rule_id for v in first] == ["date-missing", "www-authenticate-missing"]
    second = check("401 Unauthorized", headers, b"Unauthorized")
    assert second == first
    assert second is not first
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("one", "other"),
    [
        pytest.param({"status": 200}, {"status": 200.0}, id="200 and 200.0"),
        pytest.param({"status": 1}, {"status": True}, id="1 and True"),
        pytest.param({"http_version": 1}, {"http_version": True}, id="version 1 and True"),
        pytest.param({"http_version": 1}, {"http_version": 1.0}, id="version 1 and 1.0"),
    ],
)
def test_equal_arguments_of_other_types_are_not_confused(
    one: dict[str, Any], other: dict[str, Any]
) -> None:
    headers = [("Content-Type", "text/plain")]
    for kwargs in (one, other, one, other):
        options = {"status": 200, "http_version": "1.1", **kwargs}
        status = options.pop("status")
        expected = _uncached(status, headers, b"x", "GET", options["http_version"])
        assert check(status, headers, b"x", **options) == expected


def _count_full_path(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    run = responses._run

    def counted(*args: Any, **kwargs: Any) -> tuple[Head, bytes, list[Violation]]:
        calls.append(1)
        return run(*args, **kwargs)

    monkeypatch.setattr(responses, "_run", counted)
    return calls


def test_an_invalid_server_date_is_refused() -> None:
    check(401, [])
    with pytest.raises(Exception, match="server_date must be one of"):
        check(401, [], server_date="auto")


def test_force_changes_nothing_of_check() -> None:
    # ``force()`` recompiles registered guards; check's engine is not one, so its results do
    # not depend on it.
    headers = [("Content-Type", "text/plain")]
    before = check(401, headers, b"x")
    try:
        force(mode="strict", rules={"date-missing": "off"})
        assert check(401, headers, b"x") == before
        assert check(401, [*headers, ("X-Id", "1")], b"x") == _uncached(
            401, [*headers, ("X-Id", "1")], b"x"
        )
    finally:
        force()
    assert [v.rule_id for v in before] == ["date-missing", "www-authenticate-missing"]
