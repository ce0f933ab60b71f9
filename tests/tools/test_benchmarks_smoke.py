"""The benchmark suite runs: every benchmark once, with a tiny iteration count.

No timing is asserted here (benchmarks are not tests); this only keeps ``benchmarks/`` from
rotting as the middlewares change.  The numbers come from ``python -m benchmarks.run``.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

# `benchmarks` lives next to `src`, outside the package: pytest's `pythonpath = ["."]`.
import statusguard
from benchmarks import (
    bench_asgi,
    bench_check,
    bench_e2e,
    bench_frameworks,
    bench_wsgi,
    load_client,
    profile_hot_path,
    run,
)
from benchmarks.cases import CASES
from benchmarks.harness import Comparison, Contender, measure
from benchmarks.report import comparison_table, first_sight_table, targets, targets_table

CASE_KEYS = {case.key for case in CASES}


def _check_shape(
    comparisons: list[Comparison], prefix: str, contenders: int, keys: set[str] | None = None
) -> None:
    """``keys``: the comparisons expected (default: one per case)."""
    expected = {f"{prefix}/{key}" for key in CASE_KEYS} if keys is None else keys
    assert {c.key for c in comparisons} == expected
    for comparison in comparisons:
        assert len(comparison.samples) == contenders
        assert all(len(values) == 1 and values[0] > 0 for values in comparison.samples.values())
        assert comparison.title in comparison_table(comparison)


def test_wsgi_benchmarks_run() -> None:
    comparisons = bench_wsgi.run(rounds=1, loops=1)
    _check_shape(comparisons, "wsgi", 7)
    by_key = {c.key: c for c in comparisons}
    # strict mode raises on the violations the guard cannot fix, as a server would see it
    assert "statusguard strict" in by_key["wsgi/401-no-challenge"].notes
    assert "statusguard strict" not in by_key["wsgi/clean-200"].notes


def test_asgi_benchmarks_run() -> None:
    comparisons = bench_asgi.run(rounds=1, loops=1)
    asgi = [c for c in comparisons if c.key.startswith("asgi/")]
    starlette = [c for c in comparisons if c.key.startswith("starlette/")]
    _check_shape(asgi, "asgi", 6)
    _check_shape(starlette, "starlette", 5)


def test_the_hold_start_floor_sends_what_the_app_sent_in_order() -> None:
    """The Starlette floors must be real middlewares: hold-start forwards every message."""
    case = CASES[0]
    app = bench_asgi.make_app(case)
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def run_once(asgi: object) -> None:
        await asgi(bench_asgi.make_scope(case), bench_asgi._receive, send)  # type: ignore[operator]

    asyncio.run(run_once(app))
    direct = list(sent)
    sent.clear()
    asyncio.run(run_once(bench_asgi.ASGIHoldStart(app)))
    assert sent == direct
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


def test_framework_benchmarks_run() -> None:
    comparisons = bench_frameworks.run(rounds=1, loops=1)
    assert [c.key for c in comparisons] == ["flask/text", "flask/stream", "django/text"]
    for comparison in comparisons:
        assert len(comparison.samples) == 3
        assert "pass-through" in comparison.samples
        assert "statusguard fix" in comparison.samples


def test_the_framework_apps_answer_what_they_say() -> None:
    """The Flask routes answer their text and their stream, whole, through the guard."""
    from statusguard.wsgi import WSGIStatusGuard

    app = WSGIStatusGuard(bench_frameworks.make_flask(), mode="strict")
    streamed = "".join(bench_frameworks.CHUNKS).encode()
    for path, body in (("/", b"Hello, world!"), ("/stream", streamed)):
        environ = bench_wsgi.make_environ(CASES[0])
        environ["PATH_INFO"] = path
        got: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            got.append(status)  # noqa: B023 (called before the loop moves on)

        result = app(environ, start_response)
        assert b"".join(result) == body
        assert got == ["200 OK"]


def test_check_benchmarks_run() -> None:
    comparisons = bench_check.run(rounds=1, loops=1)
    stamped = {f"check/{case.key}" for case in CASES if bench_check.has_new_ids(case)}
    assert stamped == {"check/clean-200-unique"}
    _check_shape([c for c in comparisons if c.key in stamped], "check", 2, keys=stamped)
    others = {f"check/{key}" for key in CASE_KEYS} - stamped
    _check_shape([c for c in comparisons if c.key in others], "check", 4, keys=others)
    table = first_sight_table(comparisons)
    assert table is not None and table.count("\n") == 1 + len(CASES)


def test_first_sight_responses_carry_a_new_request_id_each_time() -> None:
    """The first-sight contenders check what they claim: the same response, one new value."""
    for case in CASES:
        wire = bench_check._wire_headers(case, new_id=True)
        first, second = wire(), wire()
        assert first[:-1] == bench_check._wire_headers(case)()
        assert first[-1][0] == second[-1][0] == b"X-Request-Id"
        assert first[-1][1] != second[-1][1]


def test_the_apps_answer_what_the_cases_say() -> None:
    """The benchmarked responses are the ones described: fix mode strips what it must."""
    for case in CASES:
        violations = {
            v.rule_id
            for v in statusguard.check(
                case.status_line, bench_check._wire_headers(case)(), case.body, method=case.method
            )
        }
        assert bool(violations) == (case.expect != "clean"), (case.key, violations)


def test_targets_table_names_every_target() -> None:
    comparisons = [
        *bench_wsgi.run(rounds=1, loops=1, cases=CASES[:1]),
        *bench_asgi.run(rounds=1, loops=1, cases=CASES[:1]),
        *bench_check.run(rounds=1, loops=1, cases=CASES[:1]),
    ]
    found = targets(comparisons)
    assert len(found) == 5
    assert targets_table(found).count("\n") == 6


def test_harness_interleaves_and_pairs() -> None:
    calls: list[str] = []

    def contender(name: str) -> Contender:
        return Contender(name, lambda n: calls.extend([name] * n))

    comparison = measure("k", "t", [contender("a"), contender("b")], rounds=3, loops=2)
    assert comparison.loops == {"a": 2, "b": 2}
    assert calls.count("a") == calls.count("b") == 1 + 3 * 2  # one warm-up call each
    assert len(comparison.samples["a"]) == 3
    with pytest.raises(ValueError, match="repeat"):
        measure("k", "t", [contender("a"), contender("a")], rounds=1, loops=1)


def test_runner_writes_markdown_and_pyperf_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown, suite = tmp_path / "out.md", tmp_path / "out.json"
    argv = ["--suite", "wsgi,check", "--case", "clean-200", "--rounds", "1", "--loops", "1"]
    assert run.main([*argv, "--markdown", str(markdown), "--json", str(suite)]) == 0
    text = markdown.read_text(encoding="utf-8")
    assert "Machine:" in text
    assert "| statusguard fix |" in text
    assert "## Targets" in text
    assert "### Full check of responses whose values are new every time" in text
    assert capsys.readouterr().out.strip()
    # WSGI: 7 contenders; the full check: 4 (as it is, and with a new X-Request-Id)
    assert len(json.loads(suite.read_text(encoding="utf-8"))["benchmarks"]) == 11


def test_profile_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert profile_hot_path.main(["clean-200", "--responses", "10", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "WSGIStatusGuard" in out
    assert "ASGIStatusGuard" in out


def test_end_to_end_runs_and_stops_its_servers() -> None:
    results = bench_e2e.run(rounds=1, duration=0.3, warmup=0, connections=2, tool="python")
    assert [r.server for r in results] == list(bench_e2e.SERVERS)
    for result in results:
        assert result.plain[0] > 0
        assert result.guarded[0] > 0
    assert "requests/s" in bench_e2e.table(results)


@pytest.mark.parametrize("server", bench_e2e.SERVERS)
def test_end_to_end_servers_are_stopped(server: str) -> None:
    with bench_e2e.serving(server) as started:
        groups = [srv.process.pid for srv in started.values()]
        assert len(groups) == 2
    for pgid in groups:
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)


def test_load_client_counts_nothing_without_a_server() -> None:
    with pytest.raises(OSError):
        load_client.load("127.0.0.1", 1, 0.1, connections=1)
