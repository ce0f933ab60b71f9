"""Raw WSGI app (no framework): one path per route of :data:`apps.routes.ROUTES`.

The app does exactly what the route says, whatever the request method: it never strips a body,
never fixes a header.  Streamed routes return a generator, the others a list of chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from apps.routes import Route, lookup

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment


def _stream(route: Route) -> Iterator[bytes]:
    yield from route.chunks


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    route = lookup(environ.get("PATH_INFO", "") or "/")
    start_response(route.status_line, list(route.headers))
    if route.streamed:
        return _stream(route)
    return list(route.chunks)
