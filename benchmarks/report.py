"""The results as markdown: one table per comparison and a table of the issues' targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .cases import SCENARIOS, Scenario
from .harness import Comparison

__all__ = [
    "Target",
    "comparison_table",
    "format_ns",
    "pairs_table",
    "scenario_of",
    "targets",
    "targets_table",
]


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
    (the pass-through) when the comparison has one; a comparison of pairs gets
    :func:`pairs_table`."""
    if comparison.pairs:
        return pairs_table(comparison)
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


def scenario_of(comparison: Comparison) -> Scenario | None:
    """The scenario a comparison of pairs measured (its key is ``adapter/scenario``)."""
    if not comparison.pairs:
        return None
    name = comparison.key.split("/", 1)[-1]
    return next((s for s in SCENARIOS if s.key == name), None)


def _flatness(comparison: Comparison) -> tuple[float, str, str]:
    """The largest overhead of the pairs ÷ the smallest, with their labels."""
    overheads = {label: comparison.pair_overhead(label) for label in comparison.pairs}
    high = max(overheads, key=overheads.__getitem__)
    low = min(overheads, key=overheads.__getitem__)
    return _over(overheads[high], overheads[low]), high, low


def pairs_table(comparison: Comparison) -> str:
    """One row per response: the median without and with what is measured, the paired
    overhead, and that overhead ÷ the reference response's (the scenario's target)."""
    scenario = scenario_of(comparison)
    reference = scenario.reference if scenario else next(iter(comparison.pairs))
    ref_overhead = comparison.pair_overhead(reference)
    first_base, first_measured = next(iter(comparison.pairs.values()))
    base_kind = first_base.split(": ", 1)[-1]
    measured_kind = first_measured.split(": ", 1)[-1]
    lines = [f"**{comparison.title}** (`{comparison.key}`)", ""]
    if scenario and scenario.note:
        lines += [scenario.note, ""]
    lines += [
        f"| response | {base_kind} | {measured_kind} | overhead | overhead ÷ {reference}'s "
        "| spread |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, (base, name) in comparison.pairs.items():
        overhead = comparison.pair_overhead(label)
        shown = f"+{format_ns(overhead)}" if overhead >= 0 else f"−{format_ns(-overhead)}"
        note = f" ({comparison.notes[name]})" if name in comparison.notes else ""
        lines.append(
            f"| {label}{note} | {format_ns(comparison.median(base))} | "
            f"{format_ns(comparison.median(name))} | {shown} | "
            f"{'—' if label == reference else _ratio(_over(overhead, ref_overhead))} | "
            f"±{comparison.spread(name) * 100:.1f} % |"
        )
    if scenario and scenario.flat:
        ratio, high, low = _flatness(comparison)
        lines += ["", f"Largest overhead ÷ smallest: {ratio:.2f} ({high} ÷ {low})."]
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """One target of issue #5 or #11, as measured."""

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
        if comparison.key.startswith("check/") and not comparison.pairs:
            speedup = comparison.median("httplint") / comparison.median("statusguard.check")
            found.append(
                Target(
                    f"Full check, {comparison.key[6:]}: httplint time ÷ statusguard's",
                    speedup,
                    "≥ 50",
                    speedup >= 50,
                )
            )
    for comparison in comparisons:
        found += _scenario_targets(comparison)
    return found


_ADAPTERS = {"wsgi": "WSGI, fix", "asgi": "ASGI, fix", "check": "Full check"}


def _scenario_targets(comparison: Comparison) -> list[Target]:
    """Issue #11's ratios: each measured response's overhead ÷ the reference's, or the
    sweep's largest overhead ÷ its smallest."""
    scenario = scenario_of(comparison)
    if scenario is None:
        return []
    adapter = _ADAPTERS.get(comparison.key.split("/", 1)[0], comparison.key)
    goal = f"≤ {scenario.goal:g}"
    if scenario.flat:
        ratio, high, low = _flatness(comparison)
        return [
            Target(
                f"{adapter}, {scenario.key}: largest overhead ÷ smallest ({high} ÷ {low})",
                ratio,
                goal,
                ratio <= scenario.goal,
            )
        ]
    reference = comparison.pair_overhead(scenario.reference)
    found = []
    for label in scenario.measured:
        ratio = _over(comparison.pair_overhead(label), reference)
        found.append(
            Target(
                f"{adapter}, {scenario.key}: overhead of {label} ÷ {scenario.reference}",
                ratio,
                goal,
                ratio <= scenario.goal,
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
        if not comparison.key.startswith("check/") or comparison.pairs:
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
