"""The metrics benchmark runs: once, with one iteration (no timing asserted; the figures come
from ``python -m benchmarks.bench_metrics`` or ``python -m benchmarks.run --suite metrics``)."""

from __future__ import annotations

import os

from benchmarks import bench_metrics, run
from benchmarks.report import comparison_table
from statusguard.report import _EXPORTERS


def test_the_metrics_benchmark_runs_each_exporter_once() -> None:
    comparisons = bench_metrics.run(rounds=1, loops=1, multiprocess=False)
    assert [c.key for c in comparisons] == [
        "metrics/wsgi-clean-200",
        "metrics/asgi-clean-200",
        "metrics/wsgi-204-content",
        "metrics/one-increment",
    ]
    assert len(comparisons[-1].names) == 4
    for comparison in comparisons[:-1]:
        assert comparison.names == [
            bench_metrics.BASELINE,
            bench_metrics.AGAIN,
            "prometheus register()",
            "prometheus instrument()",
            "otel instrument()",
        ]
        assert all(len(v) == 1 and v[0] > 0 for v in comparison.samples.values())
        assert comparison.title in comparison_table(comparison)
    verdicts = bench_metrics.verdicts(comparisons)
    assert len(verdicts) == 9
    assert "within noise" in bench_metrics.report(comparisons)
    assert not _EXPORTERS  # every contender turned its exporter off again
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ


def test_the_suite_is_registered() -> None:
    assert "metrics" in run.SUITES
