"""The ``statusguard`` command (also ``python -m statusguard``).

``check`` audits every route of an app, in process or over a socket (``statusguard.audit``),
``lint`` checks a captured response, ``explain`` prints the table record of a status code,
``rules`` the catalogue and the rules across responses.  The checking itself is the engine's;
this module only parses the command line and prints.
Exit status: 0 nothing of error severity, 1 a violation of error severity (or an app that
failed), 2 a usage error, always with a one-line message and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from . import __version__
from ._capture import CaptureError, parse_responses
from ._client import cwd_on_path
from .audit.command import CheckUsageError, run_check
from .codes import StatusCode, lookup
from .docs import (
    CLASS_NAMES,
    REGISTRY_NAMES,
    format_protocols,
    format_statuses,
    render_cross_rules_table,
    render_rules_table,
    rules_for_status,
)
from .engine import MODES, SERVER_DATE_POLICIES
from .model import Rule, Severity, Violation
from .responses import check as check_response
from .rules import CATALOGUE, RULES_BY_ID
from .rules.exchanges import CROSS_RULES, CROSS_RULES_BY_ID, CrossRule
from .servers import PROFILES

__all__ = ["main"]

EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake on the command line or in what it points to: one line, exit status 2."""


# -- findings and their rendering --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation of one response, with what it answered."""

    method: str
    path: str
    violation: Violation

    @property
    def rule(self) -> Rule | CrossRule | None:
        rule_id = self.violation.rule_id
        return RULES_BY_ID.get(rule_id) or CROSS_RULES_BY_ID.get(rule_id)

    @property
    def fixable(self) -> bool:
        """Whether fix mode repairs this kind of violation (the rule has a safe fix)."""
        rule = self.rule
        return rule is not None and rule.fix is not None

    @property
    def fix_label(self) -> str:
        if self.violation.fixed:
            return "fixed"
        return "yes" if self.fixable else "no"

    @property
    def detail(self) -> str:
        """The message without its leading ``[rule-id]``, which the table shows apart."""
        prefix = f"[{self.violation.rule_id}] "
        message = self.violation.message
        return message[len(prefix) :] if message.startswith(prefix) else message

    def as_json(self) -> dict[str, object]:
        violation = self.violation
        return {
            "method": self.method,
            "path": self.path,
            "status": violation.status,
            "rule": violation.rule_id,
            "severity": violation.severity.value,
            "message": violation.message,
            "fixable": self.fixable,
            "fixed": violation.fixed,
            "reference": str(violation.reference),
            "url": violation.reference.url,
        }

    def as_line(self) -> str:
        violation = self.violation
        fix = {"yes": "fixable", "no": "not-fixable", "fixed": "fixed"}[self.fix_label]
        return (
            f"{self.method} {self.path} {violation.status} {violation.severity} {fix} "
            f"{violation.message} {violation.reference.url}"
        )


