"""The Flask integration with a real Flask app and its test client, in each mode."""

from __future__ import annotations

import importlib.util
import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.handlers import SimpleHandler

import pytest
from flask import Flask, Response

from statusguard import ConfigurationError, StatusGuardError, Violation
from statusguard.contrib.flask import StatusGuard
from statusguard.wsgi import WSGIStatusGuard

pytestmark = pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")

DATE_1994 = "Sun, 06 Nov 1994 08:49:37 GMT"


def make_app(settings: object = None, **options: Any) -> tuple[Flask, list[str]]:
    """A small Flask app whose views break HTTP rules the way real views do."""
    app = Flask(__name__)
    seen: list[str] = []

    def record(violation: Violation) -> None:
        seen.append(violation.rule_id)

    if settings is not None:
        app.config["STATUSGUARD"] = settings
    if isinstance(settings, dict):
        settings.setdefault("on_violation", record)

    @app.get("/ok")
    def ok() -> str:
        return "fine"

    @app.get("/reset")
    def reset() -> tuple[str, int]:
        # werkzeug empties 204 and 304 bodies itself, but not 205.
        return "form cleared", 205

    @app.get("/no-content")
    def no_content() -> tuple[str, int]:
        return "ignored by werkzeug", 204

    @app.get("/private")
    def private() -> tuple[str, int]:
        return "log in first", 401

    @app.get("/dated")
    def dated() -> tuple[str, int, dict[str, str]]:
        return "hi", 200, {"Date": DATE_1994}

    @app.get("/bad-date")
    def bad_date() -> tuple[str, int, dict[str, str]]:
        return "hi", 200, {"Date": "yesterday"}

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            yield "one-"
            yield "two-"
            yield "three"

        return Response(chunks(), headers={"Content-Length": "5"}, mimetype="text/plain")

    StatusGuard(app, **options)
    return app, seen


@pytest.mark.parametrize(
    ("path", "status", "body", "headers", "ids"),
    [
        pytest.param("/ok", 200, b"fine", {}, [], id="clean"),
        pytest.param(
            "/reset", 205, b"", {"Content-Length": "0"}, ["content-forbidden"], id="205 body"
        ),
        pytest.param("/no-content", 204, b"", {}, [], id="204, emptied by werkzeug"),
        pytest.param("/private", 401, b"log in first", {}, ["www-authenticate-missing"], id="401"),
        pytest.param("/dated", 200, b"hi", {"Date": DATE_1994}, [], id="app Date kept"),
        pytest.param("/bad-date", 200, b"hi", {}, ["date-invalid"], id="bad Date replaced"),
        pytest.param(
            "/stream",
            200,
            b"one-t",
            {"Content-Length": "5"},
            ["content-length-mismatch"],
            id="stream cut at its length",
        ),
    ],
)
def test_fix_mode(
    path: str, status: int, body: bytes, headers: dict[str, str], ids: list[str]
) -> None:
    app, seen = make_app({"mode": "fix"})
    response = app.test_client().get(path)
    assert (response.status_code, response.data) == (status, body)
    for name, value in headers.items():
        assert response.headers.get(name) == value
    if path == "/bad-date":
        assert response.headers["Date"] != "yesterday"
    assert seen == ids


@pytest.mark.parametrize(
    ("path", "ids"),
    [
        ("/ok", []),
        ("/reset", ["content-forbidden"]),
        ("/private", ["www-authenticate-missing"]),
        ("/bad-date", ["date-invalid"]),
        ("/stream", ["content-length-mismatch"]),
    ],
)
def test_warn_mode_changes_nothing(path: str, ids: list[str]) -> None:
    bare = Flask(__name__)
    guarded, seen = make_app({"mode": "warn"})
    bare.view_functions.update(guarded.view_functions)
    bare.url_map = guarded.url_map
    expected = bare.test_client().get(path)
    response = guarded.test_client().get(path)
    assert (response.status, response.headers, response.data) == (
        expected.status,
        expected.headers,
        expected.data,
    )
    assert seen == ids


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/reset", "content-forbidden"),
        ("/private", "www-authenticate-missing"),
        ("/bad-date", "date-invalid"),
    ],
)
def test_strict_mode_raises_in_the_test_client(path: str, rule: str) -> None:
    app, _ = make_app({"mode": "strict"})
    with pytest.raises(StatusGuardError) as raised:
        app.test_client().get(path)
    assert rule in raised.value.rule_ids
    assert raised.value.request == f"GET {path}"


