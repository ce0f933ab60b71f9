"""A third party's suite: httpbin's own tests under ``pytest -p statusguard --statusguard=strict``.

httpbin 0.10.4's suite (from its sdist, see ``httpbin_suite``) drives its Flask app through
``app.test_client()`` and knows nothing of statusguard.  It runs twice, side by side, as it is
(the baseline: every test passes) and with the plugin in strict mode, where exactly the tests
below fail, each decided with the RFC text in hand: httpbin's bugs, not statusguard's.  A rule
that raised without a requirement of the RFC behind it would be statusguard's bug, listed in
``FALSE_POSITIVES`` with its reason; ``test_no_false_positive`` fails on any (0.1 raised
status-code-deprecated on the 418).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from . import httpbin_suite

SUITE = "tests/test_httpbin.py::HttpbinTestCase"

# nodeid → rule → why it is a true positive (the RFC sentence, and what httpbin sent).
CONTENT_TYPE = (
    "RFC 9110 §8.3: 'A sender that generates a message containing content SHOULD generate a "
    "Content-Type header field in that message unless the intended media type of the enclosed "
    "representation is unknown to the sender.' /status/418 answers 135 bytes of ASCII-art "
    "teapot, a text its author knows, with no Content-Type."
)
UNQUOTED_ETAG = (
    "RFC 9110 §8.8.3: 'An entity-tag consists of an opaque quoted string, possibly prefixed by "
    "a weakness indicator.' (entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc "
    "DQUOTE).  httpbin's /etag/{etag} and /range/{n} send ETag: abc, ETag: range26, "
    "unquoted; werkzeug's own LintMiddleware warns 'unquoted etag emitted'."
)
ETAG_TESTS = {
    "test_etag_if_match_matches": "/etag/abc",
    "test_etag_if_match_matches_list": "/etag/abc",
    "test_etag_if_match_matches_star": "/etag/abc",
    "test_etag_if_none_match_has_no_match": "/etag/abc",
    "test_etag_if_none_match_matches": "/etag/abc",
    "test_etag_if_none_match_matches_list": "/etag/abc",
    "test_etag_if_none_match_matches_star": "/etag/abc",
    "test_etag_if_none_match_w_prefix": "/etag/c3piozzzz",
    "test_etag_with_no_headers": "/etag/abc",
    "test_request_range": "/range/1234",
    "test_request_range_first_15_bytes": "/range/1000",
    "test_request_range_open_ended_last_6_bytes": "/range/26",
    "test_request_range_suffix": "/range/26",
    "test_request_range_with_parameters": "/range/100",
}
TRUE_POSITIVES: dict[str, tuple[str, dict[str, str]]] = {
    f"{SUITE}::test_methods__to_status_endpoint": (
        "/status/418",
        {"content-type-missing": CONTENT_TYPE},
    ),
    **{
        f"{SUITE}::{name}": (path, {"etag-invalid": UNQUOTED_ETAG})
        for name, path in ETAG_TESTS.items()
    },
}
# rule → why statusguard is wrong to raise it (to be fixed in the rule).  0.1 raised
# status-code-deprecated on the 418, which no RFC keyword forbids: info (Unreleased, CHANGELOG).
FALSE_POSITIVES: dict[str, str] = {}
REFERENCES = {"content-type-missing": "RFC 9110 §8.3", "etag-invalid": "RFC 9110 §8.8.3"}


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    outcomes: dict[str, str]  # nodeid → passed / failed / error / skipped
    failures: dict[str, str]  # nodeid → failure text
    report: dict[str, Any] | None  # the --statusguard-report JSON


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """httpbin's suite as it is, and under --statusguard=strict (run side by side)."""
    cache = tmp_path_factory.getbasetemp().parent / "statusguard-cache"
    try:
        source = httpbin_suite.fetch(cache)
    except httpbin_suite.UnreachableError as exc:
        pytest.skip(f"PyPI is unreachable, so httpbin's sdist cannot be fetched: {exc}")
    commands = {
        "baseline": [],
        "strict": ["-p", "statusguard", "--statusguard=strict", "--statusguard-report=sg.json"],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    started = {}
    for name, options in commands.items():
        project = tmp_path_factory.mktemp(f"httpbin-{name}")
        shutil.copytree(source, project, dirs_exist_ok=True)
        command = [sys.executable, "-m", "pytest", *options, "-rA", "--junitxml=junit.xml"]
        started[name] = (
            project,
            subprocess.Popen(
                [*command, "tests"],
                cwd=project,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
    return {name: _finish(project, process) for name, (project, process) in started.items()}


def _finish(project: Path, process: subprocess.Popen[str]) -> Run:
    try:
        output, _ = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    outcomes: dict[str, str] = {}
    failures: dict[str, str] = {}
    for case in ElementTree.parse(project / "junit.xml").iter("testcase"):
        classname = case.get("classname", "")
        module, _, cls = classname.rpartition(".")
        nodeid = f"{module.replace('.', '/')}.py::{cls}::{case.get('name')}"
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = tag if tag != "failure" else "failed"
                if tag == "failure":
                    failures[nodeid] = f"{element.get('message', '')}\n{element.text or ''}"
        outcomes[nodeid] = outcome
    path = project / "sg.json"
    report = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    return Run(process.returncode, output, outcomes, failures, report)


def test_baseline_every_test_passes(runs: dict[str, Run]) -> None:
    baseline = runs["baseline"]
    assert baseline.returncode == 0, baseline.output
    assert len(baseline.outcomes) >= 60
    assert set(baseline.outcomes.values()) == {"passed"}, baseline.output
    assert not [line for line in baseline.output.splitlines() if line.startswith("statusguard")]


def test_strict_fails_exactly_the_true_positives(runs: dict[str, Run]) -> None:
    baseline, strict = runs["baseline"], runs["strict"]
    assert strict.returncode == pytest.ExitCode.TESTS_FAILED, strict.output
    assert strict.outcomes.keys() == baseline.outcomes.keys()
    failed = {nodeid for nodeid, outcome in strict.outcomes.items() if outcome != "passed"}
    assert failed == TRUE_POSITIVES.keys(), strict.output
    for nodeid, (path, rules) in TRUE_POSITIVES.items():
        text = strict.failures[nodeid]
        for rule_id in rules:
            assert f"[{rule_id}]" in text
            assert REFERENCES[rule_id] in text
        assert f"GET {path}" in text, text
    teapot = strict.failures[f"{SUITE}::test_methods__to_status_endpoint"]
    assert "HTTP/1.1 418 I'M A TEAPOT" in teapot  # the head httpbin's app gave

    # The summary counts one response per rule: the test stops at its first method (GET).
    assert strict.report is not None
    seen: dict[str, dict[str, Any]] = {e["rule"]: e for e in strict.report["rules"]}
    true_rules = {rule for _, found in TRUE_POSITIVES.values() for rule in found}
    raised = {rule for rule, entry in seen.items() if "raised" in entry["actions"]}
    assert raised - FALSE_POSITIVES.keys() == true_rules
    assert seen["content-type-missing"]["count"] == 1
    assert (
        seen["content-type-missing"]["first_test"] == f"{SUITE}::test_methods__to_status_endpoint"
    )
    assert "statusguard (strict): " in strict.output


def test_no_false_positive(runs: dict[str, Run]) -> None:
    assert runs["strict"].report is not None
    raised = {
        entry["rule"] for entry in runs["strict"].report["rules"] if "raised" in entry["actions"]
    }
    true_rules = {rule for _, found in TRUE_POSITIVES.values() for rule in found}
    assert raised == true_rules


def test_an_unreachable_index_is_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the fixture turns into a skip: pip cannot reach the index at all (here a loopback
    # port the OS gave and nothing listens on any more, with the machine's pip configuration
    # and local wheels set aside).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    with pytest.raises(httpbin_suite.UnreachableError, match="pip download failed"):
        httpbin_suite.fetch(tmp_path / "cache", timeout=120)
    assert not (tmp_path / "cache" / f"{httpbin_suite.NAME}.tar.gz").exists()
