"""The claims of README.md and docs/ that a test can pin, each checked against the code.

Each test names the page and the sentence it keeps true (issue 18 lists the claims that were
false): how ``-W error::statusguard.StatusGuardWarning`` behaves from a shell and inside pytest,
which rule set each adapter applies, what fix mode does with duplicate fields, what is counted
when statusguard fails inside, and the hostile-input row on empty chunks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django
import pytest
from contrib import django_settings
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path
from support.drive import call_asgi, call_wsgi
from support.snippets import ROOT

from statusguard import (
    ASGIStatusGuard,
    Head,
    Reference,
    Rule,
    Severity,
    Violation,
    WSGIStatusGuard,
    repair,
)
from statusguard.docs import render_rules_page

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

QUIET = "statusguard.tests.docs_claims"  # a logger that keeps the test output clean


_quiet = logging.getLogger(QUIET)
_quiet.propagate, _quiet.handlers = False, [logging.NullHandler()]


# --------------------------------------------------------------------------------------------
# docs/configuration.md, "Warnings": -W from a shell, from pytest, and STATUSGUARD_MODE

SCRIPT = """\
import logging, sys, warnings
from statusguard import StatusGuardError, StatusGuardWarning, WSGIStatusGuard

logging.disable(logging.CRITICAL)
if "--filter-in-code" in sys.argv:
    warnings.filterwarnings("error", category=StatusGuardWarning)


def app(environ, start_response):
    start_response("204 No Content", [])
    return [b"hello"]


options = {} if "--no-mode" in sys.argv else {"mode": "warn"}
guard = WSGIStatusGuard(app, **options)
environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_PROTOCOL": "HTTP/1.1",
           "wsgi.url_scheme": "http", "SERVER_NAME": "x", "SERVER_PORT": "80"}
try:
    b"".join(guard(environ, lambda status, headers, exc_info=None: None))
except (StatusGuardError, StatusGuardWarning) as exc:
    print("raised", type(exc).__name__)
else:
    print("went out")
"""


def _python(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "serve_one.py"
    script.write_text(SCRIPT, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "STATUS"))}
    environment.update(env or {})
    flags = [a for a in args if a.startswith("-") and not a.startswith("--")]
    options = [a for a in args if a.startswith("--")]
    command = [sys.executable, *flags, str(script), *options]
    return subprocess.run(
        command, env=environment, capture_output=True, text=True, check=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(["-Werror::statusguard.StatusGuardWarning"], {}, id="python -W"),
        pytest.param(
            [], {"PYTHONWARNINGS": "error::statusguard.StatusGuardWarning"}, id="PYTHONWARNINGS"
        ),
    ],
)
def test_minus_w_with_the_category_is_dropped_by_python_at_start_up(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    # Python reads -W before site-packages is on sys.path: it cannot import statusguard yet.
    out = _python(tmp_path, *args, env=env)
    assert "Invalid -W option ignored: invalid module name: 'statusguard'" in out.stderr
    assert out.stdout.strip() == "went out"


@pytest.mark.parametrize(
    ("args", "env", "raised"),
    [
        pytest.param(["-Werror::UserWarning"], {}, "StatusGuardWarning", id="-W UserWarning"),
        pytest.param(["--filter-in-code"], {}, "StatusGuardWarning", id="filterwarnings in code"),
        pytest.param(
            ["--no-mode"], {"STATUSGUARD_MODE": "strict"}, "StatusGuardError", id="env strict"
        ),
    ],
)
def test_what_works_from_a_shell(
    tmp_path: Path, args: list[str], env: dict[str, str], raised: str
) -> None:
    out = _python(tmp_path, *args, env=env)
    assert out.stdout.strip() == f"raised {raised}", out.stderr


def test_statusguard_mode_does_not_override_a_mode_the_code_passes(tmp_path: Path) -> None:
    out = _python(tmp_path, env={"STATUSGUARD_MODE": "strict"})
    assert out.stdout.strip() == "went out"


PYTEST_FILE = """\
import pytest
from statusguard import WSGIStatusGuard


def app(environ, start_response):
    start_response("204 No Content", [])
    return [b"hello"]


def test_serves():
    guard = WSGIStatusGuard(app, mode="warn", logger="quiet")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.url_scheme": "http", "SERVER_NAME": "x", "SERVER_PORT": "80"}
    b"".join(guard(environ, lambda status, headers, exc_info=None: None))
