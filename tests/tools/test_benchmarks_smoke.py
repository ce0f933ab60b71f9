"""The benchmark suite runs: every benchmark once, with a tiny iteration count.

No timing is asserted here (benchmarks are not tests); this only keeps ``benchmarks/`` from
rotting as the middlewares change.  The numbers come from ``python -m benchmarks.run``.
"""

from __future__ import annotations

import asyncio
import itertools
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
from benchmarks.cases import CASES, DATE, SCENARIOS, SWEEP, Scenario
from benchmarks.harness import (
    MAX_LOOPS,
    Comparison,
    Contender,
    Pair,
    calibrate,
    measure,
    measure_pairs,
)
from benchmarks.report import comparison_table, first_sight_table, targets, targets_table

CASE_KEYS = {case.key for case in CASES}
SCENARIO_KEYS = {scenario.key for scenario in SCENARIOS}
# Targets per adapter: one per measured response of a ratio scenario, one per sweep.
SCENARIO_TARGETS = sum(1 if s.flat else len(s.measured) for s in SCENARIOS)


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


def _check_scenarios(comparisons: list[Comparison], prefix: str) -> None:
    """The comparisons of pairs: one per scenario, a baseline and a guarded contender per
    variant, each timed once; the table names every variant, the targets every ratio."""
    assert {c.key for c in comparisons} == {f"{prefix}/{key}" for key in SCENARIO_KEYS}
    by_key = {c.key: c for c in comparisons}
    for scenario in SCENARIOS:
        comparison = by_key[f"{prefix}/{scenario.key}"]
        labels = [variant.label for variant in scenario.variants]
        assert list(comparison.pairs) == labels
        assert len(comparison.samples) == 2 * len(labels)
        assert all(len(values) == 1 and values[0] > 0 for values in comparison.samples.values())
        table = comparison_table(comparison)
        assert comparison.title in table
        assert all(f"| {label} |" in table for label in labels)
        assert ("Largest overhead ÷ smallest" in table) == scenario.flat
    assert len(targets(comparisons)) == SCENARIO_TARGETS


def test_wsgi_benchmarks_run() -> None:
    everything = bench_wsgi.run(rounds=1, loops=1)
    comparisons = [c for c in everything if not c.pairs]
    _check_shape(comparisons, "wsgi", 7)
    _check_scenarios([c for c in everything if c.pairs], "wsgi")
    by_key = {c.key: c for c in comparisons}
    # strict mode raises on the violations the guard cannot fix, as a server would see it
    assert "statusguard strict" in by_key["wsgi/401-no-challenge"].notes
    assert "statusguard strict" not in by_key["wsgi/clean-200"].notes


def test_asgi_benchmarks_run() -> None:
    comparisons = bench_asgi.run(rounds=1, loops=1)
    asgi = [c for c in comparisons if c.key.startswith("asgi/") and not c.pairs]
    starlette = [c for c in comparisons if c.key.startswith("starlette/")]
    _check_shape(asgi, "asgi", 6)
    _check_shape(starlette, "starlette", 5)
    _check_scenarios([c for c in comparisons if c.pairs], "asgi")


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
    everything = bench_check.run(rounds=1, loops=1)
    _check_scenarios([c for c in everything if c.pairs], "check")
    comparisons = [c for c in everything if not c.pairs]
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
        *bench_wsgi.run(rounds=1, loops=1, cases=CASES[:1], scenarios=()),
        *bench_asgi.run(rounds=1, loops=1, cases=CASES[:1], scenarios=()),
        *bench_check.run(rounds=1, loops=1, cases=CASES[:1], scenarios=()),
    ]
    found = targets(comparisons)
    assert len(found) == 5
    assert targets_table(found).count("\n") == 6


def _wire(scenario: Scenario, label: str, responses: int) -> list[tuple[str, Any]]:
    """``responses`` responses of one variant, as the full check gets them: (method, headers
    as a dict of str, body)."""
    variant = scenario.variant(label)
    build, methods = variant.byte_responses(lower=False), variant.methods()
    found = []
    for _ in range(responses):
        headers, body = build()
        fields = {n.decode(): v.decode() for n, v in headers}
        found.append((methods(), (fields, body)))
    return found


def test_the_scenarios_answer_clean_responses() -> None:
    """Every response of every variant is clean: the scenarios time the guard's cost on a
    response it passes, not a repair (fix mode would change what is compared)."""
    date = (DATE[0].encode(), DATE[1].encode())
    for scenario in SCENARIOS:
        for variant in scenario.variants:
            build, methods = variant.byte_responses(lower=False), variant.methods()
            for _ in range(3):
                headers, body = build()
                violations = statusguard.check(
                    variant.status_line, [*headers, date], body, method=methods()
                )
                assert violations == [], (scenario.key, variant.label, violations)


