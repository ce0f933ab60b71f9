"""Views that reproduce what Django users report, plus the pipelined probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"plain", content_type="text/plain")


def deleted(request: HttpRequest) -> HttpResponse:
    # A 204 that keeps its content; CommonMiddleware then adds "Content-Length: 7".
    return HttpResponse(b"deleted", status=204)


def not_modified(request: HttpRequest) -> HttpResponse:
    # Django's own 304 refuses content; CommonMiddleware adds "Content-Length: 0".
    return HttpResponseNotModified()


def dated(request: HttpRequest) -> HttpResponse:
    # An app-set Date (Django's own HttpResponse never sets one): a second Date under uvicorn.
    response = HttpResponse(b"dated", content_type="text/plain")
    response["Date"] = "Sun, 06 Nov 1994 08:49:37 GMT"
    return response
