"""The FastAPI example (``examples/fastapi_app.py``) through its TestClient and through uvicorn.

Starlette's TestClient does not strip content from a 204, so what the middleware sends is
visible there; the wire (uvicorn with h11 and with httptools) shows what the servers make of
it.  Every statement in the example's docstring is checked here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response
from support.servers import SRC_DIR, TESTS_DIR, Server, serve
from support.wire import assert_wire_clean, exchange, wire_problems

from statusguard import StatusGuardError, Violation
from statusguard.asgi import ASGIStatusGuard

with warnings.catch_warnings():
    # Starlette 1.10 asks for the httpx2 fork and warns at import when it finds httpx 0.28 (the
    # pinned test dependency, still supported): a note about the client, not about the tests.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"

# (method, path, status) of the example's routes, and the rules each one breaks.
ROUTES = [
    pytest.param("DELETE", "/items/1", 204, (), id="204 route returning a dict"),
    pytest.param(
        "POST", "/items/1/archive", 204, ("content-forbidden",), id="Response(204, content)"
    ),
    pytest.param(
        "PUT", "/items/1/reset", 205, ("content-forbidden",), id="205 stale content-length"
    ),
    pytest.param("GET", "/me", 401, ("www-authenticate-missing",), id="401 without challenge"),
]


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app", EXAMPLES_DIR / "fastapi_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rule_ids(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The rules of the violations logged (not the compatibility steps' records)."""
    return [
        getattr(r, "statusguard_rule", "")
        for r in caplog.records
        if r.name == "statusguard" and getattr(r, "statusguard_event", "") == "violation"
    ]


def call(app: Any, method: str, path: str) -> httpx.Response:
    with TestClient(app) as client:
        response: httpx.Response = client.request(method, path)
    return response


# -- TestClient ------------------------------------------------------------------------------


def test_fix_mode_through_the_test_client(
    example: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    app = example.create_app("fix")
    with caplog.at_level(logging.INFO, logger="statusguard"):
        deleted = call(app, "DELETE", "/items/1")
        archived = call(app, "POST", "/items/1/archive")
        reset = call(app, "PUT", "/items/1/reset")
        me = call(app, "GET", "/me")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (archived.status_code, archived.content) == (204, b"")
    assert "content-length" not in archived.headers
    assert (reset.status_code, reset.content, reset.headers["content-length"]) == (205, b"", "0")
    assert me.status_code == 401 and "www-authenticate" not in me.headers  # never invented
    assert rule_ids(caplog) == [
        "content-forbidden",
        "content-forbidden",
        "www-authenticate-missing",
    ]


def test_without_the_guard_the_test_client_shows_the_bugs(example: ModuleType) -> None:
    archived = call(example.bare, "POST", "/items/1/archive")
    reset = call(example.bare, "PUT", "/items/1/reset")
    assert (archived.status_code, archived.content) == (204, b"archived 1")
    assert (reset.status_code, reset.headers["content-length"], reset.content) == (205, "4", b"")


@pytest.mark.parametrize(("method", "path", "status", "rules"), ROUTES)
def test_warn_mode_sends_what_fastapi_built(
    example: ModuleType,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    status: int,
    rules: tuple[str, ...],
) -> None:
    bare = call(example.bare, method, path)
    with caplog.at_level(logging.INFO, logger="statusguard"):
        warned = call(example.create_app("warn"), method, path)
    assert warned.status_code == bare.status_code == status
    assert warned.headers == bare.headers
    assert warned.content == bare.content
    assert tuple(rule_ids(caplog)) == rules


@pytest.mark.parametrize(("method", "path", "status", "rules"), ROUTES)
def test_strict_mode_raises_with_the_rule(
    example: ModuleType, method: str, path: str, status: int, rules: tuple[str, ...]
) -> None:
    app = example.create_app("strict")
    if not rules:
        assert call(app, method, path).status_code == status
        return
    with pytest.raises(StatusGuardError) as raised:
        call(app, method, path)
    assert raised.value.rule_ids == rules
    assert raised.value.request.endswith(path.replace("/1", "/{item_id}"))


def test_add_middleware_takes_the_guard_options() -> None:
    seen: list[Violation] = []
    app = FastAPI()

    @app.get("/gone", status_code=204)
    def gone() -> Response:
        return Response(b"still here", status_code=204)

    app.add_middleware(ASGIStatusGuard, mode="fix", on_violation=seen.append)
    assert call(app, "GET", "/gone").content == b""
    assert [(v.rule_id, v.fixed) for v in seen] == [("content-forbidden", True)]


def test_reports_use_the_route_template(
    example: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="statusguard"):
        call(example.create_app("fix"), "POST", "/items/42/archive")
    (first, *_) = [r for r in caplog.records if getattr(r, "statusguard_event", "") == "violation"]
    assert first.getMessage().endswith("[POST /items/{item_id}/archive]")


# -- uvicorn ---------------------------------------------------------------------------------

UVICORN = ("uvicorn-h11", "uvicorn-httptools")
GetServer = Callable[[str], Server]


@pytest.fixture(scope="module", params=UVICORN)
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def running(server_name: str) -> Iterator[GetServer]:
    """``running(mode)``: the example served by this uvicorn, started once per mode."""
    pythonpath = os.pathsep.join(map(str, (TESTS_DIR, SRC_DIR, EXAMPLES_DIR)))
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}

        def get(mode: str) -> Server:
            if mode not in servers:
                env = {"PYTHONPATH": pythonpath, "STATUSGUARD_MODE": mode}
                attr = "bare" if mode == "bare" else "app"
                servers[mode] = stack.enter_context(
                    serve(server_name, f"fastapi_app:{attr}", env=env)
                )
            return servers[mode]

        yield get


