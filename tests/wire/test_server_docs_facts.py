"""What ``docs/servers.md`` and ``docs/servers-asgi.md`` say that no other test pins.

Every server of :data:`support.servers.EVERY_SERVER` serves this module's apps (the servers
import ``wire.test_server_docs_facts:wsgi_app`` / ``asgi_app``): the routes of
:mod:`apps.unguarded` (those of :mod:`apps.routes` and ``/connection-fields``) behind the guard
in fix mode, with ``server`` left to detection; ``/steps`` answers the guard's
``stats().steps``; under ``/raw/`` (ASGI) the same routes go out unguarded.  ``/padded`` (ASGI)
answers with a field value that has whitespace around it.

Pinned here, per server: the profile the guard detects and the compatibility steps it applied
to the routes (over HTTP/1.1 and, for hypercorn and granian, h2c); which ``Date`` reaches the
wire in fix mode; what uvicorn-h11 and hypercorn do with whitespace around a value; how
granian and hypercorn end a 304 over h2c; connection-specific fields over h2c behind the guard.
In process: what an unknown server (a test client) gets.  Each server runs once, for the tests
of its group, and is stopped before the next.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from apps import unguarded
from apps.routes import DATE_1994, ROUTES
from support.h2client import h2_exchange, h2_problems
from support.servers import EVERY_SERVER, H2C_SERVERS, Server, kind_of, serve
from support.wire import exchange, is_imf_fixdate

from statusguard.asgi import ASGIStatusGuard
from statusguard.wsgi import WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from apps.asgi_routes import Receive, Scope, Send

STEPS_PATH = "/steps"
PADDED = (b"x-padded", b" padded ")

# -- the apps the servers run ----------------------------------------------------------------


def _steps_json(guard: WSGIStatusGuard | ASGIStatusGuard) -> bytes:
    steps = guard.stats().steps
    return json.dumps(sorted([*key, count] for key, count in steps.items())).encode()


_wsgi_guard = WSGIStatusGuard(unguarded.wsgi, mode="fix")


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == STEPS_PATH:
        body = _steps_json(_wsgi_guard)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    return _wsgi_guard(environ, start_response)


async def _routes(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope["path"] == "/padded":
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"5"), PADDED]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"hello"})
        return
    await unguarded.asgi(scope, receive, send)


_asgi_guard = ASGIStatusGuard(_routes, mode="fix")


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope["path"] == STEPS_PATH:
        body = _steps_json(_asgi_guard)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "http" and scope["path"].startswith("/raw/"):
        await _routes({**scope, "path": scope["path"].removeprefix("/raw")}, receive, send)
    else:
        await _asgi_guard(scope, receive, send)


# -- the servers -----------------------------------------------------------------------------

H2 = {*H2C_SERVERS, "granian-wsgi"}  # h2c on the HTTP/1.1 port


@pytest.fixture(scope="module", params=EVERY_SERVER)
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def running(server_name: str) -> Iterator[Server]:
    with serve(server_name, f"wire.test_server_docs_facts:{kind_of(server_name)}_app") as srv:
        yield srv


def applied_steps(srv: Server) -> dict[str, set[tuple[str, int]]]:
    """The guard's ``stats().steps`` in the server: profile -> {(step, status)}."""
    ex = exchange(srv, "GET", STEPS_PATH, pipeline=None)
    assert ex.first is not None and ex.first.complete, ex.describe()
    found: dict[str, set[tuple[str, int]]] = {}
    for step, status, profile, _count in json.loads(ex.first.body):
        found.setdefault(profile, set()).add((step, status))
    return found


# -- detection and steps, per server ---------------------------------------------------------

DUPLICATE = ("server-date-duplicate", 200)  # /date-app, /date-dup
# (404: the readiness probe's GET /, before the tests)
MISSING = {("server-date-missing", status) for status in (200, 204, 205, 304, 404)}
HEAD = ("server-head-content", 200)  # /head-body
LENGTH_304 = ("server-304-content-length", 304)  # /304-cl
WHITESPACE = ("server-value-whitespace", 200)  # /padded

