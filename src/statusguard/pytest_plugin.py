"""pytest plugin: check every response a test suite produces, with no change to the suite.

Inert until asked: without ``--statusguard`` (or the ``statusguard_mode`` ini key) it only
registers the ``statusguard_ignore`` marker and the ``statusguard_violations`` fixture.  It
imports no web framework, and statusguard's engine only inside the hooks that use it.

With ``--statusguard=strict|warn|fix`` every guard of the process takes that mode, and the
applications the usual test clients drive get a guard of their own (``_pytest_wrap``; off with
``--statusguard-wrap=off``).  Every violation is recorded through a process-wide listener, so
in strict mode a test during which a guard raised fails, its report naming the rule, the RFC
section, the request and the response head, whatever the framework or the client did with the
exception.  The end of the run shows a table of the rules broken (and ``--statusguard-report``
writes it as JSON).  A passing test pays for nothing but the guard: heads are described only
for violations.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._pytest_wrap import Wrapping
    from .model import Violation

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_setup",
    "pytest_runtest_teardown",
    "pytest_unconfigure",
    "statusguard_violations",
]

MODES = ("strict", "warn", "fix", "off")
WRAP = ("on", "off")
MARKER = "statusguard_ignore"
_SESSION_PLUGIN = "statusguard-session"
_MAX_PER_TEST = 100  # violations kept per test for the JSON report (all are counted)

# What this plugin forced, innermost last: (mode, rules).  A stack, not a flag, because
# pytester can run a pytest session inside a test of another one, in the same process.
_forced: list[tuple[str | None, dict[str, str]]] = []
_ignored_key = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("statusguard", "statusguard: HTTP status-code rules")
    group.addoption(
        "--statusguard",
        dest="statusguard_mode",
        choices=MODES,
        default=None,
        metavar="MODE",
        help=(
            "check every HTTP response of the test process: strict (a test that produces a "
            "violating response fails), warn, fix, or off (the default: leave the guards as "
            "configured). Overrides the statusguard_mode ini key."
        ),
    )
    group.addoption(
        "--statusguard-wrap",
        dest="statusguard_wrap",
        choices=WRAP,
        default=None,
        help=(
            "on (the default with --statusguard): also guard every application driven by the "
            "Flask, werkzeug, Django, DRF, Starlette/FastAPI, httpx and asgiref test clients; "
            "off: only force the mode of the guards the application installed itself."
        ),
    )
    group.addoption(
        "--statusguard-report",
        dest="statusguard_report",
        default=None,
        metavar="PATH",
        help="write the violations of the run (per rule and per test) to PATH as JSON",
    )
    parser.addini(
        "statusguard_mode",
        help="the default of --statusguard: strict, warn, fix or off",
        default="off",
    )
    parser.addini(
        "statusguard_wrap",
        help="the default of --statusguard-wrap: on or off",
        default="on",
    )
    parser.addini(
        "statusguard_ignore",
        type="linelist",
        help="rule ids statusguard ignores (turns off) in every test of a forced mode",
        default=[],
    )


def _choice(config: pytest.Config, name: str, choices: tuple[str, ...], default: str) -> str:
    value = config.getoption(name) or str(config.getini(name))
    value = value.strip().lower() or default
    if value not in choices:
        raise pytest.UsageError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*rule_ids): statusguard ignores these rules (turns them off) for this test.",
    )
    mode = _choice(config, "statusguard_mode", MODES, "off")
    wrap = _choice(config, "statusguard_wrap", WRAP, "on") == "on"
    if mode == "off":
        return
    from .errors import ConfigurationError

    report = config.getoption("statusguard_report")
    path = Path(report) if report else None
    worker = getattr(config, "workerinput", {}).get("workerid")
    if path is not None and worker:  # pytest-xdist: one report per worker
        path = path.with_name(f"{path.stem}.{worker}{path.suffix}")
    ignored = dict.fromkeys(config.getini("statusguard_ignore"), "off")
    try:
        session = _ForcedSession(mode, wrap, path, ignored)
    except ConfigurationError as exc:
        raise pytest.UsageError(f"statusguard_ignore: {exc}") from None
    config.pluginmanager.register(session, _SESSION_PLUGIN)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.pluginmanager.get_plugin(_SESSION_PLUGIN)
    if isinstance(session, _ForcedSession):
        session.close()
        config.pluginmanager.unregister(session, _SESSION_PLUGIN)


# -- the statusguard_ignore marker ----------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Turn the rules of ``@pytest.mark.statusguard_ignore`` off before the fixtures run."""
    ignored: list[str] = []
    for marker in item.iter_markers(name=MARKER):
        for rule_id in marker.args:
            if not isinstance(rule_id, str):
                raise pytest.UsageError(
                    f"{MARKER} takes rule ids as strings, such as 'content-forbidden', "
                    f"not {rule_id!r}"
                )
            ignored.append(rule_id)
    if not ignored:
        return
    from .errors import ConfigurationError

    mode, rules = _forced[-1] if _forced else (None, {})
    try:
        _push(mode, {**rules, **dict.fromkeys(ignored, "off")})
    except ConfigurationError as exc:
        raise pytest.UsageError(f"{MARKER} on {item.nodeid}: {exc}") from None
    item.stash[_ignored_key] = True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    try:
        yield
    finally:
        # After the fixtures' teardown, which may still send requests.
        if item.stash.get(_ignored_key, False):
            del item.stash[_ignored_key]
            _pop()


