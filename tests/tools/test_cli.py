"""The ``statusguard`` command: every command, every exit status, real Flask and FastAPI apps."""

from __future__ import annotations

import email.utils
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from statusguard import CATALOGUE, RULES_BY_ID, demo
from statusguard.audit import example
from statusguard.cli import main
from statusguard.docs import render_cross_rules_table, render_rules_table
from statusguard.rules.exchanges import CROSS_RULES

ALL_IDS = {rule.id for rule in CATALOGUE}
CROSS_IDS = {rule.id for rule in CROSS_RULES}
EVERY_ID = [rule.id for rule in CATALOGUE] + [rule.id for rule in CROSS_RULES]
DATE = "Sun, 06 Nov 1994 08:49:37 GMT"

WriteApp = Callable[[str], str]
_names = itertools.count()


@pytest.fixture
def write_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteApp]:
    """Write a module into a fresh current directory; return its (unique) name."""
    monkeypatch.chdir(tmp_path)
    written: list[str] = []

    def write(source: str) -> str:
        name = f"cli_app_{next(_names)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_json(
    capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, list[dict[str, object]]]:
    status, out, err = run(capsys, *argv, "--format", "json")
    assert not err
    report = json.loads(out)
    # check prints a report whose "findings" are the flat list lint prints.
    findings = report["findings"] if argv[0] == "check" else report
    assert isinstance(findings, list)
    return status, findings


def fired(findings: list[dict[str, object]]) -> dict[str, set[object]]:
    """path → the rule ids that fired on it."""
    by_path: dict[str, set[object]] = {}
    for finding in findings:
        by_path.setdefault(str(finding["path"]), set()).add(finding["rule"])
    return by_path


# -- check: the bundled example app ----------------------------------------------------------


@pytest.fixture(scope="module")
def demo_report() -> list[dict[str, object]]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["check", "--format", "json"])
    assert status == 1
    findings = json.loads(out.getvalue())["findings"]
    assert isinstance(findings, list)
    return findings


def test_check_without_app_fires_every_rule_of_the_catalogue(
    demo_report: list[dict[str, object]],
) -> None:
    assert {f["rule"] for f in demo_report} == ALL_IDS | CROSS_IDS


@pytest.mark.parametrize("route", example.ROUTES, ids=[r.rule or "clean" for r in example.ROUTES])
def test_each_audit_example_route_breaks_exactly_its_rule(
    demo_report: list[dict[str, object]], route: example.ExampleRoute
) -> None:
    assert fired(demo_report).get(route.path, set()) == ({route.rule} if route.rule else set())


@pytest.mark.parametrize("route", demo.ROUTES, ids=[r.rule for r in demo.ROUTES])
def test_each_demo_route_breaks_exactly_its_rule(
    demo_report: list[dict[str, object]], route: demo.Route
) -> None:
    assert fired(demo_report)[route.path] == {route.rule, *route.also}


def test_report_objects_carry_what_the_issue_asks_for(
    demo_report: list[dict[str, object]],
) -> None:
    (finding,) = [f for f in demo_report if f["rule"] == "content-forbidden"]
    assert finding == {
        "app": "statusguard.demo:wsgi_app",
        "route": "GET /204-with-content",
        "probe": "request",
        "request_headers": [],
        "scope": "response",
        "method": "GET",
        "path": "/204-with-content",
        "status": 204,
        "rule": "content-forbidden",
        "severity": "error",
        "message": finding["message"],
        "fixable": True,
        "fixed": False,
        "reference": "RFC 9110 §15.3.5",
        "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.3.5",
    }
    assert str(finding["message"]).startswith("[content-forbidden] ")
    fixable = {f["rule"]: f["fixable"] for f in demo_report}
    assert fixable == {
        **{rule.id: rule.fix is not None for rule in CATALOGUE},
        **dict.fromkeys(CROSS_IDS, False),
    }