def test_the_dynamic_page_changes_what_it_says_on_every_response() -> None:
    scenario = next(s for s in SCENARIOS if s.key == "dynamic-200")
    new = _wire(scenario, "page, new values", 500)
    for name in ("Content-Length", "ETag", "X-Request-Id", "Set-Cookie"):
        values = [fields[name] for _, (fields, _) in new]
        assert all(a != b for a, b in itertools.pairwise(values)), name
    for name in ("ETag", "X-Request-Id", "Set-Cookie"):
        assert len({fields[name] for _, (fields, _) in new}) == 500, name
    assert all(int(fields["Content-Length"]) == len(body) for _, (fields, body) in new)
    repeated = _wire(scenario, "page, repeated", 20)
    assert len({tuple(fields.items()) for _, (fields, _) in repeated}) == 1
    assert set(repeated[0][1][0]) == set(new[0][1][0])  # the same lines, other values


@pytest.mark.parametrize(
    ("key", "name"), [("sweep-length", "Content-Length"), ("sweep-request-id", "X-Request-Id")]
)
def test_a_sweep_rotates_exactly_its_number_of_values(key: str, name: str) -> None:
    scenario = next(s for s in SCENARIOS if s.key == key)
    assert [v.label for v in scenario.variants] == [f"{n:,} distinct" for n in SWEEP]
    for count in (1, 10, 100, 1_000):
        responses = _wire(scenario, f"{count:,} distinct", 2 * count)
        values = [fields[name] for _, (fields, _) in responses]
        assert len(set(values)) == count
        assert values[:count] == values[count:]  # in rotation: the same order again
        assert all(int(fields["Content-Length"]) == len(body) for _, (fields, body) in responses)


def test_the_new_method_scenario_changes_only_the_method() -> None:
    scenario = next(s for s in SCENARIOS if s.key == "new-method")
    new = _wire(scenario, "new method each time", 1_000)
    assert len({method for method, _ in new}) == 1_000
    assert {method for method, _ in _wire(scenario, "M0001, repeated", 5)} == {"M0001"}
    assert {method for method, _ in _wire(scenario, "GET, repeated", 5)} == {"GET"}
    assert len({tuple(fields.items()) for _, (fields, _) in new}) == 1


def test_the_location_scenario_sends_what_it_says() -> None:
    scenario = next(s for s in SCENARIOS if s.key == "location-4k")
    lengths = {
        label: {len(fields["Location"]) for _, (fields, _) in _wire(scenario, label, 50)}
        for label in (v.label for v in scenario.variants)
    }
    assert lengths["4 KB URL, new each time"] == {4096}
    assert lengths["4 KB of letters, new each time"] == {4096}
    assert max(lengths["short, new each time"]) < 64
    for label, distinct in (("short, repeated", 1), ("short, new each time", 50)):
        locations = {fields["Location"] for _, (fields, _) in _wire(scenario, label, 50)}
        assert len(locations) == distinct
    url = _wire(scenario, "4 KB URL, new each time", 1)[0][1][0]["Location"]
    assert url.startswith("https://") and "?next=%2F" in url
    letters = _wire(scenario, "4 KB of letters, new each time", 1)[0][1][0]["Location"]
    assert letters.isalnum()  # every byte in the scheme's alphabet, no ":"


def test_the_scenario_apps_send_the_variants_responses() -> None:
    """The WSGI and ASGI apps of a variant send its status, its headers and its content,
    and the guard in strict mode lets them through unchanged."""
    from statusguard import ASGIStatusGuard, WSGIStatusGuard

    variant = next(s for s in SCENARIOS if s.key == "dynamic-200").variant("page, new values")
    got: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        got.append((status, headers))

    environ = bench_wsgi.make_environ(CASES[0])
    body = b"".join(
        WSGIStatusGuard(bench_wsgi.make_variant_app(variant), mode="strict")(
            environ, start_response
        )
    )
    [(status, headers)] = got
    assert status == "200 OK"
    assert dict(headers)["Content-Length"] == str(len(body)) and len(body) > 1000
    assert [n for n, _ in headers] == [n for n, _ in variant.headers]

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    guard = ASGIStatusGuard(bench_asgi.make_variant_app(variant), mode="strict")
    asyncio.run(guard(bench_asgi.make_scope(CASES[0]), bench_asgi._receive, send))  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    fields = dict(sent[0]["headers"])
    assert int(fields[b"content-length"]) == len(sent[1]["body"])


