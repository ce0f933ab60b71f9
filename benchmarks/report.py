"""The results as markdown: one table per comparison and a table of the issue's targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .harness import Comparison

__all__ = ["Target", "comparison_table", "format_ns", "targets", "targets_table"]


def format_ns(ns: float) -> str:
    """``1234.5`` → ``"1.23 µs"``; sub-microsecond values in ns."""
    if abs(ns) >= 1_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    if abs(ns) >= 1_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns:.0f} ns"


def _ratio(value: float) -> str:
    return f"{value:.2f}×" if abs(value) < 100 else f"{value:.0f}×"


def comparison_table(comparison: Comparison) -> str:
    """Median per response, overhead over the baseline, and that overhead over the floor's
    (the pass-through) when the comparison has one."""
    base = comparison.baseline
    floor = "pass-through" if "pass-through" in comparison.samples else None
    floor_overhead = comparison.overhead(floor) if floor else 0.0
    header = ["contender", "median / response", f"overhead over {base}"]
    if floor:
        header.append("overhead ÷ floor's")
    header.append("spread")
    lines = [
        f"**{comparison.title}** (`{comparison.key}`)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", *["---:"] * (len(header) - 1)]) + "|",
    ]
    for name in comparison.names:
        label = name + (f" ({comparison.notes[name]})" if name in comparison.notes else "")
        row = [label, format_ns(comparison.median(name))]
        if name == base:
            row.append("—")
            if floor:
                row.append("—")
        else:
            overhead = comparison.overhead(name)
            row.append(f"+{format_ns(overhead)}" if overhead >= 0 else f"−{format_ns(-overhead)}")
            if floor:
                if name == floor:
                    row.append("—")
                else:
                    row.append(_ratio(overhead / floor_overhead) if floor_overhead > 0 else "n/a")
        row.append(f"±{comparison.spread(name) * 100:.1f} %")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """One target of issue #5, as measured."""

    what: str
    measured: float
    goal: str
    met: bool


def _over(value: float, base: float) -> float:
    """``value / base``, or NaN when ``base`` is not positive (a floor lost in the noise):
    a NaN meets no goal."""
    return value / base if base > 0 else float("nan")


def _find(comparisons: Sequence[Comparison], key: str) -> Comparison | None:
    for comparison in comparisons:
        if comparison.key == key:
            return comparison
    return None


def targets(comparisons: Sequence[Comparison]) -> list[Target]:
    """The issue's targets that these comparisons measure (those absent are left out)."""
    found: list[Target] = []
    wsgi = _find(comparisons, "wsgi/clean-200")
    if wsgi is not None:
        guard = wsgi.overhead("statusguard fix")
        floor_ratio = _over(guard, wsgi.overhead("pass-through"))
        lint_ratio = _over(guard, wsgi.overhead("werkzeug LintMiddleware"))
        found.append(
            Target(
                "WSGI clean 200, fix: overhead ÷ pass-through's",
                floor_ratio,
                "≤ 3",
                floor_ratio <= 3,
            )
        )
        found.append(
            Target(
                "WSGI clean 200, fix: overhead ÷ LintMiddleware's",
                lint_ratio,
                "< 0.1",
                lint_ratio < 0.1,
            )
        )
    asgi = _find(comparisons, "asgi/clean-200")
    if asgi is not None:
        ratio = _over(asgi.overhead("statusguard fix"), asgi.overhead("pass-through"))
        found.append(
            Target("ASGI clean 200, fix: overhead ÷ pass-through's", ratio, "≤ 2", ratio <= 2)
        )
    starlette = _find(comparisons, "starlette/clean-200")
    if starlette is not None:
        speed = starlette.median("Starlette app") / starlette.median(
            "Starlette app + statusguard fix"
        )
        found.append(
            Target(
                "Starlette app clean 200: speed with the guard ÷ without",
                speed,
                "≥ 0.9",
                speed >= 0.9,
            )
        )
    for comparison in comparisons:
        if comparison.key.startswith("check/"):
            speedup = comparison.median("httplint") / comparison.median("statusguard.check")
            found.append(
                Target(
                    f"Full check, {comparison.key[6:]}: httplint time ÷ statusguard's",
                    speedup,
                    "≥ 50",
                    speedup >= 50,
                )
            )
    return found


def first_sight_table(comparisons: Sequence[Comparison]) -> str | None:
    """The full check with a new ``X-Request-Id`` on every response: what statusguard costs
    when none of what it remembers applies, against httplint on the same responses.  For
    information: the issue's cases repeat one response, as a service does."""
    lines = [
        "| case | statusguard.check | httplint | httplint time ÷ statusguard's |",
        "|---|---:|---:|---:|",
    ]
    for comparison in comparisons:
        names = comparison.names
        if not comparison.key.startswith("check/"):
            continue
        if "statusguard.check, new X-Request-Id" in names:
            ours, theirs = "statusguard.check, new X-Request-Id", "httplint, new X-Request-Id"
        else:  # the case stamps a new id itself
            ours, theirs = "statusguard.check", "httplint"
        mine, other = comparison.median(ours), comparison.median(theirs)
        lines.append(
            f"| {comparison.key[6:]} | {format_ns(mine)} | {format_ns(other)} | "
            f"{_over(other, mine):.3g} |"
        )
    return "\n".join(lines) if len(lines) > 2 else None


def targets_table(found: Sequence[Target]) -> str:
    lines = ["| target | measured | goal | met |", "|---|---:|---:|:---:|"]
    for target in found:
        lines.append(
            f"| {target.what} | {target.measured:.3g} | {target.goal} | "
            f"{'yes' if target.met else '**no**'} |"
        )
    return "\n".join(lines)
