"""Profile the guard's per-response path.

    .venv/bin/python -m benchmarks.profile_hot_path [CASE] [--mode fix]

Runs one case through ``WSGIStatusGuard`` and ``ASGIStatusGuard`` many times under cProfile and
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
from .cases import CASES

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
    parser.add_argument("case", nargs="?", default="clean-200", choices=[c.key for c in CASES])
    parser.add_argument("--mode", default="fix", choices=("fix", "warn", "strict"))
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    raise SystemExit(main())
