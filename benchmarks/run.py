"""Run the benchmark suite and print the results as markdown.

    .venv/bin/python -m benchmarks.run                      # everything (about 5 minutes)
    .venv/bin/python -m benchmarks.run --suite wsgi,check   # some comparisons only
    .venv/bin/python -m benchmarks.run --case clean-200,dynamic-200   # some cases only
    .venv/bin/python -m benchmarks.run --quick              # fewer rounds, shorter loads
    .venv/bin/python -m benchmarks.run --markdown out.md --json out.json

``--json`` writes the timings as a pyperf suite (``python -m pyperf stats out.json``).
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .cases import CASES, SCENARIOS
from .harness import Comparison, to_pyperf
from .report import comparison_table, first_sight_table, targets, targets_table

__all__ = ["machine", "main"]

SUITES = ("wsgi", "asgi", "check", "frameworks", "e2e", "metrics")


def machine() -> str:
    """The machine in one line: cores, CPU model, Python."""
    import os

    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    cores = os.cpu_count()
    return (
        f"{cores} cores ({model}), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--suite",
        default=",".join(SUITES),
        help=f"comma-separated subset of {','.join(SUITES)} (default: all)",
    )
    parser.add_argument(
        "--case",
        default="",
        help="comma-separated case keys (default: all): "
        + ",".join([*(c.key for c in CASES), *(s.key for s in SCENARIOS)])
        + " (the last five compare several responses, issue #11)",
    )
    parser.add_argument("--rounds", type=int, default=40, help="rounds per comparison")
    parser.add_argument("--quick", action="store_true", help="10 rounds, 2 s loads")
    parser.add_argument(
        "--loops", type=int, default=None, help="responses per batch (default: calibrated)"
    )
    parser.add_argument("--e2e-rounds", type=int, default=3)
    parser.add_argument("--e2e-duration", type=float, default=5.0, help="seconds per load run")
    parser.add_argument("--e2e-warmup", type=float, default=1.0, help="seconds of load first")
    parser.add_argument("--e2e-tool", choices=("wrk", "python"), default=None)
    parser.add_argument("--markdown", type=Path, help="also write the markdown here")
    parser.add_argument("--json", type=Path, help="write the timings as a pyperf suite")
    args = parser.parse_args(argv)

    suites = [s.strip() for s in args.suite.split(",") if s.strip()]
    unknown = set(suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    keys = [k.strip() for k in args.case.split(",") if k.strip()]
    cases = [c for c in CASES if not keys or c.key in keys]
    scenarios = [s for s in SCENARIOS if not keys or s.key in keys]
    if keys and len(cases) + len(scenarios) != len(set(keys)):
        parser.error(f"unknown case(s) in {args.case!r}")
    rounds = 10 if args.quick else args.rounds
    duration = 2.0 if args.quick else args.e2e_duration

    out: list[str] = [f"Machine: {machine()}", ""]

    def emit(text: str) -> None:
        print(text, flush=True)
        out.append(text)

    print(out[0] + "\n", flush=True)
    comparisons: list[Comparison] = []
    if "wsgi" in suites:
        from . import bench_wsgi

        comparisons += _section(
            emit,
            "WSGI",
            bench_wsgi.run(rounds=rounds, loops=args.loops, cases=cases, scenarios=scenarios),
        )
    if "asgi" in suites:
        from . import bench_asgi

        comparisons += _section(
            emit,
            "ASGI",
            bench_asgi.run(rounds=rounds, loops=args.loops, cases=cases, scenarios=scenarios),
        )
    if "check" in suites:
        from . import bench_check

        comparisons += _section(
            emit,
            "Full check vs httplint",
            bench_check.run(rounds=rounds, loops=args.loops, cases=cases, scenarios=scenarios),
        )
    if "frameworks" in suites:
        from . import bench_frameworks

        _section(
            emit,
            "Flask and Django",
            bench_frameworks.run(rounds=rounds, loops=args.loops),
        )
    if comparisons:
        emit("## Targets (issues #5 and #11), measured in this run\n")
        emit(targets_table(targets(comparisons)) + "\n")
        first_sight = first_sight_table(comparisons)
        if first_sight is not None:
            emit("### Full check of responses whose values are new every time\n")
            emit(first_sight + "\n")
    if "e2e" in suites:
        from . import bench_e2e

        emit("## End to end\n")
        results = bench_e2e.run(
            rounds=args.e2e_rounds,
            duration=duration,
            warmup=args.e2e_warmup,
            tool=args.e2e_tool,
        )
        emit(bench_e2e.table(results) + "\n")
        for result in results:
            met = "yes" if result.ratio >= 0.97 else "**no**"
            cpu = result.cpu_ratio
            by_cpu = f"; by server CPU per request: {cpu:.3f}" if cpu is not None else ""
            emit(
                f"- {result.server}: throughput with the guard ÷ without = "
                f"{result.ratio:.3f} (goal ≥ 0.97: {met}){by_cpu}"
            )
        emit("")
    if "metrics" in suites:
        from . import bench_metrics

        emit("## Metrics exporters (issue #17)\n")
        emit(bench_metrics.report(bench_metrics.run(rounds=rounds, loops=args.loops)) + "\n")
    if args.markdown:
        args.markdown.write_text("\n".join(out) + "\n", encoding="utf-8")
    if args.json:
        suite = to_pyperf(comparisons)
        suite.dump(str(args.json), replace=True)  # type: ignore[attr-defined]
    return 0


def _section(
    emit: Callable[[str], None], title: str, comparisons: list[Comparison]
) -> list[Comparison]:
    emit(f"## {title}\n")
    for comparison in comparisons:
        emit(comparison_table(comparison) + "\n")
    return comparisons


if __name__ == "__main__":
    sys.exit(main())
