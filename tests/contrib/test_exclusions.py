"""Leaving some routes alone (issue 18): ``exclude_paths`` and ``exempt()`` in every integration.

Each excluded or exempt route here sends a response strict mode would refuse (content on a
204): it must reach the server exactly as the application made it, be counted in
``stats().excluded``, and leave the other routes of the same guard judged as before.  The
frameworks route the requests themselves (Flask's dispatch, Django's URL resolver and
``process_view``, Starlette's and FastAPI's routers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.views import View
from fastapi import FastAPI
from fastapi import Response as FastAPIResponse
from flask import Flask
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from support.drive import call_asgi, call_wsgi, wsgi_environ

from contrib.django_fp import configure
from statusguard import (
    ASGIStatusGuard,
    ConfigurationError,
    StatusGuardError,
    WSGIStatusGuard,
    exempt,
)
from statusguard import exemptions as exemptions_module
from statusguard.contrib.django import statusguard_exempt
from statusguard.contrib.flask import StatusGuard
from statusguard.exemptions import ExcludedPaths

BROKEN = b"not empty"  # content on a 205: content-forbidden, which strict mode refuses


# -- the option ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "path", "excluded"),
    [
        (["/health"], "/health", True),
        (["/health"], "/health/live", True),
        (["/health"], "/healthz", False),
        (["/health"], "/", False),
        (["/legacy/"], "/legacy/old", True),
        (["/legacy/"], "/legacy", False),
        ([re.compile(r"/v1/.*\.csv")], "/v1/reports/q3.csv", True),
        ([re.compile(r"/v1/.*\.csv")], "/v1/reports/q3.csv.bak", False),  # a full match
        (["/a", re.compile("/b+")], "/bbb", True),
        ([], "/health", False),
    ],
)
def test_excluded_paths(entries: list[Any], path: str, excluded: bool) -> None:
    assert (path in ExcludedPaths(entries)) is excluded


@pytest.mark.parametrize(
    "value",
    [
        "/health",  # a string, not a list of them
        ["health"],  # no leading slash
        ["/health?probe=1"],
        [re.compile(rb"/bytes")],
        [42],
    ],
)
def test_a_bad_exclude_paths_fails_at_construction_naming_the_option(value: object) -> None:
    with pytest.raises(ConfigurationError, match="exclude_paths"):
        WSGIStatusGuard(lambda e, s: [], exclude_paths=value)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="exclude_paths"):
        ASGIStatusGuard(_starlette(), exclude_paths=value)  # type: ignore[arg-type]


def test_exempt_needs_something_it_can_mark() -> None:
    with pytest.raises(TypeError, match="exempt"):
        exempt(42)


def test_other_routes_read_nothing_of_the_option_when_it_is_unused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No exclude_paths and no exempt() in the process: the guard reads neither the path nor
    # the marker of a clean response.
    monkeypatch.setattr(exemptions_module, "used", False)
    read: list[str] = []

    class Environ(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            read.append(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> Any:
            read.append(key)
            return super().__getitem__(key)

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    out = call_wsgi(WSGIStatusGuard(app, mode="strict"), environ=Environ(wsgi_environ("/x")))
    assert out.status == "200 OK"
    assert "PATH_INFO" not in read and exemptions_module.ENVIRON_KEY not in read


# -- WSGI and ASGI ------------------------------------------------------------------------------


def _wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
    start_response("205 Reset Content", [])
    return [BROKEN]


def test_wsgi_exclude_paths() -> None:
    guard = WSGIStatusGuard(_wsgi_app, mode="strict", exclude_paths=["/health"])
    out = call_wsgi(guard, "/health/live")
    assert (out.status, out.body) == ("205 Reset Content", BROKEN)
    environ = wsgi_environ("/ready")
    environ["SCRIPT_NAME"], environ["PATH_INFO"] = "/health", "/ready"  # mounted below /health
    assert call_wsgi(guard, environ=environ).body == BROKEN
    with pytest.raises(StatusGuardError):
        call_wsgi(guard, "/items")
    assert guard.stats().excluded == 2
    assert guard.stats().as_dict()["excluded"] == 2


async def _broken_endpoint(request: Request) -> Response:
    return Response(BROKEN, status_code=205)


def _starlette() -> Starlette:
    # exempt() marks the object it is given: each exempt route gets an endpoint of its own.
    async def health(request: Request) -> Response:
        return Response(BROKEN, status_code=205)

    legacy = Starlette(routes=[Route("/old", _broken_endpoint)])
    return Starlette(
        routes=[
            Route("/health", exempt(health)),
            Route("/items", _broken_endpoint),
            Mount("/legacy", exempt(legacy)),
            Route("/metrics", _broken_endpoint),
        ]
    )


def test_asgi_exclude_paths_and_starlette_exempt_routes() -> None:
    guard = ASGIStatusGuard(_starlette(), mode="strict", exclude_paths=["/metrics"])
    for route in ("/health", "/legacy/old", "/metrics"):
        out = call_asgi(guard, route)
        assert (out.status, out.body) == (205, BROKEN), route
    with pytest.raises(StatusGuardError):
        call_asgi(guard, "/items")
    assert guard.stats().excluded == 3


def test_fastapi_exempt_route() -> None:
    app = FastAPI()

    @app.get("/health")
    @exempt
    def health() -> FastAPIResponse:
        return FastAPIResponse(BROKEN, status_code=205)

    @app.get("/items")
    def items() -> FastAPIResponse:
        return FastAPIResponse(BROKEN, status_code=205)

    guard = ASGIStatusGuard(app, mode="strict")
    assert call_asgi(guard, "/health").body == BROKEN
    with pytest.raises(StatusGuardError):
        call_asgi(guard, "/items")
    assert guard.stats().excluded == 1


# -- Flask --------------------------------------------------------------------------------------


def _flask(**options: Any) -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    @exempt
    def health() -> tuple[bytes, int]:
        return BROKEN, 205

    @app.get("/metrics")
    def metrics() -> tuple[bytes, int]:
        return BROKEN, 205

    @app.get("/items")
    def items() -> tuple[bytes, int]:
        return BROKEN, 205

    StatusGuard(app, **options)
    return app


def test_flask_exempt_view_and_exclude_paths() -> None:
    app = _flask(mode="strict")
    app.config["STATUSGUARD"] = {}
    assert call_wsgi(app, "/health").body == BROKEN  # exempt()
    with pytest.raises(StatusGuardError):
        call_wsgi(app, "/metrics")
    configured = Flask(__name__)
    configured.config["STATUSGUARD"] = {"mode": "strict", "exclude_paths": ["/metrics"]}

    @configured.get("/metrics")
    def metrics() -> tuple[bytes, int]:
        return BROKEN, 205

    StatusGuard(configured)
    assert call_wsgi(configured, "/metrics").body == BROKEN  # app.config
    assert StatusGuard.stats(app).excluded == 1
    assert StatusGuard.stats(configured).excluded == 1


def test_flask_exempt_view_through_the_test_client() -> None:
    client = _flask(mode="strict").test_client()
    response = client.get("/health")
    assert (response.status_code, response.data) == (205, BROKEN)
    with pytest.raises(StatusGuardError):
        client.get("/items")


def test_flask_bad_exclude_paths_names_the_config_key() -> None:
    app = Flask(__name__)
    app.config["STATUSGUARD"] = {"exclude_paths": ["health"]}
    with pytest.raises(ConfigurationError, match=r"\['exclude_paths'\]"):
        StatusGuard(app)


# -- Django -------------------------------------------------------------------------------------


def _broken(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BROKEN, status=205)


@statusguard_exempt
def _health(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BROKEN, status=205)


@statusguard_exempt
class _ExemptView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(BROKEN, status=205)


urlpatterns = [
    path("health", _health),
    path("class-view", _ExemptView.as_view()),
    path("metrics/prometheus", _broken),
    path("items", _broken),
]


@pytest.fixture
def django_strict() -> Iterator[None]:
    configure()
    with override_settings(
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["statusguard.contrib.django.StatusGuardMiddleware"],
        STATUSGUARD={"mode": "strict", "exclude_paths": ["/metrics"]},
        ALLOWED_HOSTS=["testserver"],
    ):
        yield


@pytest.mark.usefixtures("django_strict")
@pytest.mark.parametrize("route", ["/health", "/class-view", "/metrics/prometheus"])
def test_django_exempt_views_and_exclude_paths(route: str) -> None:
    response = Client().get(route)
    assert (response.status_code, response.content) == (205, BROKEN)


@pytest.mark.usefixtures("django_strict")
def test_django_other_views_are_still_judged() -> None:
    with pytest.raises(StatusGuardError):
        Client().get("/items")


def test_django_bad_exclude_paths_is_a_system_check_error() -> None:
    from statusguard.contrib.django.conf import setting_problems

    (problem,) = setting_problems({"exclude_paths": ["metrics"]})
    assert (problem.id, problem.key) == ("statusguard.E001", "exclude_paths")
