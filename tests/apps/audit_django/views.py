from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views import View

STATIC = Path(__file__).resolve().parent.parent / "audit_static"

# Long enough for GZipMiddleware to compress (it leaves responses under 200 bytes alone).
PAGE = "<!doctype html><title>audit</title><p>" + "A page worth compressing. " * 20


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


def download(request: HttpRequest) -> FileResponse:
    return FileResponse((STATIC / "hello.txt").open("rb"), content_type="text/plain")


class ItemView(View):
    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        return JsonResponse({"id": pk})

    def delete(self, request: HttpRequest, pk: int) -> HttpResponse:
        return HttpResponse(status=204)
