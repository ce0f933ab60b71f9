"""The WSGI guard on real servers: what reaches the wire.

Each server (gunicorn sync and gthread, wsgiref, the werkzeug dev server) is started once for
the module and serves :data:`apps.wsgi_guarded.mounted`: the raw routes app in fix mode under
``/fix``, in warn mode under ``/warn``, unguarded under ``/raw``, and the PEP 3333 extras
(``write()``, ``wsgi.file_wrapper``...) in fix mode under ``/extra``.  Every request is followed
by a pipelined ``GET /plain`` on the same connection and the bytes are parsed by h11 as the
client (:func:`support.wire.exchange`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
from apps.routes import DATE_1994, ROUTES, Route
from apps.wsgi_guarded import EXTRA_ROUTES
from support.servers import WSGI_SERVERS, Server, serve
from support.wire import Exchange, assert_wire_clean, date_lines, exchange, is_imf_fixdate

APP = "apps.wsgi_guarded:mounted"
_DATE_LINE = re.compile(rb"(?im)^(date:[ \t]*)[^\r\n]*")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    """Every WSGI server of the suite, started once for this module."""
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(name, APP)) for name in WSGI_SERVERS}


def params(routes: list[Route]) -> list[object]:
    return [
        pytest.param(server, route, id=f"{server}{route.path}")
        for server in WSGI_SERVERS
        for route in routes
    ]


def request(srv: Server, prefix: str, route: Route) -> Exchange:
    return exchange(srv, route.method, prefix + route.path)


@pytest.mark.parametrize(("server", "route"), params(ROUTES))
def test_fix_mode_puts_a_clean_response_on_the_wire(
    servers: dict[str, Server], server: str, route: Route
) -> None:
    ex = request(servers[server], "/fix", route)
    assert_wire_clean(ex, expected_status=route.status, no_content=route.no_content)


@pytest.mark.parametrize(("server", "route"), params(EXTRA_ROUTES))
def test_fix_mode_on_the_other_pep_3333_paths(
    servers: dict[str, Server], server: str, route: Route
) -> None:
    ex = request(servers[server], "/extra", route)
    assert_wire_clean(ex, expected_status=route.status, no_content=route.no_content)


def masked(raw: bytes) -> bytes:
    """The bytes of an exchange with every Date value blanked (the clock moves)."""
    return _DATE_LINE.sub(rb"\1-", raw)


@pytest.mark.parametrize(("server", "route"), params(ROUTES))
def test_warn_mode_leaves_the_wire_unchanged(
    servers: dict[str, Server], server: str, route: Route
) -> None:
    srv = servers[server]
    unguarded = request(srv, "/raw", route)
    warned = request(srv, "/warn", route)
    assert masked(warned.raw) == masked(unguarded.raw)


# What each server does with Date, seen through the guard in fix mode: the exact Date lines
# on the wire for an app that sets none, a valid one, two, and a malformed one.
SERVER = "server's"  # a valid IMF-fixdate of the current time, written by the server
DATES: dict[str, dict[str, list[str]]] = {
    # gunicorn drops the app's Date (it is in its hop-by-hop list) and writes its own.
    "gunicorn-sync": {
        "/plain": [SERVER],
        "/date-app": [SERVER],
        "/date-dup": [SERVER],
        "/date-bad": [SERVER],
    },
    "gunicorn-gthread": {
        "/plain": [SERVER],
        "/date-app": [SERVER],
        "/date-dup": [SERVER],
        "/date-bad": [SERVER],
    },
    # wsgiref writes its own only when the app sent none: a valid app Date goes out.
    "wsgiref": {
        "/plain": [SERVER],
        "/date-app": [DATE_1994],
        "/date-dup": [DATE_1994],
        "/date-bad": [SERVER],  # the guard's, in the server's place
    },
    # The werkzeug dev server always writes its own; the guard removes the app's.
    "werkzeug": {
        "/plain": [SERVER],
        "/date-app": [SERVER],
        "/date-dup": [SERVER],
        "/date-bad": [SERVER],
    },
}


@pytest.mark.parametrize(
    ("server", "path"),
    [pytest.param(s, p, id=f"{s}{p}") for s, paths in DATES.items() for p in paths],
)
def test_exactly_one_date_per_server(servers: dict[str, Server], server: str, path: str) -> None:
    ex = exchange(servers[server], "GET", "/fix" + path)
    assert ex.first is not None
    dates = [value.decode("latin-1") for value in date_lines(ex.first)]
    assert len(dates) == 1
    assert is_imf_fixdate(dates[0].encode("latin-1"))
    expected = DATES[server][path][0]
    if expected == SERVER:
        assert dates[0] != DATE_1994
    else:
        assert dates[0] == expected


def test_dates_table_covers_every_server() -> None:
    assert sorted(DATES) == sorted(WSGI_SERVERS)
