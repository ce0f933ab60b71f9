"""The audit's reports, read back by tools nobody here wrote: the JSON by a JSON Schema
validator, the JUnit XML by a JUnit parser, the HTML page by headless Chromium; and the
progress bar, on a real terminal only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped
from support.terminal import on_a_terminal

from statusguard.audit.progress import Progress
from statusguard.audit.schema import SCHEMA
from statusguard.cli import main

from . import chromium

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"

Report = dict[str, Any]


def check(*argv: str, fmt: str) -> tuple[int, str]:
    out = StringIO()
    with redirect_stdout(out):
        status = main(["check", *argv, "--format", fmt])
    return status, out.getvalue()


@pytest.fixture(autouse=True)
def _in_tests_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TESTS)


@pytest.fixture
def release_slow_views() -> Iterator[None]:
    from apps import audit_bad

    audit_bad.RELEASE.clear()
    yield
    audit_bad.RELEASE.set()


# The bundled example (every rule, declared requests and probed routes), a real Flask app,
# and one that fails (a 500, a timeout, a skipped route: nulls where there is no response).
AUDITS = [
    pytest.param((), id="bundled example"),
    pytest.param(("apps.audit_flask:app",), id="flask"),
    pytest.param(("apps.audit_bad:app", "--timeout", "0.3"), id="failures"),
]


# -- JSON ----------------------------------------------------------------------------------------


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("argv", AUDITS)
def test_json_report_validates_against_its_schema(
    argv: tuple[str, ...], release_slow_views: None
) -> None:
    _, out = check(*argv, fmt="json")
    report = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["summary"]["violations"] == len(report["findings"])
    assert report["summary"]["failures"] == len(report["failures"])


def test_the_schema_rejects_what_it_does_not_describe() -> None:
    _, out = check("apps.audit_flask:app", fmt="json")
    report = json.loads(out)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    broken = json.loads(out)
    del broken["findings"][0]["severity"]
    assert not validator.is_valid(broken)
    broken = json.loads(out)
    broken["routes"][0]["probes"][0]["status"] = "200"
    assert not validator.is_valid(broken)
    broken = json.loads(out)
    broken["summary"]["extra"] = 1
    assert not validator.is_valid(broken)
    assert validator.is_valid(report)


def test_findings_carry_route_request_and_rule(release_slow_views: None) -> None:
    _, out = check("apps.audit_flask:app", fmt="json")
    (finding, *_) = json.loads(out)["findings"]
    assert finding == {
        "app": "apps.audit_flask:app",
        "route": "/audit_static/<path:filename>",
        "probe": "range-two",
        "method": "GET",
        "path": "/audit_static/hello.txt",
        "request_headers": [
            ["Accept", "*/*"],
            ["Accept-Encoding", "gzip"],
            ["Range", "bytes=0-0,223-223"],
        ],
        "rule": "range-satisfiable-rejected",
        "scope": "exchange",
        "status": 416,
        "severity": "info",
        "message": finding["message"],
        "fixable": False,
        "fixed": False,
        "reference": "RFC 9110 §15.5.17",
        "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.17",
    }


# -- JUnit XML -----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", AUDITS)
def test_junit_report_is_read_back_by_a_junit_parser(
    argv: tuple[str, ...], tmp_path: Path, release_slow_views: None
) -> None:
    _status, out = check(*argv, fmt="json")
    report = json.loads(out)
    _, xml = check(*argv, fmt="junit")
    path = tmp_path / "report.xml"
    path.write_text(xml, encoding="utf-8")
    parsed = JUnitXml.fromfile(str(path))
    suites = list(parsed)
    assert [suite.name for suite in suites] == report["apps"]
    for suite in suites:
        routes = [r for r in report["routes"] if r["app"] == suite.name]
        cases = list(suite)
        assert [case.name for case in cases] == [r["route"] for r in routes]
        assert suite.tests == len(routes)
        for case, route in zip(cases, routes, strict=True):
            results = case.result
            if route["skipped"] is not None:
                assert [type(r) for r in results] == [Skipped]
                assert results[0].message == route["skipped"]
            elif route["failed"]:
                assert [type(r) for r in results] == [Failure]
                assert results[0].text
            else:
                assert results == []
        assert suite.failures == sum(1 for r in routes if r["failed"])
        assert suite.skipped == sum(1 for r in routes if r["skipped"] is not None)
    assert parsed.failures == sum(1 for r in report["routes"] if r["failed"])


def test_junit_warnings_are_in_system_out_not_failures() -> None:
    # Flask's two-range 416 is info: the route passes, and says so in its output.
    _, xml = check("apps.audit_flask:app", fmt="junit")
    parsed = JUnitXml.fromstring(xml)
    (suite,) = list(parsed)
    (case,) = [c for c in suite if c.name == "/download"]
    assert case.is_passed
    assert "info range-two GET 416: [range-satisfiable-rejected]" in (case.system_out or "")
    assert "range-two GET /download -> 416" in (case.system_out or "")


# -- HTML, in a real browser ----------------------------------------------------------------------

_READ_BACK = """
(() => {
  const colour = (el) => getComputedStyle(el).backgroundColor;
  const rows = [...document.querySelectorAll('#matrix tbody tr.route')].map((tr) => ({
    route: tr.dataset.route,
    app: tr.dataset.app,
    state: tr.dataset.state,
    cells: [...tr.querySelectorAll('td.cell')].map((td) => ({
      probe: td.dataset.probe || null,
      status: td.dataset.status,
      findings: td.dataset.findings ? Number(td.dataset.findings) : 0,
      state: td.classList.contains('fail') ? 'fail'
           : td.classList.contains('pass') ? 'pass' : 'none',
      colour: colour(td),
      summary: td.querySelector('summary') ? td.querySelector('summary').textContent : null,
    })),
  }));
  const counts = Object.fromEntries([...document.querySelectorAll('#summary [data-count]')]
    .map((el) => [el.dataset.count, Number(el.querySelector('b').textContent)]));
  const columns = [...document.querySelectorAll('#matrix thead th')].map((th) => th.textContent);
  return {rows, counts, columns, scripts: document.scripts.length,
          resources: performance.getEntriesByType('resource').length};
})()
"""

_OPEN_CELL = """
(() => {
  const cell = document.querySelector('td.cell.fail[data-probe="if-none-match"]');
  const details = cell.querySelector('details');
  const closed = details.querySelector('.detail').checkVisibility();
  details.open = true;
  const open = details.querySelector('.detail').checkVisibility();
  return {closed, open, text: details.querySelector('.detail').innerText,
          route: cell.closest('tr').dataset.route};
})()
"""


@pytest.fixture(scope="module")
def chromium_executable() -> str:
    executable = chromium.find()
    if executable is None:
        pytest.skip(
            "Debian's chromium is not installed and could not be installed here: "
            "scripts/test.sh runs scripts/ensure-chromium.sh, which needs apt-get as root"
        )
    return executable


def _rgb(text: str) -> tuple[int, int, int]:
    red, green, blue = (int(part) for part in text.removeprefix("rgb(").rstrip(")").split(","))
    return red, green, blue


def test_html_report_renders_in_chromium_with_its_matrix(
    chromium_executable: str, tmp_path: Path
) -> None:
    _, out = check(fmt="json")
    report = json.loads(out)
    page = tmp_path / "report.html"
    status = main(["check", "--format", "html", "--output", str(page)])
    assert status == 1
    with chromium.browser(chromium_executable) as browser:
        session = browser.open(page.as_uri())
        dom = browser.evaluate(session, _READ_BACK)
        opened = browser.evaluate(session, _OPEN_CELL)
    # Self-contained: no script, nothing fetched.
    assert dom["scripts"] == 0
    assert dom["resources"] == 0
    summary = report["summary"]
    assert dom["counts"] == {
        "routes": summary["routes"],
        "responses": summary["responses"],
        "errors": summary["errors"],
        "warnings": summary["warnings"],
        "infos": summary["infos"],
        "failures": summary["failures"],
    }
    # One row per route, one cell per probe column, each as the JSON report has it.
    columns = dom["columns"][1:]
    assert columns[0] == "request"
    assert [row["route"] for row in dom["rows"]] == [r["route"] for r in report["routes"]]
    for row, route in zip(dom["rows"], report["routes"], strict=True):
        assert len(row["cells"]) == len(columns)
        sent = {p["probe"]: p for p in route["probes"]}
        for name, cell in zip(columns, row["cells"], strict=True):
            probe = sent.get(name)
            if probe is None:
                assert cell["state"] == "none"
                continue
            assert cell["probe"] == name
            assert cell["status"] == str(probe["status"])
            assert cell["findings"] == len(probe["violations"])
            errors = any(v["severity"] == "error" for v in probe["violations"])
            assert cell["state"] == ("fail" if errors or probe["error"] else "pass")
            red, green, _ = _rgb(cell["colour"])
            if cell["state"] == "fail":
                assert red > green  # red
            else:
                assert green > red  # green
        assert row["state"] == ("fail" if route["failed"] else "pass")
    # A finding opens to the request sent, the response head received and the RFC sentence.
    assert opened["route"] == "/audit/304-drops-vary"
    assert opened["closed"] is False  # findings are folded until the cell is opened
    assert opened["open"] is True
    text = opened["text"]
    assert "GET /audit/304-drops-vary HTTP/1.1\nAccept: */*" in text
    assert 'If-None-Match: "v1"' in text
    assert "HTTP/1.1 304 Not Modified" in text
    assert "The server generating a 304 response MUST generate any of the following" in text


# -- the progress bar ----------------------------------------------------------------------------


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_only_on_a_terminal_after_its_delay() -> None:
    now = [0.0]
    terminal = _Terminal()
    bar = Progress(terminal, 4, delay=1.0, clock=lambda: now[0])
    bar.step("/a")
    assert terminal.getvalue() == ""  # a quick audit prints no bar
    now[0] = 1.5
    bar.step("/b")
    assert terminal.getvalue() == "\r\033[Kstatusguard check [######..................] 2/4 /b"
    bar.close()
    assert terminal.getvalue().endswith("\r\033[K")
    piped = StringIO()
    quiet = Progress(piped, 4, delay=0.0, clock=lambda: now[0])
    quiet.step("/a")
    quiet.close()
    assert piped.getvalue() == ""


def test_progress_bar_on_a_real_terminal(release_slow_views: None) -> None:
    # stderr on a pseudo-terminal, stdout on a pipe: the bar goes to the terminal once the
    # audit has run for a second (the hanging route's timeout makes sure it has).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(SRC)])}
    argv = ["check", "apps.audit_bad:app", "--timeout", "1.2"]
    ran = on_a_terminal(argv, cwd=TESTS, env=env, terminal="stderr", timeout=30)
    screen, out = ran.screen, ran.piped
    assert b"statusguard check [" in screen
    assert b"/4 " in screen
    assert b"\r\x1b[K" in screen  # cleared before the report's own lines
    assert b"statusguard check [" not in out  # never on stdout
    assert out.decode().splitlines()[-1].startswith("statusguard: 4 routes (1 skipped), ")
