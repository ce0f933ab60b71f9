"""The audit report: text (a table on a terminal, one line per finding when piped), JSON (the
schema in :mod:`statusguard.audit.schema`), JUnit XML (one test case per route) and one
self-contained HTML page (a matrix of routes × probes; no script, no network).
"""

from __future__ import annotations

import html
import os
import shutil
import textwrap
from collections.abc import Iterable, Sequence
from typing import TextIO
from xml.etree import ElementTree

from .. import __version__
from ..model import Severity, Violation
from ..rules import RULES_BY_ID
from ..rules import exchanges as x
from ..rules.exchanges import ALL_PROBES, CROSS_RULES_BY_ID
from .auditor import Audit, ProbeResult, RouteResult
from .probes import PROBE_PURPOSES
from .schema import SCHEMA_VERSION

__all__ = [
    "as_json",
    "render_html",
    "render_junit",
    "summary_line",
    "write_text",
]


def _fixable(violation: Violation) -> bool:
    rule = RULES_BY_ID.get(violation.rule_id)
    return rule is not None and rule.fix is not None


def _scope(violation: Violation) -> str:
    return "exchange" if violation.rule_id in CROSS_RULES_BY_ID else "response"


def _quote(violation: Violation) -> str:
    """The RFC sentence a rule enforces (its summary where the catalogue has no quote)."""
    cross = CROSS_RULES_BY_ID.get(violation.rule_id)
    if cross is not None:
        return cross.quote
    rule = RULES_BY_ID.get(violation.rule_id)
    if rule is None:
        return ""
    quote = getattr(rule, "quote", None)
    return str(quote) if quote else f"{rule.summary}."


def _detail(violation: Violation) -> str:
    prefix = f"[{violation.rule_id}] "
    message = violation.message
    return message[len(prefix) :] if message.startswith(prefix) else message


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


# -- the summary -------------------------------------------------------------------------------


def summary_line(audit: Audit) -> str:
    """``statusguard: 12 routes (1 skipped), 80 responses checked, 3 violations (...)``."""
    routes = audit.routes
    skipped = sum(1 for r in routes if r.skipped is not None)
    head = _plural(len(routes), "route") + (f" ({skipped} skipped)" if skipped else "")
    checked = f"{_plural(audit.responses, 'response')} checked"
    failures = len(audit.failures)
    failed = f", {failures} failed" if failures else ""
    violations = audit.violations
    if not violations:
        return f"statusguard: {head}, {checked}{failed}, no violations."
    by_severity = dict.fromkeys(Severity, 0)
    for violation in violations:
        by_severity[violation.severity] += 1
    parts = [
        f"{n} {s.value}{'s' if n != 1 and s is not Severity.INFO else ''}"
        for s, n in by_severity.items()
        if n
    ]
    fixed = sum(v.fixed for v in violations)
    fixable = sum(_fixable(v) for v in violations)
    tail = f"fix mode repaired {fixed}" if fixed else f"fix mode repairs {fixable}"
    return (
        f"statusguard: {head}, {checked}{failed}, {_plural(len(violations), 'violation')} "
        f"({', '.join(parts)}); {tail}."
    )


# -- text ----------------------------------------------------------------------------------------

_COLOURS = {
    Severity.ERROR: "\033[31m",
    Severity.WARNING: "\033[33m",
    Severity.INFO: "\033[36m",
    None: "\033[32m",
}
_RESET = "\033[0m"
_DIM = "\033[2m"
_BOLD = "\033[1m"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def write_text(audit: Audit, out: TextIO) -> None:
    """A table grouped by route on a terminal (in colour unless ``NO_COLOR`` is set), one
    line per finding when piped; the summary line last."""
    if _is_terminal(out):
        _write_table(audit, out, colour="NO_COLOR" not in os.environ)
    else:
        for route in audit.routes:
            for probe in route.probes:
                for violation in probe.violations:
                    print(_line(probe, violation), file=out)
    print(summary_line(audit), file=out)


def _line(probe: ProbeResult, violation: Violation) -> str:
    fix = "fixed" if violation.fixed else ("fixable" if _fixable(violation) else "not-fixable")
    return (
        f"{probe.request.method} {probe.request.path} {violation.status} {violation.severity} "
        f"{fix} {violation.message} {violation.reference.url}"
    )


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour else text