# The profile the guard detected under each server, and the steps it applied to the routes
# (plus /padded under ASGI); for h2c, what it detected over HTTP/2.
DETECTED: dict[str, dict[str, set[tuple[str, int]]]] = {
    "gunicorn-sync": {"gunicorn": {HEAD}},
    "gunicorn-gthread": {"gunicorn": {HEAD}},
    "wsgiref": {"wsgiref": {HEAD}},
    "werkzeug": {"werkzeug": {DUPLICATE, HEAD}},
    "waitress": {"waitress": {HEAD}},
    "cheroot": {"cheroot": {HEAD}},
    "granian-wsgi": {"granian": {HEAD}},
    "uwsgi": {"uwsgi": {*MISSING, HEAD}},
    "uvicorn-h11": {"uvicorn-h11": {DUPLICATE, WHITESPACE}},
    "uvicorn-httptools": {"uvicorn-httptools": {DUPLICATE, LENGTH_304}},
    "hypercorn": {"hypercorn": {DUPLICATE, WHITESPACE}},
    "granian-asgi": {},  # over HTTP/1.1 granian needs nothing of the guard
    "daphne": {"daphne": {*MISSING, HEAD}},
    # uvicorn_worker runs uvicorn's httptools protocol: the same profile
    "gunicorn-uvicorn": {"uvicorn-httptools": {DUPLICATE, LENGTH_304}},
}
DETECTED_H2: dict[str, dict[str, set[tuple[str, int]]]] = {
    "hypercorn": {"hypercorn-h2": {DUPLICATE, LENGTH_304}},
    "granian-asgi": {"granian-h2": {HEAD, LENGTH_304}},
    "granian-wsgi": {"granian-h2": {HEAD, LENGTH_304}},
}


def paths(kind: str) -> list[tuple[str, str]]:
    extra = [("GET", "/padded")] if kind == "asgi" else []
    return [(route.method, route.path) for route in ROUTES] + extra


def test_detected_profile_and_steps(running: Server, server_name: str) -> None:
    for method, path in paths(kind_of(server_name)):
        ex = exchange(running, method, path, pipeline=None)
        assert ex.first is not None and ex.first.complete, ex.describe()
    if server_name in H2:
        for method, path in paths(kind_of(server_name)):
            h2 = h2_exchange(running, method, path, follow_up=None)
            assert h2.first.ended, h2.describe()
    # (the other tests of this server add no step these routes do not)
    assert applied_steps(running) == DETECTED[server_name] | DETECTED_H2.get(server_name, {})


def test_every_server_has_its_row() -> None:
    assert set(DETECTED) == set(EVERY_SERVER)
    assert set(DETECTED_H2) == H2


# -- which Date reaches the wire in fix mode ---------------------------------------------------

APP = DATE_1994  # the application's valid Date
NOW = "now"  # a valid IMF-fixdate of the current time: the server's, or the guard's
KEEPS_A_VALID_APP_DATE = {  # /plain, /date-app, /date-dup, /date-bad
    "/plain": NOW,
    "/date-app": APP,
    "/date-dup": APP,  # the first valid one of two
    "/date-bad": NOW,  # the guard's, in the place of "yesterday"
}
SERVERS_OWN = dict.fromkeys(KEEPS_A_VALID_APP_DATE, NOW)
# if-absent and never (the guard adds the missing one): the app's valid Date goes out;
# always and replace: the server's.
DATES = {
    "gunicorn-sync": SERVERS_OWN,
    "gunicorn-gthread": SERVERS_OWN,
    "wsgiref": KEEPS_A_VALID_APP_DATE,
    "werkzeug": SERVERS_OWN,
    "waitress": KEEPS_A_VALID_APP_DATE,
    "cheroot": KEEPS_A_VALID_APP_DATE,
    "granian-wsgi": KEEPS_A_VALID_APP_DATE,
    "uwsgi": KEEPS_A_VALID_APP_DATE,
    "uvicorn-h11": SERVERS_OWN,
    "uvicorn-httptools": SERVERS_OWN,
    "hypercorn": SERVERS_OWN,
    "granian-asgi": KEEPS_A_VALID_APP_DATE,
    "daphne": KEEPS_A_VALID_APP_DATE,
    "gunicorn-uvicorn": SERVERS_OWN,
}
DATES_H2 = {
    "hypercorn": SERVERS_OWN,
    "granian-asgi": KEEPS_A_VALID_APP_DATE,
    "granian-wsgi": KEEPS_A_VALID_APP_DATE,
}


def one_date(values: list[bytes]) -> str:
    assert len(values) == 1, values
    value = values[0].decode("latin-1")
    assert is_imf_fixdate(values[0]), value
    return value if value == APP else NOW


def test_which_date_reaches_the_wire(running: Server, server_name: str) -> None:
    for path, expected in DATES[server_name].items():
        ex = exchange(running, "GET", path, pipeline=None)
        assert ex.first is not None, ex.describe()
        assert one_date(ex.first.raw_values(b"date")) == expected, (path, ex.describe())
    for path, expected in DATES_H2.get(server_name, {}).items():
        h2 = h2_exchange(running, "GET", path, follow_up=None)
        assert one_date(h2.first.values(b"date")) == expected, (path, h2.describe())


def test_every_server_has_its_dates() -> None:
    assert set(DATES) == set(EVERY_SERVER)
    assert set(DATES_H2) == H2


# -- h11's whitespace, h2's 304 --------------------------------------------------------------

ASGI_SERVERS = [name for name in EVERY_SERVER if kind_of(name) == "asgi"]


