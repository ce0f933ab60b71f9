"""Profile the guard's per-response path.

    .venv/bin/python -m benchmarks.profile_hot_path [CASE] [--mode fix]
    .venv/bin/python -m benchmarks.profile_hot_path dynamic-200 --variant "page, new values"

Runs one case (or one response of a scenario, by default the one its target measures) through
``WSGIStatusGuard`` and ``ASGIStatusGuard`` many times under cProfile and
prints the functions that take the most time of their own.  cProfile charges every Python call
a fixed cost, which matters when a whole response takes a microsecond or two: read the ranking
and the call counts, and take the durations from ``benchmarks.run``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
from collections.abc import Callable, Sequence

from statusguard import ASGIStatusGuard, WSGIStatusGuard

from . import bench_asgi, bench_wsgi
from ._quiet import quiet
from .cases import CASES, SCENARIOS, Scenario

__all__ = ["main", "profile"]


def profile(batch: Callable[[int], object], responses: int, top: int) -> str:
    """The cProfile ranking (own time) of ``batch(responses)``, after a warm-up."""
    batch(200)
    profiler = cProfile.Profile()
    profiler.enable()
    batch(responses)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_hot_path")
    parser.add_argument(
        "case",
        nargs="?",
        default="clean-200",
        choices=[*(c.key for c in CASES), *(s.key for s in SCENARIOS)],
    )
    parser.add_argument("--variant", help="the response of a scenario (its label)")
    parser.add_argument("--mode", default="fix", choices=("fix", "warn", "strict"))
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    scenario = next((s for s in SCENARIOS if s.key == args.case), None)
    if scenario is not None:
        labels = [v.label for v in scenario.variants]
        label = args.variant or _profiled(scenario)
        if label not in labels:
            parser.error(f"--variant must be one of {labels}")
        return _profile_variant(scenario, label, args.mode, args.responses, args.top)
    if args.variant:
        parser.error("--variant goes with a scenario: " + ", ".join(s.key for s in SCENARIOS))
    case = next(c for c in CASES if c.key == args.case)
    loop = asyncio.new_event_loop()
    try:
        with quiet():
            wsgi = WSGIStatusGuard(bench_wsgi.make_app(case), mode=args.mode)
            asgi = ASGIStatusGuard(bench_asgi.make_app(case), mode=args.mode)
            batches = {
                "WSGIStatusGuard": bench_wsgi.contender_batch(wsgi, case),
                "ASGIStatusGuard": bench_asgi.contender_batch(loop, asgi, case),
            }
            for name, batch in batches.items():
                print(f"## {name}, {case.title}, mode={args.mode}, {args.responses} responses\n")
                print(profile(batch, args.responses, args.top))
    finally:
        loop.close()
    return 0


def _profiled(scenario: Scenario) -> str:
    """The response a scenario's target is about: its first measured one, or a sweep's
    largest count."""
    return scenario.measured[0] if scenario.measured else scenario.variants[-1].label


def _profile_variant(scenario: Scenario, label: str, mode: str, responses: int, top: int) -> int:
    variant = scenario.variant(label)
    loop = asyncio.new_event_loop()
    try:
        with quiet():
            wsgi = WSGIStatusGuard(bench_wsgi.make_variant_app(variant), mode=mode)
            asgi = ASGIStatusGuard(bench_asgi.make_variant_app(variant), mode=mode)
            batches = {
                "WSGIStatusGuard": bench_wsgi.variant_batch(wsgi, variant),
                "ASGIStatusGuard": bench_asgi.variant_batch(loop, asgi, variant),
            }
            for name, batch in batches.items():
                print(f"## {name}, {scenario.key}: {label}, mode={mode}, {responses} responses\n")
                print(profile(batch, responses, top))
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
