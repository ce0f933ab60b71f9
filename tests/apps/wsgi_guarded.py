"""The raw WSGI routes app behind the guard, for the servers of the wire tests.

``fix`` and ``warn`` are the routes app (:mod:`apps.wsgi_routes`) wrapped in fix and warn mode.
``extra`` adds, in fix mode, the PEP 3333 paths the routes app does not take: the legacy
``write()``, ``wsgi.file_wrapper`` (the server's sendfile), an app that calls
``start_response`` from inside its iterator, an empty 204 (wsgiref would add
``Content-Length: 0`` to it).

``mounted`` serves them all from one process, so one server per test module answers both the
fix requests and the warn-versus-unguarded comparison: ``/fix/<route>``, ``/warn/<route>``,
``/raw/<route>`` and ``/extra/<route>`` (werkzeug's dispatcher moves the prefix to
``SCRIPT_NAME``); any other path, the pipelined ``GET /plain`` included, goes to ``fix``.
"""

from __future__ import annotations

import os
import wsgiref.util
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from apps.routes import HELLO, TEXT, Route
from apps.wsgi_routes import app
from statusguard.wsgi import WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# The file the file_wrapper routes send: this module's own source (any regular file will do).
PAYLOAD = os.path.abspath(__file__)

EXTRA_ROUTES: list[Route] = [
    Route("/write-204", "204 whose body is given to write()", 204, chunks=HELLO),
    Route("/write-plain", "200 written in two write() calls", headers=[TEXT], chunks=HELLO),
    Route("/file", "file_wrapper with a correct Content-Length (sendfile path)", headers=[TEXT]),
    Route("/file-bad-cl", "file_wrapper with Content-Length: 1", headers=[TEXT]),
    Route("/file-204", "204 answered with a file_wrapper", 204),
    Route("/file-head", "HEAD answered with a file_wrapper", headers=[TEXT], method="HEAD"),
    Route("/204-empty", "correct 204: no header, empty list", 204),
    Route("/late-start", "start_response called by the iterator, 204 with a body", 204),
    Route(
        "/head-stream",
        "HEAD answered with a streamed body and its Content-Length",
        headers=[TEXT, ("Content-Length", "5")],
        method="HEAD",
    ),
]
EXTRA_BY_PATH = {route.path: route for route in EXTRA_ROUTES}


def _file(environ: WSGIEnvironment, start_response: StartResponse, length: str) -> Iterable[bytes]:
    wrapper = environ.get("wsgi.file_wrapper", wrapper_default)
    handle = open(PAYLOAD, "rb")  # noqa: SIM115 - the wrapper's close() closes it
    size = os.fstat(handle.fileno()).st_size
    route = EXTRA_BY_PATH[environ["PATH_INFO"]]
    headers = [*route.headers, ("Content-Length", length or str(size))]
    start_response(route.status_line, headers)
    result: Iterable[bytes] = wrapper(handle)
    return result


def wrapper_default(filelike: object, block_size: int = 8192) -> Iterable[bytes]:
    """The stdlib's wrapper, for servers that offer none (the werkzeug dev server)."""
    return wsgiref.util.FileWrapper(filelike, block_size)  # type: ignore[arg-type]


def _late_start(start_response: StartResponse) -> Iterator[bytes]:
    start_response("204 No Content", [])
    yield b"late"


def _stream(chunks: list[bytes]) -> Iterator[bytes]:
    yield from chunks


def extra_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/write-204":
        start_response("204 No Content", [])(b"hello")
        return []
    if path == "/write-plain":
        write = start_response("200 OK", [TEXT, ("Content-Length", "5")])
        write(b"hel")
        write(b"lo")
        return []
    if path in ("/file", "/file-204", "/file-head"):
        return _file(environ, start_response, "")
    if path == "/file-bad-cl":
        return _file(environ, start_response, "1")
    if path == "/late-start":
        return _late_start(start_response)
    if path == "/head-stream":
        start_response("200 OK", [TEXT, ("Content-Length", "5")])
        return _stream([b"he", b"llo"])
    if path == "/204-empty":
        start_response("204 No Content", [])
        return []
    return app(environ, start_response)


fix = WSGIStatusGuard(app, mode="fix")
warn = WSGIStatusGuard(app, mode="warn")
extra = WSGIStatusGuard(extra_app, mode="fix")
mounted: WSGIApplication = DispatcherMiddleware(
    fix, {"/fix": fix, "/warn": warn, "/raw": app, "/extra": extra}
)