@pytest.mark.parametrize(
    ("mode", "expect_fixed"),
    [
        pytest.param("warn", False, id="warn changes nothing"),
        pytest.param("strict", False, id="strict raises"),
        pytest.param("fix", True, id="fix repairs what it can"),
    ],
)
def test_check_mode_decides_what_the_guard_does(
    capsys: pytest.CaptureFixture[str], mode: str, expect_fixed: bool
) -> None:
    status, findings = run_json(capsys, "check", "--mode", mode)
    assert status == 1
    assert {f["rule"] for f in findings} >= ALL_IDS - {"content-type-missing"}
    fixed = {f["rule"] for f in findings if f["fixed"]}
    if expect_fixed:
        assert fixed <= {f["rule"] for f in findings if f["fixable"]}
        assert {"content-forbidden", "date-missing", "hop-by-hop-field"} <= fixed
        # A fix that would change the meaning is not applied: two different Content-Types
        # stay (field-duplicate), and nothing can invent a WWW-Authenticate challenge.
        assert not {"field-duplicate", "www-authenticate-missing"} & fixed
    else:
        assert not fixed


def test_check_piped_output_is_one_line_per_violation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "check", "--path", "/204-with-content", "--path", "/")
    assert (status, err) == (1, "")
    line, summary = out.splitlines()
    assert line == (
        "GET /204-with-content 204 error fixable [content-forbidden] 1xx, 204, 205 and 304 "
        "responses cannot contain content (RFC 9110 §15.3.5): a 204 response carried 5 "
        "content bytes. https://www.rfc-editor.org/rfc/rfc9110#section-15.3.5"
    )
    assert summary == (
        "statusguard: 2 routes, 2 responses checked, 1 violation (1 error); fix mode repairs 1."
    )


