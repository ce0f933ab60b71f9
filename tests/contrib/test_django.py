"""StatusGuardMiddleware inside real Django: test clients, the WSGI and ASGI handlers, gunicorn.

Django's test clients strip the content of 1xx/204/304 and HEAD responses themselves, so what
the middleware did to the content is read from the response Django's own handlers give the
server (``call_wsgi`` / ``call_asgi``), and once from the wire under gunicorn.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import django
import pytest
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.http.response import BadHeaderError
from django.test import AsyncClient, Client, RequestFactory, override_settings
from support import servers, wire

from contrib import django_settings, django_urls
from statusguard import Reference, Rule, Severity, StatusGuardError, StatusGuardWarning
from statusguard.contrib.django import StatusGuardMiddleware
from statusguard.contrib.django.checks import check_middleware, check_settings
from statusguard.model import Head, Violation

GUARD = "statusguard.contrib.django.StatusGuardMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"
LOGGER = "statusguard.tests.django"
IMF_FIXDATE = re.compile(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")
EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "django_project"


class Recorder:
    """``on_violation`` for the tests: keeps every violation of the current test."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def __call__(self, violation: Violation) -> None:
        self.violations.append(violation)

    @property
    def ids(self) -> set[str]:
        return {v.rule_id for v in self.violations}

    def setting(self, mode: str, **options: Any) -> dict[str, Any]:
        return {"mode": mode, "on_violation": self, "logger": LOGGER, **options}


