"""What each server reveals about itself to the application, per request: detection signals.

The probe apps (:mod:`apps.probe`) answer with a description of their WSGI ``environ`` and
``start_response``, or their ASGI ``scope``, ``receive`` and ``send``; each server of
:data:`support.servers.EVERY_SERVER` runs them for real (the processes of the unguarded wire
tests, ``tests/wire/conftest.py``, which serve the probe beside the routes) and the tables
below pin what was seen, server versions included.

Where the guard usually stands matters, so the probe is asked twice: as the app itself, and
where ``WSGIStatusGuard`` / ``ASGIStatusGuard`` stand in a framework app (Flask's
``app.wsgi_app``; Starlette's ``app.add_middleware``).  Flask hands the server's
``start_response`` through; Starlette wraps ``send`` (its ``ServerErrorMiddleware``) but not
``receive`` and not the scope.

The probe also runs the guard's own detection (``statusguard.servers.wsgi_profile`` and
``asgi_profile``) on the objects the server handed it, so the tables at the end pin which
profile each server gets, in both positions (gunicorn's ``UvicornWorker`` runs uvicorn's
httptools protocol, and is named so).
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from apps.probe import CLOSE_PATH, FRAMEWORK_PATH, PROBE_MARKER
from support.h2client import h2_exchange
from support.servers import (
    EVERY_ASGI_SERVER,
    EVERY_SERVER,
    EVERY_WSGI_SERVER,
    H2C_SERVERS,
    GetServer,
    Server,
)
from support.wire import exchange

Report = dict[str, Any]
Described = tuple[str, str | None, str | None, str | None]  # type, module, qualname, self type
PEP3333_KEYS = frozenset(
    {"wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors"}
    | {"wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"}
)
H2_OVER_PLAIN_PORT = (*H2C_SERVERS, "granian-wsgi")


@dataclass
class Probed:
    """Everything one server told the probe."""

    port: int
    app: Report  # the probe as the app
    framework: Report  # the probe inside Flask / Starlette
    h2: Report | None  # the probe over h2c, where the server speaks it on the same port
    close_lines: list[bytes]  # Connection lines on the wire when the app sent "Connection: close"
    closed_after: bool  # ... and the server then closed the connection (no pipelined reply)


def _probe(srv: Server) -> Probed:
    app = exchange(srv, "GET", "/probe?x=1", pipeline=None)
    framework = exchange(srv, "GET", f"{FRAMEWORK_PATH}/probe", pipeline=None)
    close = exchange(srv, "GET", CLOSE_PATH)
    h2 = None
    if srv.name in H2_OVER_PLAIN_PORT:
        h2 = json.loads(h2_exchange(srv, "GET", "/probe", follow_up=None).first.data)
    for ex in (app, framework, close):
        assert ex.first is not None and ex.first.complete, ex.describe()
    assert app.first is not None and framework.first is not None and close.first is not None
    return Probed(
        port=srv.port,
        app=json.loads(app.first.body),
        framework=json.loads(framework.first.body),
        h2=h2,
        close_lines=close.first.raw_values(b"connection"),
        closed_after=len(close.responses) == 1 and close.closed_by_peer,
    )


@pytest.fixture(scope="module")
def probed(unguarded: GetServer) -> Callable[[str], Probed]:
    """``probed(name)``: what the server told the probe, asked once per module."""
    cache: dict[str, Probed] = {}

    def get(name: str) -> Probed:
        if name not in cache:
            cache[name] = _probe(unguarded(name))
        return cache[name]

    return get


def callable_of(described: Report) -> Described:
    return (described["type"], described["module"], described["qualname"], described["self_type"])


# --------------------------------------------------------------------------------------------
# WSGI


@dataclass(frozen=True)
class WSGISeen:
    software: str | None  # SERVER_SOFTWARE (None: not set)
    keys: frozenset[str]  # environ keys with a dot, outside wsgi.*: the server's own
    wsgi_keys: frozenset[str]  # wsgi.* keys beyond PEP 3333's seven
    start_response: Described
    copies_os_environ: bool  # the server's process environment is in every environ
    close_lines: tuple[bytes, ...]  # the app's "Connection: close" became these lines
    closed_after: bool


FW = frozenset({"wsgi.file_wrapper"})
TERMINATED = frozenset({"wsgi.input_terminated"})
METHOD, FUNCTION = "builtins.method", "builtins.function"

WSGI_SEEN: dict[str, WSGISeen] = {
    "gunicorn-sync": WSGISeen(
        "gunicorn/27.0.1",
        frozenset({"gunicorn.socket"}),
        FW | TERMINATED | {"wsgi.early_hints"},
        (METHOD, "gunicorn.http.wsgi", "Response.start_response", "gunicorn.http.wsgi.Response"),
        copies_os_environ=False,
        close_lines=(b"close",),  # its own: the sync worker closes every connection
        closed_after=True,
    ),
    "gunicorn-gthread": WSGISeen(
        "gunicorn/27.0.1",
        frozenset({"gunicorn.socket"}),
        FW | TERMINATED | {"wsgi.early_hints"},
        (METHOD, "gunicorn.http.wsgi", "Response.start_response", "gunicorn.http.wsgi.Response"),
        copies_os_environ=False,
        close_lines=(b"keep-alive",),  # the app's line dropped (hop-by-hop)
        closed_after=False,
    ),
    "wsgiref": WSGISeen(
        "WSGIServer/0.2",
        frozenset(),
        FW,
        (
            METHOD,
            "wsgiref.handlers",
            "BaseHandler.start_response",
            "wsgiref.simple_server.ServerHandler",
        ),
        copies_os_environ=True,
        close_lines=(),  # 500: wsgiref asserts an app sends no hop-by-hop field
        closed_after=True,
    ),
    "werkzeug": WSGISeen(
        "Werkzeug/3.1.9",
        frozenset({"werkzeug.socket"}),
        frozenset(),
        (
            FUNCTION,
            "werkzeug.serving",
            "WSGIRequestHandler.run_wsgi.<locals>.start_response",
            None,
        ),
        copies_os_environ=False,
        close_lines=(b"close", b"close"),  # the app's and its own
        closed_after=True,
    ),
    "waitress": WSGISeen(
        "waitress",
        frozenset({"waitress.client_disconnected"}),
        FW | TERMINATED,
        (FUNCTION, "waitress.task", "WSGITask.execute.<locals>.start_response", None),
        copies_os_environ=False,
        close_lines=(b"close",),  # its 500: "Connection" is hop-by-hop (PEP 3333)
        closed_after=True,
    ),
    "cheroot": WSGISeen(
        "Cheroot/11.1.2 Server",
        frozenset(),
        TERMINATED,
        (METHOD, "cheroot.wsgi", "Gateway.start_response", "cheroot.wsgi.Gateway_10"),
        copies_os_environ=False,
        close_lines=(b"close",),  # passed, but the connection is kept all the same
        closed_after=False,
    ),
    "granian-wsgi": WSGISeen(
        "Granian",
        frozenset(),
        TERMINATED,
        ("granian.wsgi.Response", "granian.wsgi", None, None),  # a callable object
        copies_os_environ=True,
        close_lines=(b"close",),
        closed_after=True,
    ),
    "uwsgi": WSGISeen(
        None,
        frozenset({"uwsgi.version", "uwsgi.node"}),
        FW,
        ("builtins.builtin_function_or_method", None, "uwsgi_spit", None),
        copies_os_environ=False,
        # Passed through: an app (or the guard) CAN announce the close uWSGI does anyway.
        close_lines=(b"close",),
        closed_after=True,
    ),
}


def test_wsgi_table_covers_every_server() -> None:
    assert set(WSGI_SEEN) == set(EVERY_WSGI_SERVER)


@pytest.mark.parametrize("server", EVERY_WSGI_SERVER)
def test_wsgi_signals(probed: Callable[[str], Probed], server: str) -> None:
    seen = WSGI_SEEN[server]
    got = probed(server)
    environ = got.app["environ"]
    context = f"{server}: {json.dumps(got.app, indent=1, sort_keys=True)}"
    assert environ.get("SERVER_SOFTWARE") == seen.software, context
    own = {key for key in environ if "." in key and not key.startswith("wsgi.")}
    assert own == seen.keys, context
    assert {key for key in environ if key.startswith("wsgi.")} - PEP3333_KEYS == seen.wsgi_keys
    assert callable_of(got.app["start_response"]) == seen.start_response, context
    assert (environ.get(PROBE_MARKER) == "1") == seen.copies_os_environ, context
    assert tuple(got.close_lines) == seen.close_lines, context
    assert got.closed_after == seen.closed_after, context


@pytest.mark.parametrize("server", EVERY_WSGI_SERVER)
def test_wsgi_signals_survive_flask(probed: Callable[[str], Probed], server: str) -> None:
    """As ``app.wsgi_app``, the guard sees the server's own environ and start_response."""
    got = probed(server)
    assert got.framework["start_response"] == got.app["start_response"]
    environ = dict(got.framework["environ"])
    assert environ.pop("PATH_INFO") == f"{FRAMEWORK_PATH}/probe"
    expected = dict(got.app["environ"])
    for key in ("PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RAW_URI", "REMOTE_PORT"):
        expected.pop(key, None)
        environ.pop(key, None)
    assert environ.keys() == expected.keys()