@pytest.mark.parametrize("server_name", ASGI_SERVERS, indirect=True)
def test_h11_refuses_surrounding_whitespace(running: Server, server_name: str) -> None:
    # HTTP/1.1 lets a field line carry whitespace around its value (RFC 9112 §5).  h11 refuses
    # to send it ("Illegal header value"): uvicorn-h11 answers nothing at all, and the
    # server-value-whitespace step strips it.  hypercorn strips every name and value itself
    # before h11 sees them (0.18.0, hypercorn.utils.build_and_validate_headers).
    mark = running.log_mark()
    bare = exchange(running, "GET", "/raw/padded", pipeline=None, timeout=2)
    guarded = exchange(running, "GET", "/padded", pipeline=None)
    assert guarded.first is not None and guarded.first.status == 200, guarded.describe()
    assert guarded.first.header_values(PADDED[0]) == [PADDED[1].strip()]
    if server_name == "uvicorn-h11":
        assert bare.raw == b"" and bare.closed_by_peer, bare.describe()
        assert running.wait_for_log("Illegal header value", since=mark), running.logs(mark)
        return
    assert bare.first is not None and bare.first.status == 200, bare.describe()
    if server_name == "hypercorn":
        assert PADDED[0] + b": padded\r\n" in bare.first.raw_head, bare.describe()


@pytest.mark.parametrize("server_name", sorted(H2C_SERVERS), indirect=True)
def test_h2_refuses_a_304_length_only_when_a_data_frame_ends_it(
    running: Server, server_name: str
) -> None:
    # A 304 with content-length: 5 and no content, unguarded.  hypercorn ends the stream with
    # an empty DATA frame, and h2 then checks the length ("Expected 5 bytes, received 0");
    # granian ends it on the HEADERS frame, and h2 accepts it.
    h2 = h2_exchange(running, "GET", "/raw/304-cl", follow_up=None)
    assert h2.first.values(b"content-length") == [b"5"]
    first_frames = [frame for frame in h2.frames if frame.split()[1:2] == ["1"]]
    if server_name == "hypercorn":
        assert first_frames == ["HEADERS 1 END_HEADERS", "DATA 1 END_STREAM"]
        assert "Expected 5 bytes, received 0" in (h2.client_error or "")
    else:
        assert first_frames == ["HEADERS 1 END_HEADERS,END_STREAM"]
        assert h2.client_error is None


@pytest.mark.parametrize("server_name", sorted(H2), indirect=True)
def test_connection_specific_fields_are_removed_over_h2(running: Server, server_name: str) -> None:
    # An app written for HTTP/1.1 sends Connection, Keep-Alive, Proxy-Connection, Upgrade;
    # both servers strip them over h2c on their own (H[*/connection-fields]); so does the
    # guard (connection-specific-field; hop-by-hop-field under WSGI).
    path = unguarded.CONNECTION_FIELDS.path
    h2 = h2_exchange(running, "GET", path)
    assert h2_problems(h2, expected_status=200, no_content=False) == [], h2.describe()
    assert h2.first.connection_specific == []


# -- an unknown server: a test client ----------------------------------------------------------


def _date_app(date: str | None) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        headers = [("Content-Type", "text/plain")]
        if date is not None:
            headers.append(("Date", date))
        start_response("200 OK", headers)
        return [b"hello"]

    return app


DATE_PARAMS = [pytest.param(None, NOW, id="no Date"), pytest.param(APP, APP, id="a valid Date")]


@pytest.mark.parametrize(("date", "expected"), DATE_PARAMS)
def test_an_unknown_wsgi_server_gets_a_date_where_the_app_sent_none(
    date: str | None, expected: str
) -> None:
    from werkzeug.test import Client  # (not in the servers that import this module)

    guard = WSGIStatusGuard(_date_app(date), mode="fix")
    response = Client(guard).get("/")  # werkzeug's test client sets no SERVER_SOFTWARE
    assert one_date([v.encode() for v in response.headers.getlist("Date")]) == expected
    added = {("server-date-missing", 200, "wsgi"): 1} if date is None else {}
    assert guard.stats().steps == added


@pytest.mark.parametrize(("date", "expected"), DATE_PARAMS)
def test_an_unknown_asgi_server_gets_a_date_where_the_app_sent_none(
    date: str | None, expected: str
) -> None:
    import httpx  # (not in the servers that import this module)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/plain")]
        if date is not None:
            headers.append((b"date", date.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"hello"})

    guard = ASGIStatusGuard(app, mode="fix")

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=guard)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/")

    response = asyncio.run(get())
    assert one_date([v.encode() for v in response.headers.get_list("date")]) == expected
    steps: dict[Any, int] = {("server-date-missing", 200, "asgi"): 1} if date is None else {}
    assert guard.stats().steps == steps
