"""Serve a WSGI app with a stdlib/dev server on 127.0.0.1 and an OS-chosen port.

Usage::

    python -m support.run_wsgi wsgiref|werkzeug module:attribute [--host 127.0.0.1] [--port 0]

Once the socket listens, one line ``LISTENING <host> <port>`` is printed (and flushed) on
stdout; :func:`support.servers.serve` waits for it.  Request (access) logging is off; errors
are still written to stderr.  SIGTERM/SIGINT stop the server cleanly.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import wsgiref.simple_server
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

import werkzeug.serving

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

READY_PREFIX = "LISTENING"


class _Server(Protocol):
    server_address: Any

    def serve_forever(self, poll_interval: float = ...) -> None: ...

    def server_close(self) -> None: ...


class QuietWsgirefHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class QuietWerkzeugHandler(werkzeug.serving.WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def load_app(path: str) -> WSGIApplication:
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise SystemExit(f"app must be 'module:attribute', got {path!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise SystemExit(f"{path} is not callable")
    app: WSGIApplication = obj
    return app


def make(kind: str, host: str, port: int, app: WSGIApplication) -> _Server:
    if kind == "wsgiref":
        return wsgiref.simple_server.make_server(
            host, port, app, handler_class=QuietWsgirefHandler
        )
    if kind == "werkzeug":
        return werkzeug.serving.make_server(
            host, port, app, threaded=False, request_handler=QuietWerkzeugHandler
        )
    raise SystemExit(f"unknown server kind {kind!r}")


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_wsgi", description=__doc__)
    parser.add_argument("kind", choices=["wsgiref", "werkzeug"])
    parser.add_argument("app", help="module:attribute of the WSGI application")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    app = load_app(args.app)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server = make(args.kind, args.host, args.port, app)
    try:
        host, port = server.server_address[:2]
        print(f"{READY_PREFIX} {host} {port}", flush=True)
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
