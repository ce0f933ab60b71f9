"""Django views for tests/contrib/test_django.py: one per rule the middleware must handle.

Each view breaks an HTTP rule the way real Django code does; ``clean`` breaks none.  The
streaming views count what they produced in ``PRODUCED`` so a test can see that a discarded
stream was not read to its end.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.urls import path

DATE_1994 = "Sun, 06 Nov 1994 08:49:37 GMT"
FILE = Path(__file__)
PRODUCED: Counter[str] = Counter()  # chunks produced per streaming view


def clean(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"plain", content_type="text/plain")


def no_content(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"deleted": true}', status=204, content_type="application/json")


def no_content_empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)  # CommonMiddleware still adds Content-Length: 0


def reset_content(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"done", status=205)


def bad_date(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"stale", content_type="text/plain")
    response["Date"] = "yesterday"
    return response


def app_date(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"dated", content_type="text/plain")
    response["Date"] = DATE_1994
    return response


def control_character(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"tagged", content_type="text/plain")
    response["X-Trace"] = "abc\x00def"  # Django refuses CR/LF, not NUL
    return response


def bad_name(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"named", content_type="text/plain")
    response["Bad Name"] = "1"
    return response


def connection_close(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"bye", content_type="text/plain")
    response["Connection"] = "close"  # hop-by-hop: PEP 3333 forbids it to applications
    return response


def injected(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"never", content_type="text/plain")
    response["X-Note"] = "ok\r\nX-Injected: 1"  # Django raises BadHeaderError right here
    return response


def unauthorized(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"log in first", status=401, content_type="text/plain")


def _chunks(name: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        PRODUCED[name] += 1
        yield chunk


async def _achunks(name: str, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        PRODUCED[name] += 1
        yield chunk


def _twenty() -> Iterator[bytes]:
    return iter([b"0123456789", b"abcdefghij"])


def stream_too_long(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_chunks("stream_too_long", _twenty()))
    response["Content-Length"] = "12"
    return response


def stream_too_short(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_chunks("stream_too_short", _twenty()))
    response["Content-Length"] = "30"
    return response


def stream_no_content(request: HttpRequest) -> StreamingHttpResponse:
    # An endless stream on a 204: discarding it must not mean reading it to its end.
    endless = itertools.repeat(b"x" * 10)
    return StreamingHttpResponse(_chunks("stream_no_content", endless), status=204)


def stream_clean(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(_chunks("stream_clean", _twenty()))


def astream_too_long(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_achunks("astream_too_long", _twenty()))
    response["Content-Length"] = "12"
    return response


def astream_no_content(request: HttpRequest) -> StreamingHttpResponse:
    endless = itertools.repeat(b"x" * 10)
    return StreamingHttpResponse(_achunks("astream_no_content", endless), status=204)


def download(request: HttpRequest) -> FileResponse:
    return FileResponse(FILE.open("rb"), content_type="text/x-python")


urlpatterns = [
    path("clean", clean),
    path("no-content", no_content),
    path("no-content-empty", no_content_empty),
    path("reset-content", reset_content),
    path("bad-date", bad_date),
    path("app-date", app_date),
    path("control-character", control_character),
    path("bad-name", bad_name),
    path("connection-close", connection_close),
    path("injected", injected),
    path("unauthorized", unauthorized),
    path("stream-too-long", stream_too_long),
    path("stream-too-short", stream_too_short),
    path("stream-no-content", stream_no_content),
    path("stream-clean", stream_clean),
    path("astream-too-long", astream_too_long),
    path("astream-no-content", astream_no_content),
    path("download", download),
]