def _push(mode: str | None, rules: dict[str, str]) -> None:
    from .engine import force

    force(mode=mode, rules=rules)  # validates first: nothing is pushed if it raises
    _forced.append((mode, rules))


def _pop() -> None:
    from .engine import force

    _forced.pop()
    mode, rules = _forced[-1] if _forced else (None, {})
    force(mode=mode, rules=rules)


# -- the statusguard_violations fixture -----------------------------------------------------


@pytest.fixture
def statusguard_violations() -> Iterator[list[Violation]]:
    """The violations every guard of the process reports while the test runs, in order."""
    from .report import add_listener, remove_listener

    seen: list[Violation] = []

    def listen(violation: Violation, request: str) -> None:
        seen.append(violation)

    add_listener(listen)
    try:
        yield seen
    finally:
        remove_listener(listen)


# -- the forced mode -------------------------------------------------------------------------


@dataclass(slots=True)
class _Seen:
    """One violation as the run saw it."""

    violation: Violation
    request: str  # the guard's label, "GET /route"
    test: str | None  # the nodeid of the test under way, None between tests
    heads: tuple[list[str], list[str]] | None  # request and response head, when known


@dataclass(slots=True)
class _Tally:
    """One rule across the run."""

    first: _Seen
    count: int = 0
    tests: set[str] = field(default_factory=set)
    actions: dict[str, int] = field(default_factory=dict)


