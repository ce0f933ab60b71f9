"""ASGIStatusGuard on the wire: uvicorn (``--http h11``, ``--http httptools``) and hypercorn.

Every route of :mod:`apps.routes` is sent by a raw-socket client followed by a pipelined
``GET /plain`` and parsed with h11 as the client (:mod:`support.wire`).  The same raw ASGI app
runs unguarded (``apps.asgi_routes:app``) and behind the guard in each mode
(``apps.asgi_guarded:fix`` / ``warn`` / ``strict``); a Flask app mounted with asgiref's
``WsgiToAsgi`` shows the ``Date`` that ``send_file`` sets.  Each (server, app) is started once
per module, on first use; the tests are grouped by server, so only one server's processes run
at a time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

import pytest
from apps.routes import ROUTES, ROUTES_BY_PATH, Route
from support.servers import ASGI_SERVERS, Server, serve
from support.wire import Exchange, assert_wire_clean, exchange, wire_problems

APPS = {
    "unguarded": "apps.asgi_routes:app",
    "fix": "apps.asgi_guarded:fix",
    "warn": "apps.asgi_guarded:warn",
    "strict": "apps.asgi_guarded:strict",
    "flask": "apps.flask_asgi:bare",
    "flask-guarded": "apps.flask_asgi:guarded",
}

# The rules the guard reports on each route (fix mode fixes all but content-type-missing).
EXPECTED_RULES: dict[str, tuple[str, ...]] = {
    "/plain": (),
    "/204-body": ("content-forbidden",),
    "/204-cl": ("content-length-forbidden", "content-forbidden"),
    "/204-cl-nobody": ("content-length-forbidden",),
    "/205-body": ("content-forbidden",),
    "/205-stale-cl": ("content-forbidden",),
    "/304-body": ("not-modified-representation-fields", "content-forbidden"),
    "/304-cl": (),  # Content-Length on a 304 is allowed (RFC 9110 §8.6)
    "/head-body": (),  # ASGI servers drop a HEAD response's content themselves
    "/cl-te": ("content-length-with-transfer-encoding",),
    "/cl-conflict": ("content-length-invalid", "content-type-missing"),
    "/cl-long": ("content-length-mismatch",),
    "/cl-short": ("content-length-mismatch",),
    "/crlf": ("field-value-invalid",),
    "/bad-name": ("field-name-invalid",),
    # The app's valid Date beside the server's own: the server-date-duplicate step's, not a
    # violation of the app.  Two Dates, or an invalid one, are the app's.
    "/date-app": (),
    "/date-dup": ("field-duplicate",),
    "/date-bad": ("date-invalid",),
    "/stream-long": ("content-length-mismatch",),
    "/stream-204": ("content-forbidden",),
    "/stream-404": (),
}

# Decided only once the head is out (the third chunk overflows Content-Length).
AFTER_THE_HEAD = {"/stream-long"}

GetServer = Callable[[str], Server]


def route_params(routes: list[Route]) -> list[object]:
    return [pytest.param(route, id=route.path.lstrip("/")) for route in routes]


@pytest.fixture(scope="module", params=ASGI_SERVERS)
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def running(server_name: str) -> Iterator[GetServer]:
    """Start ``server_name`` with each app on first use; stop them all when the server
    changes (pytest groups the tests by the module-scoped parameter)."""
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}

        def get(app: str) -> Server:
            if app not in servers:
                servers[app] = stack.enter_context(serve(server_name, APPS[app]))
            return servers[app]

        yield get


def test_every_route_has_its_expected_rules() -> None:
    assert set(EXPECTED_RULES) == set(ROUTES_BY_PATH)


@pytest.mark.parametrize("route", route_params(ROUTES))
def test_fix_mode_is_clean_on_the_wire(running: GetServer, route: Route) -> None:
    ex = exchange(running("fix"), route.method, route.path)
    assert_wire_clean(ex, expected_status=route.status, no_content=route.no_content)


def test_fix_mode_logs_what_it_fixed(running: GetServer) -> None:
    srv = running("fix")
    for route in ROUTES:
        exchange(srv, route.method, route.path)
    for path, rule_ids in EXPECTED_RULES.items():
        for rule_id in rule_ids:
            line = f"[{rule_id}]"
            assert srv.wait_for_log(line), f"{line} for {path} not in the log:\n{srv.logs()}"
    assert "Exception in ASGI application" not in srv.logs()
    assert "Traceback" not in srv.logs()


_DATE_LINE = re.compile(rb"(?im)^date: [^\r\n]*")


def same_bytes(ex: Exchange) -> bytes:
    """The raw bytes of an exchange with the server's Date values blanked out."""
    return _DATE_LINE.sub(b"date: -", ex.raw)


