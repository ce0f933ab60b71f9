"""The generated part of ``docs/servers.md``: every server profile, every compatibility step,
and the detection tables, as :mod:`statusguard.servers` holds them.

Only the section between :data:`BEGIN` and :data:`END` is written; the prose around it is the
page's own.  ``python -m statusguard._server_docs`` rewrites the section, ``--check`` (and
``tests/tools/test_server_docs.py``) fails when the committed one is stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

from .servers import _ENVIRON_KEYS, _H2, _RECEIVERS, _SOFTWARE, PROFILES, STEPS, ServerProfile

__all__ = [
    "BEGIN",
    "END",
    "REASONS",
    "REGENERATE",
    "main",
    "render_section",
    "replace_section",
    "stale",
]

BEGIN: Final = "<!-- generated: profiles -->"
END: Final = "<!-- end generated -->"
REGENERATE: Final = "python -m statusguard._server_docs"
PAGE: Final = Path("docs") / "servers.md"

# Why each step exists, with the wire test that shows the server's habit (a Step carries its
# summary, not its reason).  A step without a reason here makes the generator fail.
REASONS: Final[Mapping[str, str]] = {
    "server-date-duplicate": (
        "Date is a singleton (RFC 9110 §5.3): the application's beside the server's makes two "
        "lines (`B[werkzeug/date-app]`, `B[uvicorn-h11/date-app]`, `H[hypercorn/date-app]`)"
    ),
    "server-date-missing": (
        "an origin server MUST send Date on 2xx-4xx (RFC 9110 §6.6.1), and these servers add "
        "none (`B[uwsgi/plain]`, `B[daphne/plain]`: no Date line)"
    ),
    "server-head-content": (
        "the server MUST NOT send content in a response to HEAD (RFC 9110 §9.3.2); waitress, "
        "cheroot, uWSGI, wsgiref and the werkzeug dev server send it over HTTP/1.1 "
        "(`B[waitress/head-body]`...), granian over h2c (`H[granian-asgi/head-body]`); under "
        "WSGI the application's iterable is then not read for nothing"
    ),
    "server-304-content-length": (
        "RFC 9110 §8.6 allows it, but uvicorn-httptools waits for that many bytes and drops "
        "the connection (`B[uvicorn-httptools/304-cl]`), and h2 4.4.1 refuses hypercorn's "
        "over h2c, which ends the stream with an empty DATA frame (`H[hypercorn/304-cl]`; "
        "granian ends it on the HEADERS frame, and h2 accepts it: "
        "`test_h2_refuses_a_304_length_only_when_a_data_frame_ends_it`); a cache never takes "
        "Content-Length from a 304 (RFC 9111 §3.2)"
    ),
    "server-value-whitespace": (
        "optional whitespace in HTTP/1.1 (RFC 9112 §5), but h11 refuses to send it: "
        "uvicorn-h11 answers nothing at all; hypercorn 0.18 strips every value before h11 "
        "sees it (`test_h11_refuses_surrounding_whitespace`)"
    ),
}

DATE_HABITS: Final[Mapping[str, str]] = {
    "always": "`always`: adds its own",
    "replace": "`replace`: drops the app's, adds its own",
    "if-absent": "`if-absent`",
    "never": "`never`: adds none",
}


def _code(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in names) or "—"


def _profile_row(profile: ServerProfile) -> str:
    if profile.wire:
        habit = "— (no server)"
        steps = "none: the response is judged as it goes on the wire"
    else:
        habit = DATE_HABITS[profile.date]
        steps = _code(step.id for step in profile.steps)
    return f"| `{profile.name}` | {habit} | {steps} | {profile.seen or '—'} |"


def _step_row(step_id: str) -> str:
    step = STEPS[step_id]
    try:
        reason = REASONS[step_id]
    except KeyError:
        raise LookupError(
            f"the compatibility step {step_id!r} has no reason in "
            f"statusguard._server_docs.REASONS: add one, then run `{REGENERATE}`"
        ) from None
    users = _code(p.name for p in PROFILES.values() if step in p.steps)
    return f"| `{step.id}` | {step.summary} | {reason} | {users} |"


def render_section() -> str:
    """The section between the markers (markers excluded), from the data."""
    lines = [
        f"<!-- written by `{REGENERATE}` from statusguard.servers: do not edit by hand -->",
        "",
        "#### Profiles",
        "",
        "Every value of the `server` option (`auto`, the default, detects one per request).",
        "",
        "| profile | what the server does with `Date` | compatibility steps | seen with |",
        "|---|---|---|---|",
        *(_profile_row(profile) for profile in PROFILES.values()),
        "",
        "#### Compatibility steps",
        "",
        "Applied in fix and strict mode (warn mode changes nothing), after the rules; counted in",
        "`stats().steps` by (step, status, profile) and logged once at INFO; never raised.",
        "",
        "| step | what it does | why | profiles |",
        "|---|---|---|---|",
        *(_step_row(step_id) for step_id in STEPS),
        "",
        "#### Detection tables",
        "",
        "WSGI, first match wins: the start of `SERVER_SOFTWARE`, then a key the server puts in",
        "the environ, else `wsgi`.",
        "",
        "| `SERVER_SOFTWARE` starts with | profile |",
        "|---|---|",
        *(f"| `{prefix}` | `{name}` |" for prefix, name in _SOFTWARE),
        "",
        "| environ key | profile |",
        "|---|---|",
        *(f"| `{key}` | `{name}` |" for key, name in _ENVIRON_KEYS),
        "",
        "ASGI, first: the class that owns the server's `receive` (Starlette's `add_middleware`",
        "wraps `send`, not `receive`), then the scope (see *Detection* above), else `asgi`.",
        "",
        "| owner of `receive` | profile |",
        "|---|---|",
        *(f"| `{owner}` | `{name}` |" for owner, name in _RECEIVERS.items()),
        "",
        'Over HTTP/2 (`scope["http_version"]` `"2"` or `"3"`; `SERVER_PROTOCOL` `HTTP/2`)',
        "these profiles give way to their HTTP/2 ones, detected or named by `server=`:",
        "",
        "| profile | over HTTP/2 |",
        "|---|---|",
        *(f"| `{name}` | `{profile.name}` |" for name, profile in _H2.items()),
    ]
    return "\n".join(lines) + "\n"


def replace_section(page: str) -> str:
    """``page`` with the generated section rewritten; the markers must be there, in order."""
    start = page.find(BEGIN)
    end = page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the page needs a {BEGIN} line followed by an {END} line")
    head = page[: start + len(BEGIN)]
    return f"{head}\n{render_section()}{page[end:]}"


def stale(path: Path) -> bool:
    """Whether the section committed in ``path`` differs from the data."""
    page = path.read_text(encoding="utf-8")
    return replace_section(page) != page


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=REGENERATE,
        description="Rewrite the generated section of docs/servers.md from statusguard.servers.",
    )
    parser.add_argument(
        "page", nargs="?", type=Path, default=PAGE, help="the page (default: ./docs/servers.md)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the section is stale"
    )
    args = parser.parse_args(argv)
    path: Path = args.page
    if args.check:
        if stale(path):
            print(f"{path} is stale; run `{REGENERATE}` to regenerate it")
            return 1
        return 0
    page = path.read_text(encoding="utf-8")
    updated = replace_section(page)
    if updated != page:
        # newline="\n": the committed page is byte-identical on every platform.
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.write(updated)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
