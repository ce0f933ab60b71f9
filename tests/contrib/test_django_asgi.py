"""Django's ASGI handler wrapped in ASGIStatusGuard, served by uvicorn (h11 and httptools).

The project (``tests/django_asgi_project``) is loaded only by the server processes: Django's
test clients strip 204/304 content themselves, so only the wire shows what the handler sends,
and this test process leaves Django's settings to the other test modules.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.servers import GetServer, serve_lazily
from support.wire import assert_wire_clean, exchange, wire_problems

ENV = {"DJANGO_SETTINGS_MODULE": "django_asgi_project.settings"}


@pytest.fixture(scope="module", params=("uvicorn-h11", "uvicorn-httptools"))
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def running(server_name: str) -> Iterator[GetServer]:
    with serve_lazily(server_name, "django_asgi_project.asgi", env=ENV) as get:
        yield get


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/deleted", 204, id="204 with content and CommonMiddleware's length"),
        pytest.param("/not-modified", 304, id="304 with Content-Length: 0"),
        pytest.param("/dated", 200, id="view-set Date"),
        pytest.param("/plain", 200, id="plain"),
    ],
)
def test_fix_mode_is_clean_on_the_wire(running: GetServer, path: str, status: int) -> None:
    ex = exchange(running("application"), "GET", path)
    assert_wire_clean(ex, expected_status=status, no_content=status != 200)


def test_the_guard_is_what_makes_the_django_204_clean(
    running: GetServer, server_name: str
) -> None:
    # HttpResponse(b"deleted", status=204) + CommonMiddleware: "Content-Length: 7" and the
    # content.  uvicorn-h11 raises on the content and drops the connection; uvicorn-httptools
    # sends the 7 bytes, which become the start of the next response.
    bare_server = running("bare")
    bare = exchange(bare_server, "GET", "/deleted", timeout=2)
    problems = wire_problems(bare, expected_status=204, no_content=True)
    assert "Content-Length on a 204" in problems
    assert "pipelined response missing (connection dropped or desynced)" in problems
    if server_name == "uvicorn-h11":
        assert bare.closed_by_peer
        assert bare_server.wait_for_log("Too much data for declared Content-Length")
    else:
        assert bare.protocol_error is not None and "deletedHTTP/1.1 200" in bare.protocol_error

    guarded_server = running("application")
    guarded = exchange(guarded_server, "GET", "/deleted")
    assert_wire_clean(guarded, expected_status=204, no_content=True)
    assert guarded_server.wait_for_log("[content-forbidden]")
    assert guarded_server.wait_for_log("[content-length-forbidden]")
