"""Django (and DRF) views for the issue 13 regression tests (``test_false_positives.py``, and
``wire/test_strict_wire.py`` through :mod:`contrib.django_fp_wsgi`).

Each view is an ordinary use of a Django feature: a cookie, a page answered to HEAD, a stream,
a file, a DRF 204.  None is written to imitate what Django sends; what the server receives is
whatever Django's own handler makes of it.
"""

from __future__ import annotations

from pathlib import Path

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.middleware.http import ConditionalGetMiddleware
from django.urls import path
from django.utils.decorators import decorator_from_middleware
from django.views import View
from django.views.static import serve
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

FILE = Path(__file__)


def plain(request: HttpRequest) -> HttpResponse:
    """The pipelined ``GET /plain`` of the wire client (``support.wire``)."""
    return HttpResponse(b"plain", content_type="text/plain")


def cookie(request: HttpRequest) -> HttpResponse:
    """What every login, CSRF or session page does: set a cookie."""
    response = HttpResponse(b"ok", content_type="text/plain")
    response.set_cookie("csrftoken", "abc")
    return response


def cookie_path(request: HttpRequest) -> HttpResponse:
    """A cookie attribute taken from the request (``?path=``), as a "remember where I was"
    cookie does: Python's ``http.cookies`` quotes values, not attributes."""
    response = HttpResponse(b"ok", content_type="text/plain")
    response.set_cookie("next", "1", path=request.GET.get("path", "/"))
    return response


def page(request: HttpRequest) -> HttpResponse:
    """An ordinary page; Django answers HEAD with the GET content and leaves it to the server."""
    return HttpResponse(b"<p>hello</p>", content_type="text/html")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([b"0123456789", b"abcdefghij"]), content_type="text/plain")


def stream_too_long(request: HttpRequest) -> StreamingHttpResponse:
    """A stream that runs past its Content-Length: only seen after the head went out."""
    response = StreamingHttpResponse(
        iter([b"0123456789", b"abcdefghij"]), content_type="text/plain"
    )
    response["Content-Length"] = "12"
    return response


def download(request: HttpRequest) -> FileResponse:
    return FileResponse(FILE.open("rb"), content_type="text/x-python")


def no_content(request: HttpRequest) -> HttpResponse:
    """A 204 without content: CommonMiddleware still adds ``Content-Length: 0``."""
    return HttpResponse(status=204)


def unauthorized(request: HttpRequest) -> HttpResponse:
    """A 401 without ``WWW-Authenticate`` (the route of the route-label tests)."""
    return HttpResponse(b"log in first", status=401, content_type="text/plain")


def item(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(f"item {pk}".encode(), status=401, content_type="text/plain")


def not_allowed(request: HttpRequest) -> HttpResponse:
    """A view refusing every method, with the Allow list it was given: to a GET, a 405 whose
    Allow lists GET (allow-lists-request-method)."""
    return HttpResponseNotAllowed(["GET", "POST"])


class Article(View):
    """A class-based view with ``get`` only: Django answers HEAD with it, and other methods
    with its automatic 405 (``http_method_not_allowed``)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(b"article", content_type="text/plain")


@decorator_from_middleware(ConditionalGetMiddleware)
def conditional(request: HttpRequest) -> HttpResponse:
    """A page under ConditionalGetMiddleware: it gets an ETag, and If-None-Match a 304."""
    return HttpResponse(b"<p>conditional</p>", content_type="text/html")


class DRFDeleted(APIView):  # type: ignore[misc]  # DRF ships no types
    """DRF's classic: data returned with a 204."""

    authentication_classes = ()
    permission_classes = ()
    renderer_classes = (JSONRenderer,)

    def get(self, request: Request) -> Response:
        return Response({"deleted": True, "id": 7}, status=204)


urlpatterns = [
    path("plain", plain),
    path("cookie", cookie),
    path("cookie-path", cookie_path),
    path("page", page),
    path("stream", stream),
    path("stream-too-long", stream_too_long),
    path("download", download),
    path("no-content", no_content),
    path("cond", unauthorized),
    path("items/<int:pk>", item),
    path("drf-deleted", DRFDeleted.as_view()),
    path("not-allowed", not_allowed),
    path("article", Article.as_view()),
    path("conditional", conditional),
    # django.views.static.serve, as runserver serves static files: Last-Modified, and a 304
    # to If-Modified-Since.
    path("static/<path:path>", serve, {"document_root": str(FILE.parent)}),
]