# What the guard's detection (``statusguard.servers.wsgi_profile``, run by the probe inside
# the server) names, as the app and inside Flask; over h2c for granian.
DETECTED_WSGI = {server: server.split("-")[0] for server in EVERY_WSGI_SERVER}
DETECTED_WSGI_H2 = {"granian-wsgi": "granian-h2"}


@pytest.mark.parametrize("server", EVERY_WSGI_SERVER)
def test_detection_names_every_wsgi_server(probed: Callable[[str], Probed], server: str) -> None:
    got = probed(server)
    assert got.app["detected"] == DETECTED_WSGI[server]
    assert got.framework["detected"] == DETECTED_WSGI[server]
    if got.h2 is not None:
        assert got.h2["detected"] == DETECTED_WSGI_H2[server]


def test_granian_wsgi_over_h2(probed: Callable[[str], Probed]) -> None:
    got = probed("granian-wsgi")
    assert got.h2 is not None
    assert got.h2["environ"]["SERVER_PROTOCOL"] == "HTTP/2"
    assert got.app["environ"]["SERVER_PROTOCOL"] == "HTTP/1.1"


# --------------------------------------------------------------------------------------------
# ASGI


@dataclass(frozen=True)
class ASGISeen:
    asgi: dict[str, str]  # scope["asgi"]
    extensions: frozenset[str] | None  # keys of scope["extensions"] (None: no such key)
    state: bool  # scope["state"] present (lifespan state; the servers here run lifespan on)
    server: tuple[str, str]  # type of scope["server"] and of its port
    send: Described
    receive: Described
    close_lines: tuple[bytes, ...]
    closed_after: bool


