"""The HTTP benchmark's harness (bench/http_bench.py): reading wrk's output,
the verdicts against the targets, the table, and the trivial view that only
the benchmark's root URLs have. No load is generated here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from django.test import override_settings

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_http_bench():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("http_bench", BENCH / "http_bench.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["http_bench"] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


hb = _load_http_bench()

# What wrk_get.lua prints at the end of a run (two threads, one status 302).
WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8000/dashboard/
  2 threads and 8 connections
Requests/sec:    411.00
NANUM-WRK {"requests": 824, "duration_us": 2004000, "p50_us": 15250, "p95_us": 40100, \
"p99_us": 81000, "errors": {"connect": 0, "read": 1, "write": 0, "timeout": 2}, \
"statuses": {"200": 820, "302": 4}}
"""


def test_parse_wrk_counts_2xx_and_reads_latencies_in_ms():
    run = hb.parse_wrk(WRK_OUTPUT)
    assert run.requests == 824
    assert run.counted == 820
    assert run.statuses == {200: 820, 302: 4}
    assert run.seconds == pytest.approx(2.004)
    assert (run.p50, run.p95, run.p99) == (15.25, 40.1, 81.0)
    assert run.rate == pytest.approx(820 / 2.004)
    # the 4 redirects and the 3 socket errors are failures of a read path
    assert run.failures == 7


def test_parse_wrk_for_claims_counts_only_201():
    output = WRK_OUTPUT.replace('"200": 820, "302": 4', '"201": 700, "200": 20, "409": 104')
    run = hb.parse_wrk(output, created_only=True)
    assert run.counted == 700
    assert run.failures == 824 - 700 + 3


def test_a_run_without_any_answer_misses_its_targets_without_being_an_error():
    output = WRK_OUTPUT.replace('"requests": 824', '"requests": 0').replace(
        '"200": 820, "302": 4', ""
    )
    output = output.replace('"read": 1', '"read": 0').replace('"timeout": 2', '"timeout": 0')
    run = hb.parse_wrk(output)
    assert run.rate == 0
    assert run.failures == 0
    page = hb.BenchPath("dashboard", "/dashboard/", targets=(hb.SERVING_TAIL,))
    results = hb.Results()
    results.runs[page.name, 1] = _run(10, 50, 60)
    results.runs[page.name, 32] = run
    (verdict,) = hb.judge(results, [page])
    assert not verdict.passed
    assert "no answer | within | the run" in hb.table(results, [page], [verdict])


def test_parse_wrk_refuses_output_without_its_line():
    with pytest.raises(ValueError, match="NANUM-WRK"):
        hb.parse_wrk("Requests/sec: 100\n")


def _run(rate: float, p50: float, p99: float) -> object:
    return hb.Run(
        requests=int(rate * 10),
        seconds=10,
        p50=p50,
        p95=p99,
        p99=p99,
        statuses={},
        socket_errors=0,
        counted=int(rate * 10),
    )


def test_judge_and_table_compare_with_the_trivial_view_at_the_same_connections():
    ceiling = hb.BenchPath("trivial view (ceiling)", "/bench/trivial", hb.CEILING)
    page = hb.BenchPath(
        "catalogue /",
        "/",
        targets=(hb.Target("speed", share=0.5), hb.Target("speed", p50_ms=10), hb.SERVING_TAIL),
    )
    results = hb.Results()
    for clients in hb.CLIENTS:
        results.runs[ceiling.name, clients] = _run(1000, 1, 5)
    results.runs[page.name, 1] = _run(100, 8, 20)
    results.runs[page.name, 8] = _run(499, 16, 60)
    results.runs[page.name, 32] = _run(700, 40, 81)
    # the trivial view measured just before the page at 8 connections is what counts
    results.ceilings[page.name, 8] = _run(998, 1, 5)
    verdicts = hb.judge(results, [ceiling, page])
    by_label = {v.target.label(): v for v in verdicts}
    assert by_label["speed ≥50% at 8"].passed  # 499 / 998 (against 1000 it would miss)
    assert by_label["speed p50 ≤10 ms at 1"].passed  # 8 ms
    assert not by_label["serving p99 at 32 ≤10× p50 at 1"].passed  # 81 > 10 × 8
    text = hb.table(results, [ceiling, page], verdicts)
    row_8 = next(line for line in text.splitlines() if line.startswith("| catalogue / | 8 |"))
    assert "| 998 | 50% |" in row_8  # 499 / 998, rounded for display
    assert "speed ≥50% at 8: 50% PASS" in row_8