class _ForcedSession:
    """Registered only when a mode is forced: forces it for the session, wraps the test
    clients' applications, records every violation, fails the tests during which a guard
    raised (strict mode) and sums the run up."""

    def __init__(self, mode: str, wrap: bool, report: Path | None, rules: dict[str, str]) -> None:
        from .report import add_listener

        self.mode = mode
        self.report_path = report
        self.seen: list[_Seen] = []  # the violations of the test under way
        self.reported = 0  # how many of ``seen`` are already in a report
        self.tallies: dict[str, _Tally] = {}
        self.per_test: dict[str, list[_Seen]] = {}
        self.test: str | None = None
        self._lock = threading.Lock()
        self.wrapping: Wrapping | None = None
        _push(mode, rules)  # validates the rules first: raises before anything is installed
        if wrap:
            from ._pytest_wrap import Wrapping

            self.wrapping = Wrapping(mode)
            self.wrapping.install()
        add_listener(self.listen)

    def listen(self, violation: Violation, request: str) -> None:
        from ._pytest_wrap import current_exchange

        first = violation.rule_id not in self.tallies
        heads = None
        if violation.strict or first:
            # Only here is anything described: a test that passes pays nothing for reports.
            exchange = current_exchange(request.partition(" ")[0])
            if exchange is not None:
                heads = exchange.describe()
        seen = _Seen(violation, request, self.test, heads)
        with self._lock:
            self.seen.append(seen)
            tally = self.tallies.get(violation.rule_id)
            if tally is None:
                tally = self.tallies[violation.rule_id] = _Tally(seen)
            tally.count += 1
            action = violation.action.value
            tally.actions[action] = tally.actions.get(action, 0) + 1
            if seen.test is not None:
                tally.tests.add(seen.test)
                kept = self.per_test.setdefault(seen.test, [])
                if len(kept) < _MAX_PER_TEST:
                    kept.append(seen)

    def close(self) -> None:
        from .report import remove_listener

        remove_listener(self.listen)
        if self.wrapping is not None:
            self.wrapping.uninstall()
            self.wrapping = None
        _pop()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self.test = item.nodeid
        try:
            return (yield)
        finally:
            self.test = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        # What happened between tests (a module fixture's teardown) is nobody's failure.
        with self._lock:
            self.seen.clear()
            self.reported = 0
        if self.wrapping is not None:
            from ._pytest_wrap import forget_current

            forget_current()  # a response the last test left unread is not this test's

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if self.mode != "strict" or report.skipped:
            return report
        raised = self._raised()
        if not raised:
            return report
        text = _describe(raised)
        if report.passed:
            report.outcome = "failed"
            report.longrepr = text
        else:
            # The test failed on the guard's exception, or on something else (often the 500
            # a framework or client made of it): say what the guard saw, with the heads.
            addsection = getattr(report.longrepr, "addsection", None)
            if addsection is not None:  # a traceback: the section goes into the failure text
                addsection("statusguard", text)
            else:
                report.sections.append(("statusguard", text))
        return report

    def _raised(self) -> list[_Seen]:

        with self._lock:
            new = self.seen[self.reported :]
            self.reported = len(self.seen)
        return [seen for seen in new if seen.violation.strict]

    def pytest_report_header(self) -> str:
        text = f"statusguard: every guard forced to {self.mode} mode"
        if self.wrapping is not None:
            text += "; the test clients' applications are guarded"
        return text

    # -- the summary ---------------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        terminalreporter.section("statusguard", sep="=")
        if not self.tallies:
            write(f"statusguard ({self.mode}): no HTTP rule violations")
        else:
            for line in _summary(self.mode, self.tallies):
                write(line)
        if self.wrapping is not None and self.wrapping.failed:
            write(
                "statusguard: could not wrap the applications of "
                + "; ".join(self.wrapping.failed)
            )
        if self.report_path is not None:
            write(f"statusguard: report written to {self.report_path}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.report_path is None:
            return
        data = _as_json(self.mode, self.wrapping, self.tallies, self.per_test)
        path = self.report_path
        if not path.is_absolute():
            path = Path(session.config.invocation_params.dir) / path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _describe(raised: list[_Seen]) -> str:
    count = len(raised)
    lines = [
        f"statusguard (--statusguard=strict): {count} HTTP rule violation"
        f"{'s' if count != 1 else ''} during this test:"
    ]
    for seen in raised:
        violation = seen.violation
        lines.append(f"  {seen.request} -> {violation.status}: {violation.message}")
        lines.append(f"      {violation.reference.url}")
        if seen.heads is not None:
            request, response = seen.heads
            lines.append("    request:")
            lines.extend(f"      {line}" for line in request)
            lines.append("    response head (as the application gave it):")
            lines.extend(f"      {line}" for line in response)
    ids = ", ".join(
        repr(rule_id) for rule_id in dict.fromkeys(s.violation.rule_id for s in raised)
    )
    lines.append(f"Fix the response, or mark the test with @pytest.mark.{MARKER}({ids}).")
    return "\n".join(lines)


def _ranked(tallies: dict[str, _Tally]) -> list[tuple[str, _Tally]]:
    return sorted(tallies.items(), key=lambda item: (-item[1].count, item[0]))


def _summary(mode: str, tallies: dict[str, _Tally]) -> list[str]:
    total = sum(t.count for t in tallies.values())
    tests = len(set().union(*(t.tests for t in tallies.values())))
    rows = [("rule", "severity", "reference", "count", "tests", "first test")]
    for rule_id, tally in _ranked(tallies):
        violation = tally.first.violation
        rows.append(
            (
                rule_id,
                str(violation.severity),
                str(violation.reference),
                str(tally.count),
                str(len(tally.tests)),
                tally.first.test or "(outside any test)",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        f"statusguard ({mode}): {total} violation{'s' if total != 1 else ''} of "
        f"{len(tallies)} rule{'s' if len(tallies) != 1 else ''} in {tests} "
        f"test{'s' if tests != 1 else ''}"
    ]
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2])]
        cells += [row[3].rjust(widths[3]), row[4].rjust(widths[4]), row[5]]
        lines.append("  ".join(cells))
    return lines


def _as_json(
    mode: str,
    wrapping: Wrapping | None,
    tallies: dict[str, _Tally],
    per_test: dict[str, list[_Seen]],
) -> dict[str, object]:
    from . import __version__

    rules = []
    for rule_id, tally in _ranked(tallies):
        first = tally.first
        entry: dict[str, object] = {
            "rule": rule_id,
            "severity": str(first.violation.severity),
            "reference": str(first.violation.reference),
            "url": first.violation.reference.url,
            "count": tally.count,
            "actions": dict(sorted(tally.actions.items())),
            "tests": len(tally.tests),
            "first_test": first.test,
            "first_request": first.request,
            "first_message": first.violation.message,
        }
        if first.heads is not None:
            entry["first_request_head"], entry["first_response_head"] = first.heads
        rules.append(entry)
    return {
        "statusguard": __version__,
        "mode": mode,
        "wrapped": None if wrapping is None else sorted(wrapping.patched),
        "not_wrapped": None if wrapping is None else wrapping.failed,
        "violations": sum(t.count for t in tallies.values()),
        "rules": rules,
        "tests": {
            test: [
                {
                    "rule": s.violation.rule_id,
                    "status": s.violation.status,
                    "action": s.violation.action.value,
                    "strict": s.violation.strict,
                    "request": s.request,
                }
                for s in seen
            ]
            for test, seen in sorted(per_test.items())
        },
    }