def _method(module: str | None, cls: str, name: str, *, builtin: bool = False) -> Described:
    kind = "builtins.builtin_function_or_method" if builtin else METHOD
    owner = f"{module or 'granian._granian'}.{cls}"
    return (kind, module, f"{cls}.{name}", owner)


H11 = "uvicorn.protocols.http.h11_impl"
HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"
V3 = {"version": "3.0"}
QUEUE_GET = _method("asyncio.queues", "Queue", "get")
UVICORN_H11 = ASGISeen(
    V3 | {"spec_version": "2.3"},
    None,
    state=True,
    server=("builtins.tuple", "int"),
    send=_method(H11, "RequestResponseCycle", "send"),
    receive=_method(H11, "RequestResponseCycle", "receive"),
    close_lines=(b"close",),
    closed_after=True,
)
UVICORN_HTTPTOOLS = ASGISeen(
    V3 | {"spec_version": "2.3"},
    None,
    state=True,
    server=("builtins.tuple", "int"),
    send=_method(HTTPTOOLS, "RequestResponseCycle", "send"),
    receive=_method(HTTPTOOLS, "RequestResponseCycle", "receive"),
    close_lines=(b"close",),
    closed_after=True,
)

ASGI_SEEN: dict[str, ASGISeen] = {
    "uvicorn-h11": UVICORN_H11,
    "uvicorn-httptools": UVICORN_HTTPTOOLS,
    "gunicorn-uvicorn": UVICORN_HTTPTOOLS,  # uvicorn_worker runs uvicorn's protocol: same view
    "hypercorn": ASGISeen(
        V3 | {"spec_version": "2.1"},
        frozenset(),  # present, empty over HTTP/1.1
        state=True,
        server=("builtins.tuple", "int"),
        send=_method("hypercorn.protocol.http_stream", "HTTPStream", "app_send"),
        receive=QUEUE_GET,
        close_lines=(b"close",),
        closed_after=True,
    ),
    "granian-asgi": ASGISeen(
        V3 | {"spec_version": "2.3"},
        frozenset({"http.response.pathsend", "websocket.http.response"}),
        state=True,
        server=("builtins.tuple", "str"),  # the port is a str
        send=_method(None, "ASGIHTTPProtocol", "send", builtin=True),
        receive=_method(None, "ASGIHTTPProtocol", "receive", builtin=True),
        close_lines=(b"close",),
        closed_after=True,
    ),
    "daphne": ASGISeen(
        V3,  # no spec_version
        None,
        state=False,  # daphne runs no lifespan
        server=("builtins.list", "int"),
        send=(
            "functools.partial",
            "functools",
            None,
            None,
        ),  # of daphne.server.Server.handle_reply
        receive=QUEUE_GET,
        close_lines=(b"close",),  # passed, but the connection is kept all the same
        closed_after=False,
    ),
}