@dataclass(slots=True)
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0  # responses checked
    failures: list[str] = field(default_factory=list)  # what could not be checked, and why

    @property
    def exit_status(self) -> int:
        if self.failures or any(f.violation.severity is Severity.ERROR for f in self.findings):
            return EXIT_VIOLATION
        return EXIT_OK

    def summary(self, noun: str) -> str:
        count = self.checked
        checked = f"{count} {noun}{'s' if count != 1 else ''} checked"
        if not self.findings:
            return f"statusguard: {checked}, no violations."
        by_severity = dict.fromkeys(Severity, 0)
        for finding in self.findings:
            by_severity[finding.violation.severity] += 1
        parts = [
            f"{n} {s.value}{'s' if n != 1 and s is not Severity.INFO else ''}"
            for s, n in by_severity.items()
            if n
        ]
        total = len(self.findings)
        fixed = sum(f.violation.fixed for f in self.findings)
        fixable = sum(f.fixable for f in self.findings)
        tail = f"fix mode repaired {fixed}" if fixed else f"fix mode repairs {fixable}"
        return (
            f"statusguard: {checked}, {total} violation{'s' if total != 1 else ''} "
            f"({', '.join(parts)}); {tail}."
        )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _print_report(report: Report, fmt: str, noun: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump([f.as_json() for f in report.findings], out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    if _is_terminal(out):
        _print_table(report.findings, out)
    else:
        for finding in report.findings:
            print(finding.as_line(), file=out)
    print(report.summary(noun), file=out)


def _print_table(findings: Sequence[Finding], out: TextIO) -> None:
    if not findings:
        return
    header = ("METHOD", "PATH", "STATUS", "RULE", "SEVERITY", "FIX")
    rows = [
        (
            f.method,
            f.path,
            str(f.violation.status),
            f.violation.rule_id,
            f.violation.severity.value,
            f.fix_label,
        )
        for f in findings
    ]
    lines = _aligned(header, rows)
    width = max(shutil.get_terminal_size().columns, 60)
    indent = "    "
    print(lines[0], file=out)
    for finding, line in zip(findings, lines[1:], strict=True):
        print(line, file=out)
        for part in textwrap.wrap(finding.detail, width - len(indent)):
            print(indent + part, file=out)
        print(f"{indent}{finding.violation.reference.url}", file=out)
    print(file=out)


# -- check -------------------------------------------------------------------------------------


def _command_check(args: argparse.Namespace, out: TextIO) -> int:
    # The app may import more of itself while serving (Django imports views lazily): the
    # current directory stays importable for the whole check.
    with cwd_on_path():
        try:
            return run_check(args, out, sys.stderr)
        except CheckUsageError as exc:
            raise UsageError(str(exc)) from None


# -- lint --------------------------------------------------------------------------------------


def _command_lint(args: argparse.Namespace, out: TextIO) -> int:
    source: str
    if args.file is None or args.file == "-":
        source = "<stdin>"
        data = sys.stdin.buffer.read()
    else:
        source = args.file
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    try:
        responses = parse_responses(data)
    except CaptureError as exc:
        raise UsageError(str(exc)) from None
    report = Report()
    for index, response in enumerate(responses, 1):
        method = args.method or ("HEAD" if response.head_only else "GET")
        violations = check_response(
            response.status_line,
            response.headers,
            response.body,
            method=method,
            http_version=response.http_version,
        )
        where = source if len(responses) == 1 else f"{source}#{index}"
        report.checked += 1
        report.findings.extend(
            Finding(method, where, v)
            for v in violations
            # A 1xx followed by the final response is what interim responses are for.
            if not (response.interim and v.rule_id == "status-interim-final")
        )
    _print_report(report, args.format, "response", out)
    return report.exit_status


# -- explain -----------------------------------------------------------------------------------

_EXPLAIN_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "class": "Class",
        "registry": "Registry",
        "defined": "Defined in",
        "content": "Content",
        "forbidden": "forbidden",
        "allowed": "allowed",
        "required": "Required fields",
        "recommended": "Recommended fields",
        "cacheable": "Cacheable by default",
        "yes": "yes",
        "no": "no",
        "none": "none",
        "rules": "Rules for {code}",
        "no_rules": "No rule is written for {code} in particular.",
        "generic": "Plus the {count} rules for every response: {ids}.",
        "warn": "warn",
        "fix": "fix",
        "strict": "strict",
        "reported": "reported (logged, counted, warned); the response goes out unchanged",
        "not_fixed": "reported only: no safe repair (nothing is invented)",
        "raises": "raises StatusGuardError",
        "info_only": "reported only (info rules never raise)",
        "only": "only checked by",
    },
    "zh": {
        "class": "类别",
        "registry": "登记状态",
        "defined": "定义",
        "content": "内容",
        "forbidden": "禁止",
        "allowed": "允许",
        "required": "必需头字段",
        "recommended": "建议头字段",
        "cacheable": "可启发式缓存",
        "yes": "是",
        "no": "否",
        "none": "无",
        "rules": "{code} 的规则",
        "no_rules": "没有专门针对 {code} 的规则。",
        "generic": "另有适用于所有响应的 {count} 条规则：{ids}。",
        "warn": "warn（警告）",
        "fix": "fix（修复）",
        "strict": "strict（严格）",
        "reported": "报告（日志、计数、警告），响应原样发出",
        "not_fixed": "仅报告：没有安全的修复方法（不会凭空编造）",
        "raises": "抛出 StatusGuardError",
        "info_only": "仅报告（info 级规则从不抛出异常）",
        "only": "仅适用于",
    },
}


