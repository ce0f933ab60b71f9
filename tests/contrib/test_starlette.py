"""A real Starlette app (:mod:`apps.starlette_app`) with ``Middleware(ASGIStatusGuard, ...)``,
through Starlette's TestClient and through uvicorn (h11 and httptools)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apps import starlette_app
from support.servers import GetServer, serve_lazily
from support.wire import assert_wire_clean, exchange, wire_problems

from statusguard import StatusGuardError, Violation

with warnings.catch_warnings():
    # Starlette 1.10 asks for the httpx2 fork and warns at import when it finds httpx 0.28 (the
    # pinned test dependency, still supported): a note about the client, not about the tests.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

# method, path, status, the rules the route breaks
ROUTES = [
    pytest.param("GET", "/null-204", 204, ("content-forbidden",), id="JSONResponse(None, 204)"),
    pytest.param("GET", "/not-modified", 304, (), id="304 keeping content-length"),
    # The app's Date beside uvicorn's own: the server-date-duplicate step, not a violation.
    pytest.param("GET", "/dated", 200, (), id="app-set Date"),
    pytest.param("GET", "/streamed-204", 204, ("content-forbidden",), id="streamed 204"),
    pytest.param("HEAD", "/items/3", 200, (), id="HEAD: the server drops the content"),
]


def call(app: Any, method: str, path: str) -> httpx.Response:
    # The 304 route answers the conditional GET a browser would send.
    headers = {"If-None-Match": '"v1"'} if path == "/not-modified" else {}
    with TestClient(app) as client:
        response: httpx.Response = client.request(method, path, headers=headers)
    return response


def test_fix_mode_through_the_test_client() -> None:
    seen: list[Violation] = []
    app = starlette_app.build(mode="fix", on_violation=seen.append)
    null = call(app, "GET", "/null-204")
    not_modified = call(app, "GET", "/not-modified")
    dated = call(app, "GET", "/dated")
    streamed = call(app, "GET", "/streamed-204")
    head = call(app, "HEAD", "/items/3")
    assert (null.status_code, null.content, null.headers.get("content-length")) == (204, b"", None)
    # The compatibility step for uvicorn-httptools (Content-Length is allowed on a 304).
    assert not_modified.headers.get("content-length") is None
    assert not_modified.headers["etag"] == '"v1"'
    assert "date" not in dated.headers  # the server adds its own (a compatibility step)
    assert (streamed.status_code, streamed.content) == (204, b"")
    assert head.headers["content-length"] == "6"  # what a GET would have had
    assert [(v.rule_id, v.fixed) for v in seen] == [
        ("content-forbidden", True),
        ("content-forbidden", True),
    ]


def test_without_the_guard_starlette_sends_the_content() -> None:
    assert call(starlette_app.bare, "GET", "/null-204").content == b"null"
    assert call(starlette_app.bare, "GET", "/streamed-204").content == b"first,second"


@pytest.mark.parametrize(("method", "path", "status", "rules"), ROUTES)
def test_strict_mode_raises_with_the_rule(
    method: str, path: str, status: int, rules: tuple[str, ...]
) -> None:
    app = starlette_app.build(mode="strict")
    if not rules:
        assert call(app, method, path).status_code == status
        return
    with pytest.raises(StatusGuardError) as raised:
        call(app, method, path)
    assert raised.value.rule_ids == rules


def test_reports_use_the_route_template(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="statusguard"):
        call(starlette_app.build(mode="warn"), "GET", "/items/3/secret")
    assert caplog.records[0].getMessage().endswith("[GET /items/{item_id:int}/secret]")


# -- uvicorn ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=("uvicorn-h11", "uvicorn-httptools"))
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def running(server_name: str) -> Iterator[GetServer]:
    with serve_lazily(server_name, "apps.starlette_app") as get:
        yield get


@pytest.mark.parametrize(("method", "path", "status", "rules"), ROUTES)
def test_fix_mode_is_clean_under_uvicorn(
    running: GetServer, method: str, path: str, status: int, rules: tuple[str, ...]
) -> None:
    ex = exchange(running("app"), method, path)
    no_content = status in (204, 304) or method == "HEAD"
    assert_wire_clean(ex, expected_status=status, no_content=no_content)


# What the same routes do under uvicorn without the guard.
UNGUARDED = {
    ("uvicorn-h11", "/null-204"): "pipelined response missing (connection dropped or desynced)",
    ("uvicorn-httptools", "/null-204"): (
        "pipelined response missing (connection dropped or desynced)"
    ),
    ("uvicorn-h11", "/dated"): "2 Date lines, expected exactly one",
    ("uvicorn-httptools", "/dated"): "2 Date lines, expected exactly one",
    ("uvicorn-httptools", "/not-modified"): (
        "pipelined response missing (connection dropped or desynced)"
    ),
}


@pytest.mark.parametrize("path", ["/null-204", "/dated", "/not-modified"])
def test_without_the_guard_uvicorn_shows_the_failures(
    running: GetServer, server_name: str, path: str
) -> None:
    status = {"/null-204": 204, "/dated": 200, "/not-modified": 304}[path]
    ex = exchange(running("bare"), "GET", path, timeout=2)
    problems = wire_problems(ex, expected_status=status, no_content=status != 200)
    expected = UNGUARDED.get((server_name, path))
    if expected is None:  # uvicorn-h11 frames a 304 without reading its Content-Length
        assert problems == []
    else:
        assert any(problem.startswith(expected) for problem in problems), ex.describe()