def test_calibration_is_not_shrunk_by_one_slow_timing() -> None:
    """A batch costs 10 µs a response, but its first two timings take 5 ms (hiccups): the batch
    still lasts the target, 2 ms, i.e. 200 responses (a fake timer, nothing is timed)."""
    timings: list[int] = []

    def timer(batch: object, loops: int) -> int:
        timings.append(loops)
        return 5_000_000 if len(timings) <= 2 else loops * 10_000

    assert calibrate(lambda n: None, 2_000_000, timer) == 200
    assert calibrate(lambda n: None, 2_000_000, lambda b, n: n * 1_000_000) == 2  # slow ones
    assert calibrate(lambda n: None, 2_000_000, lambda b, n: 0) == MAX_LOOPS


def test_pairs_are_measured_alone_or_interleaved() -> None:
    calls: list[str] = []

    def contender(name: str) -> Contender:
        return Contender(name, lambda n: calls.extend([name] * n))

    pairs = [
        Pair("x", contender("xa"), contender("xb"), warmup=5),
        Pair("y", contender("ya"), contender("yb")),
    ]
    alone = measure_pairs("k", "t", pairs, rounds=10, loops=1, blocks=2)
    assert alone.pairs == {"x": ("x: xa", "x: xb"), "y": ("y: ya", "y: yb")}
    assert {name: len(values) for name, values in alone.samples.items()} == dict.fromkeys(
        ("x: xa", "x: xb", "y: ya", "y: yb"), 10
    )
    # warm-up calls (one each, and xb's rotation), then per block: x warmed (5 of xb untimed)
    # and timed alone for five rounds, then y timed alone for five rounds
    assert calls[: 4 + 5] == ["xa", "xb", *["xb"] * 5, "ya", "yb"]
    timed = calls[4 + 5 :]
    block = ["xb"] * 5 + sorted(["xa", "xb"] * 5) + sorted(["ya", "yb"] * 5)
    assert len(timed) == 2 * len(block)
    for at in (0, len(block)):
        part = timed[at : at + len(block)]
        assert part[:5] == ["xb"] * 5
        assert sorted(part[5:15]) == block[5:15] and sorted(part[15:]) == block[15:]
    calls.clear()
    mixed = measure_pairs("k", "t", pairs, rounds=3, loops=1, isolated=False)
    assert set(mixed.samples) == set(alone.samples)
    assert calls[:5] == ["xb"] * 5  # the warm-up, once
    rounds = calls[5 + 4 :]
    assert all(sorted(rounds[at : at + 4]) == ["xa", "xb", "ya", "yb"] for at in (0, 4, 8))


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


def test_runner_selects_the_scenarios_by_case_and_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown, suite = tmp_path / "out.md", tmp_path / "out.json"
    keys = "clean-200,new-method,location-4k"  # the sweeps warm up on whole rotations: slow
    chosen = [s for s in SCENARIOS if s.key in keys.split(",")]
    argv = ["--suite", "wsgi,asgi,check", "--case", keys, "--rounds", "1", "--loops", "1"]
    assert run.main([*argv, "--markdown", str(markdown), "--json", str(suite)]) == 0
    capsys.readouterr()
    text = markdown.read_text(encoding="utf-8")
    for prefix in ("wsgi", "asgi", "check"):
        for key in SCENARIO_KEYS:
            assert (f"(`{prefix}/{key}`)" in text) == (key in keys)
    assert "new-method: overhead of new method each time ÷ M0001, repeated" in text
    names = [b["metadata"]["name"] for b in json.loads(suite.read_text())["benchmarks"]]
    assert "wsgi/location-4k/4 KB of letters, new each time: statusguard fix" in names
    pairs = sum(len(s.variants) for s in chosen)
    # clean-200: WSGI 7, ASGI 6 and Starlette 5, the check 4; the scenarios: 2 per variant
    assert len(names) == 7 + 6 + 5 + 4 + 3 * 2 * pairs
    with pytest.raises(SystemExit):
        run.main(["--case", "dynamic-200,no-such-case"])


def test_profile_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert profile_hot_path.main(["clean-200", "--responses", "10", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "WSGIStatusGuard" in out
    assert "ASGIStatusGuard" in out


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.key)
def test_profile_runs_a_scenario(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    assert profile_hot_path.main([scenario.key, "--responses", "10", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert f"WSGIStatusGuard, {scenario.key}: " in out
    assert "ASGIStatusGuard" in out


def test_profile_names_the_variants_of_a_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["new-method", "--variant", "GET, repeated", "--responses", "10", "--top", "3"]
    assert profile_hot_path.main(argv) == 0
    assert "new-method: GET, repeated" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        profile_hot_path.main(["new-method", "--variant", "no such response"])
    with pytest.raises(SystemExit):
        profile_hot_path.main(["clean-200", "--variant", "GET, repeated"])


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
