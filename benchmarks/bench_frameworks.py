"""Real Flask and Django applications with and without the guard: what their users pay.

Flask: the app's ``wsgi_app`` is called as a server calls it (a fresh environ, the iterable
read to the end and closed).  werkzeug hands the server a ``ClosingIterator`` for every
response, never a list, so these responses take the guard's counted-stream path.  Two routes:
a short text, and ten chunks streamed with a ``Content-Length``.

Django: a view answering a short text, called through ``StatusGuardMiddleware`` (fix mode)
with a request from ``RequestFactory``: the middleware's own cost, without URL resolving or
the handler around it.

Contenders: the application alone, behind a pass-through middleware (the floor), and behind
the guard in fix mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from statusguard import WSGIStatusGuard

from ._quiet import quiet
from .bench_wsgi import PassThrough, make_environ
from .cases import CASES
from .harness import Comparison, Contender, measure

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["contenders_django", "contenders_flask", "make_flask", "run"]

TEXT = "Hello, world!"
CHUNKS = tuple("abcdefghij"[i] * 10 for i in range(10))


def make_flask() -> WSGIApplication:
    """A Flask application with a text route (``/``) and a streamed one (``/stream``)."""
    from flask import Flask

    app = Flask("statusguard_benchmark")

    @app.get("/")
    def text() -> str:
        return TEXT

    @app.get("/stream")
    def stream() -> Any:
        def chunks() -> Iterator[str]:
            yield from CHUNKS

        length = str(sum(map(len, CHUNKS)))
        return app.response_class(chunks(), headers={"Content-Length": length})

    return app.wsgi_app


def _server_batch(app: WSGIApplication, environ: WSGIEnvironment) -> Callable[[int], object]:
    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return None

    def batch(n: int) -> None:
        for _ in range(n):
            result: Iterable[bytes] = app(dict(environ), start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return batch


def contenders_flask(path: str) -> list[Contender]:
    app = make_flask()
    environ = make_environ(CASES[0])
    environ["PATH_INFO"] = path
    return [
        Contender("Flask app", _server_batch(app, environ)),
        Contender("pass-through", _server_batch(PassThrough(app), environ)),
        Contender("statusguard fix", _server_batch(WSGIStatusGuard(app, mode="fix"), environ)),
    ]


def _configure_django() -> None:
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["*"],
            SECRET_KEY="benchmarks",
            INSTALLED_APPS=[],
            STATUSGUARD={"mode": "fix"},
        )
        import django

        django.setup()


def contenders_django() -> list[Contender]:
    _configure_django()
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory

    from statusguard.contrib.django import StatusGuardMiddleware

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(TEXT.encode(), content_type="text/plain")

    class PassThroughMiddleware:
        def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
            self.get_response = get_response

        def __call__(self, request: HttpRequest) -> HttpResponse:
            return self.get_response(request)

    request = RequestFactory().get("/")

    def batch_of(handler: Callable[[HttpRequest], Any]) -> Callable[[int], object]:
        def batch(n: int) -> None:
            for _ in range(n):
                handler(request)

        return batch

    return [
        Contender("Django view", batch_of(view)),
        Contender("pass-through", batch_of(PassThroughMiddleware(view))),
        Contender("statusguard fix", batch_of(StatusGuardMiddleware(view))),
    ]


def run(*, rounds: int = 30, loops: int | None = None) -> list[Comparison]:
    found: Sequence[tuple[str, str, Callable[[], list[Contender]]]] = (
        ("flask/text", "Flask, a short text", lambda: contenders_flask("/")),
        (
            "flask/stream",
            "Flask, 10 chunks streamed with a Content-Length",
            lambda: contenders_flask("/stream"),
        ),
        ("django/text", "Django middleware, a short text", contenders_django),
    )
    with quiet():
        return [
            measure(key, title, make(), rounds=rounds, loops=loops) for key, title, make in found
        ]