def _code_argument(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"CODE must be an integer status code such as 404, not {text!r}"
        ) from None


def _explain_lines(record: StatusCode, lang: str) -> list[str]:
    t = _EXPLAIN_TEXT[lang]
    title = f"{record.code} {record.phrase}".rstrip()
    class_name = CLASS_NAMES[lang].get(record.status_class)
    link = f"{record.reference}  {record.url}" if record.url else record.reference
    fields = [
        (t["class"], f"{record.status_class}xx {class_name}" if class_name else "—"),
        (t["registry"], REGISTRY_NAMES[lang][record.registry]),
        (t["defined"], link),
        (t["content"], t["forbidden"] if record.content_forbidden else t["allowed"]),
        (t["required"], ", ".join(record.required_headers) or t["none"]),
        (t["recommended"], ", ".join(record.recommended_headers) or t["none"]),
        (t["cacheable"], t["yes"] if record.heuristically_cacheable else t["no"]),
    ]
    label_width = max(_display_width(label) for label, _ in fields) + 2
    lines = [title, ""]
    lines += [
        f"  {label}:{' ' * (label_width - _display_width(label) - 1)}{value}"
        for label, value in fields
    ]
    description = record.description_zh if lang == "zh" else record.description_en
    width = min(shutil.get_terminal_size().columns, 100) - 2
    lines.append("")
    lines += ["  " + line for line in _wrap(description, width - 2)]
    lines.append("")
    specific = rules_for_status(record.code)
    if specific:
        lines.append(t["rules"].format(code=record.code) + ":")
        for rule in specific:
            lines += _rule_modes(rule, t, width)
    else:
        lines.append(t["no_rules"].format(code=record.code))
    generic = [rule.id for rule in CATALOGUE if rule.statuses is None]
    lines.append("")
    lines += _wrap(t["generic"].format(count=len(generic), ids=", ".join(generic)), width)
    return lines


def _rule_modes(rule: Rule, t: dict[str, str], width: int) -> list[str]:
    head = f"{rule.id} ({rule.severity}, {rule.reference}): {rule.summary}."
    lines = textwrap.wrap(
        head, width, initial_indent="  ", subsequent_indent="      ", break_on_hyphens=False
    )
    lines.append(f"      {rule.reference.url}")
    if format_protocols(rule.protocols) != "all":
        lines.append(f"      {t['only']}: {format_protocols(rule.protocols)}")
    fix = rule.fix_summary if rule.fix is not None else t["not_fixed"]
    strict = t["info_only"] if rule.severity is Severity.INFO else t["raises"]
    for mode, what in (("warn", t["reported"]), ("fix", fix), ("strict", strict)):
        lines.append(f"      {t[mode]}: {what}")
    return lines


def _display_width(text: str) -> int:
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    # CJK ideographs and full-width punctuation take two terminal columns.
    return 2 if ord(char) >= 0x2E80 else 1


# Full-width punctuation that must not start a line.
_NO_LINE_START = frozenset("，。；：、）」』！？》")


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-_")