def test_asgi_table_covers_every_server() -> None:
    assert set(ASGI_SEEN) == set(EVERY_ASGI_SERVER)


@pytest.mark.parametrize("server", EVERY_ASGI_SERVER)
def test_asgi_signals(probed: Callable[[str], Probed], server: str) -> None:
    seen = ASGI_SEEN[server]
    got = probed(server)
    scope = got.app["scope"]
    context = f"{server}: {json.dumps(got.app, indent=1, sort_keys=True)}"
    assert scope["asgi"] == seen.asgi, context
    extensions = scope.get("extensions")
    assert (None if extensions is None else frozenset(extensions)) == seen.extensions, context
    assert ("state" in scope) == seen.state, context
    assert (got.app["scope_types"]["server"], type(scope["server"][1]).__name__) == (
        seen.server[0],
        seen.server[1],
    ), context
    assert scope["server"][0] == "127.0.0.1" and int(scope["server"][1]) == got.port, context
    assert callable_of(got.app["send"]) == seen.send, context
    assert callable_of(got.app["receive"]) == seen.receive, context
    assert tuple(got.close_lines) == seen.close_lines, context
    assert got.closed_after == seen.closed_after, context


def test_daphne_send_is_a_partial_of_handle_reply(probed: Callable[[str], Probed]) -> None:
    func = probed("daphne").app["send"]["func"]
    assert callable_of(func) == _method("daphne.server", "Server", "handle_reply")


@pytest.mark.parametrize("server", EVERY_ASGI_SERVER)
def test_asgi_signals_under_starlette(probed: Callable[[str], Probed], server: str) -> None:
    """Behind ``add_middleware`` the guard gets Starlette's send, the server's receive and
    the server's scope."""
    got = probed(server)
    assert callable_of(got.framework["send"]) == (
        FUNCTION,
        "starlette.middleware.errors",
        "ServerErrorMiddleware.__call__.<locals>._send",
        None,
    )
    assert got.framework["receive"] == got.app["receive"]
    for key in ("asgi", "extensions", "http_version", "server", "scheme"):
        assert got.framework["scope"].get(key) == got.app["scope"].get(key), key


