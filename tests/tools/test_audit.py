"""``statusguard check`` on real Flask, Django and FastAPI apps, with no ``--path``: the routes
discovered, the probes sent, what is found, and what is not."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from support.terminal import on_a_terminal

from statusguard.cli import main

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"

Report = dict[str, Any]

FILE_PROBES = [
    ("get", "GET", 200),
    ("head", "HEAD", 200),
    ("options", "OPTIONS", 200),
    ("not-allowed", "TRACE", 405),
    ("if-none-match", "GET", 304),
    ("if-none-match-head", "HEAD", 304),
    ("if-none-match-weak", "GET", 304),
    ("if-modified-since", "GET", 304),
    ("range", "GET", 206),
    ("range-unsatisfiable", "GET", 416),
    ("range-two", "GET", 416),  # werkzeug answers two satisfiable ranges with 416
    ("if-range", "GET", 206),
    ("if-range-stale", "GET", 200),
]
PLAIN_PROBES = [
    ("get", "GET", 200),
    ("head", "HEAD", 200),
    ("options", "OPTIONS", 200),
    ("not-allowed", "TRACE", 405),
]


def audit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Report]:
    status = main(["check", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    report = json.loads(out)
    assert isinstance(report, dict)
    return status, report


def routes(report: Report) -> list[dict[str, Any]]:
    found = report["routes"]
    assert isinstance(found, list)
    return found


def probes(report: Report) -> dict[str, list[tuple[object, object, object]]]:
    """route → [(probe, method, status)] in the order sent."""
    return {
        str(r["route"]): [(p["probe"], p["method"], p["status"]) for p in r["probes"]]
        for r in routes(report)
    }


def exchange_findings(report: Report) -> dict[str, set[str]]:
    """route → the cross-response rules that fired on it."""
    found: dict[str, set[str]] = {}
    for finding in report["findings"]:
        if finding["scope"] == "exchange":
            found.setdefault(finding["route"], set()).add(finding["rule"])
    return found


def response_findings(report: Report) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in report["findings"]:
        if finding["scope"] == "response":
            found.setdefault(finding["route"], set()).add(finding["rule"])
    return found


@pytest.fixture
def in_tests_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TESTS)


# -- Flask -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flask_report() -> tuple[int, Report]:
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    with redirect_stdout(out):
        status = main(["check", "apps.audit_flask:create_app", "--format", "json"])
    return status, json.loads(out.getvalue())


def test_flask_routes_are_discovered_with_their_methods(
    flask_report: tuple[int, Report],
) -> None:
    _, report = flask_report
    assert [(r["route"], r["path"], r["methods"], r["skipped"]) for r in routes(report)] == [
        (
            "/audit_static/<path:filename>",
            "/audit_static/hello.txt",  # the first file of the static folder
            ["GET", "HEAD", "OPTIONS"],
            None,
        ),
        ("/", "/", ["GET", "HEAD", "OPTIONS"], None),
        ("/download", "/download", ["GET", "HEAD", "OPTIONS"], None),
        # @app.get and @app.post on one URL: one resource, both methods.
        ("/api/items", "/api/items", ["GET", "HEAD", "OPTIONS", "POST"], None),
        ("/api/items/<int:item_id>", "/api/items/1", ["DELETE", "GET", "HEAD", "OPTIONS"], None),
        ("/account", "/account", ["GET", "HEAD", "OPTIONS"], None),
        (
            "/record",
            "/record",
            ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
            None,
        ),
    ]


def test_flask_probes_follow_what_each_200_says(flask_report: tuple[int, Report]) -> None:
    _, report = flask_report
    sent = probes(report)
    # send_file and the static folder: ETag, Last-Modified and Accept-Ranges bring the
    # conditional and range probes; the other routes get the first round only.
    assert sent["/download"] == FILE_PROBES
    assert sent["/audit_static/<path:filename>"] == FILE_PROBES
    assert sent["/"] == PLAIN_PROBES
    assert sent["/account"] == [
        ("get", "GET", 401),
        ("head", "HEAD", 401),
        ("options", "OPTIONS", 200),
        ("not-allowed", "TRACE", 405),
    ]
    by_route = {r["route"]: r for r in routes(report)}
    conditional = by_route["/download"]["probes"][4]
    etag = dict(by_route["/download"]["probes"][0]["response_headers"])["ETag"]
    assert ["If-None-Match", etag] in conditional["request_headers"]


def test_flask_findings_are_werkzeugs_and_nothing_else(flask_report: tuple[int, Report]) -> None:
    status, report = flask_report
    assert exchange_findings(report) == {
        "/audit_static/<path:filename>": {"range-satisfiable-rejected"},
        "/download": {"range-satisfiable-rejected"},
    }
    assert response_findings(report) == {}
    assert status == 0  # range-satisfiable-rejected is info
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert summary["text"].startswith("statusguard: 7 routes, 46 responses checked, ")


@pytest.mark.parametrize(
    "app",
    ["apps.audit_flask:app", "apps.audit_flask:create_app()", "apps.audit_flask:create_app('x')"],
)
def test_flask_factory_and_instance_give_the_same_audit(
    capsys: pytest.CaptureFixture[str], flask_report: tuple[int, Report], app: str
) -> None:
    _, report = audit(capsys, app)
    _, expected = flask_report
    assert probes(report) == probes(expected)
    assert exchange_findings(report) == exchange_findings(expected)


def test_flask_unsafe_methods_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from apps import audit_flask

    audit_flask.RECEIVED.clear()
    audit(capsys, "apps.audit_flask:app")
    # OPTIONS and TRACE never reach a Flask view; GET and HEAD do.
    assert set(audit_flask.RECEIVED) == {"GET", "HEAD"}
    audit_flask.RECEIVED.clear()
    status, report = audit(
        capsys, "apps.audit_flask:app", "--method", "POST", "--method", "delete"
    )
    assert set(audit_flask.RECEIVED) == {"GET", "HEAD", "POST", "DELETE"}
    sent = probes(report)
    assert ("method", "POST", 201) in sent["/api/items"]
    assert ("method", "DELETE", 204) in sent["/api/items/<int:item_id>"]
    assert ("method", "POST", 200) in sent["/record"]
    assert not any(p[0] == "method" for p in sent["/"])  # "/" does not accept POST
    # The 201 names what it created, the 204 has no content: nothing to find.
    assert response_findings(report) == {}
    assert status == 0


# -- FastAPI -----------------------------------------------------------------------------------


def test_fastapi_routes_probes_and_findings(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = audit(capsys, "apps.audit_fastapi:app")
    discovered = {r["route"]: (r["path"], r["methods"]) for r in routes(report)}
    assert discovered == {
        "/openapi.json": ("/openapi.json", ["GET", "HEAD"]),
        "/docs": ("/docs", ["GET", "HEAD"]),
        "/docs/oauth2-redirect": ("/docs/oauth2-redirect", ["GET", "HEAD"]),
        "/redoc": ("/redoc", ["GET", "HEAD"]),
        # item_id: str for the router, integer for the OpenAPI document: filled with 1.
        "/items/{item_id}": ("/items/1", ["DELETE", "GET"]),
        "/items": ("/items", ["POST"]),
        "/me": ("/me", ["GET"]),
        "/static/{path}": ("/static/hello.txt", ["GET", "HEAD"]),
    }
    sent = probes(report)
    # A POST-only route: no GET or HEAD probe; GET is the method it does not accept.
    assert sent["/items"] == [("options", "OPTIONS", 405), ("not-allowed", "GET", 405)]
    # FastAPI's @app.get routes answer HEAD 405 while GET answers: RFC 9110 §9.3.2.
    assert sent["/items/{item_id}"][:2] == [("get", "GET", 200), ("head", "HEAD", 405)]
    assert [p[0] for p in sent["/static/{path}"]] == [p[0] for p in FILE_PROBES]
    assert {p[0]: p[2] for p in sent["/static/{path}"]}["range-two"] == 206  # multipart
    assert exchange_findings(report) == {
        "/items/{item_id}": {"head-status-mismatch"},
        "/me": {"head-status-mismatch"},
    }
    clean = set(discovered) - {"/items/{item_id}", "/me"}
    assert not clean & set(response_findings(report))
    assert status == 1


# -- plain Starlette (no FastAPI) ----------------------------------------------------------------

STARLETTE_PLAIN_PROBES = [
    ("get", "GET", 200),
    ("head", "HEAD", 200),  # Route adds HEAD wherever there is GET, and sends no content
    # Starlette's Route answers OPTIONS (not in its methods) 405 with Allow: RFC 9110 §9.1
    # makes every method but GET and HEAD optional, and §15.5.6's Allow is there.
    ("options", "OPTIONS", 405),
    ("not-allowed", "TRACE", 405),
]


@pytest.fixture(scope="module")
def starlette_report() -> tuple[int, Report]:
    out = StringIO()
    with redirect_stdout(out):
        status = main(["check", "apps.audit_starlette:app", "--format", "json"])
    return status, json.loads(out.getvalue())


def test_starlette_routes_are_discovered_through_mounts(
    starlette_report: tuple[int, Report],
) -> None:
    _, report = starlette_report
    assert [(r["route"], r["path"], r["methods"], r["skipped"]) for r in routes(report)] == [
        ("/", "/", ["GET", "HEAD"], None),  # a function Route: GET and HEAD
        # methods=["GET", "DELETE"]: Starlette adds HEAD; {item_id:int} is filled with 1.
        ("/items/{item_id:int}", "/items/1", ["DELETE", "GET", "HEAD"], None),
        ("/submit", "/submit", ["POST"], None),
        # An HTTPEndpoint class: the methods it implements, HEAD with GET.
        ("/things", "/things", ["GET", "HEAD", "PUT"], None),
        # Mount(routes=[...]) and a Mount inside it: the prefixes joined.
        ("/api/status", "/api/status", ["GET", "HEAD"], None),
        ("/api/v1/users/{name}", "/api/v1/users/x", ["GET", "HEAD"], None),
        # The parameter is in the mount's path: the mount's convertor types it.
        ("/users/{user_id:int}/profile", "/users/1/profile", ["GET", "HEAD"], None),
        ("/static/{path}", "/static/hello.txt", ["GET", "HEAD"], None),  # its first file
        ("/ws", None, None, "a WebSocket route"),
    ]


def test_starlette_probes_follow_the_router_and_each_200(
    starlette_report: tuple[int, Report],
) -> None:
    _, report = starlette_report
    sent = probes(report)
    for route in ("/", "/items/{item_id:int}", "/things", "/api/status"):
        assert sent[route] == STARLETTE_PLAIN_PROBES, route
    assert sent["/api/v1/users/{name}"] == STARLETTE_PLAIN_PROBES
    assert sent["/users/{user_id:int}/profile"] == STARLETTE_PLAIN_PROBES
    # A POST-only route: no GET or HEAD; GET is the method it does not accept.
    assert sent["/submit"] == [("options", "OPTIONS", 405), ("not-allowed", "GET", 405)]
    # StaticFiles: ETag, Last-Modified and Accept-Ranges bring every conditional and range
    # probe, and two satisfiable ranges get a multipart 206.
    assert [p[0] for p in sent["/static/{path}"]] == [p[0] for p in FILE_PROBES]
    assert {p[0]: p[2] for p in sent["/static/{path}"]} == {
        **{p[0]: p[2] for p in FILE_PROBES},
        "options": 405,
        "range-two": 206,
    }
    assert sent["/ws"] == []
    by_route = {r["route"]: r for r in routes(report)}
    # Each 405 names the route's methods, never the probe's (RFC 9110 §15.5.6).
    for route, allow in [
        ("/", {"GET", "HEAD"}),
        ("/items/{item_id:int}", {"GET", "HEAD", "DELETE"}),
        ("/submit", {"POST"}),
        ("/things", {"GET", "HEAD", "PUT"}),
        ("/static/{path}", {"GET", "HEAD"}),
    ]:
        (refused,) = [p for p in by_route[route]["probes"] if p["probe"] == "not-allowed"]
        fields = {name.lower(): value for name, value in refused["response_headers"]}
        assert {m.strip() for m in fields["allow"].split(",")} == allow, route


def test_starlette_gets_every_probe_right(starlette_report: tuple[int, Report]) -> None:
    status, report = starlette_report
    # Nothing to find: HEAD as GET, each 405 with its Allow, StaticFiles' 304s with the ETag,
    # its 206 and 416 with a Content-Range of the 200's length.
    assert report["findings"] == []
    assert report["summary"]["skipped"] == 1
    assert report["summary"]["text"] == (
        "statusguard: 9 routes (1 skipped), 39 responses checked, no violations."
    )
    assert status == 0


def test_starlette_unsafe_methods_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from apps import audit_starlette

    audit_starlette.RECEIVED.clear()
    audit(capsys, "apps.audit_starlette:app")
    # The 405s are the router's: OPTIONS and TRACE never reach an endpoint.
    assert set(audit_starlette.RECEIVED) == {"GET", "HEAD"}
    audit_starlette.RECEIVED.clear()
    status, report = audit(
        capsys, "apps.audit_starlette:app", "--method", "POST", "--method", "PUT"
    )
    assert set(audit_starlette.RECEIVED) == {"GET", "HEAD", "POST", "PUT"}
    sent = probes(report)
    assert ("method", "POST", 201) in sent["/submit"]
    assert ("method", "PUT", 204) in sent["/things"]
    assert [r for r, p in sent.items() if any(probe[0] == "method" for probe in p)] == [
        "/submit",
        "/things",
    ]
    assert report["findings"] == []
    assert status == 0


# -- Django ------------------------------------------------------------------------------------


def run_cli(
    *argv: str, cwd: Path = TESTS, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own (Django's settings are once per process)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(SRC)])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "statusguard", "check", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def test_django_conditional_get_and_gzip() -> None:
    result = run_cli("--django-settings", "apps.audit_django.settings", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    discovered = {r["route"]: (r["path"], r["methods"]) for r in routes(report)}
    assert discovered == {
        "/page": ("/page", None),  # a function view: only its code knows its methods
        "/download": ("/download", None),
        "/items/<int:pk>": ("/items/1", ["DELETE", "GET", "HEAD", "OPTIONS"]),
    }
    sent = probes(report)
    assert sent["/page"] == [
        ("get", "GET", 200),
        ("head", "HEAD", 200),
        ("options", "OPTIONS", 200),
        ("if-none-match", "GET", 304),
        ("if-none-match-head", "HEAD", 200),  # ConditionalGetMiddleware skips HEAD
        ("if-none-match-weak", "GET", 304),
    ]
    assert sent["/items/<int:pk>"][3] == ("not-allowed", "TRACE", 405)
    found = exchange_findings(report)
    # GZipMiddleware pads each compressed response with up to 100 random bytes (BREACH), so
    # HEAD's Content-Length matches GET's only by chance.
    assert found["/page"] - {"head-content-length-mismatch"} == {
        "not-modified-fields",  # the 304 drops Vary and changes the ETag GZip made weak
        "if-none-match-ignored",  # on HEAD
        "head-fields-mismatch",  # HEAD has no ETag: ConditionalGet tags GET only
    }
    assert found["/items/<int:pk>"] == {"if-none-match-ignored", "head-fields-mismatch"}
    assert "/download" not in found  # a FileResponse: nothing to find
    messages = [f["message"] for f in report["findings"] if f["rule"] == "not-modified-fields"]
    assert any("drops Vary" in m and "carries ETag: " in m for m in messages)


def test_django_wsgi_module_with_its_settings() -> None:
    # APP and --django-settings together: the settings first, then the project's WSGI module.
    result = run_cli(
        "django.core.wsgi:get_wsgi_application",
        "--django-settings",
        "apps.audit_django.settings",
        "--path",
        "/items/7",
        "--format",
        "json",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (route,) = routes(report)
    # The path is matched to its route: the router's methods decide the probes.
    assert (route["route"], route["path"], route["methods"]) == (
        "/items/<int:pk>",
        "/items/7",
        ["DELETE", "GET", "HEAD", "OPTIONS"],
    )
    assert [p["probe"] for p in route["probes"]][:4] == ["get", "head", "options", "not-allowed"]


def test_django_settings_that_cannot_be_imported_is_a_usage_error() -> None:
    result = run_cli("--django-settings", "apps.no_such_settings")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "setting up Django with 'apps.no_such_settings' failed" in result.stderr
    assert "Traceback" not in result.stderr


# -- the user's own values ---------------------------------------------------------------------


def test_params_fill_path_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = audit(capsys, "apps.audit_flask:app", "--param", "item_id=42")
    paths = {r["route"]: r["path"] for r in routes(report)}
    assert paths["/api/items/<int:item_id>"] == "/api/items/42"
    assert ("get", "GET", 404) in probes(report)["/api/items/<int:item_id>"]


def test_a_route_that_cannot_be_filled_is_skipped_with_the_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "custom_converter_app.py").write_text(
        "from flask import Flask\n"
        "from werkzeug.routing import BaseConverter\n"
        "class Colour(BaseConverter):\n"
        "    regex = '(red|blue)'\n"
        "app = Flask(__name__)\n"
        "app.url_map.converters['colour'] = Colour\n"
        "@app.get('/paint/<colour:c>')\n"
        "def paint(c):\n"
        "    return c\n"
        "STATUSGUARD_PATHS = ['/about']\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    try:
        _status, report = audit(capsys, "custom_converter_app:app")
        by_route = {r["route"]: r for r in routes(report)}
        assert by_route["/paint/<colour:c>"]["skipped"] == (
            "no value for the path parameter c (unknown type): give one with --param NAME=VALUE"
        )
        assert by_route["/paint/<colour:c>"]["probes"] == []
        assert by_route["/about"]["probes"]  # a declared path is audited too
        # Flask registers /static/<path:filename> even when the folder does not exist.
        static = by_route["/static/<path:filename>"]["skipped"]
        assert str(static).endswith("static has no file to request")
        assert report["summary"]["skipped"] == 2
        _, filled = audit(capsys, "custom_converter_app:app", "--param", "c=red")
        assert {r["route"]: r["path"] for r in routes(filled)}["/paint/<colour:c>"] == "/paint/red"
    finally:
        sys.modules.pop("custom_converter_app", None)


# -- the examples of docs/audit.md -------------------------------------------------------------


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("app", ["apps.audit_flask:create_app", "apps.audit_fastapi:app"])
def test_the_example_reports_of_docs_audit_md_are_current(
    app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a person sees on an 96-column terminal without colour, as docs/audit.md shows it.
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "96")
    monkeypatch.chdir(TESTS)
    out = _Terminal()
    with redirect_stdout(out):
        main(["check", app])
    page = (TESTS.parent / "docs" / "audit.md").read_text(encoding="utf-8")
    shown = f"$ statusguard check {app}\n{out.getvalue().rstrip()}\n```"
    assert shown in page, (
        f"docs/audit.md shows another report of {app}: replace it with this one (what "
        f"`cd tests && NO_COLOR=1 COLUMNS=96 statusguard check {app}` prints on a terminal):\n"
        + out.getvalue()
    )


DJANGO_EXAMPLE = "$ statusguard check --django-settings apps.audit_django.settings\n"
# GZipMiddleware pads each compressed response with 1 to 100 random bytes (its BREACH
# mitigation), so HEAD's Content-Length and GET's content length differ from run to run, and
# are equal by chance (about one run in a hundred), when head-content-length-mismatch is not
# found at all.  Exactly that is normalised: the two numbers of that finding; and, when it is
# absent, its rows in the docs' block, the summary's count of violations and errors (one
# fewer of each), and the padding of /page's table, whose RULE column is as wide as that
# finding's rule id.  Everything else is compared as printed.
_LENGTHS = re.compile(r"Content-Length: \d+, and GET sent \d+ content bytes\.")
_LENGTH_ROW = re.compile(r"^  head +HEAD +200 +head-content-length-mismatch ")
_COUNTS = re.compile(r"(\d+) violations \((\d+) errors, ")


def _without_length_finding(block: str) -> str:
    """The docs' block as it reads when HEAD's Content-Length happens to be GET's length."""
    lines = block.splitlines()
    (row,) = [i for i, line in enumerate(lines) if _LENGTH_ROW.match(line)]
    end = row + 1
    while end < len(lines) and lines[end].startswith("      "):
        end += 1  # the finding's message and URL lines
    del lines[row:end]
    text = "\n".join(lines) + "\n"
    violations, errors = (int(n) for n in _COUNTS.findall(text)[-1])
    return _COUNTS.sub(f"{violations - 1} violations ({errors - 1} errors, ", text)