def test_every_path_but_the_ceiling_has_targets():
    paths = hb.bench_paths()
    assert paths[0].kind == hb.CEILING
    assert paths[-1].kind == hb.CLAIM  # last: its claims would change the dashboards
    assert all(p.targets for p in paths[1:])


def test_only_keeps_the_trivial_view_and_the_paths_named():
    paths = hb.bench_paths()
    assert hb.select_paths(paths, None) == paths
    dashboards = hb.select_paths(paths, "dashboard")
    assert dashboards[0].kind == hb.CEILING
    assert [p.name for p in dashboards[1:]] == [p.name for p in paths if "dashboard" in p.name]
    assert len(dashboards) == 5
    assert hb.select_paths(paths, "no such path") == [paths[0]]


@pytest.mark.django_db
def test_the_trivial_view_exists_only_under_the_benchmark_urls(client):
    assert client.get("/bench/trivial").status_code == 404
    with override_settings(ROOT_URLCONF="bench.urls"):
        response = client.get("/bench/trivial")
        assert response.status_code == 200
        assert response.content == b"ok"
        assert client.get("/healthz").status_code == 200


def test_the_spread_claim_row_stands_beside_the_one_listing_row():
    claims = [p for p in hb.bench_paths() if p.kind == hb.CLAIM]
    assert [(p.name, p.listings) for p in claims] == [
        ("POST /api/v1/claims/", 1),
        (f"POST claims over {hb.SPREAD_LISTINGS} listings", hb.SPREAD_LISTINGS),
    ]
    assert claims[0].targets == claims[1].targets
    # Each can be run alone (--only), and `--only POST` runs both.
    paths = hb.bench_paths()
    assert [p.name for p in hb.select_paths(paths, "POST /api/v1/claims/")[1:]] == [claims[0].name]
    assert [p.name for p in hb.select_paths(paths, "over")[1:]] == [claims[1].name]
    assert len(hb.select_paths(paths, "POST")) == 3


def test_claim_bodies_name_each_listing_once_for_the_household():
    import json

    bodies = [json.loads(body) for body in hb.claim_bodies([7, 8, 9], 42)]
    assert [b["listing"] for b in bodies] == [7, 8, 9]
    assert {(b["household"], b["quantity"]) for b in bodies} == {(42, 1)}
    assert all(b["justification"] for b in bodies)


def test_a_claim_run_passes_every_body_to_wrk_after_the_key_and_token():
    path = next(p for p in hb.bench_paths() if p.listings > 1)
    bodies = hb.claim_bodies([1, 2], 3)
    command = hb.wrk_command("http://127.0.0.1:1", path, 8, 6, ["key", "token", *bodies])
    assert command[command.index("--") + 1 :] == ["key", "token", *bodies]
    assert command[command.index("-s") + 1].endswith("wrk_claim.lua")


def test_the_claim_rows_never_share_an_idempotency_key():
    claims = [p for p in hb.bench_paths() if p.kind == hb.CLAIM]
    prefixes = [
        hb.key_prefix(phase, "run1", path, clients)
        for phase in ("warm", "bench")
        for path in claims
        for clients in hb.CLIENTS
    ]
    assert len(set(prefixes)) == len(prefixes) == 2 * len(claims) * len(hb.CLIENTS)
    # The one-listing row keeps the keys it always had.
    assert hb.key_prefix("bench", "run1", claims[0], 8) == "bench-run1-8"