# What the guard's detection (``statusguard.servers.asgi_profile``, run by the probe inside
# the server) names: with the server's receive, as ASGIStatusGuard detects (as the app and
# behind Starlette, which leaves receive alone), and from the scope alone, as the Django
# middleware must (uvicorn's scope does not say which protocol it runs).
DETECTED_ASGI = {
    "uvicorn-h11": ("uvicorn-h11", "uvicorn"),
    "uvicorn-httptools": ("uvicorn-httptools", "uvicorn"),
    "hypercorn": ("hypercorn", "hypercorn"),
    "granian-asgi": ("granian-asgi", "granian-asgi"),
    "daphne": ("daphne", "daphne"),
    "gunicorn-uvicorn": ("uvicorn-httptools", "uvicorn"),  # uvicorn_worker runs httptools
}
DETECTED_ASGI_H2 = {"hypercorn": "hypercorn-h2", "granian-asgi": "granian-h2"}


@pytest.mark.parametrize("server", EVERY_ASGI_SERVER)
def test_detection_names_every_asgi_server(probed: Callable[[str], Probed], server: str) -> None:
    got = probed(server)
    by_receive, by_scope = DETECTED_ASGI[server]
    for report in (got.app, got.framework):
        assert (report["detected"], report["detected_by_scope"]) == (by_receive, by_scope)
    if got.h2 is not None:
        assert got.h2["detected"] == got.h2["detected_by_scope"] == DETECTED_ASGI_H2[server]


@pytest.mark.parametrize(
    ("server", "extensions"),
    [
        (
            "hypercorn",
            {"http.response.early_hint", "http.response.push", "http.response.trailers"},
        ),
        ("granian-asgi", {"http.response.pathsend", "websocket.http.response"}),
    ],
)
def test_asgi_over_h2(probed: Callable[[str], Probed], server: str, extensions: set[str]) -> None:
    """Over h2c the scope says ``http_version == "2"``: how the guard knows the protocol."""
    got = probed(server)
    assert got.h2 is not None
    assert got.h2["scope"]["http_version"] == "2"
    assert got.app["scope"]["http_version"] == "1.1"
    assert set(got.h2["scope"]["extensions"]) == extensions
    assert got.h2["receive"] == got.app["receive"]


def test_every_server_probed() -> None:
    assert set(WSGI_SEEN) | set(ASGI_SEEN) == set(EVERY_SERVER)


def test_uwsgi_version_in_environ(probed: Callable[[str], Probed]) -> None:
    """uWSGI sets no SERVER_SOFTWARE; its version is in ``uwsgi.version``."""
    assert probed("uwsgi").app["environ"]["uwsgi.version"] == "2.0.30"


@pytest.mark.parametrize("server", EVERY_WSGI_SERVER)
def test_uwsgi_socket_kind(probed: Callable[[str], Probed], server: str) -> None:
    """Only ``uwsgi.opt`` tells ``--http-socket`` (closes after every response) from the
    other uWSGI sockets; the module exists only inside uWSGI."""
    options = probed(server).app["uwsgi_options"]
    if server == "uwsgi":
        assert "http-socket" in options and "http11-socket" not in options
    else:
        assert options is None


# The versions every table of tests/wire was observed with (the pins of pyproject's [test]):
# bumping one means observing the tables again.
VERSIONS_SEEN = {
    "gunicorn": "27.0.1",
    "uvicorn": "0.54.0",
    "h11": "0.16.0",
    "httptools": "0.9.0",
    "hypercorn": "0.18.0",
    "werkzeug": "3.1.9",
    "waitress": "3.0.2",
    "cheroot": "11.1.2",
    "granian": "2.8.9",
    "pyuwsgi": "2.0.30.post1",
    "daphne": "4.2.3",
    "twisted": "26.10.0",
    "uvicorn-worker": "0.4.0",
    "h2": "4.4.1",
}


@pytest.mark.parametrize(("distribution", "version"), sorted(VERSIONS_SEEN.items()))
def test_versions_seen(distribution: str, version: str) -> None:
    assert importlib.metadata.version(distribution) == version
