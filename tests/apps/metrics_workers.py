"""A guarded app counting in ``prometheus_client``'s multiprocess mode, for
``tests/wire/test_metrics_workers.py``: several gunicorn or uvicorn workers on one port.

``wsgi`` and ``asgi`` are the same routes behind ``WSGIStatusGuard`` / ``ASGIStatusGuard`` in
fix mode, the way docs/production.md sets them up (``instrument()`` at import, the metrics
served from a fresh registry with a ``MultiProcessCollector``):

* ``/no-content``: a 204 with content (``content-forbidden``, fixed);
* ``/login``: a 401 without ``WWW-Authenticate`` (``www-authenticate-missing``, reported);
* ``/metrics``: the whole pool's counters, read from ``PROMETHEUS_MULTIPROC_DIR`` (clean);
* ``/stats``: this worker's pid and ``guard.stats()`` as JSON (clean);
* anything else: a clean 200.

At import, with ``METRICS_WARMUP=wsgi`` (or ``asgi``), the module sends one ``/no-content``
through that guard, as an application warming its caches would: under gunicorn ``--preload``
that one is counted in the master, and never again in the workers forked from it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from statusguard import ASGIStatusGuard, WSGIStatusGuard
from statusguard.contrib.prometheus import instrument

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from statusguard._asgi_types import Receive, Scope, Send

instrument()

TEXT = "text/plain; charset=utf-8"


def _respond(path: str, stats: object) -> tuple[int, str, bytes]:
    """Status, content type and content of ``path``."""
    if path == "/no-content":
        return 204, TEXT, b"deleted"
    if path == "/login":
        return 401, TEXT, b"log in first"
    if path == "/metrics":
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return 200, CONTENT_TYPE_LATEST, generate_latest(registry)
    if path == "/stats":
        return 200, "application/json", json.dumps({"pid": os.getpid(), "stats": stats}).encode()
    return 200, TEXT, b"ok"


_PHRASES = {200: "OK", 204: "No Content", 401: "Unauthorized"}


def _wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    status, content_type, body = _respond(environ["PATH_INFO"], wsgi.stats().as_dict())
    headers = [("Content-Type", content_type)]
    if status != 204:  # the 204 breaks one rule only: content-forbidden
        headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {_PHRASES[status]}", headers)
    return [body]


async def _asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    status, content_type, body = _respond(scope["path"], asgi.stats().as_dict())
    headers = [(b"content-type", content_type.encode())]
    if status != 204:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


wsgi = WSGIStatusGuard(_wsgi_app, mode="fix")
asgi = ASGIStatusGuard(_asgi_app, mode="fix")


def _warm_up(kind: str) -> None:
    path = "/no-content"
    if kind == "wsgi":
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_PROTOCOL": "HTTP/1.1"}
        environ.update({"SERVER_SOFTWARE": "gunicorn", "wsgi.url_scheme": "http"})
        body = wsgi(environ, lambda status, headers, exc_info=None: lambda data: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()
    elif kind == "asgi":
        scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "headers": []}
        scope.update({"http_version": "1.1", "query_string": b"", "root_path": ""})

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: object) -> None:
            pass

        # Nothing in it waits for anything: one step runs it to the end, inside or outside
        # the server's event loop.
        with contextlib.suppress(StopIteration):
            asgi(scope, receive, send).send(None)
            raise RuntimeError("the ASGI warm-up waited for something")


_warm_up(os.environ.get("METRICS_WARMUP", ""))
