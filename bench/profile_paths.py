"""Where the milliseconds of each path of bench/http_bench.py go.

Run from the repository root: `python bench/profile_paths.py` (not part of
`make bench`). It loads the same database as the HTTP benchmark (its
`prepare`: demo data, 200,000 listings, 2,000,000 ledger entries; `--quick`:
the demo data only), or reuses one that `http_bench.py --keep` or
`profile_paths.py --keep` left (`--reuse`, with `--database NAME`), and
sends each path up to RUNS times a phase through Django's test client in
this process: the same settings as the benchmark's server (bench.settings:
DEBUG off, the trivial view), the whole middleware stack, signed in where
the path is (force_login; the claim path with the case manager's API token
and a new Idempotency-Key each time). No gunicorn, no sockets, no
connection pool: one connection kept open for the whole run.

For each path it prints:
  - wall time per request without the profiler, and the number of SQL
    statements per request, their time, and how many of them write (INSERT,
    UPDATE, DELETE); with `--sql N` also the N slowest statements of one request;
  - under cProfile (a few times slower, so read the shares, not the ms): the
    time in the view (django.core.handlers.base._get_response) against the
    middleware and handler around it, and inside it the SQL (execute), the
    template rendering, translation lookups (gettext), DRF serializers and
    opening database connections;
  - the top cumulative entries and the top entries by their own time.
The database is dropped at the end unless it was reused or `--keep` was given.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import logging
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _entry in (str(ROOT), str(BENCH)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

import http_bench  # noqa: E402
from benchdb import create_database, database_urls, drop_database  # noqa: E402

RUNS = 200  # per phase at most (timed, SQL captured, profiled)
MIN_RUNS = 5
WARMUP = 20
PHASE_SECONDS = 15.0  # a phase stops after about this long (but not before MIN_RUNS)
TOP = 14
OWN = 8
SQL_TOP = 0  # --sql N: also print the N slowest statements of one request

#: (label, file suffix, function name): cumulative time of these functions,
#: per request, under the profiler.
BUCKETS = (
    ("view", "django/core/handlers/base.py", "_get_response"),
    ("SQL", "django/db/backends/utils.py", "_execute"),
    ("templates", "django/template/backends/django.py", "render"),
    ("gettext", "django/utils/translation/__init__.py", "gettext"),
    ("serializers", "rest_framework/serializers.py", "data"),
    ("connect", "django/db/backends/base/base.py", "connect"),
)
WRITES = ("INSERT", "UPDATE", "DELETE")


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    total = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if function == name and filename.endswith(suffix):
            total += ct
    return total


def profile_path(client, path: http_bench.BenchPath, send) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    began = time.perf_counter()
    warm = 0
    while warm < WARMUP and (warm < 2 or time.perf_counter() - began < PHASE_SECONDS / 3):
        send()
        warm += 1
    first = (time.perf_counter() - began) / warm
    # A slow path gets fewer runs (at least MIN_RUNS), not more minutes.
    runs = max(MIN_RUNS, min(RUNS, int(PHASE_SECONDS / first)))
    began = time.perf_counter()
    for _ in range(runs):
        send()
    wall = (time.perf_counter() - began) / runs * 1000
    with CaptureQueriesContext(connection) as captured:
        for _ in range(runs):
            send()
    queries = captured.captured_queries
    sql_ms = sum(float(q["time"]) for q in queries) * 1000 / runs
    writes = sum(q["sql"].lstrip().upper().startswith(WRITES) for q in queries) / runs
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for _ in range(runs):
        send()
    profiler.disable()
    profiled = (time.perf_counter() - began) / runs * 1000
    stats = pstats.Stats(profiler)
    print(
        f"\n== {path.name}: {path.url}"
        + (f" (signed in as {path.user})" if path.user else "")
        + f", {runs} requests a phase"
    )
    print(
        f"  {wall:.2f} ms per request; {len(queries) / runs:.1f} SQL statements "
        f"({writes:.1f} writing), {sql_ms:.2f} ms in the database driver"
    )
    buckets = {
        label: _cumulative(stats, suffix, name) * 1000 / runs for label, suffix, name in BUCKETS
    }
    outside = profiled - buckets["view"]
    print(
        f"  under the profiler {profiled:.2f} ms per request: middleware, handler, test client "
        f"{outside:.2f} ({outside / profiled:.0%}), view {buckets['view']:.2f} "
        f"({buckets['view'] / profiled:.0%}); of all: "
        + ", ".join(
            f"{label} {ms:.2f} ({ms / profiled:.0%})"
            for label, ms in buckets.items()
            if label != "view"
        )
    )
    # The wrappers every request passes through (test client, handler, each
    # middleware's __call__) all sit near 100%: what is inside them is shown.
    total = profiled / 1000 * runs
    rows = sorted(
        (
            (ct, nc, filename, line, function)
            for (filename, line, function), (_cc, nc, _tt, ct, _callers) in stats.stats.items()
            if ct < 0.9 * total
        ),
        reverse=True,
    )
    print(f"  top {TOP} cumulative below the request's wrappers (ms per request, calls):")
    for ct, nc, filename, line, function in rows[:TOP]:
        print(
            f"    {ct * 1000 / runs:8.2f} {nc / runs:7.1f}  {_short(filename)}:{line}({function})"
        )
    own = sorted(
        (
            (tt, nc, filename, line, function)
            for (filename, line, function), (_cc, nc, tt, _ct, _callers) in stats.stats.items()
        ),
        reverse=True,
    )
    if SQL_TOP:
        # The statements of one request (the last one captured), slowest first.
        last = queries[-len(queries) // runs :] if queries else []
        print(f"  the {SQL_TOP} slowest statements of one request (ms, first 150 characters):")
        for query in sorted(last, key=lambda q: -float(q["time"]))[:SQL_TOP]:
            text = " ".join(query["sql"].split())[:150]
            print(f"    {float(query['time']) * 1000:8.2f}  {text}")
    print(f"  top {OWN} by own time (ms per request, calls):")
    for tt, nc, filename, line, function in own[:OWN]:
        print(
            f"    {tt * 1000 / runs:8.2f} {nc / runs:7.1f}  {_short(filename)}:{line}({function})"
        )


def _short(filename: str) -> str:
    return filename.replace(str(ROOT) + "/", "").replace(".venv/lib/python3.11/", "")


def main(argv: list[str] | None = None) -> int:
    global RUNS, SQL_TOP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="demo data only")
    parser.add_argument("--reuse", action="store_true", help="use a database already loaded")
    parser.add_argument("--database", default="nanum_bench_profile")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--only", help="only the paths whose name contains this")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database loaded (for --reuse later)"
    )
    parser.add_argument(
        "--sql", type=int, default=0, metavar="N", help="print the N slowest statements"
    )
    args = parser.parse_args(argv)
    RUNS = args.runs
    SQL_TOP = args.sql
    admin_url, bench_url = database_urls(args.database)
    if not args.reuse:
        create_database(admin_url, args.database)
    static_root = tempfile.mkdtemp(prefix="nanum-profile-static-")
    try:
        # The test client's host is allowed like the server's; claim e-mails stay
        # in memory. Templates are not instrumented (no setup_test_environment).
        env = {
            **http_bench.server_env(bench_url, static_root),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        http_bench.setup_django(env, "bench.settings")
        if args.reuse:
            http_bench.manage(env, "collectstatic", "--no-input")
            fixtures = http_bench.find_claim_fixtures()
        else:
            fixtures = http_bench.prepare(bench_url, env, quick=args.quick)
        return run(fixtures, args.only)
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.reuse or args.keep):
            drop_database(admin_url, args.database)
        shutil.rmtree(static_root, ignore_errors=True)


def run(fixtures: tuple[int, int], only: str | None = None) -> int:
    from django.test import Client

    from people.models import User

    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per force_login otherwise
    listing_id, household_id = fixtures
    print(
        f"Profile of the HTTP benchmark's paths: up to {RUNS} requests a phase "
        f"(~{PHASE_SECONDS:g} s), after up to {WARMUP} not measured; load average "
        f"{http_bench.load_average()}"
    )
    for path in http_bench.bench_paths():
        if only and only not in path.name:
            continue
        client = Client()
        if path.user:
            client.force_login(User.objects.get(username=path.user))
        if path.kind == http_bench.CLAIM:
            answer = Client().post(
                "/api/v1/auth/token/",
                {"username": path.user, "password": http_bench.DEMO_PASSWORD},
                content_type="application/json",
            )
            token = answer.json()["token"]
            listings = (
                [listing_id] if path.listings == 1 else http_bench.spread_listings(path.listings)
            )
            bodies = itertools.cycle(http_bench.claim_bodies(listings, household_id))
            api = Client()

            def send(api=api, bodies=bodies, token=token, url=path.url) -> None:
                response = api.post(
                    url,
                    next(bodies),
                    content_type="application/json",
                    headers={
                        "Authorization": f"Token {token}",
                        "Idempotency-Key": f"profile-{uuid.uuid4().hex}",
                    },
                )
                if response.status_code != 201:
                    raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")

        else:

            def send(client=client, url=path.url) -> None:
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code}")

        profile_path(client, path, send)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.exit(main())
