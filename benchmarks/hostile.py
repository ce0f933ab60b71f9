"""Hostile input: how the cost of one response grows with its size, in fix mode.

    .venv/bin/python -m benchmarks.hostile

For each hostile shape (docs/hostile-input.md) the WSGI guard serves one response at three
sizes, each twice as large as the one before, and the best of a few runs is printed with the
ratio to the previous size: a cost linear in the size of the response doubles.  Benchmarks are
not tests: ``tests/test_hostile.py`` checks the same growth by counting calls and executed
lines, without timing anything.
"""

from __future__ import annotations

import itertools
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from statusguard import WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["SHAPES", "main", "measure"]

TEXT = ("Content-Type", "text/plain")
Build = Callable[[int], tuple[str, list[tuple[str, str]], Callable[[], Iterable[bytes]]]]


def _list(*chunks: bytes) -> Callable[[], Iterable[bytes]]:
    return lambda: list(chunks)


def _stream(chunks: list[bytes]) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        yield from chunks

    return generate


# name → (unit, sizes, build(size) → status, headers, body)
SHAPES: dict[str, tuple[str, tuple[int, ...], Build]] = {
    "header lines, clean": (
        "lines",
        (2_000, 4_000, 8_000),
        lambda n: ("200 OK", [TEXT, *((f"X-H{i}", "v") for i in range(n))], _list(b"hi")),
    ),
    "header lines with CR LF": (
        "lines",
        (2_000, 4_000, 8_000),
        lambda n: ("200 OK", [TEXT, *((f"X-H{i}", "v\r\n") for i in range(n))], _list(b"hi")),
    ),
    "copies of Content-Type": (
        "lines",
        (2_000, 4_000, 8_000),
        lambda n: ("200 OK", [TEXT] * n, _list(b"hi")),
    ),
    "one value, clean": (
        "MB",
        (1_000_000, 2_000_000, 4_000_000),
        lambda n: ("200 OK", [TEXT, ("X-Big", "v" * n)], _list(b"hi")),
    ),
    "one value ending in NUL": (
        "MB",
        (1_000_000, 2_000_000, 4_000_000),
        lambda n: ("200 OK", [TEXT, ("X-Big", "v" * n + "\x00")], _list(b"hi")),
    ),
    "Location, not a URI": (
        "MB",
        (1_000_000, 2_000_000, 4_000_000),
        lambda n: ("302 Found", [TEXT, ("Location", "/" + "v" * n + " x")], _list(b"hi")),
    ),
    "Date, not a date": (
        "MB",
        (1_000_000, 2_000_000, 4_000_000),
        lambda n: ("200 OK", [TEXT, ("Date", "v" * n)], _list(b"hi")),
    ),
    "empty chunks": (
        "chunks",
        (50_000, 100_000, 200_000),
        lambda n: ("200 OK", [TEXT, ("Content-Length", "2")], _stream([b""] * n + [b"hi"])),
    ),
    "empty chunks on a 204": (
        "chunks",
        (50_000, 100_000, 200_000),
        lambda n: ("204 No Content", [], _stream([b""] * n + [b"hi"])),
    ),
}


def _start_response(status: str, headers: list[Any], exc_info: object = None) -> Any:
    return lambda data: None


def measure(build: Build, size: int, repeat: int = 5) -> float:
    """The best time, in seconds, of one response of ``size`` through a fresh guard."""
    status, headers, body = build(size)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, headers)
        return body()

    logger = logging.getLogger("statusguard.benchmarks.hostile")
    logger.handlers = [logging.NullHandler()]
    logger.propagate = False
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_SOFTWARE": "gunicorn/27"}
    best = float("inf")
    for _ in range(repeat):
        guard = WSGIStatusGuard(app, mode="fix", logger=logger)  # nothing remembered
        started = time.perf_counter()
        result = guard(dict(environ), _start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    print("| shape | sizes | ms per response | ratios |")
    print("|---|---|---|---|")
    for name, (unit, sizes, build) in SHAPES.items():
        measure(build, sizes[0] // 100)  # lazy imports happen here
        times = [measure(build, size) for size in sizes]
        shown = [f"{s / 1e6:g}" if unit == "MB" else f"{s:,}" for s in sizes]
        ratios = [f"×{b / a:.2f}" for a, b in itertools.pairwise(times)]
        print(
            f"| {name} | {' / '.join(shown)} {unit} | "
            f"{' / '.join(f'{t * 1e3:.1f}' for t in times)} | {' '.join(ratios)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