@pytest.fixture(scope="module", autouse=True)
def _django() -> None:
    """Configure Django unless something else did (then override_settings below adapts it)."""
    if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
        names = [name for name in dir(django_settings) if name.isupper()]
        settings.configure(**{name: getattr(django_settings, name) for name in names})
    django.setup()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Every test runs with the guard first in MIDDLEWARE, CommonMiddleware inside it, and
    STATUSGUARD in fix mode recording its violations (a test switches with override_settings)."""
    rec = Recorder()
    with override_settings(
        ROOT_URLCONF="contrib.django_urls",
        MIDDLEWARE=[GUARD, COMMON],
        ALLOWED_HOSTS=["testserver"],
        DEBUG=False,
        STATUSGUARD=rec.setting("fix"),
    ):
        yield rec


# -- helpers: what Django's own handlers give the server ------------------------------------------


def call_wsgi(
    path: str,
    method: str = "GET",
    environ: dict[str, Any] | None = None,
    handler: WSGIHandler | None = None,
) -> tuple[str, list[tuple[str, str]], bytes, Any]:
    """Run Django's WSGIHandler like a WSGI server: status, headers, body, the iterable.
    (A new handler, so new middleware, unless one is given, as a server keeps its own.)"""
    env = RequestFactory().generic(method, path, **(environ or {})).environ
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, headers))
        return lambda data: None

    result = (handler or WSGIHandler())(env, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return started[0][0], started[0][1], body, result


def call_asgi(path: str, method: str = "GET") -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run Django's ASGIHandler like an ASGI server: status, headers, body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    messages: list[Mapping[str, Any]] = []

    async def run() -> None:
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no disconnect; the handler cancels this wait
            raise AssertionError("unreachable")

        async def send(message: Mapping[str, Any]) -> None:
            messages.append(message)

        await ASGIHandler()(scope, receive, send)

    asyncio.run(run())
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], list(start["headers"]), body


def header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


def aget(path: str, **extra: Any) -> HttpResponseBase:
    async def run() -> HttpResponseBase:
        response: HttpResponseBase = await AsyncClient().get(path, **extra)
        return response

    return asyncio.run(run())


def streamed(response: HttpResponseBase) -> bytes:
    """All the content of a streaming response (sync or async iterator), then close it."""
    assert isinstance(response, StreamingHttpResponse)
    try:
        content = response.streaming_content
        if isinstance(content, AsyncIterator):
            return asyncio.run(_consume(content))
        return b"".join(content)
    finally:
        response.close()


async def _consume(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


# -- the middleware itself ------------------------------------------------------------------------


def test_sync_and_async_capable(recorder: Recorder) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(b"ok")

    async def aview(request: HttpRequest) -> HttpResponse:
        return HttpResponse(b"ok")

    assert StatusGuardMiddleware.sync_capable and StatusGuardMiddleware.async_capable
    assert not iscoroutinefunction(StatusGuardMiddleware(view))
    assert iscoroutinefunction(StatusGuardMiddleware(aview))


# -- fix mode -------------------------------------------------------------------------------------

FIX_CASES = [
    pytest.param(
        "/no-content",
        "204 No Content",
        {"content-forbidden", "content-length-forbidden"},
        {"Content-Length": None},
        b"",
        id="204 with content and CommonMiddleware's Content-Length",
    ),
    pytest.param(
        "/no-content-empty",
        "204 No Content",
        {"content-length-forbidden"},
        {"Content-Length": None},
        b"",
        id="empty 204 with CommonMiddleware's Content-Length: 0",
    ),
    pytest.param(
        "/reset-content",
        "205 Reset Content",
        {"content-forbidden"},
        {"Content-Length": "0"},
        b"",
        id="205 with content",
    ),
    pytest.param(
        "/control-character",
        "200 OK",
        {"field-value-invalid"},
        {"X-Trace": None, "Content-Length": "6"},
        b"tagged",
        id="NUL in a header value",
    ),
    pytest.param(
        "/bad-name",
        "200 OK",
        {"field-name-invalid"},
        {"Bad Name": None},
        b"named",
        id="header name with a space",
    ),
    pytest.param(
        "/connection-close",
        "200 OK",
        {"hop-by-hop-field"},
        {"Connection": None},
        b"bye",
        id="hop-by-hop Connection",
    ),
    pytest.param(
        "/clean", "200 OK", set(), {"Content-Length": "5"}, b"plain", id="clean response untouched"
    ),
]


@pytest.mark.parametrize(("path", "status", "ids", "headers", "body"), FIX_CASES)
def test_fix_repairs_what_the_server_gets(
    recorder: Recorder,
    path: str,
    status: str,
    ids: set[str],
    headers: dict[str, str | None],
    body: bytes,
) -> None:
    # Three times through one middleware, as under a server: what the screen remembers of a
    # head never lets a repeat of a broken response through.
    handler = WSGIHandler()
    for _ in range(3):
        recorder.violations.clear()
        got_status, got_headers, got_body, _ = call_wsgi(path, handler=handler)
        assert got_status == status
        for name, value in headers.items():
            assert header(got_headers, name) == ([] if value is None else [value])
        assert got_body == body
        assert recorder.ids == ids
        assert all(v.fixed for v in recorder.violations)


def test_a_clean_response_seen_before_is_passed_by_the_screen(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from statusguard.engine import exchange, memo

    calls: list[str] = []
    real_learn = memo.learn

    def learn(*args: Any, **kwargs: Any) -> Any:
        calls.append("learn")
        return real_learn(*args, **kwargs)

    monkeypatch.setattr(memo, "learn", learn)
    handler = WSGIHandler()
    full_paths = exchange.FULL_PATH_RUNS
    first = call_wsgi("/clean", handler=handler)[:3]
    assert calls == ["learn"]  # the first time the screen learnt the head's shape
    calls.clear()
    assert call_wsgi("/clean", handler=handler)[:3] == first
    assert calls == []  # the second time: the shape is known, its values checked
    assert full_paths == exchange.FULL_PATH_RUNS  # and no rule ran one by one
    assert recorder.violations == []


def test_fix_through_the_test_client(recorder: Recorder) -> None:
    response = Client().get("/no-content")
    assert response.status_code == 204
    assert not response.has_header("Content-Length")
    assert recorder.ids == {"content-forbidden", "content-length-forbidden"}


def test_fix_replaces_a_malformed_date(recorder: Recorder) -> None:
    _, headers, body, _ = call_wsgi("/bad-date")
    (date,) = header(headers, "Date")
    assert IMF_FIXDATE.fullmatch(date), date
    assert body == b"stale"
    assert recorder.ids == {"date-invalid"}


def test_fix_head_discards_content_keeps_length(recorder: Recorder) -> None:
    status, headers, body, _ = call_wsgi("/clean", method="HEAD")
    assert status == "200 OK"
    assert header(headers, "Content-Length") == ["5"]
    assert body == b""
    # Django sends the GET content to HEAD on purpose: dropping it is the server's job, and
    # fix mode's compatibility step's -- not the application's violation.
    assert recorder.ids == set()


@pytest.mark.parametrize(
    ("software", "kept", "ids"),
    [
        pytest.param("", True, set(), id="test client: no server named, the app's Date kept"),
        pytest.param("WSGIServer/0.2 CPython/3.11", True, set(), id="runserver adds none"),
        pytest.param("gunicorn/27.0.1", True, set(), id="gunicorn replaces it"),
        # The server writes its own: the app's is dropped (a compatibility step, no violation).
        pytest.param("Werkzeug/3.1.3", False, set(), id="werkzeug doubles it"),
    ],
)
def test_app_date_follows_the_server(
    recorder: Recorder, software: str, kept: bool, ids: set[str]
) -> None:
    _, headers, _, _ = call_wsgi("/app-date", environ={"SERVER_SOFTWARE": software})
    assert header(headers, "Date") == ([django_urls.DATE_1994] if kept else [])
    assert recorder.ids == ids


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        pytest.param({}, False, id="detected: werkzeug doubles it"),
        # The option names the server in front whatever SERVER_SOFTWARE says (a proxy that
        # rewrites it, a server that lies): waitress adds Date only where the app sent none.
        pytest.param({"server": "waitress"}, True, id="server=waitress wins"),
    ],
)
def test_the_server_option_wins_over_detection(
    recorder: Recorder, options: dict[str, str], kept: bool
) -> None:
    with override_settings(STATUSGUARD=recorder.setting("fix", **options)):
        _, headers, _, _ = call_wsgi("/app-date", environ={"SERVER_SOFTWARE": "Werkzeug/3.1.9"})
    assert header(headers, "Date") == ([django_urls.DATE_1994] if kept else [])
    assert recorder.ids == set()


@pytest.mark.parametrize(
    ("options", "dates"),
    [
        # uvicorn and hypercorn add their own Date whatever the app sent: two lines otherwise.
        pytest.param({"server": "uvicorn"}, [], id="uvicorn adds its own"),
        # A scope no server's fingerprint (asgiref's test communicator): the app's is kept.
        pytest.param({}, [django_urls.DATE_1994.encode()], id="unknown server"),
    ],
)
def test_app_date_under_asgi_follows_the_server(
    recorder: Recorder, options: dict[str, str], dates: list[bytes]
) -> None:
    with override_settings(STATUSGUARD=recorder.setting("fix", **options)):
        status, headers, body = call_asgi("/app-date")
    assert status == 200
    assert [v for k, v in headers if k.lower() == b"date"] == dates
    assert body == b"dated"
    assert recorder.ids == set()


def test_crlf_header_is_refused_by_django_itself(recorder: Recorder) -> None:
    # Django raises BadHeaderError inside the view; the guard neither hides nor changes it.
    with pytest.raises(BadHeaderError):
        Client().get("/injected")
    response = Client(raise_request_exception=False).get("/injected")
    assert response.status_code == 500
    assert recorder.ids == set()


def test_unfixable_rule_is_reported_in_fix_mode(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = Client().get("/unauthorized")
    assert "[www-authenticate-missing]" in caplog.text
    assert response.status_code == 401
    assert not response.has_header("WWW-Authenticate")  # never invented
    assert [(v.rule_id, v.fixed) for v in recorder.violations] == [
        ("www-authenticate-missing", False)
    ]


# -- warn mode ------------------------------------------------------------------------------------


def test_warn_reports_and_leaves_the_response(recorder: Recorder) -> None:
    with (
        override_settings(STATUSGUARD=recorder.setting("warn")),
        pytest.warns(StatusGuardWarning) as warned,
    ):
        status, headers, body, _ = call_wsgi("/no-content")
    assert status == "204 No Content"
    assert header(headers, "Content-Length") == [str(len(body))]
    assert body == b'{"deleted": true}'
    assert recorder.ids == {"content-forbidden", "content-length-forbidden"}
    assert not any(v.fixed for v in recorder.violations)
    assert {m for w in warned for m in re.findall(r"^\[([a-z0-9-]+)\]", str(w.message))} == {
        "content-forbidden",
        "content-length-forbidden",
    }


def test_warn_date_and_header_unchanged(recorder: Recorder) -> None:
    with (
        override_settings(STATUSGUARD=recorder.setting("warn")),
        pytest.warns(StatusGuardWarning),
    ):
        _, headers, _, _ = call_wsgi("/control-character")
        _, date_headers, _, _ = call_wsgi("/bad-date")
    assert header(headers, "X-Trace") == ["abc\x00def"]
    assert header(date_headers, "Date") == ["yesterday"]
    assert recorder.ids == {"field-value-invalid", "date-invalid"}


# -- strict mode ----------------------------------------------------------------------------------


@override_settings(STATUSGUARD={"mode": "strict", "logger": LOGGER})
def test_strict_raises_through_the_test_client(recorder: Recorder) -> None:
    with pytest.raises(StatusGuardError) as raised:
        Client().get("/no-content")
    assert set(raised.value.rule_ids) == {"content-forbidden", "content-length-forbidden"}
    assert "GET /no-content" in str(raised.value)  # the route, as a path
    assert recorder.violations == []  # this test's setting has no on_violation


@override_settings(STATUSGUARD={"mode": "strict", "logger": LOGGER})
def test_strict_is_a_500_in_production(recorder: Recorder) -> None:
    response = Client(raise_request_exception=False).get("/unauthorized")
    assert response.status_code == 500


@override_settings(STATUSGUARD={"mode": "strict", "logger": LOGGER})
def test_strict_async(recorder: Recorder) -> None:
    with pytest.raises(StatusGuardError) as raised:
        aget("/no-content")
    assert set(raised.value.rule_ids) == {"content-forbidden", "content-length-forbidden"}


@override_settings(STATUSGUARD={"mode": "strict", "logger": LOGGER})
def test_strict_clean_response_passes(recorder: Recorder) -> None:
    response = Client().get("/clean")
    assert response.status_code == 200
    assert response.content == b"plain"


def test_override_settings_switches_modes_on_one_client(recorder: Recorder) -> None:
    client = Client()
    assert client.get("/no-content-empty").status_code == 204  # fix: repaired
    with (
        override_settings(STATUSGUARD={"mode": "strict", "logger": LOGGER}),
        pytest.raises(StatusGuardError, match="content-length-forbidden"),
    ):
        client.get("/no-content-empty")
    with override_settings(STATUSGUARD=recorder.setting("warn")), pytest.warns(StatusGuardWarning):
        response = client.get("/no-content-empty")
    assert response["Content-Length"] == "0"  # warn: left as it was
    response = client.get("/no-content-empty")
    assert not response.has_header("Content-Length")  # back to fix
    assert [v.fixed for v in recorder.violations] == [True, False, True]


# -- streaming ------------------------------------------------------------------------------------


def test_stream_truncated_at_content_length(recorder: Recorder) -> None:
    response = Client().get("/stream-too-long")
    assert streamed(response) == b"0123456789ab"
    assert response["Content-Length"] == "12"
    assert [(v.rule_id, v.fixed) for v in recorder.violations] == [
        ("content-length-mismatch", True)
    ]


def test_stream_shorter_than_content_length_is_reported(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        status, headers, body, _ = call_wsgi("/stream-too-short")
    assert "stream ended after 20 bytes" in caplog.text
    # The head was sent before the end of the stream showed it short: only a report is left.
    assert (status, header(headers, "Content-Length"), len(body)) == ("200 OK", ["30"], 20)
    assert [(v.rule_id, v.fixed) for v in recorder.violations] == [
        ("content-length-mismatch", False)
    ]


def test_stream_no_content_discarded_without_reading_it_all(recorder: Recorder) -> None:
    django_urls.PRODUCED.clear()
    status, headers, body, _ = call_wsgi("/stream-no-content")
    assert (status, body, header(headers, "Content-Length")) == ("204 No Content", b"", [])
    assert django_urls.PRODUCED["stream_no_content"] == 1  # an endless stream, one chunk read
    assert [(v.rule_id, v.fixed) for v in recorder.violations] == [("content-forbidden", True)]


def test_clean_stream_is_not_wrapped(recorder: Recorder) -> None:
    response = Client().get("/stream-clean")
    assert streamed(response) == b"0123456789abcdefghij"
    assert recorder.violations == []


def test_strict_stream_ends_cleanly_and_reports_loudly(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    # The head went out with Django's before the stream showed its excess: raising then would
    # leave the server a half-sent response.  Strict mode cuts the stream at its
    # Content-Length and reports the violation at ERROR.
    with override_settings(STATUSGUARD={"mode": "strict", "logger": LOGGER}):
        response = Client().get("/stream-too-long")
        with caplog.at_level(logging.ERROR, logger=LOGGER):
            assert streamed(response) == b"0123456789ab"
    assert any("content-length-mismatch" in r.getMessage() for r in caplog.records)


def test_async_stream_truncated(recorder: Recorder) -> None:
    status, headers, body = call_asgi("/astream-too-long")
    assert (status, body) == (200, b"0123456789ab")
    assert (b"Content-Length", b"12") in headers
    assert [(v.rule_id, v.fixed) for v in recorder.violations] == [
        ("content-length-mismatch", True)
    ]


def test_async_stream_no_content_discarded(recorder: Recorder) -> None:
    django_urls.PRODUCED.clear()
    status, _, body = call_asgi("/astream-no-content")
    assert (status, body) == (204, b"")
    assert django_urls.PRODUCED["astream_no_content"] == 1
    assert recorder.ids == {"content-forbidden"}


def test_async_client_stream(recorder: Recorder) -> None:
    response = aget("/astream-too-long")
    assert isinstance(response, StreamingHttpResponse) and response.is_async
    assert streamed(response) == b"0123456789ab"
    assert recorder.ids == {"content-length-mismatch"}


def test_async_client_fix(recorder: Recorder) -> None:
    response = aget("/no-content")
    assert response.status_code == 204
    assert not response.has_header("Content-Length")
    assert recorder.ids == {"content-forbidden", "content-length-forbidden"}


# -- FileResponse ---------------------------------------------------------------------------------


def test_clean_file_response_keeps_the_file_wrapper(recorder: Recorder) -> None:
    class FileWrapper:
        def __init__(self, filelike: io.BufferedReader, block_size: int = 8192) -> None:
            self.filelike = filelike
            self.block_size = block_size

        def __iter__(self) -> Iterator[bytes]:
            return iter(lambda: self.filelike.read(self.block_size), b"")

        def close(self) -> None:
            self.filelike.close()

    status, headers, body, result = call_wsgi(
        "/download", environ={"wsgi.file_wrapper": FileWrapper}
    )
    assert isinstance(result, FileWrapper)  # the server's sendfile path is kept
    expected = django_urls.FILE.read_bytes()
    assert (status, body) == ("200 OK", expected)
    assert header(headers, "Content-Length") == [str(len(expected))]
    assert recorder.violations == []


def test_file_response_untouched_in_the_middleware(recorder: Recorder) -> None:
    # (Django's test client itself replaces streaming_content, so call the middleware.)
    response = StatusGuardMiddleware(django_urls.download)(RequestFactory().get("/download"))
    assert isinstance(response, FileResponse)
    try:
        assert response.file_to_stream is not None
        assert recorder.violations == []
    finally:
        response.close()


def test_file_response_to_head_is_emptied(recorder: Recorder) -> None:
    status, headers, body, _ = call_wsgi("/download", method="HEAD")
    assert (status, body) == ("200 OK", b"")
    assert header(headers, "Content-Length") == [str(django_urls.FILE.stat().st_size)]
    assert recorder.ids == set()  # the server-head-content step, not a violation


# -- fail open ------------------------------------------------------------------------------------


def _boom(head: Head) -> str | None:
    raise RuntimeError("rule bug")


BOOM = Rule(
    id="boom",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A rule that fails",
    check=_boom,
)


def test_internal_error_fails_open(recorder: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    middleware = StatusGuardMiddleware(django_urls.no_content)
    with (
        override_settings(STATUSGUARD=recorder.setting("fix", extra_rules=[BOOM])),
        caplog.at_level(logging.ERROR, logger=LOGGER),
    ):
        response = middleware(RequestFactory().get("/no-content"))
        stats = middleware.stats()
    assert isinstance(response, HttpResponse)
    assert response.content == b'{"deleted": true}'  # went out unchanged
    assert stats.internal_errors == 1
    assert "rule bug" in caplog.text


def test_internal_error_raises_in_strict(recorder: Recorder) -> None:
    middleware = StatusGuardMiddleware(django_urls.clean)
    with (
        override_settings(STATUSGUARD={"mode": "strict", "extra_rules": [BOOM]}),
        pytest.raises(RuntimeError, match="rule bug"),
    ):
        middleware(RequestFactory().get("/clean"))


def test_stats_count_exactly(recorder: Recorder) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=204, headers={"Content-Length": "0"})

    middleware = StatusGuardMiddleware(view)
    for _ in range(3):
        middleware(RequestFactory().get("/"))
    assert middleware.stats().violations == {("content-length-forbidden", 204, "fixed"): 3}


# -- settings and system checks -------------------------------------------------------------------


def record_violation(violation: Violation) -> None:
    """A module-level hook, for the dotted-path ``on_violation``."""
    RECORDED.append(violation)


RECORDED: list[Violation] = []


def test_on_violation_as_dotted_path(recorder: Recorder) -> None:
    RECORDED.clear()
    setting = {"mode": "fix", "on_violation": f"{__name__}.record_violation"}
    with override_settings(STATUSGUARD=setting):
        Client().get("/no-content-empty")
    assert [v.rule_id for v in RECORDED] == ["content-length-forbidden"]


def test_bad_setting_raises_improperly_configured(recorder: Recorder) -> None:
    with (
        override_settings(STATUSGUARD={"mode": "loud"}),
        pytest.raises(ImproperlyConfigured, match=r"STATUSGUARD\['mode'\]"),
    ):
        StatusGuardMiddleware(django_urls.clean)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        pytest.param({"mode": "fix"}, [], id="valid"),
        pytest.param(None, [], id="absent"),
        pytest.param({"mode": "loud"}, [("statusguard.E001", "'mode'")], id="bad mode"),
        pytest.param(
            {"rules": {"no-such-rule": "off"}},
            [("statusguard.E001", "'rules'")],
            id="unknown rule id",
        ),
        pytest.param(
            {"rules": {"date-missing": "loud"}}, [("statusguard.E001", "'rules'")], id="rule mode"
        ),
        pytest.param(
            {"on_violation": "no.such.hook"},
            [("statusguard.E001", "'on_violation'")],
            id="on_violation not importable",
        ),
        pytest.param(
            {"on_violation": 3}, [("statusguard.E001", "'on_violation'")], id="not callable"
        ),
        pytest.param(
            {"server_date": "sometimes"},
            [("statusguard.E001", "'server_date'")],
            id="server_date",
        ),
        pytest.param(
            {"log_interval": -1}, [("statusguard.E001", "'log_interval'")], id="log_interval"
        ),
        pytest.param({"logger": 3}, [("statusguard.E001", "'logger'")], id="logger"),
        pytest.param({"colour": "red"}, [("statusguard.E002", "'colour'")], id="unknown key"),
        pytest.param("fix", [("statusguard.E003", "dict")], id="not a dict"),
        pytest.param(
            {"mode": "loud", "colour": "red", "server_date": "x"},
            [
                ("statusguard.E002", "'colour'"),
                ("statusguard.E001", "'mode'"),
                ("statusguard.E001", "'server_date'"),
            ],
            id="every problem at once",
        ),
    ],
)
def test_system_check_ids(
    recorder: Recorder, setting: object, expected: list[tuple[str, str]]
) -> None:
    with override_settings(STATUSGUARD=setting):
        messages = check_settings()
    assert [(m.id, m.level) for m in messages] == [(id_, checks.ERROR) for id_, _ in expected]
    for message, (_, named) in zip(messages, expected, strict=True):
        assert named in message.msg
        assert message.hint


def test_system_check_environment(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATUSGUARD_MODE", "loud")
    with override_settings(STATUSGUARD={"rules": {}}):
        assert [m.id for m in check_settings()] == ["statusguard.E004"]
    with override_settings(STATUSGUARD={"mode": "warn"}):
        assert check_settings() == []


def test_system_check_middleware_position(recorder: Recorder) -> None:
    assert check_middleware() == []
    with override_settings(MIDDLEWARE=[COMMON, GUARD]):
        assert [m.id for m in check_middleware()] == ["statusguard.W001"]
    with override_settings(MIDDLEWARE=[COMMON]):
        assert check_middleware() == []


def test_app_registers_the_checks(recorder: Recorder) -> None:
    with override_settings(
        INSTALLED_APPS=["statusguard.contrib.django"],
        STATUSGUARD={"mode": "loud"},
        MIDDLEWARE=[COMMON, GUARD],
    ):
        ids = sorted(str(m.id) for m in checks.run_checks(tags=["statusguard"]))
    assert ids == ["statusguard.E001", "statusguard.W001"]


# -- on the wire ----------------------------------------------------------------------------------


def test_example_project_on_gunicorn_wire() -> None:
    """The example project under gunicorn in fix mode: what the client reads is clean."""
    env = {
        "PYTHONPATH": os.pathsep.join(
            [str(EXAMPLE_DIR), str(servers.TESTS_DIR), str(servers.SRC_DIR)]
        ),
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "0",
        "STATUSGUARD_MODE": "fix",
    }
    with servers.serve("gunicorn-sync", "project.wsgi:application", env=env) as server:
        ex = wire.exchange(server, "GET", "/no-content")
        wire.assert_wire_clean(ex, expected_status=204, no_content=True)
        assert ex.first is not None and ex.first.raw_values(b"content-length") == []
        assert len(wire.date_lines(ex.first)) == 1

        ex = wire.exchange(server, "GET", "/bad-date")
        wire.assert_wire_clean(ex, expected_status=200, no_content=False)

        ex = wire.exchange(server, "GET", "/stream-too-long")
        wire.assert_wire_clean(ex, expected_status=200, no_content=False)
        assert ex.first is not None and ex.first.body == b"0123456789ab"