"""


@pytest.mark.parametrize(
    ("ini", "args"),
    [
        pytest.param("", ["-W", "error::statusguard.StatusGuardWarning"], id="pytest -W"),
        pytest.param(
            "filterwarnings =\n    error::statusguard.StatusGuardWarning\n", [], id="ini"
        ),
    ],
)
def test_inside_pytest_the_category_works(tmp_path: Path, ini: str, args: list[str]) -> None:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}", encoding="utf-8")
    (tmp_path / "test_app.py").write_text(PYTEST_FILE, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "STATUS"))}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 1, out.stdout
    assert "StatusGuardWarning: [content-forbidden]" in out.stdout


# --------------------------------------------------------------------------------------------
# docs/rules.md, "Protocols": the rule set of each adapter


def _proxy_auth(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"no", status=407, content_type="text/plain")


def _keep_alive(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"plain", content_type="text/plain")
    response["Keep-Alive"] = "timeout=5"
    return response


urlpatterns = [path("407", _proxy_auth), path("keep-alive", _keep_alive)]


@pytest.fixture
def django_guard() -> Iterator[list[Violation]]:
    if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
        names = [name for name in dir(django_settings) if name.isupper()]
        settings.configure(**{name: getattr(django_settings, name) for name in names})
    django.setup()
    seen: list[Violation] = []
    setting = {"mode": "warn", "on_violation": seen.append, "logger": QUIET}
    with override_settings(
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["statusguard.contrib.django.StatusGuardMiddleware"],
        ALLOWED_HOSTS=["testserver"],
        STATUSGUARD=setting,
    ):
        yield seen


def _django_ids(seen: list[Violation], path: str, asgi: bool) -> set[str]:
    seen.clear()
    if asgi:
        asyncio.run(AsyncClient().get(path))
    else:
        Client().get(path)
    return {v.rule_id for v in seen} - {"date-missing"}


@pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")
@pytest.mark.parametrize(
    ("asgi", "proxy_auth", "keep_alive"),
    [
        pytest.param(False, set(), {"hop-by-hop-field"}, id="Django under WSGI: the wsgi set"),
        pytest.param(True, {"proxy-authenticate-missing"}, set(), id="under ASGI: the asgi set"),
    ],
)
def test_the_django_middleware_applies_the_rule_set_of_its_handler(
    django_guard: list[Violation], asgi: bool, proxy_auth: set[str], keep_alive: set[str]
) -> None:
    assert _django_ids(django_guard, "/407", asgi) == proxy_auth
    assert _django_ids(django_guard, "/keep-alive", asgi) == keep_alive


def _ids(violations: Iterable[Violation]) -> set[str]:
    return {v.rule_id for v in violations}


@pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")
def test_the_middlewares_apply_their_own_rule_set() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("407 Proxy Authentication Required", [("Keep-Alive", "timeout=5")])
        return [b""]

    seen: list[Violation] = []
    call_wsgi(WSGIStatusGuard(app, mode="warn", on_violation=seen.append, logger=QUIET))
    assert {"hop-by-hop-field"} <= _ids(seen)
    assert "proxy-authenticate-missing" not in _ids(seen)
    assert {"proxy-authenticate-missing"} <= _ids(
        repair(407, [("Keep-Alive", "timeout=5")]).violations
    )


def test_the_rules_page_says_which_set_the_django_middleware_uses() -> None:
    page = " ".join(render_rules_page().split())
    assert (
        "`wsgi` is `WSGIStatusGuard` and the Django middleware under WSGI, "
        "`asgi` is `ASGIStatusGuard` and the Django middleware under ASGI"
    ) in page


# --------------------------------------------------------------------------------------------
# README.md "Modes", docs/hostile-input.md: fix mode and duplicate singleton fields


def test_fix_mode_collapses_identical_copies_only() -> None:
    same = repair(200, [("Content-Type", "text/plain"), ("Content-Type", "text/plain")], b"x")
    assert [v for n, v in same.headers if n.lower() == b"content-type"] == [b"text/plain"]
    assert {(v.rule_id, v.action.value) for v in same.violations} >= {("field-duplicate", "fixed")}
    different = repair(200, [("Content-Type", "text/plain"), ("Content-Type", "text/html")], b"x")
    assert [v for n, v in different.headers if n.lower() == b"content-type"] == [
        b"text/plain",
        b"text/html",
    ]
    assert ("field-duplicate", "reported") in {
        (v.rule_id, v.action.value) for v in different.violations
    }


# --------------------------------------------------------------------------------------------
# docs/hostile-input.md, "After the head has gone out": what is counted on an internal failure


def _planted_fix(head: Head) -> Head:
    raise RuntimeError("planted: a fix that fails")


PLANTED = Rule(
    id="x-planted",
    severity=Severity.ERROR,
    reference=Reference(9110, "15"),
    summary="A rule whose fix fails",
    check=lambda head: "always",
    fix=_planted_fix,
    fix_summary="raise",
)


def _204_with_content(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("204 No Content", [("Content-Length", "5")])
    return [b"hello"]


async def _asgi_204(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def test_a_response_statusguard_failed_on_counts_as_an_internal_error_only() -> None:
    wsgi = WSGIStatusGuard(_204_with_content, mode="fix", extra_rules=[PLANTED], logger=QUIET)
    out = call_wsgi(wsgi)
    assert (out.headers, out.body) == ([("Content-Length", "5")], b"hello")  # the app's own
    assert (wsgi.stats().violations, wsgi.stats().internal_errors) == ({}, 1)

    asgi = ASGIStatusGuard(_asgi_204, mode="fix", extra_rules=[PLANTED], logger=QUIET)
    assert call_asgi(asgi).body == b"hello"
    assert (asgi.stats().violations, asgi.stats().internal_errors) == ({}, 1)


def _failing_callback(violation: Violation) -> None:
    raise RuntimeError("planted: on_violation fails")


def _long_stream(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    yield from (b"one-", b"two-", b"three")


def test_a_violation_the_guard_could_not_act_on_is_not_counted_as_fixed() -> None:
    # When on_violation fails after the head went out, the guard fails open (the stream is not
    # cut): the violation is counted as what happened, reported.
    guard = WSGIStatusGuard(_long_stream, mode="fix", on_violation=_failing_callback, logger=QUIET)
    assert call_wsgi(guard).body == b"one-two-three"  # the app's own content: nothing was cut
    assert guard.stats().internal_errors == 1
    assert ("content-length-mismatch", 200, "fixed") not in guard.stats().violations
    assert guard.stats().violations[("content-length-mismatch", 200, "reported")] == 1


# --------------------------------------------------------------------------------------------
# docs/hostile-input.md, "WSGI only": empty chunks on a 204


def _empty_chunks(last: bytes) -> Any:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("204 No Content", [])
        for _ in range(1000):
            yield b""
        if last:
            yield last

    return app


@pytest.mark.filterwarnings("ignore::statusguard.StatusGuardWarning")
@pytest.mark.parametrize(
    ("last", "counted"),
    [
        pytest.param(b"", {}, id="only empty chunks: nothing to report"),
        pytest.param(b"x", {("content-forbidden", 204, "fixed"): 1}, id="then one content byte"),
    ],
)
def test_empty_chunks_on_a_204(last: bytes, counted: dict[tuple[str, int, str], int]) -> None:
    guard = WSGIStatusGuard(_empty_chunks(last), mode="fix", server="gunicorn", logger=QUIET)
    assert call_wsgi(guard).body == b""
    assert guard.stats().violations == counted


# --------------------------------------------------------------------------------------------
# README.md "Why": what the peers report on correct responses


def _wsgi_app(status: str, headers: list[tuple[str, str]], body: list[bytes]) -> Any:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response(status, headers)
        return body

    return app


Shape = tuple[str, list[tuple[str, str]], list[bytes]]
CORRECT_204: Shape = ("204 No Content", [], [])
CORRECT_HEAD: Shape = ("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")], [])
TYPED_204: Shape = ("204 No Content", [("Content-Type", "text/plain")], [])


def _environ(method: str) -> dict[str, Any]:
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {"REQUEST_METHOD": method, "QUERY_STRING": ""}
    setup_testing_defaults(environ)
    return environ


def _validate(response: Shape, method: str) -> str:
    from wsgiref.validate import validator

    try:
        result = validator(_wsgi_app(*response))(_environ(method), lambda s, h, e=None: len)
        b"".join(result)
        result.close()  # type: ignore[attr-defined]
    except AssertionError as exc:
        return str(exc)
    return "ok"


def _lint(response: Shape, method: str) -> list[str]:
    import warnings

    from werkzeug.middleware.lint import LintMiddleware

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = LintMiddleware(_wsgi_app(*response))(_environ(method), lambda s, h, e=None: len)
        b"".join(result)
        result.close()  # type: ignore[attr-defined]
    return [str(w.message) for w in caught]


def test_wsgiref_validate_passes_a_correct_204_and_head_and_refuses_a_typed_204() -> None:
    assert _validate(CORRECT_204, "GET") == "ok"
    assert _validate(CORRECT_HEAD, "HEAD") == "ok"
    assert "Content-Type header found in a 204 response" in _validate(TYPED_204, "GET")


def test_werkzeug_lint_warns_on_a_correct_204_and_a_correct_head() -> None:
    assert _lint(CORRECT_204, "GET") == ["204 responses must have an empty content length."]
    assert _lint(CORRECT_HEAD, "HEAD") == [
        "Content-Length and the number of bytes sent to the client do not match."
    ]


# --------------------------------------------------------------------------------------------
# docs/integrations.md, "System checks": the keys the E002 row lists


def test_the_unknown_key_row_lists_the_keys_the_setting_accepts() -> None:
    from statusguard.contrib.django.conf import OPTION_KEYS

    page = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    (row,) = [line for line in page.splitlines() if line.startswith("| `statusguard.E002` |")]
    listed = row.partition("the keys are the option names:")[2]
    # Sorted, as the check's hint names them.
    assert listed.split("`")[1::2] == sorted(OPTION_KEYS)