def test_check_in_a_terminal_prints_a_table_grouped_by_route(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    status, out, _ = run(
        capsys, "check", "--path", "/401-no-challenge", "--path", "/no-content-type"
    )
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == "✗ GET /401-no-challenge  1 probe"  # one app: no app name per route
    assert lines[1].split() == ["PROBE", "METHOD", "STATUS", "RULE", "SEVERITY", "FIX"]
    rows = [line for line in lines if line.startswith("  request")]
    assert [row.split() for row in rows] == [
        ["request", "GET", "401", "www-authenticate-missing", "error", "no"],
        ["request", "GET", "200", "content-type-missing", "warning", "no"],
    ]
    assert rows[0].index(" 401 ") == rows[1].index(" 200 ")  # aligned columns
    assert "      https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2" in lines
    assert "\033[" not in out  # NO_COLOR


def test_check_in_a_terminal_is_in_colour(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out, _ = run(capsys, "check", "--path", "/401-no-challenge", "--path", "/")
    assert "\033[31m✗\033[0m" in out  # a red cross for the failing route
    assert "\033[32m✓\033[0m" in out  # a green tick for the clean one


def test_check_one_demo_app_by_its_import_path(capsys: pytest.CaptureFixture[str]) -> None:
    # No router to read, no STATUSGUARD_PATHS: "/" is probed; the index breaks nothing.
    status, out, err = run(capsys, "check", "statusguard.demo:wsgi_app")
    assert (status, err) == (0, "")
    assert out == "statusguard: 1 route, 3 responses checked, no violations.\n"


# -- check: your app -------------------------------------------------------------------------

CLEAN_WSGI = f"""
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2"),
                                  ("Date", "{DATE}")])
        return [b"ok"]
"""

WARNING_WSGI = """
    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"no content type"]
"""

ERROR_ASGI = """
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})
"""

RAISING_WSGI = """
    def app(environ, start_response):
        raise RuntimeError("database unavailable")
"""


@pytest.mark.parametrize(
    ("source", "expected_status", "expected_ids"),
    [
        pytest.param(CLEAN_WSGI, 0, set(), id="clean wsgi app: 0"),
        pytest.param(WARNING_WSGI, 0, {"content-type-missing"}, id="warnings only: 0"),
        pytest.param(ERROR_ASGI, 1, {"content-forbidden"}, id="error severity: 1"),
    ],
)
def test_check_exit_status_follows_the_worst_severity(
    capsys: pytest.CaptureFixture[str],
    write_app: WriteApp,
    source: str,
    expected_status: int,
    expected_ids: set[str],
) -> None:
    module = write_app(source)
    status, findings = run_json(capsys, "check", f"{module}:app")
    assert status == expected_status
    assert {f["rule"] for f in findings} == expected_ids


def test_check_reports_an_app_that_raises_and_exits_1(
    capsys: pytest.CaptureFixture[str], write_app: WriteApp
) -> None:
    module = write_app(RAISING_WSGI)
    status, out, err = run(capsys, "check", f"{module}:app")
    assert status == 1
    assert "0 responses checked, 3 failed" in out
    assert err == "".join(
        f"statusguard check: {method} / ({module}:app): the application raised "
        "RuntimeError: database unavailable\n"
        for method in ("GET", "HEAD", "OPTIONS")
    )


@pytest.mark.parametrize(
    ("app", "source", "message"),
    [
        pytest.param(
            "no_such_module_here:app", None, "cannot import 'no_such_module_here'", id="module"
        ),
        pytest.param("{module}", CLEAN_WSGI, "APP must be module:attribute", id="no colon"),
        pytest.param("{module}:nope", CLEAN_WSGI, "has no attribute 'nope'", id="attribute"),
        pytest.param(
            "{module}:app",
            "import not_installed_dependency\napp = None",
            "importing '{module}' failed: ModuleNotFoundError",
            id="missing dependency",
        ),
        pytest.param(
            "{module}:app",
            "raise RuntimeError('settings missing')",
            "importing '{module}' failed: RuntimeError: settings missing",
            id="import raises",
        ),
        pytest.param(
            "{module}:app", "app = 42", "is a int, not a WSGI or ASGI", id="not callable"
        ),
        pytest.param(
            "{module}:app",
            "def app(request):\n    pass",
            "cannot tell whether",
            id="neither wsgi nor asgi",
        ),
        pytest.param(
            "{module}:App",
            "class App:\n    def __call__(self, environ, start_response): pass",
            "is a class; give the application instance",
            id="a class",
        ),
        pytest.param(
            "{module}:app",
            CLEAN_WSGI + "    STATUSGUARD_PATHS = [42]\n",
            "STATUSGUARD_PATHS: 42 is not a path",
            id="bad STATUSGUARD_PATHS",
        ),
    ],
)
def test_check_bad_app_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str],
    write_app: WriteApp,
    app: str,
    source: str | None,
    message: str,
) -> None:
    module = write_app(source) if source is not None else ""
    status, out, err = run(capsys, "check", app.format(module=module))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("statusguard check: error: ")
    assert message.format(module=module) in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--path", "no-slash"], "must start with /", id="relative path"),
        pytest.param(["--mode", "loud"], "invalid choice: 'loud'", id="bad mode"),
        pytest.param(["--format", "xml"], "invalid choice: 'xml'", id="bad format"),
    ],
)
def test_check_bad_options_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "check", *argv)
    assert (status, out) == (2, "")
    assert message in err


def test_check_requests_come_from_path_method_and_statusguard_paths(
    capsys: pytest.CaptureFixture[str], write_app: WriteApp
) -> None:
    module = write_app(
        """
        def app(environ, start_response):
            headers = [("Content-Type", "text/plain")]
            if environ["SERVER_PROTOCOL"] == "HTTP/1.0":
                headers.append(("Transfer-Encoding", "chunked"))  # unknown to HTTP/1.0
            start_response("299 Custom", headers)  # breaks status-code-unregistered
            return []

        STATUSGUARD_PATHS = ["/a", ("POST", "/b"), "HEAD /c", ("GET", "/d", "HTTP/1.0")]
        """
    )
    _, declared = run_json(capsys, "check", f"{module}:app")
    # A path is a route to probe (GET, HEAD, OPTIONS: the router is unknown); a request
    # line is one request sent as it is.
    assert [(f["method"], f["path"], f["rule"]) for f in declared] == [
        ("GET", "/a", "status-code-unregistered"),
        ("HEAD", "/a", "status-code-unregistered"),
        ("OPTIONS", "/a", "status-code-unregistered"),
        ("POST", "/b", "status-code-unregistered"),
        ("HEAD", "/c", "status-code-unregistered"),
        ("GET", "/d", "status-code-unregistered"),
        ("GET", "/d", "hop-by-hop-field"),
        ("GET", "/d", "transfer-encoding-forbidden"),
    ]
    _, chosen = run_json(capsys, "check", f"{module}:app", "--path", "PUT /x")
    assert [(f["method"], f["path"]) for f in chosen] == [("PUT", "/x")]
    # --method opts in to an unsafe method on top of the safe probes.
    _, opted = run_json(capsys, "check", f"{module}:app", "--path", "/x", "--method", "put")
    assert [f["method"] for f in opted] == ["GET", "HEAD", "OPTIONS", "PUT"]


