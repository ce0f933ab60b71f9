"""Views that break HTTP rules the way Django code does by accident, and one that is clean.

Under ``STATUSGUARD_MODE=fix`` each broken response leaves repaired; under ``warn`` it leaves
unchanged and is logged; under ``strict`` the request fails with the rule id.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)

from statusguard import Violation

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def count_violation(violation: Violation) -> None:
    """The ``on_violation`` hook of settings.STATUSGUARD: counts violations per rule id."""
    with _lock:
        _counts[violation.rule_id] += 1


def index(request: HttpRequest) -> HttpResponse:
    lines = [
        "statusguard example project",
        "",
        "/plain               a clean 200",
        "/no-content          DELETE-style 204 with a body (+ CommonMiddleware Content-Length)",
        "/bad-date            Date: yesterday",
        "/app-date            an app-set Date (a second Date under uvicorn and hypercorn)",
        "/control-character   a header value with a NUL byte",
        "/stream-too-long     a stream longer than its Content-Length",
        "/download            a FileResponse (left alone: it is clean)",
        "/unauthorized        401 without WWW-Authenticate (cannot be fixed, only reported)",
        "/violations          what on_violation counted so far",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"plain", content_type="text/plain")


def no_content(request: HttpRequest) -> HttpResponse:
    # "A 204 response is terminated by the end of the header section; it cannot contain
    # content or trailers." (RFC 9110 §15.3.5) -- uvicorn-h11 crashes on this one.
    return HttpResponse(b'{"deleted": true}', status=204, content_type="application/json")


def bad_date(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"stale", content_type="text/plain")
    response["Date"] = "yesterday"
    return response


def app_date(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"dated", content_type="text/plain")
    response["Date"] = "Sun, 06 Nov 1994 08:49:37 GMT"
    return response


def control_character(request: HttpRequest) -> HttpResponse:
    # Django refuses CR and LF in header values (BadHeaderError) but lets other controls pass.
    response = HttpResponse(b"tagged", content_type="text/plain")
    response["X-Trace"] = "abc\x00def"
    return response


def _chunks() -> Iterator[bytes]:
    yield b"0123456789"
    yield b"abcdefghij"


def stream_too_long(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_chunks(), content_type="text/plain")
    response["Content-Length"] = "12"  # the stream has 20 bytes
    return response


def download(request: HttpRequest) -> FileResponse:
    return FileResponse(Path(__file__).open("rb"), content_type="text/plain")


def unauthorized(request: HttpRequest) -> HttpResponse:
    # A 401 "MUST send a WWW-Authenticate header field" (RFC 9110 §15.5.2); statusguard cannot
    # invent the challenge, so it reports (or raises) instead of fixing.
    return HttpResponse(b"log in first", status=401, content_type="text/plain")


def violations(request: HttpRequest) -> JsonResponse:
    with _lock:
        counts = dict(_counts)
    return JsonResponse(counts)