def _wrap(text: str, width: int) -> list[str]:
    """Wrap at ``width`` terminal columns: at spaces in English, between characters in
    Chinese (never before closing punctuation), never inside a rule id or a word."""
    if all(_char_width(char) == 1 for char in text):
        return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
    lines: list[str] = []
    line = ""
    used = 0
    for char in text:
        if used + _char_width(char) > width and line and char not in _NO_LINE_START:
            cut = len(line)
            if _is_word_char(char):
                # Inside an ASCII word (a field name, an RFC number): move the whole word.
                while cut > 0 and _is_word_char(line[cut - 1]):
                    cut -= 1
                cut = cut or len(line)
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
            used = _display_width(line)
        line += char
        used += _char_width(char)
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _command_explain(args: argparse.Namespace, out: TextIO) -> int:
    record = lookup(args.code)
    for line in _explain_lines(record, args.lang):
        print(line.rstrip(), file=out)
    return EXIT_OK


# -- rules -------------------------------------------------------------------------------------


def _rule_json(rule: Rule | CrossRule) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": rule.id,
        "severity": rule.severity.value,
        "statuses": sorted(rule.statuses) if rule.statuses is not None else None,
        "reference": str(rule.reference),
        "url": rule.reference.url,
        "summary": rule.summary,
        "fix": rule.fix_summary if rule.fix is not None else None,
        "protocols": sorted(rule.protocols),
        "phase": rule.phase,
    }
    if isinstance(rule, CrossRule):
        entry["quote"] = rule.quote
        entry["compares"] = [sorted(rule.first), sorted(rule.second)]
    return entry


