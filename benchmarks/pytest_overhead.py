"""What ``pytest --statusguard=strict`` costs a real suite: httpbin 0.10.4's, with and without.

    .venv/bin/python -m benchmarks.pytest_overhead            # 5 rounds (about 3 minutes)
    .venv/bin/python -m benchmarks.pytest_overhead --rounds 1

Each round runs httpbin's own suite (fetched as ``tests/tools/test_pytest_plugin_httpbin.py``
does) once per variant, in turn, in fresh processes: as it is, with ``--statusguard=strict``
and the wrapping off (nothing is guarded: the plugin's own cost), and with the wrapping on.
The drip tests sleep for 5 s of the suite's 8, so the suite also runs without them
(``-k "not drip"``).  Reported: the median CPU time of the child (user + system) and the median
wall time, and their ratios to the suite as it is.  Then, in this process, the cost of one
request through ``app.test_client()``: httpbin's Flask app alone, behind a bare
``WSGIStatusGuard``, and as the plugin wraps it (the guard plus the bookkeeping for reports).
"""

from __future__ import annotations

import argparse
import getpass
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from .run import machine


def _load_suite_helper() -> ModuleType:
    # The tests' helper (tests/ is not a package: pytest puts tests/ on sys.path itself).
    path = Path(__file__).resolve().parents[1] / "tests" / "tools" / "httpbin_suite.py"
    spec = importlib.util.spec_from_file_location("httpbin_suite", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


httpbin_suite = _load_suite_helper()

VARIANTS = {
    "as it is": [],
    "--statusguard=strict --statusguard-wrap=off": [
        "--statusguard=strict",
        "--statusguard-wrap=off",
    ],
    "--statusguard=strict": ["--statusguard=strict"],
}
SELECTIONS = {"whole suite": [], 'without the drip tests (-k "not drip")': ["-k", "not drip"]}


def _cache() -> Path:
    # Where pytest's tmp_path_factory keeps its runs: the tests' cache is shared.
    return Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}" / "statusguard-cache"


def _run_suite(project: Path, options: list[str]) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds) for one run of the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, "tests"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=600,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def suite_table(project: Path, rounds: int) -> list[str]:
    lines = [
        "| selection | variant | CPU s (median) | × | wall s (median) | × |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for selection, select in SELECTIONS.items():
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
        for _ in range(rounds):
            for name, options in VARIANTS.items():
                samples[name].append(_run_suite(project, [*options, *select]))
        base_cpu = statistics.median(cpu for cpu, _ in samples["as it is"])
        base_wall = statistics.median(wall for _, wall in samples["as it is"])
        for name, values in samples.items():
            cpu = statistics.median(c for c, _ in values)
            wall = statistics.median(w for _, w in values)
            lines.append(
                f"| {selection} | `{name}` | {cpu:.2f} | {cpu / base_cpu:.3f} | "
                f"{wall:.2f} | {wall / base_wall:.3f} |"
            )
    return lines


def request_table(project: Path, rounds: int = 7) -> list[str]:
    sys.path.insert(0, str(project))
    import httpbin  # type: ignore[import-untyped]

    from statusguard import WSGIStatusGuard
    from statusguard._pytest_wrap import Wrapping

    app = httpbin.app
    inner = app.wsgi_app
    guard = WSGIStatusGuard(inner, mode="strict", server_date="if-absent")

    def per_request() -> float:
        get = app.test_client().get
        timer = timeit.Timer(lambda: get("/status/200"))
        number, _ = timer.autorange()
        return min(timer.repeat(3, number)) / number * 1e6

    def alone() -> float:
        return per_request()

    def behind_a_guard() -> float:
        app.wsgi_app = guard
        try:
            return per_request()
        finally:
            app.wsgi_app = inner

    def wrapped() -> float:
        wrapping = Wrapping("strict")
        wrapping.install()
        try:
            return per_request()
        finally:
            wrapping.uninstall()

    variants = {
        "httpbin alone": alone,
        "behind `WSGIStatusGuard(app.wsgi_app)`": behind_a_guard,
        "as `--statusguard=strict` wraps it": wrapped,
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):  # interleaved: a slow moment of the machine hits every variant
        for name, measure in variants.items():
            results[name].append(measure())
    base = min(results["httpbin alone"])
    lines = ["| one `GET /status/200` through `app.test_client()` | µs (best) | × |"]
    lines.append("|---|---:|---:|")
    for name, values in results.items():
        lines.append(f"| {name} | {min(values):.1f} | {min(values) / base:.3f} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pytest_overhead")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    project = httpbin_suite.fetch(_cache())
    print(f"Machine: {machine()}; httpbin {httpbin_suite.VERSION}, {args.rounds} rounds.\n")
    print("\n".join(suite_table(project, args.rounds)))
    print()
    print("\n".join(request_table(project)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
