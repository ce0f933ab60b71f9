"""Soak: a million responses through each adapter in fix mode, with ``tracemalloc`` on.

    .venv/bin/python -m benchmarks.soak                        # 1,000,000 per adapter
    .venv/bin/python -m benchmarks.soak --responses 200000 --adapter wsgi

Each adapter serves a mix of clean and violating responses (:data:`MIX`), driven in process
as a server would (WSGI: call, iterate, close; ASGI: one task per response on one event loop).
Every response stamps a new ``X-Request-Id`` and goes to one of 20,000 paths, so the memos
that serve repeated heads and the reporter's table of first occurrences are pushed to their
bounds during the warm-up (the first tenth of the run).  The traced memory is read after a full
collection a hundred times.  The run passes when the memory after warm-up does not grow (the
highest reading of the second half is less than ``--tolerance`` bytes above the highest of the
first half: the memory saw-tooths as bounded memos fill and empty) and the violation counters
equal what the mix produced, exactly.  The exit status says which.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statusguard import ASGIStatusGuard, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["MIX", "Kind", "main", "soak"]

Message = MutableMapping[str, Any]
PATHS = 20_000
TEXT = ("Content-Type", "text/plain")


@dataclass(frozen=True)
class Kind:
    """One response of the mix and the violations fix mode counts for it."""

    name: str
    status: int
    headers: tuple[tuple[str, str], ...]
    chunks: tuple[bytes, ...]
    streamed: bool = False
    method: str = "GET"
    violations: tuple[tuple[str, str], ...] = ()  # (rule, action) per response


HELLO = (b"hello, world",)
MIX: tuple[Kind, ...] = (
    Kind("clean", 200, (TEXT, ("Content-Length", "12")), HELLO),
    Kind("clean-again", 200, (TEXT, ("Content-Length", "12")), HELLO),
    Kind("clean-stream", 200, (TEXT, ("Content-Length", "12")), (b"hello, ", b"world"), True),
    Kind("clean-404", 404, (TEXT, ("Content-Length", "12")), HELLO),
    Kind("head", 200, (TEXT, ("Content-Length", "12")), (), method="HEAD"),
    Kind("204-body", 204, (), (b"null",), violations=(("content-forbidden", "fixed"),)),
    Kind(
        "204-stream",
        204,
        (),
        (b"a", b"", b"b"),
        True,
        violations=(("content-forbidden", "fixed"),),
    ),
    Kind(
        "dup-type",
        200,
        (TEXT, TEXT, ("Content-Length", "12")),
        HELLO,
        violations=(("field-duplicate", "fixed"),),
    ),
    Kind(
        "crlf",
        200,
        (TEXT, ("X-Evil", "a\r\nX-Injected: 1"), ("Content-Length", "12")),
        HELLO,
        violations=(("field-value-invalid", "fixed"),),
    ),
    Kind(
        "long-stream",
        200,
        (TEXT, ("Content-Length", "5")),
        (b"hello", b", world"),
        True,
        violations=(("content-length-mismatch", "fixed"),),
    ),
    Kind(
        "401",
        401,
        (TEXT, ("Content-Length", "12")),
        HELLO,
        violations=(("www-authenticate-missing", "reported"),),
    ),
)
PHRASES = {200: "OK", 204: "No Content", 401: "Unauthorized", 404: "Not Found"}


def expected_counts(kinds: Sequence[Kind], responses: int) -> dict[tuple[str, int, str], int]:
    """The counters fix mode must show after ``responses`` responses of the mix."""
    counts: dict[tuple[str, int, str], int] = {}
    for index, kind in enumerate(kinds):
        served = len(range(index, responses, len(kinds)))
        for rule, action in kind.violations:
            key = (rule, kind.status, action)
            counts[key] = counts.get(key, 0) + served
    return counts


# -- WSGI ---------------------------------------------------------------------------------------


def _stream(chunks: tuple[bytes, ...]) -> Iterator[bytes]:
    yield from chunks


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    kind: Kind = environ["soak.kind"]
    start_response(
        f"{kind.status} {PHRASES[kind.status]}",
        [*kind.headers, ("X-Request-Id", environ["soak.id"])],
    )
    return _stream(kind.chunks) if kind.streamed else list(kind.chunks)


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: object = None
) -> Callable[[bytes], object]:
    return _write


def _write(data: bytes) -> None:
    pass


def wsgi_serve(guard: WSGIStatusGuard, kinds: Sequence[Kind]) -> Callable[[int], None]:
    def serve(n: int) -> None:
        kind = kinds[n % len(kinds)]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": kind.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": f"/items/{n % PATHS}",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "gunicorn/27.0.1",
            "soak.kind": kind,
            "soak.id": f"{n:08x}",
        }
        result = guard(environ, _start_response)
        try:
            for _ in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return serve


# -- ASGI ---------------------------------------------------------------------------------------


async def asgi_app(
    scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Any]
) -> None:
    kind: Kind = scope["soak.kind"]
    headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in kind.headers]
    headers.append((b"x-request-id", scope["soak.id"]))
    await send({"type": "http.response.start", "status": kind.status, "headers": headers})
    if kind.streamed:
        for chunk in kind.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        await send({"type": "http.response.body", "body": b"".join(kind.chunks)})


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    pass


def asgi_serve(guard: ASGIStatusGuard, kinds: Sequence[Kind]) -> Callable[[int], Awaitable[None]]:
    async def serve(n: int) -> None:
        kind = kinds[n % len(kinds)]
        path = f"/items/{n % PATHS}"
        scope: Message = {
            "type": "http",
            "http_version": "1.1",
            "method": kind.method,
            "path": path,
            "root_path": "",
            "headers": [],
            "soak.kind": kind,
            "soak.id": b"%08x" % n,
        }
        await guard(scope, _receive, _send)

    return serve


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Result:
    adapter: str
    responses: int
    warmup: int
    seconds: float = 0.0
    readings: list[tuple[int, int, int]] = field(default_factory=list)  # (n, current, peak)
    counts_exact: bool = False
    internal_errors: int = 0

    def halves(self) -> tuple[list[int], list[int]]:
        """The traced memory read after warm-up, in two halves."""
        after = [current for n, current, _ in self.readings if n > self.warmup]
        half = len(after) // 2
        return after[:half], after[half:]

    @property
    def growth(self) -> int:
        """How much higher the traced memory reaches in the second half of the run after
        warm-up than in the first half.  The memory saw-tooths (the reporter's pending repeat
        counts fill up and are emptied at each summary, the screen's memos when they are full);
        with many readings each half sees the top of its teeth, and a leak raises them."""
        first, second = self.halves()
        return max(second) - max(first) if first and second else 0

    @property
    def slope(self) -> float:
        """Least-squares slope of the readings after warm-up, in bytes per 100,000 responses."""
        points = [(n, current) for n, current, _ in self.readings if n > self.warmup]
        if len(points) < 2:
            return 0.0
        mean_n = sum(n for n, _ in points) / len(points)
        mean_c = sum(c for _, c in points) / len(points)
        spread = sum((n - mean_n) ** 2 for n, _ in points)
        return 100_000 * sum((n - mean_n) * (c - mean_c) for n, c in points) / spread


def _quiet_logger() -> logging.Logger:
    logger = logging.getLogger("statusguard.soak")
    logger.handlers = [logging.NullHandler()]
    logger.propagate = False
    return logger


def _read(result: Result, n: int, show: bool) -> None:
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    result.readings.append((n, current, peak))
    if show:
        print(
            f"  {result.adapter} {n:>9,} responses: traced {current / 1e6:7.2f} MB"
            f" (peak {peak / 1e6:7.2f} MB)",
            file=sys.stderr,
            flush=True,
        )


def soak(adapter: str, responses: int, samples: int = 100, rows: int = 10) -> Result:
    """Serve ``responses`` responses through ``adapter`` with tracemalloc on, reading the
    traced memory ``samples`` times (the first tenth of the run is the warm-up)."""
    result = Result(adapter, responses, warmup=responses // 10)
    every = max(responses // samples, 1)
    shown = max(responses // rows, 1)
    logger = _quiet_logger()
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        _read(result, 0, True)
        if adapter == "wsgi":
            wsgi_guard = WSGIStatusGuard(wsgi_app, mode="fix", logger=logger)
            serve = wsgi_serve(wsgi_guard, MIX)
            for n in range(responses):
                serve(n)
                if (n + 1) % every == 0:
                    _read(result, n + 1, (n + 1) % shown == 0)
            stats = wsgi_guard.stats()
        else:
            asgi_guard = ASGIStatusGuard(asgi_app, mode="fix", logger=logger)
            serve_one = asgi_serve(asgi_guard, MIX)

            async def run() -> None:
                for n in range(responses):
                    await serve_one(n)
                    if (n + 1) % every == 0:
                        _read(result, n + 1, (n + 1) % shown == 0)

            asyncio.run(run())
            stats = asgi_guard.stats()
    finally:
        result.seconds = time.perf_counter() - started
        tracemalloc.stop()
    result.counts_exact = stats.violations == expected_counts(MIX, responses)
    result.internal_errors = stats.internal_errors
    return result


def table(results: Sequence[Result], rows: int = 10) -> str:
    """The readings every ``responses / rows`` responses, and one line per adapter."""
    names = " | ".join(f"{r.adapter.upper()} traced MB" for r in results)
    lines = [f"| responses | {names} |", "|---:|" + "---:|" * len(results)]
    step = max(results[0].responses // rows, 1)
    for row in zip(*(r.readings for r in results), strict=True):
        n = row[0][0]
        if n % step == 0:
            lines.append(f"| {n:,} | " + " | ".join(f"{c / 1e6:.2f}" for _, c, _ in row) + " |")
    lines.append("")
    for r in results:
        first, second = r.halves()
        peak = max(p for _, _, p in r.readings)
        lines.append(
            f"- {r.adapter.upper()}: {r.responses:,} responses in {r.seconds:.0f} s "
            f"(tracemalloc on), {len(r.readings) - 1} readings.  After the warm-up "
            f"({r.warmup:,} responses) the traced memory stays between "
            f"{min(first + second) / 1e6:.2f} and {max(first + second) / 1e6:.2f} MB; the "
            f"highest reading of the second half is {r.growth / 1e3:+.0f} kB from the first "
            f"half's; least-squares slope {r.slope / 1e3:+.1f} kB per 100,000 responses; "
            f"tracemalloc peak {peak / 1e6:.2f} MB.  Counters exact: "
            f"{'yes' if r.counts_exact else 'NO'}; internal errors: {r.internal_errors}."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=100, help="memory readings (100)")
    parser.add_argument("--adapter", default="wsgi,asgi", help="wsgi, asgi or both")
    parser.add_argument(
        "--tolerance",
        type=int,
        default=512_000,
        help="bytes the traced memory may rise after warm-up (default: 512 kB)",
    )
    args = parser.parse_args(argv)
    results = [
        soak(adapter, args.responses, args.samples)
        for adapter in args.adapter.split(",")
        if adapter
    ]
    print(table(results))
    ok = all(
        r.counts_exact and r.internal_errors == 0 and r.growth < args.tolerance for r in results
    )
    print(f"\nsoak: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