# Warn mode holds no start (nothing of it will change): a server that refuses the start itself
# ends the response before the content comes, so what only the content shows is never seen.
# h11 refuses two different Content-Length lines ("conflicting Content-Length headers").
REFUSED_AT_START = {("uvicorn-h11", "/cl-conflict"), ("hypercorn", "/cl-conflict")}
SHOWN_BY_CONTENT = {"content-type-missing"}


@pytest.mark.parametrize("route", route_params(ROUTES))
def test_warn_mode_puts_the_same_bytes_on_the_wire_as_no_guard(
    running: GetServer, server_name: str, route: Route
) -> None:
    warned = exchange(running("warn"), route.method, route.path, timeout=2)
    bare = exchange(running("unguarded"), route.method, route.path, timeout=2)
    assert same_bytes(warned) == same_bytes(bare)
    srv = running("warn")
    expected = list(EXPECTED_RULES[route.path])
    if (server_name, route.path) in REFUSED_AT_START:
        expected = [rule_id for rule_id in expected if rule_id not in SHOWN_BY_CONTENT]
    for rule_id in expected:
        assert srv.wait_for_log(f"[{rule_id}]"), f"[{rule_id}] not in the log:\n{srv.logs()}"


STRICT_ROUTES = [r for r in ROUTES if EXPECTED_RULES[r.path] and r.path not in AFTER_THE_HEAD]


@pytest.mark.parametrize("route", route_params(STRICT_ROUTES))
def test_strict_mode_makes_the_server_answer_500(running: GetServer, route: Route) -> None:
    srv = running("strict")
    ex = exchange(srv, route.method, route.path)
    assert ex.first is not None
    assert ex.first.status == 500, ex.describe()
    assert ex.first.complete
    rule_id = EXPECTED_RULES[route.path][0]
    assert srv.wait_for_log("StatusGuardError"), srv.logs()
    assert srv.wait_for_log(f"[{rule_id}]"), srv.logs()
    assert srv.wait_for_log(f"in the response to {route.method} {route.path}:"), srv.logs()


def test_strict_mode_after_the_head_ends_the_response_cleanly(running: GetServer) -> None:
    # The head (Content-Length: 5) went out with the first chunk; the overflow shows on the
    # second.  Raising then would leave the server a half-sent response (a dropped connection,
    # the pipelined request lost): strict mode cuts the content at its Content-Length, as fix
    # mode does, and reports the violation loudly instead.
    srv = running("strict")
    mark = srv.log_mark()
    ex = exchange(srv, "GET", "/stream-long")
    assert_wire_clean(ex, expected_status=200, no_content=False)
    assert ex.first is not None and ex.first.body == b"one-t"
    assert srv.wait_for_log("[content-length-mismatch]", since=mark), srv.logs(mark)
    assert srv.wait_for_log("ended the response cleanly", since=mark), srv.logs(mark)
    assert "StatusGuardError" not in srv.logs(mark)


