"""The soak and hostile-input benchmarks run: each once, tiny, so they cannot rot.

No memory or time figure is asserted here (benchmarks are not tests); the soak's own verdict
comes from ``python -m benchmarks.soak`` with a million responses per adapter.
"""

from __future__ import annotations

import pytest

# `benchmarks` lives next to `src`, outside the package: pytest's `pythonpath = ["."]`.
from benchmarks import hostile, soak


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
def test_soak_counts_exactly_and_checkpoints(adapter: str) -> None:
    result = soak.soak(adapter, responses=1_100, samples=10)
    assert result.counts_exact
    assert result.internal_errors == 0
    assert [n for n, _, _ in result.readings] == [110 * i for i in range(11)]
    assert result.warmup == 110
    assert "| 1,100 |" in soak.table([result])


def test_soak_expected_counts_follow_the_mix() -> None:
    counts = soak.expected_counts(soak.MIX, len(soak.MIX) * 3)
    assert counts[("content-forbidden", 204, "fixed")] == 6  # two 204 kinds, three rounds
    assert counts[("www-authenticate-missing", 401, "reported")] == 3


def test_hostile_benchmark_measures_every_shape() -> None:
    for _unit, sizes, build in hostile.SHAPES.values():
        assert hostile.measure(build, sizes[0] // 1000, repeat=1) > 0
