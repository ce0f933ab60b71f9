"""Issue 13 in process: strict mode on real Django, DRF, Flask, httpbin, Starlette and FastAPI.

Every response here is made by the framework's own feature (Django's WSGI handler, a cookie,
``send_file``, ``abort``, httpbin's views, ``Response(status_code=499)``), never by a copy of
its output.  Four groups:

* the false positives 1-5, each of which failed on 0.1;
* the real bugs strict mode must keep finding (they pass on 0.1: no marker);
* strict mode after the head is committed: end the response cleanly, report loudly;
* the Django middleware: ``Set-Cookie`` checked, routes labelled as paths, and the same verdict
  as ``WSGIStatusGuard(get_wsgi_application())`` on the same response.

What the WSGI server receives is read from Django's handler with ``support.drive.call_wsgi``
(Django's test client strips content itself); the wire is in ``wire/test_strict_wire.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpbin
import pytest
from django.test import Client
from fastapi import FastAPI, HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from support.drive import Output, call_asgi, call_wsgi, http_scope, wsgi_environ

from contrib import flask_fp_app
from contrib.django_fp import LOGGER, Recorder, configure, django_environ, django_project
from statusguard import ASGIStatusGuard, Severity, StatusGuardError, WSGIStatusGuard, check

# Warn mode warns on purpose; the tests read violations through on_violation.
pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

WERKZEUG = "Werkzeug/3.1.9"  # always writes its own Date
CRLF_PATH = "path=/%0d%0aX-Injected:%201"  # a cookie Path taken from the request


@pytest.fixture(scope="module", autouse=True)
def _django() -> None:
    configure()


def crlf_lines(out: Output) -> list[tuple[Any, Any]]:
    return [(n, v) for n, v in out.headers if {"\r", "\n"} & set(f"{n}{v}")]


def errors_naming(caplog: pytest.LogCaptureFixture, rule: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR and rule in record.getMessage()
    ]


# -- FP 1: Django's Set-Cookie under WSGIStatusGuard ---------------------------------------------


@pytest.mark.parametrize("mode", ["strict", "warn", "fix"])
def test_fp1_django_set_cookie_under_the_wsgi_guard(mode: str) -> None:
    # Django's WSGI handler writes ("Set-Cookie", cookie.output(header="")), which starts
    # with a space: optional whitespace around the value on HTTP/1.x (RFC 9112 §5), not part
    # of it.  Expected: no violation in any mode, the cookie reaches the server.  On 0.1
    # strict raises field-value-invalid (every page that sets a cookie is a 500) and warn/fix
    # count every such response.
    with django_project("wsgi", mode) as (app, recorder):
        out = call_wsgi(app, environ=django_environ("GET", "/cookie"))
    assert out.status == "200 OK"
    assert [v.strip() for v in out.values("Set-Cookie")] == ["csrftoken=abc; Path=/"]
    assert recorder.ids == set()


def test_django_cookie_attribute_with_crlf_still_raises_under_the_wsgi_guard() -> None:
    # Control characters stay errors everywhere (passes on 0.1).
    with django_project("wsgi", "strict") as (app, _), pytest.raises(StatusGuardError) as caught:
        call_wsgi(app, environ=django_environ("GET", "/cookie-path", CRLF_PATH))
    assert "field-value-invalid" in {v.rule_id for v in caught.value.violations}


# -- FP 2: Django answers HEAD with content; gunicorn drops it ------------------------------------

HEAD_PATHS = [
    pytest.param("/page", id="HttpResponse"),
    pytest.param("/stream", id="StreamingHttpResponse"),
    pytest.param("/download", id="FileResponse"),
]


@pytest.mark.parametrize("path", HEAD_PATHS)
@pytest.mark.parametrize("integration", ["wsgi", "middleware"])
def test_fp2_django_head_is_the_servers_job_under_gunicorn(integration: str, path: str) -> None:
    # Django returns the GET content for HEAD by design; gunicorn >= 26.2 drops it (wire
    # checked without the guard).  Expected: strict mode does not raise; the server gets the
    # 200 head (the guard may discard the content, never raises).  On 0.1: StatusGuardError
    # (WSGIStatusGuard; the middleware's becomes Django's 500 page, or raises mid-stream).
    with django_project(integration, "strict") as (app, _):
        out = call_wsgi(app, environ=django_environ("HEAD", path))
    assert out.status == "200 OK"


def test_fp2_django_test_client_head() -> None:
    # Django's test client removes HEAD content itself (conditional_content_removal).
    with django_project("middleware", "strict"):
        response = Client().head("/page")
    assert response.status_code == 200


# -- FP 3: send_file under the werkzeug dev server ----------------------------------------------


def test_fp3_flask_send_file_for_the_werkzeug_dev_server() -> None:
    # send_file sets Date (make_conditional); the werkzeug dev server always adds its own.
    # The duplicate exists only because of the server: expected, a repair (a compatibility
    # step), never a raise.  On 0.1 strict raises field-duplicate: a 500 on every static file.
    app = flask_fp_app.create_app(mode="strict")
    out = call_wsgi(app, environ=wsgi_environ("/report.txt", server=WERKZEUG))
    assert out.status == "200 OK"
    assert out.body == b"quarterly report"


def test_two_dates_the_flask_app_sent_itself_still_raise_under_werkzeug() -> None:
    # Strict mode raises for what the application sent (passes on 0.1).
    app = flask_fp_app.create_app(mode="strict")
    with pytest.raises(StatusGuardError) as caught:
        call_wsgi(app, environ=wsgi_environ("/two-dates", server=WERKZEUG))
    assert "field-duplicate" in {v.rule_id for v in caught.value.violations}


# -- FP 4: unregistered and deprecated statuses are info ------------------------------------------


def test_fp4_httpbin_418() -> None:
    # httpbin's /status/418 replaces the headers of its teapot response, so it carries
    # content without Content-Type: a real SHOULD violation (content-type-missing) that
    # strict mode keeps raising.  Expected: that one alone.  On 0.1 status-code-deprecated
    # (418 is "(Unused)" in the IANA registry) is raised beside it.
    guard = WSGIStatusGuard(httpbin.app, mode="strict")
    with pytest.raises(StatusGuardError) as caught:
        call_wsgi(guard, "/status/418")
    assert {v.rule_id for v in caught.value.violations} == {"content-type-missing"}


def _starlette_status(request: Request) -> Response:
    return Response(status_code=int(request.path_params["code"]))


STARLETTE = Starlette(routes=[Route("/status/{code:int}", _starlette_status)])


def test_fp4_starlette_499() -> None:
    out = call_asgi(ASGIStatusGuard(STARLETTE, mode="strict"), "/status/499")
    assert out.status == 499


def test_fp4_flask_509() -> None:
    out = call_wsgi(flask_fp_app.create_app(mode="strict"), "/status/509")
    assert isinstance(out.status, str) and out.status.startswith("509 ")


@pytest.mark.parametrize("status", [418, 499, 509])
def test_fp4_status_registry_rules_are_info(status: int) -> None:
    # No RFC sentence requires a sender not to use them: by the project's severity policy
    # (MUST -> error, SHOULD -> warning, else info) they are info, which never raises.
    found = check(status, [("Content-Type", "text/plain"), ("Content-Length", "0")])
    registry = [v for v in found if v.rule_id.startswith("status-code-")]
    assert registry, "expected status-code-unregistered or -deprecated to be reported"
    assert all(v.severity is Severity.INFO for v in registry), registry


# -- FP 5: a 416 to a request without Range ------------------------------------------------------


def test_fp5_flask_abort_416_without_range() -> None:
    # RFC 9110 §15.5.17 scopes the SHOULD to "a server that generates a 416 response to a
    # byte-range request".  Expected: no raise without a Range request header.
    out = call_wsgi(flask_fp_app.create_app(mode="strict"), "/abort/416")
    assert isinstance(out.status, str) and out.status.startswith("416 ")


def test_flask_abort_416_to_a_range_request_still_raises() -> None:
    # With Range the SHOULD applies: strict keeps raising (passes on 0.1).
    environ = wsgi_environ("/abort/416")
    environ["HTTP_RANGE"] = "bytes=500-600"
    with pytest.raises(StatusGuardError) as caught:
        call_wsgi(flask_fp_app.create_app(mode="strict"), environ=environ)
    assert "content-range-recommended" in {v.rule_id for v in caught.value.violations}


def test_fp5_starlette_416_without_range() -> None:
    out = call_asgi(ASGIStatusGuard(STARLETTE, mode="strict"), "/status/416")
    assert out.status == 416


def test_starlette_416_to_a_range_request_still_raises() -> None:
    scope = http_scope("/status/416")
    scope["headers"] = [*scope["headers"], (b"range", b"bytes=500-600")]
    with pytest.raises(StatusGuardError) as caught:
        call_asgi(ASGIStatusGuard(STARLETTE, mode="strict"), scope=scope)
    assert "content-range-recommended" in {v.rule_id for v in caught.value.violations}


# -- the real bugs strict mode must keep finding (all pass on 0.1) --------------------------------


FASTAPI = FastAPI()


@FASTAPI.get("/login")
async def _fastapi_login() -> None:
    raise HTTPException(status_code=401, detail="log in first")


async def _starlette_bytes(request: Request) -> Response:
    return Response(b"no media type")


async def _starlette_stream(request: Request) -> StreamingResponse:
    async def chunks() -> Any:
        yield b"no "
        yield b"media type"

    return StreamingResponse(chunks())


async def _starlette_stream_too_long(request: Request) -> StreamingResponse:
    async def chunks() -> Any:
        yield b"0123456789"
        yield b"abcdefghij"

    return StreamingResponse(chunks(), media_type="text/plain", headers={"content-length": "12"})


STARLETTE_STREAMS = Starlette(
    routes=[
        Route("/bytes", _starlette_bytes),
        Route("/stream", _starlette_stream),
        Route("/stream-too-long", _starlette_stream_too_long),
    ]
)


def _flask(path: str) -> Callable[[Recorder], None]:
    def run(recorder: Recorder) -> None:
        app = flask_fp_app.create_app(mode="strict", on_violation=recorder, logger=LOGGER)
        call_wsgi(app, path)

    return run


def _httpbin(path: str, query: str = "") -> Callable[[Recorder], None]:
    def run(recorder: Recorder) -> None:
        environ = wsgi_environ(path)
        environ["QUERY_STRING"] = query
        guard = WSGIStatusGuard(httpbin.app, mode="strict", on_violation=recorder, logger=LOGGER)
        call_wsgi(guard, environ=environ)

    return run


def _asgi(app: Any, path: str) -> Callable[[Recorder], None]:
    def run(recorder: Recorder) -> None:
        call_asgi(ASGIStatusGuard(app, mode="strict", on_violation=recorder, logger=LOGGER), path)

    return run


def _django_view(integration: str, path: str) -> Callable[[Recorder], None]:
    def run(recorder: Recorder) -> None:
        with django_project(integration, "strict") as (app, inner):
            try:
                if integration == "middleware":
                    Client().get(path)  # the test client re-raises what the middleware raised
                else:
                    call_wsgi(app, environ=django_environ("GET", path))
            finally:
                recorder.violations.extend(inner.violations)

    return run


KEEPS_FINDING = [
    pytest.param(_flask("/abort/401"), "www-authenticate-missing", id="Flask abort(401)"),
    pytest.param(_flask("/abort/405"), "allow-missing", id="Flask abort(405)"),
    pytest.param(_asgi(FASTAPI, "/login"), "www-authenticate-missing", id="FastAPI 401"),
    pytest.param(
        _django_view("middleware", "/no-content"),
        "content-length-forbidden",
        id="Django CommonMiddleware 204 (middleware)",
    ),
    pytest.param(
        _django_view("wsgi", "/no-content"),
        "content-length-forbidden",
        id="Django CommonMiddleware 204 (WSGIStatusGuard)",
    ),
    pytest.param(
        _django_view("middleware", "/drf-deleted"), "content-forbidden", id="DRF 204 (middleware)"
    ),
    pytest.param(
        _django_view("wsgi", "/drf-deleted"), "content-forbidden", id="DRF 204 (WSGIStatusGuard)"
    ),
    pytest.param(
        _asgi(STARLETTE_STREAMS, "/bytes"), "content-type-missing", id="Starlette Response(b)"
    ),
    pytest.param(
        _asgi(STARLETTE_STREAMS, "/stream"),
        "content-type-missing",
        id="Starlette StreamingResponse",
    ),
    pytest.param(_httpbin("/status/100"), "status-interim-final", id="httpbin 100 as final"),
    pytest.param(_httpbin("/status/206"), "content-range-missing", id="httpbin 206"),
    pytest.param(
        _httpbin("/response-headers", "Content-Type=text/plain&Content-Type=text/html"),
        "field-duplicate",
        id="httpbin two Content-Type lines",
    ),
    pytest.param(
        _httpbin("/response-headers", "Content-Length=1"),
        "content-length-invalid",
        id="httpbin two different Content-Length lines",
    ),
]


@pytest.mark.parametrize(("run", "rule"), KEEPS_FINDING)
def test_strict_keeps_finding_real_bugs(
    run: Callable[[Recorder], None], rule: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Strict mode reports it loudly: StatusGuardError before the head goes out, or -- once a
    # violation can only be seen after the head was committed (a stream without media type,
    # after the redesign) -- an ERROR log line; on_violation in both cases.
    recorder = Recorder()
    raised: set[str] | None = None
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        try:
            run(recorder)
        except StatusGuardError as exc:
            raised = {v.rule_id for v in exc.violations}
    if raised is not None:
        assert rule in raised
    else:
        assert errors_naming(caplog, rule), f"{rule} was neither raised nor logged at ERROR"
    assert rule in recorder.ids


# -- strict mode after the head is committed ------------------------------------------------------


@pytest.mark.parametrize("integration", ["middleware", "wsgi"])
def test_strict_after_commit_django_stream_ends_cleanly(
    integration: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A StreamingHttpResponse that runs past its Content-Length (12): only the second chunk
    # shows it, after the head went out.  Expected: the response ends cleanly at its declared
    # length (what the framing allows), the violation is logged at ERROR and passed to
    # on_violation; nothing is raised into the server.  On 0.1 StatusGuardError is raised
    # from the iterable: gunicorn then drops the connection mid-response.
    with (
        caplog.at_level(logging.WARNING, logger=LOGGER),
        django_project(integration, "strict") as (app, recorder),
    ):
        out = call_wsgi(app, environ=django_environ("GET", "/stream-too-long"))
    assert out.status == "200 OK"
    assert out.body == b"0123456789ab"
    assert "content-length-mismatch" in recorder.ids
    assert errors_naming(caplog, "content-length-mismatch")


def test_strict_after_commit_flask_stream_ends_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    app = flask_fp_app.create_app(mode="strict", on_violation=recorder, logger=LOGGER)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        out = call_wsgi(app, "/stream-too-long")
    assert out.body == b"0123456789ab"
    assert "content-length-mismatch" in recorder.ids
    assert errors_naming(caplog, "content-length-mismatch")


def test_strict_after_commit_starlette_stream_ends_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    guard = ASGIStatusGuard(STARLETTE_STREAMS, mode="strict", on_violation=recorder, logger=LOGGER)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        out = call_asgi(guard, "/stream-too-long")
    assert out.status == 200
    assert out.body == b"0123456789ab"
    last = out.messages[-1]
    assert last["type"] == "http.response.body" and not last.get("more_body", False)
    assert "content-length-mismatch" in recorder.ids
    assert errors_naming(caplog, "content-length-mismatch")


# -- the Django middleware: Set-Cookie, route labels, one verdict for both integrations -----------


def test_django_middleware_fix_keeps_crlf_cookie_lines_from_the_server() -> None:
    # A cookie attribute taken from the request: http.cookies quotes values, not attributes,
    # so "Path=/\r\nX-Injected: 1" reaches Django's handler output.  Expected in fix mode: no
    # header line with CR/LF reaches the WSGI server (as WSGIStatusGuard does).  On 0.1 the
    # middleware never looks at cookies and the line goes out.
    with django_project("middleware", "fix") as (app, recorder):
        out = call_wsgi(app, environ=django_environ("GET", "/cookie-path", CRLF_PATH))
    assert crlf_lines(out) == []
    assert "field-value-invalid" in recorder.ids


def test_django_middleware_strict_raises_on_a_crlf_cookie() -> None:
    with django_project("middleware", "strict"), pytest.raises(StatusGuardError) as caught:
        Client().get(f"/cookie-path?{CRLF_PATH}")
    assert "field-value-invalid" in {v.rule_id for v in caught.value.violations}


ROUTES = [
    pytest.param("/cond", "/cond", id="plain route"),
    pytest.param("/items/3", "/items/<int:pk>", id="route with a converter"),
]


@pytest.mark.parametrize(("path", "label"), ROUTES)
def test_django_route_label_is_a_path_in_the_log(
    path: str, label: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Expected "[GET /cond]", as WSGIStatusGuard and ASGIStatusGuard write; 0.1 writes
    # "[GET cond]" (Django's ResolverMatch.route has no leading slash).
    with (
        caplog.at_level(logging.WARNING, logger=LOGGER),
        django_project("middleware", "warn") as (app, _),
    ):
        call_wsgi(app, environ=django_environ("GET", path))
    messages = [
        r.getMessage()
        for r in caplog.records
        if getattr(r, "statusguard_rule", None) == "www-authenticate-missing"
    ]
    assert messages, "the violation was not logged"
    assert messages[0].endswith(f"[GET {label}]"), messages[0]


def test_django_route_label_is_a_path_in_the_strict_error() -> None:
    with django_project("middleware", "strict"), pytest.raises(StatusGuardError) as caught:
        Client().get("/cond")
    assert "in the response to GET /cond:" in str(caught.value)


SAME_RESPONSE = [
    pytest.param("GET", "/plain", "", id="GET clean page"),
    pytest.param("GET", "/cookie", "", id="GET cookie"),
    pytest.param("GET", "/cookie-path", CRLF_PATH, id="GET CR/LF cookie"),
    pytest.param("GET", "/not-allowed", "", id="GET 405 listing GET"),
    pytest.param("GET", "/conditional", "", id="GET ConditionalGetMiddleware"),
    pytest.param("HEAD", "/page", "", id="HEAD page"),
    pytest.param("HEAD", "/stream", "", id="HEAD stream"),
    pytest.param("HEAD", "/download", "", id="HEAD file"),
    pytest.param("GET", "/download", "", id="GET file"),
    pytest.param("GET", "/stream-too-long", "", id="GET stream too long"),
    pytest.param("GET", "/no-content", "", id="GET CommonMiddleware 204"),
    pytest.param("GET", "/drf-deleted", "", id="GET DRF 204"),
    pytest.param("GET", "/cond", "", id="GET 401"),
]


@pytest.mark.parametrize(("method", "path", "query"), SAME_RESPONSE)
@pytest.mark.parametrize("mode", ["warn", "fix"])
def test_both_django_integrations_judge_a_response_alike(
    mode: str, method: str, path: str, query: str
) -> None:
    # The same Django response, once through StatusGuardMiddleware and once through
    # WSGIStatusGuard(get_wsgi_application()), under gunicorn's SERVER_SOFTWARE: the same
    # violations, fixed or not alike.  (The CR/LF cookie differed on 0.1: the middleware never
    # read Set-Cookie.)
    verdicts = {}
    for integration in ("middleware", "wsgi"):
        with django_project(integration, mode) as (app, recorder):
            call_wsgi(app, environ=django_environ(method, path, query))
        verdicts[integration] = sorted({(v.rule_id, v.fixed) for v in recorder.violations})
    assert verdicts["middleware"] == verdicts["wsgi"]