def _write_table(audit: Audit, out: TextIO, *, colour: bool) -> None:
    width = max(shutil.get_terminal_size().columns, 60)
    indent = "      "
    several = len(audit.apps) > 1
    for route in audit.routes:
        title = f"{route.route.label}"
        where = f"  {route.app}" if several else ""
        if route.skipped is not None:
            mark = _paint("-", _DIM, colour)
            print(
                f"{mark} {title}  skipped: {route.skipped}{_paint(where, _DIM, colour)}", file=out
            )
            continue
        worst = _worst(route)
        mark = _paint("✗" if route.failed else "✓", _COLOURS[worst], colour)
        path = f"  {route.route.path}" if route.route.path != route.route.pattern else ""
        print(
            f"{mark} {_paint(title, _BOLD, colour)}{path}  "
            f"{_plural(len(route.probes), 'probe')}{_paint(where, _DIM, colour)}",
            file=out,
        )
        rows = [(p, v) for p in route.probes for v in p.violations]
        for probe in route.failures:
            text = f"  {probe.name} {probe.request.method}: {probe.error}"
            print(_paint(text, _COLOURS[Severity.ERROR], colour), file=out)
        if route.note:
            print(f"  {route.note}", file=out)
        if not rows:
            continue
        cells = [
            (
                p.name,
                p.request.method,
                str(v.status),
                v.rule_id,
                v.severity.value,
                "fixed" if v.fixed else ("yes" if _fixable(v) else "no"),
            )
            for p, v in rows
        ]
        header = ("PROBE", "METHOD", "STATUS", "RULE", "SEVERITY", "FIX")
        widths = [max(len(c) for c in column) for column in zip(header, *cells, strict=True)]
        print("  " + _paint(_columns(header, widths), _DIM, colour), file=out)
        for (_, violation), values in zip(rows, cells, strict=True):
            line = _columns(values, widths)
            print("  " + _paint(line, _COLOURS[violation.severity], colour), file=out)
            for part in textwrap.wrap(_detail(violation), width - len(indent)):
                print(indent + part, file=out)
            print(indent + _paint(violation.reference.url, _DIM, colour), file=out)
    print(file=out)


def _columns(values: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(values, widths, strict=True)).rstrip()


def _worst(route: RouteResult) -> Severity | None:
    if route.failures:
        return Severity.ERROR
    for severity in Severity:
        if any(v.severity is severity for v in route.violations):
            return severity
    return None


# -- JSON ---------------------------------------------------------------------------------------


def _pairs(headers: Iterable[tuple[object, object]]) -> list[list[str]]:
    def text(value: object) -> str:
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)

    return [[text(n), text(v)] for n, v in headers]


def _violation_json(violation: Violation) -> dict[str, object]:
    return {
        "rule": violation.rule_id,
        "scope": _scope(violation),
        "status": violation.status,
        "severity": violation.severity.value,
        "message": violation.message,
        "fixable": _fixable(violation),
        "fixed": violation.fixed,
        "reference": str(violation.reference),
        "url": violation.reference.url,
    }


def _probe_json(probe: ProbeResult) -> dict[str, object]:
    return {
        "probe": probe.name,
        "method": probe.request.method,
        "path": probe.request.path,
        "request_headers": _pairs(probe.request.headers),
        "status": probe.status,
        "response_headers": _pairs(probe.headers),
        "content_length": len(probe.body) if probe.status is not None else None,
        "error": probe.error,
        "violations": [_violation_json(v) for v in probe.violations],
    }


def _route_json(route: RouteResult) -> dict[str, object]:
    spec = route.route
    return {
        "app": route.app,
        "route": spec.label,
        "name": spec.name,
        "path": spec.path,
        "methods": sorted(spec.methods) if spec.methods is not None else None,
        "skipped": spec.skipped,
        "note": route.note,
        "failed": route.failed,
        "probes": [_probe_json(p) for p in route.probes],
    }


def as_json(audit: Audit) -> dict[str, object]:
    """The report as the documented JSON document (``statusguard.audit.schema.SCHEMA``)."""
    findings: list[dict[str, object]] = []
    failures: list[dict[str, object]] = []
    for route in audit.routes:
        for probe in route.probes:
            where = {
                "app": route.app,
                "route": route.route.label,
                "probe": probe.name,
                "method": probe.request.method,
                "path": probe.request.path,
                "request_headers": _pairs(probe.request.headers),
            }
            findings.extend({**where, **_violation_json(v)} for v in probe.violations)
            if probe.error is not None:
                failures.append({**where, "error": probe.error})
    by_severity = dict.fromkeys(Severity, 0)
    for violation in audit.violations:
        by_severity[violation.severity] += 1
    return {
        "schema": SCHEMA_VERSION,
        "statusguard": __version__,
        "apps": list(audit.apps),
        "summary": {
            "routes": len(audit.routes),
            "skipped": sum(1 for r in audit.routes if r.skipped is not None),
            "probes": len(audit.probes),
            "responses": audit.responses,
            "violations": len(audit.violations),
            "errors": by_severity[Severity.ERROR],
            "warnings": by_severity[Severity.WARNING],
            "infos": by_severity[Severity.INFO],
            "failures": len(failures),
            "exit_status": audit.exit_status,
            "text": summary_line(audit),
        },
        "routes": [_route_json(r) for r in audit.routes],
        "findings": findings,
        "failures": failures,
    }