def test_strict_mode_passes_clean_responses() -> None:
    app, _ = make_app({"mode": "strict"})
    client = app.test_client()
    assert client.get("/ok").data == b"fine"
    assert client.get("/dated").headers["Date"] == DATE_1994


def test_a_server_answers_500_in_strict_mode() -> None:
    # The server's view: the guard raises before start_response, so a 500 goes out instead.
    app, _ = make_app({"mode": "strict"})
    out = io.BytesIO()
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/private",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
    }
    handler = SimpleHandler(io.BytesIO(), out, io.StringIO(), environ)
    handler.run(app)
    assert out.getvalue().startswith(b"HTTP/1.0 500")


def test_keyword_options_override_the_config() -> None:
    app, seen = make_app({"mode": "strict"}, mode="fix")
    assert app.test_client().get("/private").status_code == 401
    assert seen == ["www-authenticate-missing"]


def test_rules_from_the_config() -> None:
    app, seen = make_app({"mode": "strict", "rules": {"www-authenticate-missing": "off"}})
    assert app.test_client().get("/private").status_code == 401
    assert seen == []


def test_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATUSGUARD_MODE", "strict")
    app, _ = make_app()
    with pytest.raises(StatusGuardError):
        app.test_client().get("/private")


def test_init_app_and_the_installed_guard() -> None:
    extension = StatusGuard(mode="fix")
    first, second = Flask("first"), Flask("second")
    for app in (first, second):
        extension.init_app(app)
    guard = StatusGuard.guard(first)
    assert isinstance(guard, WSGIStatusGuard)
    assert first.wsgi_app is guard
    assert StatusGuard.guard(second) is not guard  # one guard per app
    assert StatusGuard.stats(first).total == 0


def test_logger_setting(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = make_app({"mode": "warn", "logger": "myapp.http"})
    with caplog.at_level(logging.WARNING, logger="myapp.http"):
        app.test_client().get("/private")
    assert [r.name for r in caplog.records] == ["myapp.http"]


@pytest.mark.parametrize(
    ("settings", "options", "message"),
    [
        pytest.param({"mode": "loud"}, {}, r"\['STATUSGUARD'\]\['mode'\].*loud", id="bad mode"),
        pytest.param(
            {"rules": {"no-such-rule": "off"}}, {}, r"\['rules'\].*no-such-rule", id="unknown rule"
        ),
        pytest.param({"server_date": "sometimes"}, {}, r"\['server_date'\]", id="bad server_date"),
        pytest.param({"modes": "fix"}, {}, r"unknown setting 'modes'", id="unknown key"),
        pytest.param("fix", {}, r"must be a dict", id="not a dict"),
        pytest.param({}, {"mode": "loud"}, r"StatusGuard\(mode=...\)", id="bad keyword"),
        pytest.param({}, {"strict": True}, r"StatusGuard\(\): unknown setting", id="bad kwarg"),
        pytest.param({"log_interval": "often"}, {}, r"log_interval", id="bad interval"),
    ],
)
def test_bad_settings_fail_at_init_naming_the_key(
    settings: object, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(settings, **options)


def test_installing_twice_is_an_error() -> None:
    app, _ = make_app({"mode": "fix"})
    with pytest.raises(ConfigurationError, match="already installed"):
        StatusGuard(app)


def test_import_statusguard_does_not_import_flask() -> None:
    code = "import sys, statusguard, statusguard.wsgi; print('flask' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def load_example() -> Any:
    path = Path(__file__).resolve().parents[2] / "examples" / "flask_app.py"
    spec = importlib.util.spec_from_file_location("flask_app_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("mode", "reset"),
    [
        pytest.param("warn", b"form cleared\n", id="warn"),
        pytest.param("fix", b"", id="fix"),
        pytest.param("strict", StatusGuardError, id="strict"),
    ],
)
def test_the_example_app(mode: str, reset: bytes | type[Exception]) -> None:
    example = load_example()
    client = example.create_app(mode).test_client()
    if isinstance(reset, bytes):
        assert client.get("/reset").data == reset
    else:
        with pytest.raises(reset):
            client.get("/reset")
    # The test client adds no Date, so the app's own is no violation in any mode.
    assert client.get("/dated").headers.getlist("Date") == [DATE_1994]
    assert client.get("/").status_code == 200