# -- guarded and unguarded side by side ------------------------------------------------------
#
# What each server does with the classic bug, a 204 with "Content-Length: 5" and a body:
#   uvicorn-h11        h11 raises "Too much data for declared Content-Length" after the head
#                      went out; the connection is dropped and the pipelined GET never answered;
#   uvicorn-httptools  writes the 5 body bytes after the 204: they are read as the start of the
#                      next response, which is desynchronised;
#   hypercorn          drops the body but keeps "Content-Length: 5" on the 204.
# Behind the guard in fix mode every server sends a clean 204 and answers the pipelined GET.

UNGUARDED_204_CL = {
    "uvicorn-h11": ["pipelined response missing (connection dropped or desynced)"],
    "uvicorn-httptools": ["pipelined response missing (connection dropped or desynced)"],
    "hypercorn": ["Content-Length on a 204"],
}


def test_the_guard_is_what_makes_a_204_with_content_length_clean(
    running: GetServer, server_name: str
) -> None:
    route = ROUTES_BY_PATH["/204-cl"]
    bare_server = running("unguarded")
    bare = exchange(bare_server, "GET", route.path, timeout=2)
    guarded = exchange(running("fix"), "GET", route.path)

    problems = wire_problems(bare, expected_status=204, no_content=True)
    for expected in UNGUARDED_204_CL[server_name]:
        assert expected in problems, bare.describe()
    if server_name == "uvicorn-h11":
        assert bare_server.wait_for_log("Too much data for declared Content-Length")
        assert bare.closed_by_peer and len(bare.responses) == 1
    elif server_name == "uvicorn-httptools":
        assert bare.protocol_error is not None and "helloHTTP/1.1 200" in bare.protocol_error
        assert not bare.closed_by_peer  # the connection lives on, out of step
    else:
        assert bare.first is not None and bare.first.raw_values(b"content-length") == [b"5"]

    assert_wire_clean(guarded, expected_status=204, no_content=True)


def test_uvicorn_httptools_needs_the_304_content_length_removed(
    running: GetServer, server_name: str
) -> None:
    # A 304 with Content-Length: 5 and (correctly) no body: RFC 9110 §8.6 allows the field, but
    # uvicorn-httptools frames the 304 by it and drops the connection when no bytes come
    # ("Response content shorter than Content-Length").  Fix mode removes it there (the
    # server-304-content-length step of its profile), and leaves it where it is fine.
    bare_server = running("unguarded")
    bare = exchange(bare_server, "GET", "/304-cl", timeout=2)
    fixed = exchange(running("fix"), "GET", "/304-cl")
    if server_name == "uvicorn-httptools":
        assert bare.closed_by_peer and len(bare.responses) == 1, bare.describe()
        assert bare_server.wait_for_log("Response content shorter than Content-Length")
    else:
        assert_wire_clean(bare, expected_status=304, no_content=True)
    assert_wire_clean(fixed, expected_status=304, no_content=True)
    assert fixed.first is not None
    expected = [] if server_name == "uvicorn-httptools" else [b"5"]
    assert fixed.first.raw_values(b"content-length") == expected


def test_flask_send_file_through_wsgi_to_asgi_gets_one_date(
    running: GetServer, server_name: str
) -> None:
    # Flask's send_file sets Date (werkzeug's make_conditional); the ASGI server adds its own.
    # Sent without a pipelined request: asgiref 3.13's WsgiToAsgi fails the second request of
    # a connection under uvicorn ("CurrentThreadExecutor already quit or is broken"), guard or
    # not, which is not what this test is about.
    bare = exchange(running("flask"), "GET", "/report.txt", pipeline=None)
    assert bare.first is not None
    assert len(bare.first.raw_values(b"date")) == 2, bare.describe()

    guarded_server = running("flask-guarded")
    guarded = exchange(guarded_server, "GET", "/report.txt", pipeline=None)
    assert_wire_clean(guarded, expected_status=200, no_content=False)
    assert guarded.first is not None and guarded.first.body == b"quarterly report"
    # Not the application's violation: the server's compatibility step, logged once.
    assert guarded_server.wait_for_log("[server-date-duplicate]")