# -- JUnit XML ------------------------------------------------------------------------------------


def render_junit(audit: Audit) -> str:
    """One ``<testsuite>`` per app, one ``<testcase>`` per route: failed when the route has a
    violation of error severity or a probe that failed, skipped when it was not requested;
    the warnings and the probes sent are in ``<system-out>``."""
    root = ElementTree.Element("testsuites", name="statusguard check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for app in audit.apps:
        routes = [r for r in audit.routes if r.app == app]
        suite = ElementTree.SubElement(root, "testsuite", name=app)
        counts = {"tests": len(routes), "failures": 0, "skipped": 0}
        for route in routes:
            case = ElementTree.SubElement(suite, "testcase", classname=app, name=route.route.label)
            if route.skipped is not None:
                ElementTree.SubElement(case, "skipped", message=route.skipped)
                counts["skipped"] += 1
                continue
            errors = [
                (p, v) for p in route.probes for v in p.violations if v.severity is Severity.ERROR
            ]
            if route.failed:
                counts["failures"] += 1
                lines = [f"{p.name} {p.request.method}: {p.error}" for p in route.failures]
                lines += [
                    f"{p.name} {p.request.method} {v.status}: {v.message}" for p, v in errors
                ]
                parts = []
                if errors:
                    parts.append(_plural(len(errors), "error"))
                if route.failures:
                    parts.append(f"{len(route.failures)} failed")
                failure = ElementTree.SubElement(
                    case, "failure", message=", ".join(parts), type="statusguard"
                )
                failure.text = "\n".join(lines)
            out = [
                f"{p.name} {p.request.method} {p.request.path} -> "
                f"{p.status if p.status is not None else 'no response'}"
                for p in route.probes
            ]
            out += [
                f"{v.severity} {p.name} {p.request.method} {v.status}: {v.message}"
                for p in route.probes
                for v in p.violations
                if v.severity is not Severity.ERROR
            ]
            ElementTree.SubElement(case, "system-out").text = "\n".join(out)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ElementTree.indent(root)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        + ElementTree.tostring(root, encoding="unicode")
        + "\n"
    )


