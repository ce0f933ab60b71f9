"""In-process, interleaved timing: every contender of a comparison in the same run.

pyperf's ``Runner`` spawns worker processes per benchmark, so two benchmarks are never timed
under the same conditions; on a 2-core machine that noise is larger than the overheads we
compare.  Here each comparison is measured in this process: a round times one batch of every
contender, in a shuffled order, with the garbage collector paused; the reported value is the
median over the rounds, and an overhead is the median of the per-round differences to the
baseline (paired, so a slow round slows every contender of that round alike).  The values can
be written as a pyperf suite (``to_pyperf``) for ``python -m pyperf stats/compare_to``.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Comparison", "Contender", "Pair", "measure", "measure_pairs"]

# A batch should last a few milliseconds: long enough to drown the timer's resolution and the
# loop set-up, short enough that many rounds fit in a few seconds.
TARGET_BATCH_NS = 2_000_000
MAX_LOOPS = 1 << 20


@dataclass(frozen=True)
class Contender:
    """One way of producing the same response; ``batch(n)`` produces and consumes it n times."""

    name: str
    batch: Callable[[int], object]
    note: str = ""


@dataclass
class Comparison:
    """The timings of one comparison: ns per response, one value per round and contender."""

    key: str
    title: str
    baseline: str
    samples: dict[str, list[float]]
    loops: dict[str, int]
    notes: dict[str, str] = field(default_factory=dict)
    # A comparison of pairs (``measure_pairs``): label → (its baseline, the contender measured).
    pairs: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.samples)

    def median(self, name: str) -> float:
        """Median time per response of ``name``, in ns."""
        return statistics.median(self.samples[name])

    def overhead(self, name: str, base: str | None = None) -> float:
        """Median over the rounds of ``name`` minus ``base`` (default: the baseline), in ns."""
        base_samples = self.samples[base or self.baseline]
        return statistics.median(
            a - b for a, b in zip(self.samples[name], base_samples, strict=True)
        )

    def pair_overhead(self, label: str) -> float:
        """The overhead of the pair ``label``: its contender over its own baseline, in ns."""
        base, name = self.pairs[label]
        return self.overhead(name, base)

    def spread(self, name: str) -> float:
        """Median absolute deviation of ``name`` relative to its median (0.01 = 1 %)."""
        values = self.samples[name]
        mid = statistics.median(values)
        return statistics.median(abs(v - mid) for v in values) / mid if mid else 0.0


def _time_batch(batch: Callable[[int], object], loops: int) -> int:
    start = time.perf_counter_ns()
    batch(loops)
    return time.perf_counter_ns() - start


def calibrate(
    batch: Callable[[int], object],
    target_ns: int = TARGET_BATCH_NS,
    timer: Callable[[Callable[[int], object], int], int] = _time_batch,
) -> int:
    """The number of loops for which one batch lasts about ``target_ns``.

    The batch doubles until it lasts a quarter of the target, then is scaled to it.  Each size
    is timed three times, with the garbage collector paused as in the rounds, and the shortest
    time counts: one slow timing (the machine busy elsewhere, a collection, a first sight) must
    not shrink the batch, or a per-batch cost (an ASGI batch's trip through the event loop)
    would be charged to a handful of responses instead of thousands."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        loops = 1
        while loops < MAX_LOOPS:
            elapsed = min(timer(batch, loops) for _ in range(3))
            if elapsed >= target_ns // 4:
                return min(MAX_LOOPS, max(loops, round(loops * target_ns / elapsed)))
            loops *= 2
        return MAX_LOOPS
    finally:
        if gc_was_enabled:
            gc.enable()


def _rounds(
    order: list[Contender],
    rounds: int,
    loops: dict[str, int],
    samples: dict[str, list[float]],
    shuffle: Callable[[list[Contender]], None],
) -> None:
    """``rounds`` rounds: each times one batch of every contender, in a shuffled order, with
    the garbage collector paused; the times per response are appended to ``samples``."""
    gc_was_enabled = gc.isenabled()
    try:
        for _ in range(rounds):
            shuffle(order)
            gc.collect()
            gc.disable()
            for contender in order:
                n = loops[contender.name]
                samples[contender.name].append(_time_batch(contender.batch, n) / n)
            if gc_was_enabled:
                gc.enable()
    finally:
        if gc_was_enabled:
            gc.enable()


def measure(
    key: str,
    title: str,
    contenders: Sequence[Contender],
    *,
    baseline: str | None = None,
    rounds: int = 30,
    loops: int | None = None,
    target_ns: int = TARGET_BATCH_NS,
    seed: int = 0,
) -> Comparison:
    """Time every contender ``rounds`` times, interleaved; ``loops`` fixes the batch size."""
    if not contenders:
        raise ValueError("a comparison needs contenders")
    names = [c.name for c in contenders]
    if len(set(names)) != len(names):
        raise ValueError(f"contender names repeat: {names}")
    for contender in contenders:  # warm-up: first-call caches, lazy imports, first log lines
        contender.batch(1)
    batch_loops = {
        c.name: loops if loops is not None else calibrate(c.batch, target_ns) for c in contenders
    }
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    _rounds(list(contenders), rounds, batch_loops, samples, random.Random(seed).shuffle)
    return Comparison(
        key=key,
        title=title,
        baseline=baseline or names[0],
        samples=samples,
        loops=batch_loops,
        notes={c.name: c.note for c in contenders if c.note},
    )


@dataclass(frozen=True)
class Pair:
    """One response timed without (``base``) and with (``measured``) what is compared.
    ``warmup``: responses ``measured`` serves untimed before each block of rounds (a rotation
    of values is then timed once it has been seen whole, whatever came in between)."""

    label: str
    base: Contender
    measured: Contender
    warmup: int = 0


def measure_pairs(
    key: str,
    title: str,
    pairs: Sequence[Pair],
    *,
    rounds: int = 30,
    loops: int | None = None,
    target_ns: int = TARGET_BATCH_NS,
    seed: int = 0,
    isolated: bool = True,
    blocks: int = 10,
) -> Comparison:
    """Several responses, each timed without and with what is measured.  The overhead of a
    pair is paired with its own baseline, round by round.  Contenders are named
    ``"label: name"``.

    ``isolated`` (the default): the rounds are cut into ``blocks`` (of five rounds at least);
    in each block every pair in
    turn is warmed up and timed alone, its two contenders interleaved.  What one response
    stream leaves in the process-wide memos (parsed Content-Length values, ``check``'s results)
    is then not charged to another, and a slow spell of the machine is spread over all pairs
    rather than falling on one.  Otherwise every contender is interleaved in the same rounds."""
    named: dict[str, tuple[Pair, Contender, Contender]] = {}
    found: dict[str, tuple[str, str]] = {}
    for pair in pairs:
        base = Contender(f"{pair.label}: {pair.base.name}", pair.base.batch, pair.base.note)
        measured = Contender(
            f"{pair.label}: {pair.measured.name}", pair.measured.batch, pair.measured.note
        )
        named[pair.label] = (pair, base, measured)
        found[pair.label] = (base.name, measured.name)
    everyone = [c for _, base, measured in named.values() for c in (base, measured)]
    if not isolated:
        for pair, _, measured in named.values():
            if pair.warmup:
                measured.batch(pair.warmup)
        comparison = measure(
            key, title, everyone, rounds=rounds, loops=loops, target_ns=target_ns, seed=seed
        )
        comparison.pairs = found
        return comparison
    if len({c.name for c in everyone}) != len(everyone):
        raise ValueError(f"contender names repeat: {[c.name for c in everyone]}")
    batch_loops: dict[str, int] = {}
    for pair, base, measured in named.values():  # warm-up, then calibration, as measure()
        for contender in (base, measured):
            contender.batch(1)
            if contender is measured and pair.warmup:
                measured.batch(pair.warmup)  # calibrated on the rotation's steady state
            batch_loops[contender.name] = (
                loops if loops is not None else calibrate(contender.batch, target_ns)
            )
    samples: dict[str, list[float]] = {c.name: [] for c in everyone}
    shuffle = random.Random(seed).shuffle
    blocks = max(1, min(blocks, rounds // 5))  # at least five rounds a block
    for block in range(blocks):
        count = rounds // blocks + (1 if block < rounds % blocks else 0)
        for pair, base, measured in named.values():
            if pair.warmup:
                measured.batch(pair.warmup)
            _rounds([base, measured], count, batch_loops, samples, shuffle)
    return Comparison(
        key=key,
        title=title,
        baseline=everyone[0].name,
        samples=samples,
        loops=batch_loops,
        notes={c.name: c.note for c in everyone if c.note},
        pairs=found,
    )


def to_pyperf(comparisons: Sequence[Comparison]) -> object:
    """The timings as a ``pyperf.BenchmarkSuite`` (one benchmark per comparison/contender)."""
    import pyperf

    benchmarks = []
    for comparison in comparisons:
        for name, values in comparison.samples.items():
            run = pyperf.Run(
                [v * 1e-9 for v in values],
                metadata={
                    "name": f"{comparison.key}/{name}",
                    "loops": comparison.loops[name],
                    "unit": "second",
                    "description": comparison.title,
                },
                collect_metadata=False,
            )
            benchmarks.append(pyperf.Benchmark([run]))
    return pyperf.BenchmarkSuite(benchmarks)