FLASK_APP = """
    from flask import Flask, abort

    app = Flask(__name__)

    @app.get("/")
    def index():
        return "hello"

    @app.get("/private")
    def private():
        abort(401)  # werkzeug's Unauthorized carries no WWW-Authenticate challenge

    STATUSGUARD_PATHS = ["/", "/private"]
"""

FASTAPI_APP = """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request, Response

    @asynccontextmanager
    async def lifespan(app):
        yield {"greeting": "hello"}  # only there when the lifespan protocol ran

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    def index(request: Request):
        return {"greeting": request.state.greeting}

    @app.delete("/items/1", status_code=204)
    def delete():
        return Response(b"gone", status_code=204)

    STATUSGUARD_PATHS = ["/", ("DELETE", "/items/1")]
"""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(FLASK_APP, {"/private": {"www-authenticate-missing"}}, id="flask"),
        pytest.param(
            FASTAPI_APP,
            # FastAPI's @app.get answers HEAD 405 (issue 14): the audit's HEAD probe sees it,
            # as a 405 refusing HEAD where GET is allowed and as a HEAD unlike its GET.
            {
                "/": {"get-head-unsupported", "head-status-mismatch"},
                "/items/1": {"content-forbidden"},
            },
            id="fastapi",
        ),
    ],
)
def test_check_real_framework_apps(
    capsys: pytest.CaptureFixture[str],
    write_app: WriteApp,
    source: str,
    expected: dict[str, set[str]],
) -> None:
    module = write_app(source)
    status, findings = run_json(capsys, "check", f"{module}:app")
    assert status == 1
    assert fired(findings) == expected


