"""Issue 14 on real frameworks: the rules that judge a response against its request.

Each response is made by the framework's own feature: FastAPI's routing of a HEAD, Django's
``HttpResponseNotAllowed`` and its class-based views, ``ConditionalGetMiddleware`` and the
static ``serve`` view, Flask's automatic 405 and ``send_file``, Starlette's ``FileResponse``
and ``StaticFiles``.  Two groups: the real bugs the new rules find (strict raises, with the
rule the RFC sentence names), and the correct range, conditional and method exchanges they
must leave alone (strict mode, no violation at all, info included).  The werkzeug dev server
and uvicorn are started for real in ``wire/test_request_wire.py``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from support.drive import Output, call_asgi, call_wsgi, http_scope, wsgi_environ

from contrib import flask_fp_app
from contrib.django_fp import Recorder, configure, django_environ, django_project
from statusguard import ASGIStatusGuard, StatusGuardError, WSGIStatusGuard

pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

WERKZEUG = "Werkzeug/3.1.9"


@pytest.fixture(scope="module", autouse=True)
def _django() -> None:
    configure()


def with_headers(scope: dict[str, object], *fields: tuple[str, str]) -> dict[str, object]:
    headers = list(scope["headers"])  # type: ignore[call-overload]
    headers += [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in fields]
    return {**scope, "headers": headers}


def environ_with(environ: dict[str, object], *fields: tuple[str, str]) -> dict[str, object]:
    for name, value in fields:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


# -- the real bugs ------------------------------------------------------------------------------


FASTAPI = FastAPI()


@FASTAPI.get("/items")
def _items() -> dict[str, int]:
    return {"count": 3}


def test_fastapi_get_route_refuses_head() -> None:
    # FastAPI's @app.get registers GET only: a HEAD gets 405 with Allow: GET.  RFC 9110 §9.1:
    # "All general-purpose servers MUST support the methods GET and HEAD."
    with pytest.raises(StatusGuardError) as caught:
        call_asgi(ASGIStatusGuard(FASTAPI, mode="strict"), "/items", "HEAD")
    (violation,) = caught.value.violations
    assert violation.rule_id == "get-head-unsupported"
    assert "refuses HEAD" in violation.message


def test_fastapi_get_route_answers_get() -> None:
    out = call_asgi(ASGIStatusGuard(FASTAPI, mode="strict"), "/items")
    assert out.status == 200


@pytest.mark.parametrize("integration", ["wsgi", "middleware"])
def test_django_not_allowed_listing_the_request_method(integration: str) -> None:
    # HttpResponseNotAllowed(["GET", "POST"]) returned to a GET: Allow lists the very method
    # the 405 refuses (RFC 9110 §15.5.6: Allow holds "the target resource's currently
    # supported methods").  Both integrations judge it alike.
    with django_project(integration, "warn") as (app, recorder):
        out = call_wsgi(app, environ=django_environ("GET", "/not-allowed"))
    assert str(out.status).startswith("405")
    assert recorder.ids == {"allow-lists-request-method"}
    (violation,) = recorder.violations
    assert "a 405 response to GET lists GET in Allow" in violation.message


def test_django_not_allowed_to_a_method_it_does_not_list_is_clean() -> None:
    with django_project("wsgi", "strict") as (app, recorder):
        out = call_wsgi(app, environ=django_environ("DELETE", "/not-allowed"))
    assert str(out.status).startswith("405")
    assert recorder.ids == set()


def test_flask_abort_416_to_a_range_request_names_the_range() -> None:
    environ = environ_with(wsgi_environ("/abort/416"), ("Range", "bytes=500-600"))
    with pytest.raises(StatusGuardError) as caught:
        call_wsgi(flask_fp_app.create_app(mode="strict"), environ=environ)
    (violation,) = [v for v in caught.value.violations if v.rule_id == "content-range-recommended"]
    assert "Range: bytes=500-600" in violation.message


# -- correct exchanges: no violation ------------------------------------------------------------


@pytest.fixture(scope="module")
def files() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "f.txt").write_bytes(b"0123456789" * 10)
        yield Path(directory)


def starlette(files: Path) -> Starlette:
    def file(request: Request) -> FileResponse:
        return FileResponse(files / "f.txt")

    def page(request: Request) -> Response:
        return Response(b"page", media_type="text/plain")

    return Starlette(
        routes=[
            Route("/f", file),
            Route("/page", page),
            Mount("/static", StaticFiles(directory=files)),
        ]
    )


STARLETTE_CASES = [
    pytest.param("/f", [("Range", "bytes=0-4")], 206, id="FileResponse one range"),
    pytest.param("/f", [("Range", "bytes=-5")], 206, id="FileResponse suffix range"),
    pytest.param("/f", [("Range", "bytes=0-4, 10-14")], 206, id="FileResponse two ranges"),
    pytest.param("/f", [("Range", "bytes=500-600")], 416, id="FileResponse unsatisfiable"),
    pytest.param("/static/f.txt", [("Range", "bytes=90-")], 206, id="StaticFiles range"),
    pytest.param("/page", [], 200, id="GET route answers HEAD"),
]


@pytest.mark.parametrize(("path", "fields", "status"), STARLETTE_CASES)
def test_starlette_ranges_are_clean(
    files: Path, path: str, fields: list[tuple[str, str]], status: int
) -> None:
    seen = Recorder()
    guard = ASGIStatusGuard(starlette(files), mode="strict", on_violation=seen)
    method = "HEAD" if path == "/page" else "GET"
    out = call_asgi(guard, scope=with_headers(dict(http_scope(path, method)), *fields))
    assert out.status == status
    assert seen.ids == set()


def test_starlette_static_files_not_modified_is_clean(files: Path) -> None:
    app = starlette(files)
    etag = dict(call_asgi(app, "/static/f.txt").headers)[b"etag"].decode()
    seen = Recorder()
    guard = ASGIStatusGuard(app, mode="strict", on_violation=seen)
    scope = with_headers(dict(http_scope("/static/f.txt")), ("If-None-Match", etag))
    out = call_asgi(guard, scope=scope)
    assert out.status == 304
    assert seen.ids == set()


def _flask(path: str, method: str = "GET", *fields: tuple[str, str]) -> tuple[Output, Recorder]:
    seen = Recorder()
    app = flask_fp_app.create_app(mode="strict", on_violation=seen)
    environ = environ_with(wsgi_environ(path, method, server=WERKZEUG), *fields)
    return call_wsgi(app, environ=environ), seen


def test_flask_send_file_conditional_and_range_are_clean() -> None:
    first, _ = _flask("/source.py")
    headers = dict(first.headers)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    for fields, status in [
        ((("If-None-Match", etag),), "304"),
        ((("If-Modified-Since", modified),), "304"),
        ((("Range", "bytes=0-9"),), "206"),
        ((("Range", "bytes=0-9"), ("If-Range", etag)), "206"),
        ((("Range", "bytes=0-9"), ("If-Range", '"stale"')), "200"),
        ((("Range", "bytes=999999-"),), "416"),
    ]:
        out, seen = _flask("/source.py", "GET", *fields)
        assert str(out.status).startswith(status), (fields, out.status)
        assert seen.ids == set(), (fields, seen.violations)


def test_flask_automatic_405_and_options_are_clean() -> None:
    out, seen = _flask("/form", "GET")
    assert str(out.status).startswith("405")
    assert "POST" in dict(out.headers)["Allow"]
    assert seen.ids == set()
    out, seen = _flask("/plain", "OPTIONS")
    assert str(out.status).startswith("200")
    assert seen.ids == set()


DJANGO_CASES = [
    pytest.param("HEAD", "/article", (), "200", id="View answers HEAD with get"),
    pytest.param("POST", "/article", (), "405", id="View automatic 405"),
    pytest.param("OPTIONS", "/article", (), "200", id="View OPTIONS"),
]


@pytest.mark.parametrize("integration", ["wsgi", "middleware"])
@pytest.mark.parametrize(("method", "path", "fields", "status"), DJANGO_CASES)
def test_django_methods_are_clean(
    integration: str, method: str, path: str, fields: tuple[tuple[str, str]], status: str
) -> None:
    with django_project(integration, "strict") as (app, recorder):
        out = call_wsgi(app, environ=environ_with(django_environ(method, path), *fields))
    assert str(out.status).startswith(status)
    assert recorder.ids == set()


@pytest.mark.parametrize("integration", ["wsgi", "middleware"])
def test_django_conditional_get_and_static_serve_are_clean(integration: str) -> None:
    static = f"/static/{os.path.basename(flask_fp_app.__file__)}"
    with django_project(integration, "strict") as (app, recorder):
        page = call_wsgi(app, environ=django_environ("GET", "/conditional"))
        etag = dict(page.headers)["ETag"]
        again = call_wsgi(
            app,
            environ=environ_with(django_environ("GET", "/conditional"), ("If-None-Match", etag)),
        )
        served = call_wsgi(app, environ=django_environ("GET", static))
        modified = dict(served.headers)["Last-Modified"]
        unchanged = call_wsgi(
            app,
            environ=environ_with(django_environ("GET", static), ("If-Modified-Since", modified)),
        )
    assert [str(o.status)[:3] for o in (page, again, served, unchanged)] == [
        "200",
        "304",
        "200",
        "304",
    ]
    assert recorder.ids == set()


def test_the_guard_reads_only_what_a_plan_needs() -> None:
    # A 200's rules read no request field: a request whose header reader fails is not read.
    class Exploding(dict[str, object]):
        def get(self, key: str, default: object = None) -> object:
            if key.startswith("HTTP_"):
                raise AssertionError(f"read {key}")
            return super().get(key, default)

    def app(environ: object, start_response: object) -> list[bytes]:
        start_response(  # type: ignore[operator]
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")]
        )
        return [b"ok"]

    seen = Recorder()
    environ = Exploding(wsgi_environ("/"))
    out = call_wsgi(WSGIStatusGuard(app, mode="strict", on_violation=seen), environ=environ)
    assert out.status == "200 OK"
    assert seen.ids == set()
