"""Metrics exporters: what each costs per response, clean and violating (issue #17).

A clean response never reaches the reporter, so no exporter can cost it anything: the clean
comparisons measure that (ratio to the guard without an exporter, within noise).  A violating
response pays one counter increment per violation with ``instrument()``; the scrape-time
collector of ``register()`` pays nothing on any response.

Contenders, all the public guards in fix mode: no exporter (the baseline); the Prometheus
collector (``register``); the Prometheus counters (``instrument``, in multiprocess mode when
this module is the first to import ``prometheus_client``: a temporary
``PROMETHEUS_MULTIPROC_DIR``); the OpenTelemetry counters (``instrument`` with the SDK and an
in-memory reader).  The counters count every guard of the process: each contender's batch
turns its exporter on around itself, so the others run without it.

    .venv/bin/python -m benchmarks.bench_metrics [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import wsgiref.util
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

from statusguard import ASGIStatusGuard, WSGIStatusGuard
from statusguard.report import Exporter, add_exporter, remove_exporter

from ._quiet import quiet
from .harness import Comparison, Contender, measure
from .report import comparison_table, format_ns

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Verdict", "main", "run", "verdicts", "verdicts_table"]

BASELINE = "no exporter"
AGAIN = "no exporter, again"
LOOPS = 1_000
BODY = b"<p>hello</p>" * 10


def _multiprocess_dir() -> str:
    """Put ``prometheus_client`` in multiprocess mode if it is not imported yet."""
    if "prometheus_client" in sys.modules or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return ""
    path = tempfile.mkdtemp(prefix="statusguard-bench-metrics-")
    atexit.register(shutil.rmtree, path, True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


# -- the responses ------------------------------------------------------------------------------


def wsgi_app(status: str, body: bytes) -> WSGIApplication:
    length = str(len(body))

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "text/html"), ("Content-Length", length)])
        return [body]

    return app


def _environ() -> WSGIEnvironment:
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": "",
        "SERVER_SOFTWARE": "gunicorn/27",  # a server that adds Date itself
        "wsgi.input": BytesIO(),
    }
    wsgiref.util.setup_testing_defaults(environ)
    return environ


def _write(data: bytes) -> None:
    return None


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
) -> Callable[[bytes], object]:
    return _write


def wsgi_batch(guard: WSGIApplication) -> Callable[[int], object]:
    environ = _environ()

    def batch(n: int) -> None:
        for _ in range(n):
            result = guard(environ.copy(), _start_response)
            try:
                for _chunk in result:
                    pass
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return batch


def asgi_app(status: int, body: bytes) -> Any:
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/html"), (b"content-length", str(len(body)).encode())],
    }
    message = {"type": "http.response.body", "body": body, "more_body": False}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send(message)

    return app


def asgi_batch(guard: ASGIStatusGuard) -> Callable[[int], object]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "server": ("127.0.0.1", 8000),
    }
    loop = asyncio.new_event_loop()
    atexit.register(loop.close)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    async def responses(n: int) -> None:
        for _ in range(n):
            await guard(dict(scope), receive, send)

    def batch(n: int) -> None:
        loop.run_until_complete(responses(n))

    return batch


# -- the exporters ------------------------------------------------------------------------------


def _with(exporter: Exporter, batch: Callable[[int], object]) -> Callable[[int], object]:
    """``batch`` with ``exporter`` counting every guard of the process while it runs."""

    def exported(n: int) -> None:
        add_exporter(exporter)
        try:
            batch(n)
        finally:
            remove_exporter(exporter)

    return exported


@dataclass
class Exporters:
    prometheus: Exporter
    prometheus_note: str
    otel: Exporter
    collector: Callable[[object], None]
    sdk_counter: Any


def exporters(*, multiprocess: bool) -> Exporters:
    if multiprocess:
        _multiprocess_dir()
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from prometheus_client import CollectorRegistry

    from statusguard.contrib import otel, prometheus

    counters = prometheus.instrument(CollectorRegistry())
    counters.close()  # each contender's batch turns it on for itself
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    otel_counters = otel.instrument(provider)
    otel_counters.close()
    collected = CollectorRegistry()
    mode = "multiprocess" if prometheus.multiprocess_mode() else "single process"

    def collector(guard: object) -> None:
        prometheus.register(guard, registry=collected)  # type: ignore[arg-type]

    sdk_counter = provider.get_meter("bench").create_counter("bench.violations")
    return Exporters(counters, mode, otel_counters, collector, sdk_counter)


def comparison(
    key: str,
    title: str,
    guards: Callable[[], Any],
    batch_of: Callable[[Any], Callable[[int], object]],
    found: Exporters,
    *,
    rounds: int,
    loops: int | None,
) -> Comparison:
    base, again, collected, prom, otel = (guards() for _ in range(5))
    found.collector(collected)
    prom_batch = _with(found.prometheus, batch_of(prom))
    contenders = [
        Contender(BASELINE, batch_of(base)),
        Contender(AGAIN, batch_of(again), "a second guard alike: the noise"),
        Contender("prometheus register()", batch_of(collected), "scrape-time collector"),
        Contender("prometheus instrument()", prom_batch, found.prometheus_note),
        Contender("otel instrument()", _with(found.otel, batch_of(otel)), "SDK, in-memory reader"),
    ]
    return measure(key, title, contenders, rounds=rounds, loops=loops)


def run(
    *, rounds: int = 40, loops: int | None = None, multiprocess: bool = True
) -> list[Comparison]:
    """``multiprocess``: put ``prometheus_client`` in multiprocess mode for the rest of this
    process, if it is not imported yet (never in a test process).  ``loops``: responses per
    batch, the same for every contender (default: 1,000, a few milliseconds: on a busy
    machine a calibrated batch can come out a few dozen responses long, and one preemption
    then decides its median)."""
    loops = LOOPS if loops is None else loops
    found = exporters(multiprocess=multiprocess)
    clean_wsgi = wsgi_app("200 OK", BODY)
    broken_wsgi = wsgi_app("204 No Content", BODY)  # content-forbidden, content-length-forbidden
    clean_asgi = asgi_app(200, BODY)
    results = []
    with quiet():
        for key, title, make, batch_of in (
            (
                "metrics/wsgi-clean-200",
                "WSGI, a clean 200, with each exporter",
                lambda: WSGIStatusGuard(clean_wsgi, mode="fix"),
                wsgi_batch,
            ),
            (
                "metrics/asgi-clean-200",
                "ASGI, a clean 200, with each exporter",
                lambda: ASGIStatusGuard(clean_asgi, mode="fix"),
                asgi_batch,
            ),
            (
                "metrics/wsgi-204-content",
                "WSGI, a 204 with content (two violations, fixed), with each exporter",
                lambda: WSGIStatusGuard(broken_wsgi, mode="fix"),
                wsgi_batch,
            ),
        ):
            results.append(
                comparison(key, title, make, batch_of, found, rounds=rounds, loops=loops)
            )
        results.append(increments(found, rounds=rounds, loops=loops))
    return results


class _Nothing:
    def count(self, rule: str, status: int, action: str) -> None:
        return None

    def count_internal_error(self) -> None:
        return None


def increments(found: Exporters, *, rounds: int, loops: int | None) -> Comparison:
    """What one violation costs each exporter: its ``count()`` alone."""

    def counting(exporter: Exporter) -> Callable[[int], object]:
        count = exporter.count

        def batch(n: int) -> None:
            for _ in range(n):
                count("content-forbidden", 204, "fixed")

        return batch

    sdk_add = found.sdk_counter.add
    attributes = {"rule": "content-forbidden", "status": "204", "action": "fixed"}

    def sdk_batch(n: int) -> None:
        for _ in range(n):
            sdk_add(1, attributes)

    contenders = [
        Contender("an exporter doing nothing", counting(_Nothing())),
        Contender("prometheus instrument()", counting(found.prometheus), found.prometheus_note),
        Contender("otel instrument()", counting(found.otel), "observable counters"),
        Contender("otel SDK Counter.add()", sdk_batch, "what otel instrument() does not do"),
    ]
    return measure(
        "metrics/one-increment",
        "One violation counted by each exporter (its count() call alone)",
        contenders,
        rounds=rounds,
        loops=loops,
    )


# -- the verdict --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    key: str
    contender: str
    ratio: float  # median with the exporter ÷ median without
    overhead_ns: float  # median of the paired per-round differences to the baseline
    noise_ns: float  # how far a second guard without an exporter is from the first

    @property
    def within_noise(self) -> bool:
        return abs(self.overhead_ns) <= self.noise_ns


def _noise(result: Comparison) -> float:
    """The A/A difference: the second guard without an exporter against the first, its
    median plus twice the median absolute deviation of its per-round differences."""
    pairs = [
        a - b for a, b in zip(result.samples[AGAIN], result.samples[result.baseline], strict=True)
    ]
    middle = statistics.median(pairs)
    return abs(middle) + 2 * statistics.median(abs(p - middle) for p in pairs)


def verdicts(comparisons: Sequence[Comparison]) -> list[Verdict]:
    found = []
    for result in comparisons:
        if AGAIN not in result.samples:
            continue  # not a comparison of guards
        base = result.median(result.baseline)
        noise = _noise(result)
        for name in result.names:
            if name in (result.baseline, AGAIN):
                continue
            ratio = result.median(name) / base if base else float("nan")
            found.append(Verdict(result.key, name, ratio, result.overhead(name), noise))
    return found


def verdicts_table(found: Sequence[Verdict]) -> str:
    lines = [
        "| comparison | exporter | ÷ no exporter | overhead | noise (A/A) | within noise |",
        "|---|---|---:|---:|---:|---|",
    ]
    for v in found:
        within = "yes" if v.within_noise else "**no**"
        if "clean" not in v.key:
            within = "— (a violation pays one increment per violation)"
        sign = "+" if v.overhead_ns >= 0 else "−"
        lines.append(
            f"| `{v.key}` | {v.contender} | {v.ratio:.3f} | {sign}{format_ns(abs(v.overhead_ns))}"
            f" | ±{format_ns(v.noise_ns)} | {within} |"
        )
    return "\n".join(lines)


def report(comparisons: Sequence[Comparison]) -> str:
    parts = [comparison_table(c) for c in comparisons]
    parts.append("**Clean-response cost with each exporter on** (goal: within noise)\n")
    parts.append(verdicts_table(verdicts(comparisons)))
    return "\n\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_metrics")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--loops", type=int, default=None)
    args = parser.parse_args(argv)
    print(report(run(rounds=args.rounds, loops=args.loops)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