def _command_rules(args: argparse.Namespace, out: TextIO) -> int:
    every: tuple[Rule | CrossRule, ...] = (*CATALOGUE, *CROSS_RULES)
    if args.format == "json":
        json.dump([_rule_json(rule) for rule in every], out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "markdown":
        out.write(render_rules_table())
        out.write("\n")
        out.write(render_cross_rules_table())
    elif _is_terminal(out):
        header = ("RULE", "SEVERITY", "STATUSES", "REFERENCE", "FIX", "SUMMARY")
        rows = [
            (
                rule.id,
                rule.severity.value,
                format_statuses(rule.statuses),
                str(rule.reference),
                "yes" if rule.fix is not None else "no",
                rule.summary,
            )
            for rule in every
        ]
        for line in _aligned(header, rows):
            print(line, file=out)
    else:
        for rule in every:
            fix = "fixable" if rule.fix is not None else "not-fixable"
            print(
                f"{rule.id} {rule.severity} {fix} {rule.reference.url} {rule.summary}",
                file=out,
            )
    return EXIT_OK


# -- the parser --------------------------------------------------------------------------------

_EPILOG = """\
exit status: 0 when no violation of error severity was found, 1 when one was (or the app
failed to answer), 2 on usage errors.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statusguard",
        description="Check HTTP responses against the rules of their status codes.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"statusguard {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="audit every route of an app (in process, or a running server) and report",
        description=(
            "Audit an application the way REDbot audits one URL, for every route: GET, HEAD "
            "against GET, OPTIONS against the router, a method the route does not accept, and, "
            "as the GET's 200 calls for them, conditional (If-None-Match, If-Modified-Since) and "
            "range (Range, If-Range) requests. Each response is checked against the catalogue, "
            "and the responses of a route against each other (see docs/audit.md). Only safe "
            "methods are sent unless --method opts in. APP is module:attribute, a factory "
            "(module:create_app or module:create_app()), or http://HOST:PORT of a running "
            "server (probed over a socket, the server included). Without APP, the bundled "
            "example app, whose routes break every rule. Routes: --path, else the router's "
            "(Flask, Django, Starlette, FastAPI) with the module's STATUSGUARD_PATHS, else /."
        ),
        epilog=_EPILOG,
    )
    check.add_argument(
        "app",
        nargs="?",
        metavar="APP",
        help="module:attribute, module:create_app(), or http://127.0.0.1:PORT",
    )
    check.add_argument(
        "--path",
        dest="paths",
        action="append",
        metavar="P",
        help="a route to audit (repeatable); 'HEAD /x' sends that one request as it is",
    )
    check.add_argument(
        "--param",
        dest="params",
        action="append",
        metavar="NAME=VALUE",
        help="the value of a path parameter, e.g. --param item_id=42 (repeatable)",
    )
    check.add_argument(
        "--method",
        dest="methods",
        action="append",
        metavar="M",
        type=str.upper,
        help="also send this method (e.g. POST, with no content) to the routes that accept "
        "it; repeatable. Without it only safe methods are sent.",
    )
    check.add_argument(
        "--django-settings",
        metavar="MODULE",
        help=(
            "audit the Django project of this settings module (APP not needed); with a base "
            "URL, the routes come from its URL resolver"
        ),
    )
    check.add_argument(
        "--routes-from",
        metavar="APP",
        help="with a base URL: read the routes from this app (module:attribute), which is "
        "imported but not served (default: the server's /openapi.json, else /)",
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds each request may take (default 10); a route that takes longer is "
        "reported and the audit goes on",
    )
    check.add_argument(
        "--mode",
        choices=MODES,
        default="warn",
        help="the guard's mode: warn reports and changes nothing (default), fix repairs what "
        "it can and reports what it repaired, strict raises at the first violations",
    )
    check.add_argument("--format", choices=("text", "json", "junit", "html"), default="text")
    check.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE and print only the summary line",
    )
    check.add_argument(
        "--server",
        choices=sorted(PROFILES),
        default=None,
        help="the server the app is served by, as statusguard knows it (default: auto, what "
        "an in-process client shows; the bundled example: wire, nothing between it and the "
        "wire); see docs/servers.md",
    )
    check.add_argument(
        "--server-date",
        choices=SERVER_DATE_POLICIES,
        default=None,
        help="what the server in front of the app does with Date (default: auto, the "
        "guard's own guess)",
    )
    check.set_defaults(command=_command_check)

    lint = commands.add_parser(
        "lint",
        help="check a raw HTTP/1.1 response (curl -si URL | statusguard lint)",
        description=(
            "Read a raw HTTP response (as `curl -si URL` prints it) from FILE or standard input "
            "and report its violations. Several responses in a row (an interim 1xx, "
            "`curl -siL` redirects) are checked one by one. A response that declares content "
            "but carries none (`curl -sI`) is taken as the answer to HEAD unless --method says "
            "otherwise."
        ),
        epilog=_EPILOG,
    )
    lint.add_argument("file", nargs="?", metavar="FILE", help="the response (default: stdin)")
    lint.add_argument(
        "--method", metavar="M", type=str.upper, help="the request method the response answered"
    )
    lint.add_argument("--format", choices=("text", "json"), default="text")
    lint.set_defaults(command=_command_lint)

    explain = commands.add_parser(
        "explain",
        help="what the specifications say about a status code",
        description=(
            "Print the table record of a status code (phrase, registry, RFC section, "
            "description), the rules that apply to it and what each mode does."
        ),
    )
    explain.add_argument("code", type=_code_argument, metavar="CODE", help="e.g. 204")
    explain.add_argument("--lang", choices=("en", "zh"), default="en")
    explain.set_defaults(command=_command_explain)

    rules = commands.add_parser(
        "rules",
        help="list the rule catalogue",
        description="List every rule: id, severity, statuses, RFC reference, fix, summary.",
    )
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    rules.set_defaults(command=_command_rules)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.  ``--help`` exits through SystemExit."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error already
        if exc.code in (0, None):
            raise
        return EXIT_USAGE
    command: Callable[[argparse.Namespace, TextIO], int] | None = getattr(args, "command", None)
    if command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        status = command(args, sys.stdout)
        sys.stdout.flush()  # here, where a reader that went away (| head) is caught below
        return status
    except UsageError as exc:
        name = command.__name__.removeprefix("_command_")
        print(f"statusguard {name}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python's own flush at exit
        # from failing on the same pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_VIOLATION
