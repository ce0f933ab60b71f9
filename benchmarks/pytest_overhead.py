"""What ``pytest --statusguard=strict`` costs a real suite: httpbin 0.10.4's, with and without.

    .venv/bin/python -m benchmarks.pytest_overhead            # 5 rounds (about 8 minutes)
    .venv/bin/python -m benchmarks.pytest_overhead --rounds 1

Each round runs httpbin's own suite (fetched as ``tests/tools/test_pytest_plugin_httpbin.py``
does) once per variant, in turn, in fresh processes: as it is, with ``--statusguard=strict``
and the wrapping off (nothing is guarded: the plugin's own cost), and with the wrapping on.
Strict mode fails 15 of httpbin's tests (true positives), so it also runs with ``--tb=no``:
writing their tracebacks is pytest's cost, not the guard's.  The drip tests sleep for 5 s of
the suite's 8, so the suite also runs without them (``-k "not drip"``).  Reported: the median
CPU time of the child (user + system) and the median wall time, and their ratios to the suite
as it is.  Then, in this process, what one clean response costs through each layer, called
directly (a test client's own cost, a few hundred µs a request, would drown these): the app
alone, behind a bare guard, behind the plugin's bookkeeping only (what an app that has its own
guard gets), and as the plugin wraps it.
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
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

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
    # Under strict mode 15 of httpbin's tests fail (true positives, docs/pytest.md): what
    # pytest spends writing their tracebacks is not the guard's.
    "--statusguard=strict --tb=no": ["--statusguard=strict", "--tb=no"],
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


def _best(call: Callable[[], object], rounds: int, number: int) -> float:
    """The best of ``rounds`` timings of ``number`` calls, in µs per call."""
    return min(timeit.repeat(call, repeat=rounds, number=number)) / number * 1e6


def _wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


async def _asgi_app(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})


_Driver = Callable[[Callable[..., Any]], Callable[[], object]]


def micro_table(rounds: int = 15) -> list[str]:
    """One clean response through each layer, called directly (no client, no server)."""
    from statusguard import ASGIStatusGuard, WSGIStatusGuard
    from statusguard._pytest_wrap import ASGIWrapper, WSGIWrapper

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }

    def start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
        return None

    def drive_wsgi(app: Callable[..., Any]) -> Callable[[], object]:
        def call() -> object:
            result = app(environ, start_response)
            body = b"".join(result)
            close = getattr(result, "close", None)
            if close is not None:
                close()
            return body

        return call

    scope = {"type": "http", "method": "GET", "path": "/", "http_version": "1.1", "headers": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        return None

    def drive_asgi(app: Callable[..., Any]) -> Callable[[], object]:
        def call() -> object:
            coroutine = app(scope, receive, send)
            try:
                coroutine.send(None)
            except StopIteration:
                return None
            raise RuntimeError("the app awaited something that suspends")

        return call

    layers: dict[str, tuple[_Driver, list[Callable[..., Any]]]] = {
        "WSGI": (
            drive_wsgi,
            [
                _wsgi_app,
                WSGIStatusGuard(_wsgi_app, mode="strict", server_date="if-absent"),
                WSGIWrapper(_wsgi_app, None),
                WSGIWrapper(_wsgi_app, "strict"),
            ],
        ),
        "ASGI": (
            drive_asgi,
            [
                _asgi_app,
                ASGIStatusGuard(_asgi_app, mode="strict", server_date="if-absent"),
                ASGIWrapper(_asgi_app, None),
                ASGIWrapper(_asgi_app, "strict"),
            ],
        ),
    }
    lines = [
        "| one clean response, called directly | app alone µs | + guard µs | + bookkeeping "
        "only µs | as the plugin wraps it µs | wrapper − guard µs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (drive, apps) in layers.items():
        best = [0.0] * len(apps)
        calls = [drive(app) for app in apps]
        for index, call in enumerate(calls):
            call()  # warm: compile the plans
            best[index] = _best(call, rounds, 20_000)
        alone, guard, bookkeeping, wrapped = best
        lines.append(
            f"| {name} | {alone:.2f} | {guard:.2f} | {bookkeeping:.2f} | {wrapped:.2f} | "
            f"{wrapped - guard:+.2f} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pytest_overhead")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--micro", action="store_true", help="only the in-process tables")
    args = parser.parse_args(argv)
    project = httpbin_suite.fetch(_cache())
    print(f"Machine: {machine()}; httpbin {httpbin_suite.VERSION}, {args.rounds} rounds.\n")
    if not args.micro:
        print("\n".join(suite_table(project, args.rounds)))
        print()
    print("\n".join(micro_table()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