# -- HTML -----------------------------------------------------------------------------------------

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1f2328; }
h1 { font-size: 1.4em; margin: 0 0 .2em; }
.summary { margin: .5em 0 1em; }
.summary span { display: inline-block; margin-right: 1.2em; }
.summary b { font-size: 1.3em; }
table.matrix { border-collapse: collapse; }
.matrix th, .matrix td { border: 1px solid #d0d7de; padding: 3px 6px; vertical-align: top; }
.matrix thead th { background: #f6f8fa; font-weight: 600; font-size: .85em; }
.matrix th.route { text-align: left; font-family: ui-monospace, monospace; font-weight: normal;
  white-space: nowrap; }
.matrix th.route small { color: #656d76; }
td.cell { text-align: center; min-width: 3.2em; font-family: ui-monospace, monospace; }
td.pass { background: #dafbe1; }
td.fail { background: #ffd8d3; }
td.none { background: #f6f8fa; color: #8c959f; }
td.skip { background: #f6f8fa; color: #656d76; text-align: left; font-style: italic; }
td.cell details { text-align: left; }
td.cell summary { cursor: pointer; text-align: center; list-style: none; }
td.cell summary::-webkit-details-marker { display: none; }
.badge { font-size: .75em; border-radius: 8px; padding: 0 5px; margin-left: 2px; }
.badge.error { background: #cf222e; color: white; }
.badge.warning { background: #bf8700; color: white; }
.badge.info { background: #0969da; color: white; }
.detail { min-width: 34em; max-width: 60em; padding: .4em; background: white;
  border: 1px solid #d0d7de; margin-top: .3em; }
.detail pre { background: #f6f8fa; padding: .4em; overflow-x: auto; margin: .2em 0 .6em;
  white-space: pre-wrap; word-break: break-all; }
.detail h4 { margin: .4em 0 .1em; font-size: .85em; text-transform: uppercase; color: #656d76; }
.finding { margin: .3em 0 .6em; }
.finding blockquote { margin: .2em 0 .2em 1em; color: #424a53; font-style: italic; }
.finding.error code { color: #cf222e; } .finding.warning code { color: #9a6700; }
.finding.info code { color: #0969da; }
.legend { color: #656d76; font-size: .85em; margin-top: 1em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _head_text(probe: ProbeResult) -> str:
    if probe.status is None:
        return probe.error or "no response"
    reason = f" {probe.reason}" if probe.reason else ""
    lines = [f"HTTP/{probe.request.http_version} {probe.status}{reason}"]
    lines += [f"{n}: {v}" for n, v in _pairs(probe.headers)]
    if probe.body:
        lines.append(f"\n({len(probe.body)} content bytes)")
    return "\n".join(lines)


def _request_text(probe: ProbeResult) -> str:
    request = probe.request
    lines = [f"{request.method} {request.path} HTTP/{request.http_version}"]
    lines += [f"{n}: {v}" for n, v in request.headers]
    return "\n".join(lines)


def _cell(probe: ProbeResult | None) -> str:
    if probe is None:
        return '<td class="cell none" data-status="">·</td>'
    failed = probe.error is not None or any(v.severity is Severity.ERROR for v in probe.violations)
    state = "fail" if failed else "pass"
    shown = str(probe.status) if probe.status is not None else "failed"
    badges = []
    for severity in Severity:
        count = sum(1 for v in probe.violations if v.severity is severity)
        if count:
            badges.append(f'<span class="badge {severity.value}">{count}</span>')
    findings = "".join(
        f'<div class="finding {v.severity.value}" data-rule="{_e(v.rule_id)}">'
        f"<code>{_e(v.rule_id)}</code> ({_e(v.severity.value)}) {_e(_detail(v))}"
        f"<blockquote>“{_e(_quote(v))}”</blockquote>"
        f'<a href="{_e(v.reference.url)}">{_e(v.reference)}</a></div>'
        for v in probe.violations
    )
    if probe.error is not None:
        findings = (
            f'<div class="finding error"><code>failed</code> {_e(probe.error)}</div>' + findings
        )
    detail = (
        f'<div class="detail"><p>{_e(PROBE_PURPOSES[probe.name])}</p>'
        f"<h4>Request sent</h4><pre>{_e(_request_text(probe))}</pre>"
        f"<h4>Response head received</h4><pre>{_e(_head_text(probe))}</pre>"
        + (f"<h4>Findings</h4>{findings}" if findings else "<h4>Findings</h4><p>none</p>")
        + "</div>"
    )
    return (
        f'<td class="cell {state}" data-probe="{_e(probe.name)}" data-status="{_e(shown)}" '
        f'data-findings="{len(probe.violations)}">'
        f"<details><summary>{_e(shown)}{''.join(badges)}</summary>{detail}</details></td>"
    )


def render_html(audit: Audit, title: str = "statusguard check") -> str:
    """One self-contained page: the summary, then the matrix of routes × probes."""
    used = {p.name for p in audit.probes}
    # A request given as it is comes first: the bundled example's own column.
    order = (x.REQUEST, *(name for name in ALL_PROBES if name != x.REQUEST))
    columns = [name for name in order if name in used]
    summary = as_json(audit)["summary"]
    assert isinstance(summary, dict)
    counts = [
        ("routes", "routes"),
        ("responses", "responses checked"),
        ("errors", "errors"),
        ("warnings", "warnings"),
        ("infos", "info"),
        ("failures", "probes failed"),
    ]
    summary_html = "".join(
        f'<span data-count="{key}"><b>{_e(summary[key])}</b> {label}</span>'
        for key, label in counts
    )
    head = "".join(
        f'<th scope="col" title="{_e(PROBE_PURPOSES[name])}">{_e(name)}</th>' for name in columns
    )
    rows = []
    for route in audit.routes:
        spec = route.route
        path = (
            f"<br><small>{_e(spec.path)}</small>"
            if spec.path and spec.path != spec.pattern
            else ""
        )
        label = (
            f'<th scope="row" class="route">{_e(spec.label)}{path}'
            f"<br><small>{_e(route.app)}</small></th>"
        )
        state = "skipped" if route.skipped is not None else ("fail" if route.failed else "pass")
        if route.skipped is not None:
            cells = (
                f'<td class="skip" colspan="{len(columns) or 1}">skipped: {_e(route.skipped)}</td>'
            )
        else:
            by_name: dict[str, ProbeResult] = {}
            for probe in route.probes:
                by_name.setdefault(probe.name, probe)
            cells = "".join(_cell(by_name.get(name)) for name in columns)
        rows.append(
            f'<tr class="route" data-route="{_e(spec.label)}" data-app="{_e(route.app)}" '
            f'data-state="{state}">{label}{cells}</tr>'
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="statusguard {_e(__version__)}">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p>{_e(", ".join(audit.apps))}</p>
<section class="summary" id="summary" data-exit-status="{_e(summary["exit_status"])}">
{summary_html}</section>
<p id="summary-line">{_e(summary["text"])}</p>
<table class="matrix" id="matrix">
<thead><tr><th scope="col">route</th>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p class="legend">Green: no violation of error severity (a badge counts the warnings and info
findings); red: a violation of error severity, or the probe failed; grey: not sent. Open a
cell for the request sent, the response head received and the RFC sentence of each finding.</p>
</body>
</html>
"""