@pytest.mark.parametrize(("method", "path", "status", "rules"), ROUTES)
def test_fix_mode_is_clean_under_uvicorn(
    running: GetServer, method: str, path: str, status: int, rules: tuple[str, ...]
) -> None:
    ex = exchange(running("fix"), method, path)
    assert_wire_clean(ex, expected_status=status, no_content=status in (204, 205))


# What uvicorn logs when it drops the connection on the unguarded example.
UNGUARDED_ERRORS = {
    ("uvicorn-h11", "/items/1/archive"): "Too much data for declared Content-Length",
    ("uvicorn-httptools", "/items/1/archive"): "Response content longer than Content-Length",
    ("uvicorn-h11", "/items/1/reset"): "Too little data for declared Content-Length",
    ("uvicorn-httptools", "/items/1/reset"): "Response content shorter than Content-Length",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("POST", "/items/1/archive", 204, id="204 with content"),
        pytest.param("PUT", "/items/1/reset", 205, id="205 with a stale content-length"),
    ],
)
def test_without_the_guard_uvicorn_drops_the_connection(
    running: GetServer, server_name: str, method: str, path: str, status: int
) -> None:
    srv = running("bare")
    ex = exchange(srv, method, path, timeout=2)
    assert "pipelined response missing (connection dropped or desynced)" in wire_problems(
        ex, expected_status=status, no_content=True
    )
    assert ex.closed_by_peer
    assert srv.wait_for_log(UNGUARDED_ERRORS[server_name, path]), srv.logs()


@pytest.mark.parametrize(("method", "path", "status", "rules"), ROUTES)
def test_strict_mode_under_uvicorn_answers_500(
    running: GetServer, method: str, path: str, status: int, rules: tuple[str, ...]
) -> None:
    srv = running("strict")
    ex = exchange(srv, method, path)
    assert ex.first is not None
    if not rules:
        assert_wire_clean(ex, expected_status=status, no_content=True)
        return
    assert ex.first.status == 500
    assert srv.wait_for_log("StatusGuardError"), srv.logs()
    assert srv.wait_for_log(f"[{rules[0]}]"), srv.logs()