def test_check_a_django_project_through_python_m(tmp_path: Path) -> None:
    project = tmp_path / "mysite"
    project.mkdir()
    (project / "__init__.py").write_text("")
    (project / "settings.py").write_text(
        textwrap.dedent(
            """
            SECRET_KEY = "cli-test"
            ALLOWED_HOSTS = ["*"]
            ROOT_URLCONF = "mysite.urls"
            MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
            USE_TZ = True
            """
        )
    )
    (project / "urls.py").write_text(
        textwrap.dedent(
            """
            from django.http import HttpResponse
            from django.urls import path

            def gone(request):
                return HttpResponse(status=204)  # CommonMiddleware adds Content-Length: 0

            def login(request):
                return HttpResponse("log in first", status=401)

            urlpatterns = [path("gone", gone), path("login", login)]
            """
        )
    )
    (project / "wsgi.py").write_text(
        textwrap.dedent(
            """
            import os
            from django.core.wsgi import get_wsgi_application

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
            application = get_wsgi_application()
            STATUSGUARD_PATHS = ["/gone", "/login"]
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "statusguard", "check", "mysite.wsgi:application"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    # Function views: the router does not say their methods, so GET, HEAD and OPTIONS.
    assert [line.split()[:6] for line in lines[:-1]] == [
        [method, "/gone", "204", "error", "fixable", "[content-length-forbidden]"]
        for method in ("GET", "HEAD", "OPTIONS")
    ] + [
        [method, "/login", "401", "error", "not-fixable", "[www-authenticate-missing]"]
        for method in ("GET", "HEAD", "OPTIONS")
    ]


def test_the_installed_executable_checks_the_example_app(tmp_path: Path) -> None:
    executable = shutil.which("statusguard") or str(Path(sys.executable).parent / "statusguard")
    result = subprocess.run(
        [executable, "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == ""
    *lines, summary = result.stdout.splitlines()
    assert {line.split()[5].strip("[]") for line in lines} == ALL_IDS | CROSS_IDS
    routes = len(demo.ROUTES) + len(example.ROUTES)
    assert summary.startswith(f"statusguard: {routes} routes, ")


# -- lint ------------------------------------------------------------------------------------


def response(*lines: str, body: bytes = b"") -> bytes:
    return "".join(f"{line}\r\n" for line in (*lines, "")).encode("latin-1") + body


OK_HEAD = ("Content-Type: text/plain", f"Date: {DATE}")


@pytest.mark.parametrize(
    ("data", "argv", "expected_status", "expected"),
    [
        pytest.param(
            response("HTTP/1.1 200 OK", *OK_HEAD, "Content-Length: 5", body=b"hello"),
            [],
            0,
            [],
            id="clean",
        ),
        pytest.param(
            response("HTTP/1.1 204 No Content", f"Date: {DATE}", body=b"hello"),
            [],
            1,
            [("GET", 204, "content-forbidden")],
            id="204 with content",
        ),
        pytest.param(
            response("HTTP/1.1 302 Found", f"Date: {DATE}", "Content-Length: 0"),
            [],
            0,
            [("GET", 302, "location-missing")],
            id="warning only",
        ),
        pytest.param(
            response("HTTP/1.1 100 Continue")
            + response("HTTP/1.1 200 OK", *OK_HEAD, "Content-Length: 2", body=b"ok"),
            [],
            0,
            [],
            id="interim 100 then final",
        ),
        pytest.param(
            response("HTTP/1.1 200 OK", *OK_HEAD, "Content-Length: 1234"),
            [],
            0,
            [],
            id="curl -I: taken as HEAD",
        ),
        pytest.param(
            response("HTTP/1.1 200 OK", *OK_HEAD, "Transfer-Encoding: chunked"),
            [],
            0,
            [],
            id="curl -I on a chunked response",
        ),
        pytest.param(
            response("HTTP/1.1 302 Found", f"Date: {DATE}", "Location: /a", "Content-Length: 9")
            + response("HTTP/1.1 200 OK", *OK_HEAD, "Content-Length: 1234"),
            [],
            0,
            [],
            id="curl -IL redirect chain",
        ),
        pytest.param(
            response("HTTP/1.1 304 Not Modified", f"Date: {DATE}", "Content-Length: 1234"),
            [],
            0,
            [],
            id="304 with the length a 200 would have",
        ),
        pytest.param(
            response("HTTP/1.1 200 OK", *OK_HEAD, "Content-Length: 1234"),
            ["--method", "get"],
            1,
            [("GET", 200, "content-length-mismatch")],
            id="curl -I read as GET",
        ),
        pytest.param(
            response("HTTP/1.1 200 OK", *OK_HEAD, "Content-Length: 3", body=b"hello"),
            [],
            1,
            [("GET", 200, "content-length-mismatch")],
            id="longer than content-length",
        ),
        pytest.param(
            response(
                "HTTP/2 200 ", "content-type: text/plain", f"date: {DATE}", "connection: close"
            )
            + b"",
            [],
            1,
            [("GET", 200, "connection-specific-field")],
            id="curl HTTP/2 output",
        ),
        pytest.param(
            response(
                "HTTP/1.1 200 OK",
                *OK_HEAD,
                "Transfer-Encoding: chunked",
                body=b"5\r\nhello\r\n0\r\n\r\n",
            ),
            [],
            0,
            [],
            id="chunked",
        ),
        pytest.param(
            response("HTTP/1.1 301 Moved Permanently", f"Date: {DATE}", "Content-Length: 0")
            + response("HTTP/1.1 401 Unauthorized", *OK_HEAD, "Content-Length: 2", body=b"no"),
            [],
            1,
            [("GET", 301, "location-missing"), ("GET", 401, "www-authenticate-missing")],
            id="redirect chain (curl -L)",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\nContent-Type: text/plain\nDate: " + DATE.encode() + b"\n"
            b"X-Folded: a\n b\n\nok",
            [],
            0,
            [],
            id="bare LF and obs-fold",
        ),
        pytest.param(
            response("HTTP/1.1 200 O\x01K", *OK_HEAD, "Content-Length: 2", body=b"ok"),
            [],
            1,
            [("GET", 200, "reason-phrase-invalid")],
            id="reason phrase",
        ),
    ],
)
def test_lint_reads_a_captured_response_from_stdin(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    argv: list[str],
    expected_status: int,
    expected: list[tuple[str, int, str]],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, findings = run_json(capsys, "lint", *argv)
    assert status == expected_status
    assert [(f["method"], f["status"], f["rule"]) for f in findings] == expected


def test_lint_reads_a_file_and_prints_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capture = tmp_path / "response.http"
    capture.write_bytes(response("HTTP/1.1 405 Method Not Allowed", *OK_HEAD, "Content-Length: 0"))
    status, out, err = run(capsys, "lint", str(capture))
    assert (status, err) == (1, "")
    assert out.splitlines() == [
        f"GET {capture} 405 error not-fixable [allow-missing] A 405 response lists the allowed "
        "methods in Allow (RFC 9110 §15.5.6): a 405 response has no Allow. "
        "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        "statusguard: 1 response checked, 1 violation (1 error); fix mode repairs 0.",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "the input is empty", id="empty"),
        pytest.param(b"<html>hello</html>\n", "the input is not an HTTP response", id="html"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00", "the input is not an HTTP response", id="binary"
        ),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "an HTTP request, not a response", id="request"
        ),
        pytest.param(
            b"HTTP/1.1 OK\r\n\r\n", "the input is not an HTTP response", id="no status code"
        ),
        pytest.param(
            response("HTTP/1.1 200 OK", "no colon here"),
            "line 2 is not a header field",
            id="bad field line",
        ),
        pytest.param(
            response("HTTP/1.1 200 OK", " folded first"),
            "line 2 continues a header field",
            id="fold first",
        ),
    ],
)
def test_lint_non_http_input_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: bytes, message: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, err = run(capsys, "lint")
    assert (status, out) == (2, "")
    assert err.startswith("statusguard lint: error: ")
    assert err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"hello world", id="not a chunk size"),
        pytest.param(b"abc is hex", id="looks like a chunk size"),
    ],
)
def test_lint_takes_content_curl_already_dechunked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    # curl -si keeps "Transfer-Encoding: chunked" but prints the content decoded.
    data = response(
        "HTTP/1.1 200 OK",
        "Transfer-Encoding: chunked",
        "Content-Type: text/plain",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        body=body,
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, _ = run(capsys, "lint")
    assert status == 0
    assert "no violations" in out


def test_lint_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "lint", str(tmp_path / "missing.http"))
    assert status == 2
    missing = tmp_path / "missing.http"
    assert err == f"statusguard lint: error: cannot read {missing}: No such file or directory\n"


# -- explain ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(
            ["204"],
            [
                "204 No Content",
                "Content:              forbidden",
                "https://www.rfc-editor.org/rfc/rfc9110#section-15.3.5",
                "content-forbidden (error, RFC 9110 §15.3.5)",
                "fix: discard the content; a 205 gets Content-Length: 0",
                "strict: raises StatusGuardError",
            ],
            id="204",
        ),
        pytest.param(
            ["401"],
            [
                "Required fields:      WWW-Authenticate",
                "www-authenticate-missing (error, RFC 9110 §15.5.2)",
                "fix: reported only: no safe repair (nothing is invented)",
            ],
            id="401",
        ),
        pytest.param(
            ["201"],
            ["created-location-missing (info", "strict: reported only (info rules never raise)"],
            id="info rule",
        ),
        pytest.param(
            ["407"], ["proxy-authenticate-missing", "only checked by: asgi, http"], id="asgi only"
        ),
        pytest.param(
            ["204", "--lang", "zh"],
            [
                "204 No Content",
                "类别:",
                "2xx 成功",
                "内容:         禁止",
                "content-forbidden",
                "抛出 StatusGuardError",
            ],
            id="204 in Chinese",
        ),
        pytest.param(
            ["299"], ["Registry:             unregistered", "treated as 200"], id="unregistered"
        ),
        pytest.param(
            ["42"], ["Registry:             invalid", "No rule is written for 42"], id="invalid"
        ),
        pytest.param(["449"], ["Registry:             non-standard"], id="non-standard"),
    ],
)
def test_explain_prints_the_record_the_rules_and_the_modes(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: list[str]
) -> None:
    status, out, err = run(capsys, "explain", *argv)
    assert (status, err) == (0, "")
    for text in expected:
        assert text in out


def test_explain_describes_in_the_language_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from statusguard import lookup

    _, english, _ = run(capsys, "explain", "404")
    _, chinese, _ = run(capsys, "explain", "404", "--lang", "zh")
    record = lookup(404)
    assert record.description_en.split()[0] in english
    assert record.description_zh[:10] in chinese
    assert record.description_zh[:10] not in english


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["abc"], "CODE must be an integer status code such as 404", id="not a number"
        ),
        pytest.param([], "the following arguments are required: CODE", id="missing"),
        pytest.param(["404", "--lang", "fr"], "invalid choice: 'fr'", id="language"),
    ],
)
def test_explain_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "explain", *argv)
    assert (status, out) == (2, "")
    assert message in err


# -- rules -----------------------------------------------------------------------------------


def test_rules_piped_prints_one_line_per_rule(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rules")
    assert status == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == EVERY_ID
    assert lines[0] == (
        "field-name-invalid error fixable https://www.rfc-editor.org/rfc/rfc9110#section-5.1 "
        "A field name is a token"
    )


def test_rules_in_a_terminal_is_an_aligned_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _, out, _ = run(capsys, "rules")
    header, *rows = out.splitlines()
    assert header.split() == ["RULE", "SEVERITY", "STATUSES", "REFERENCE", "FIX", "SUMMARY"]
    assert len(rows) == len(CATALOGUE) + len(CROSS_RULES)
    column = header.index("SEVERITY")
    assert {row[column:].split()[0] for row in rows} == {"error", "warning", "info"}
    assert "content-forbidden  " in out and "1xx, 204, 205, 304" in out


def test_rules_markdown_is_the_table_of_docs_rules_md(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rules", "--format", "markdown")
    assert status == 0
    assert out == render_rules_table() + "\n" + render_cross_rules_table()
    committed = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text("utf-8")
    assert render_rules_table() in committed
    assert render_cross_rules_table() in committed


def test_rules_json_is_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rules", "--format", "json")
    assert status == 0
    rules = json.loads(out)
    assert [r["id"] for r in rules] == EVERY_ID
    by_id = {r["id"]: r for r in rules}
    assert by_id["allow-missing"] == {
        "id": "allow-missing",
        "severity": "error",
        "statuses": [405],
        "reference": "RFC 9110 §15.5.6",
        "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        "summary": RULES_BY_ID["allow-missing"].summary,
        "fix": None,
        "protocols": ["asgi", "http", "wsgi"],
        "phase": "head",
    }
    assert by_id["field-name-invalid"]["statuses"] is None
    assert by_id["hop-by-hop-field"]["protocols"] == ["wsgi"]


# -- the parser itself -----------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["check"], ["lint"], ["explain"], ["rules"]])
def test_help_on_every_command_exits_0(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: statusguard {' '.join(command)}".rstrip())
    if command in (["check"], ["lint"]):
        assert "exit status: 0" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param([], "usage: statusguard", id="no command"),
        pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", id="unknown command"),
        pytest.param(["rules", "--format", "yaml"], "invalid choice: 'yaml'", id="bad option"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert message in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == "statusguard 0.1.0\n"
