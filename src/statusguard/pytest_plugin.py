"""pytest plugin: make every guard of the test process strict, and collect violations per test.

Inert until asked: without ``--statusguard`` (or the ``statusguard_mode`` ini key) it only
registers the ``statusguard_ignore`` marker and the ``statusguard_violations`` fixture.  It
imports no web framework, and statusguard's engine only inside the hooks that use it.

With ``--statusguard=strict`` every guard raises, and because frameworks often turn exceptions
into a 500 (Flask, Django), every violation is also recorded through a process-wide listener: a
test during which a guard raised fails, its report naming the rule, the RFC section and the
request, whatever the framework did with the exception.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
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
MARKER = "statusguard_ignore"
_SESSION_PLUGIN = "statusguard-session"

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
            "override the mode of every statusguard guard in the test process: strict (a "
            "test that produces a violating response fails), warn, fix, or off (leave the "
            "guards as configured; the default). Overrides the statusguard_mode ini key."
        ),
    )
    parser.addini(
        "statusguard_mode",
        help="the default of --statusguard: strict, warn, fix or off",
        default="off",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*rule_ids): statusguard ignores these rules (turns them off) for this test.",
    )
    mode = config.getoption("statusguard_mode") or str(config.getini("statusguard_mode"))
    mode = mode.strip().lower() or "off"
    if mode not in MODES:
        raise pytest.UsageError(
            f"statusguard_mode must be one of {', '.join(MODES)}, not {mode!r}"
        )
    if mode != "off":
        config.pluginmanager.register(_ForcedSession(mode), _SESSION_PLUGIN)


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


class _ForcedSession:
    """Registered only when a mode is forced: forces it for the session, records every
    violation, and fails the tests during which a guard raised (strict mode)."""

    def __init__(self, mode: str) -> None:
        from .report import add_listener

        self.mode = mode
        self.seen: list[tuple[Violation, str]] = []
        self.reported = 0  # how many of ``seen`` are already in a report
        _push(mode, {})
        add_listener(self.listen)

    def listen(self, violation: Violation, request: str) -> None:
        self.seen.append((violation, request))

    def close(self) -> None:
        from .report import remove_listener

        remove_listener(self.listen)
        _pop()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        # What happened between tests (a module fixture's teardown) is nobody's failure.
        self.seen.clear()
        self.reported = 0

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
        elif not _is_strict_error(call):
            # The test failed on something else (often the 500 a framework made of the
            # exception): say what the guard saw.
            report.sections.append(("statusguard", text))
        return report

    def _raised(self) -> list[tuple[Violation, str]]:
        from .model import Action

        new = self.seen[self.reported :]
        self.reported = len(self.seen)
        return [(v, request) for v, request in new if v.action is Action.RAISED]

    def pytest_report_header(self) -> str:
        return f"statusguard: every guard forced to {self.mode} mode"


def _is_strict_error(call: pytest.CallInfo[None]) -> bool:
    from .errors import StatusGuardError

    return call.excinfo is not None and isinstance(call.excinfo.value, StatusGuardError)


def _describe(raised: list[tuple[Violation, str]]) -> str:
    count = len(raised)
    lines = [
        f"statusguard (--statusguard=strict): {count} HTTP rule violation"
        f"{'s' if count != 1 else ''} during this test:"
    ]
    for violation, request in raised:
        lines.append(f"  {request} -> {violation.status}: {violation.message}")
        lines.append(f"      {violation.reference.url}")
    ids = ", ".join(repr(rule_id) for rule_id in dict.fromkeys(v.rule_id for v, _ in raised))
    lines.append(f"Fix the response, or mark the test with @pytest.mark.{MARKER}({ids}).")
    return "\n".join(lines)