def _page_table_unpadded(text: str) -> str:
    """/page's table rows with each run of padding made two spaces."""
    out, in_page = [], False
    for line in text.splitlines():
        if line.startswith(("✓ ", "✗ ")):
            in_page = line.startswith("✗ /page ")
        elif in_page and line.startswith("  ") and not line.startswith("      "):
            line = re.sub(r"(?<=\S) {2,}", "  ", line)
        out.append(line)
    return "\n".join(out) + "\n"


def _on_a_terminal(*argv: str) -> str:
    """What ``statusguard check`` prints with its stdout on a pseudo-terminal (its stderr on
    a pipe: no progress bar), in a process of its own (Django's settings are once per
    process), from tests/ with NO_COLOR=1 and COLUMNS=96."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(SRC)])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(NO_COLOR="1", COLUMNS="96")
    ran = on_a_terminal(["check", *argv], cwd=TESTS, env=env, terminal="stdout", timeout=60)
    assert ran.returncode == 1, ran.piped
    assert b"Traceback" not in ran.piped
    screen = ran.screen
    return screen.decode("utf-8").replace("\r\n", "\n")  # the terminal's own line ends


def test_the_django_example_report_of_docs_audit_md_is_current() -> None:
    printed = _on_a_terminal("--django-settings", "apps.audit_django.settings").rstrip()
    page = (TESTS.parent / "docs" / "audit.md").read_text(encoding="utf-8")
    start = page.index(DJANGO_EXAMPLE) + len(DJANGO_EXAMPLE)
    shown = page[start : page.index("\n```", start)]
    assert len(_LENGTHS.findall(shown)) == 1  # the block shows the finding, numbers and all
    assert len(_LENGTHS.findall(printed)) <= 1
    numbers = "Content-Length: N, and GET sent M content bytes."
    expected, got = _LENGTHS.sub(numbers, shown), _LENGTHS.sub(numbers, printed)
    if "head-content-length-mismatch" not in printed:  # the lengths matched, by chance
        expected = _page_table_unpadded(_without_length_finding(expected))
        got = _page_table_unpadded(got)
    assert got.rstrip() == expected.rstrip(), (
        "docs/audit.md shows another report of the Django project: replace it with this one "
        "(what `cd tests && NO_COLOR=1 COLUMNS=96 statusguard check --django-settings "
        "apps.audit_django.settings` prints on a terminal):\n" + printed
    )
