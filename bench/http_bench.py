"""HTTP benchmark (PostgreSQL): each path through the production server, against
the framework's own ceiling on the same server.

Run from the repository root: `python bench/http_bench.py` (`make bench` does,
after scripts/bench-deps has installed wrk). The PostgreSQL server comes from
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/nanum); the script
creates its own database `nanum_bench_http` on it and drops it at the end,
also when it fails (`--keep` leaves it for bench/profile_paths.py).

Data: migrations, the regions, categories and demo data (seed_demo), then
200,000 listings (50,000 published; catalogue_bench's generator, by COPY) and
a history of 1,000,000 transactions — 2,000,000 ledger entries with valid hash
chains (ledger_bench's loader, by COPY) — on the wallet of 동구 and a
counterparty account. For the claim path: a grant of points to 대덕구's wallet
(four-eyes, through the services), a household of demo_cm_daedeok and a
listing in 서구 with 1,000,000 units, made through the services. The loading
time is measured and printed.

Server: gunicorn with config/gunicorn.conf.py and its defaults (workers =
cores + 1, 4 threads each) except one: worker replacement after max_requests
is off (GUNICORN_MAX_REQUESTS=0) unless the environment sets it. At the
trivial view's rate the default 1,000 would replace every worker every few
seconds, and a worker's start costs seconds of CPU on this machine: the
ceiling would measure worker start-up. DEBUG off, the connection pool on, on
a free loopback port; DJANGO_SETTINGS_MODULE=bench.settings, which is
the production settings with bench/urls.py as root URLs: the application's
URLs plus `/bench/trivial`, a constant response through the same middleware.
Access log off (to /dev/null); the error log goes to a temporary file.
GUNICORN_* and WEB_CONCURRENCY from the environment pass through (e.g.
GUNICORN_MAX_REQUESTS=1000 measures with the production replacement).

Load: wrk (bench/wrk_get.lua, bench/wrk_claim.lua), on loopback, at 1, 8 and
32 connections (min(connections, 2) wrk threads), 1 s of warm-up and then
DURATION seconds per path and connection count. Just before each of these
runs the trivial view is measured again for CEILING_SECONDS at the same
connection count, and the path's share is taken against that measurement: on
a shared machine the load changes from one minute to the next, and this way
it falls on both alike. Before every run the script waits until the server
has served what the previous run left in flight (`drain`). Signed-in paths
send the session cookie of a real sign-in (POST /accounts/login/); claim creation
POSTs /api/v1/claims/ with the case manager's API token and a new
Idempotency-Key per request, and counts the 201s: its requests/s are claims
created per second.

Printed: one markdown table (path, connections, requests/s, p50/p95/p99 ms,
share of the trivial view's requests/s at the same connection count, targets
with PASS/MISS), the machine, the date and the load average before and after,
and the list of missed targets.
Exit status: 1 when any read path answered anything but 2xx (or a socket
error), naming the path; 0 otherwise (missed targets included).

`--quick`: the demo data only (no bulk listings, 1,000 wallet transactions),
2 s per path: a smoke run.
"""

from __future__ import annotations

import argparse
import datetime
import html
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for _entry in (str(ROOT), str(BENCH)):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from benchdb import create_database, database_urls, drop_database  # noqa: E402

BENCH_DB = "nanum_bench_http"
SEED = 2026

LISTINGS, PUBLISHED = 200_000, 50_000
WALLET_TRANSACTIONS = 1_000_000  # two entries each: 2,000,000 ledger entries
QUICK_WALLET_TRANSACTIONS = 1_000

CLIENTS = (1, 8, 32)
DURATION, QUICK_DURATION = 6, 2  # seconds per path and connection count
CEILING_SECONDS, QUICK_CEILING_SECONDS = 3, 1  # the trivial view, before each of them
WARMUP = 1  # seconds, not measured, before each measured run

DEMO_PASSWORD = "nanum-demo-2026"  # noqa: S105 - the demo users' published password (README)
WALLET_REGION = "3011000000"  # 동구: no demo activity, its wallet carries the long history
FILTER_DISTRICT = "3017000000"  # 서구
CLAIM_REGION = "3023000000"  # 대덕구: the claiming case manager's district
LISTING_DONG = "3017059700"  # a dong of 서구: the claimed listing's region
BENCH_LABEL = "(벤치마크)"
#: The second claim row: the same claims spread over this many listings of 서구
#: (made through the services on first use), as many case managers claiming
#: different resources would send them.
SPREAD_LISTINGS = 32
SEARCH_WORD = "지원"  # two syllables: no trigram, the slowest catalogue search

READ, CLAIM, CEILING = "read", "claim", "ceiling"
CEILING_NAME = "trivial view (ceiling)"

WRK_LINE = re.compile(r"^NANUM-WRK (\{.*\})\s*$", re.MULTILINE)


# --- what is measured -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A share of the trivial view's requests/s at 8 connections (`share`), or a
    latency bound in ms (`p50_ms` at 1 connection), or the tail bound
    (p99 at 32 connections <= `tail` x p50 at 1 connection)."""

    group: str  # "serving" or "speed"
    share: float | None = None
    p50_ms: float | None = None
    tail: float | None = None

    def label(self) -> str:
        if self.share is not None:
            return f"{self.group} ≥{self.share:.0%} at 8"
        if self.p50_ms is not None:
            return f"{self.group} p50 ≤{self.p50_ms:g} ms at 1"
        return f"{self.group} p99 at 32 ≤{self.tail:g}× p50 at 1"


SERVING_READ = Target("serving", share=0.50)
SERVING_CLAIM = Target("serving", share=0.20)
SERVING_TAIL = Target("serving", tail=10)


@dataclass(frozen=True)
class BenchPath:
    name: str
    url: str
    kind: str = READ
    user: str | None = None  # demo user signed in (session cookie); None: anonymous
    targets: tuple[Target, ...] = ()
    listings: int = 1  # claims: how many listings they are spread over, in turn


def bench_paths() -> list[BenchPath]:
    """Every path measured, in the order run (claims last: they add rows the
    case manager's dashboard would then show)."""
    catalogue = (
        SERVING_READ,
        SERVING_TAIL,
        Target("speed", share=0.50),
        Target("speed", p50_ms=10),
    )
    dashboard = (
        SERVING_READ,
        SERVING_TAIL,
        Target("speed", share=0.25),
        Target("speed", p50_ms=20),
    )
    filters = urlencode({"kind": "goods", "district": FILTER_DISTRICT})
    return [
        BenchPath(CEILING_NAME, "/bench/trivial", CEILING),
        BenchPath(
            "/healthz", "/healthz", targets=(SERVING_READ, SERVING_TAIL, Target("speed", 0.60))
        ),
        BenchPath("catalogue /", "/", targets=catalogue),
        BenchPath("catalogue kind+district", f"/?{filters}", targets=catalogue),
        BenchPath(
            f"catalogue ?q={SEARCH_WORD}", f"/?{urlencode({'q': SEARCH_WORD})}", targets=catalogue
        ),
        BenchPath(
            "GET /api/v1/listings/",
            "/api/v1/listings/",
            targets=(SERVING_READ, SERVING_TAIL, Target("speed", share=0.40)),
        ),
        BenchPath(
            "dashboard case manager", "/dashboard/", user="demo_cm_daedeok", targets=dashboard
        ),
        BenchPath(
            "dashboard coordinator", "/dashboard/", user="demo_coord_seogu", targets=dashboard
        ),
        BenchPath("dashboard finance", "/dashboard/", user="demo_finance", targets=dashboard),
        BenchPath("dashboard donor rep.", "/dashboard/", user="demo_donor_rep", targets=dashboard),
        BenchPath(
            "wallet statement (finance)",
            f"/wallet/{WALLET_REGION}/",
            user="demo_finance",
            targets=(SERVING_READ, SERVING_TAIL),
        ),
        BenchPath(
            "POST /api/v1/claims/",
            "/api/v1/claims/",
            CLAIM,
            user="demo_cm_daedeok",
            targets=(SERVING_CLAIM, SERVING_TAIL, Target("speed", share=0.15)),
        ),
        # The same claims, each on the next of SPREAD_LISTINGS listings: no
        # queue on one listing's row lock (the claiming wallet, the holds
        # account and the pledge are still the same rows for every claim).
        BenchPath(
            f"POST claims over {SPREAD_LISTINGS} listings",
            "/api/v1/claims/",
            CLAIM,
            user="demo_cm_daedeok",
            targets=(SERVING_CLAIM, SERVING_TAIL, Target("speed", share=0.15)),
            listings=SPREAD_LISTINGS,
        ),
    ]


# --- wrk's output ----------------------------------------------------------------------


@dataclass
class Run:
    """One wrk run: requests/s of 2xx answers (201s for claims), latencies in ms."""

    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    statuses: dict[int, int]
    socket_errors: int
    counted: int = 0  # answers counted as done: 2xx (201 for claims)

    @property
    def rate(self) -> float:
        return self.counted / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        """Answers not counted (any other status) plus socket errors (wrk's
        timeout is 30 s). A run in which no answer came back within its
        duration has none: it has no latencies either and misses its targets."""
        return self.requests - self.counted + self.socket_errors


def parse_wrk(output: str, *, created_only: bool = False) -> Run:
    """The NANUM-WRK line the Lua scripts print at the end of a run."""
    found = WRK_LINE.findall(output)
    if not found:
        raise ValueError(f"no NANUM-WRK line in wrk's output:\n{output[-2000:]}")
    data = json.loads(found[-1])
    statuses = {int(code): count for code, count in data["statuses"].items()}
    if created_only:
        counted = statuses.get(201, 0)
    else:
        counted = sum(count for code, count in statuses.items() if 200 <= code < 300)
    errors = data["errors"]
    return Run(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50=data["p50_us"] / 1000,
        p95=data["p95_us"] / 1000,
        p99=data["p99_us"] / 1000,
        statuses=statuses,
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        counted=counted,
    )


def wrk_command(
    base: str, path: BenchPath, clients: int, seconds: int, args: list[str]
) -> list[str]:
    script = BENCH / ("wrk_claim.lua" if path.kind == CLAIM else "wrk_get.lua")
    return [
        "wrk",
        f"-t{min(clients, 2)}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        base + path.url,
        "--",
        *args,
    ]


def run_wrk(command: list[str], *, created_only: bool) -> Run:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        raise SystemExit(f"wrk failed ({result.returncode}): {result.stderr[-2000:]}")
    return parse_wrk(result.stdout, created_only=created_only)


# --- the table ------------------------------------------------------------------------------


@dataclass
class Verdict:
    path: str
    target: Target
    measured: str
    passed: bool


@dataclass
class Results:
    runs: dict[tuple[str, int], Run] = field(default_factory=dict)
    #: The trivial view measured just before each path at the same connection
    #: count, so that a change in the machine's load falls on both alike.
    ceilings: dict[tuple[str, int], Run] = field(default_factory=dict)

    def ceiling(self, name: str, clients: int) -> Run | None:
        return self.ceilings.get((name, clients)) or self.runs.get((CEILING_NAME, clients))

    def share(self, name: str, clients: int) -> float:
        ceiling = self.ceiling(name, clients)
        run = self.runs.get((name, clients))
        if ceiling is None or run is None or not ceiling.rate:
            return 0.0
        return run.rate / ceiling.rate


def judge(results: Results, paths: list[BenchPath]) -> list[Verdict]:
    verdicts = []
    for path in paths:
        for target in path.targets:
            if target.share is not None:
                share = results.share(path.name, 8)
                verdicts.append(Verdict(path.name, target, f"{share:.0%}", share >= target.share))
            elif target.p50_ms is not None:
                p50 = results.runs[path.name, 1].p50
                verdicts.append(
                    Verdict(path.name, target, f"{p50:.1f} ms", 0 < p50 <= target.p50_ms)
                )
            else:
                late, first = results.runs[path.name, 32], results.runs[path.name, 1]
                p99, p50 = (late.p99 if late.requests else math.inf), first.p50
                ratio = f"×{p99 / p50:.1f}" if p50 else "no answer at 1"
                verdicts.append(
                    Verdict(
                        path.name,
                        target,
                        f"{p99:.0f} / {p50:.1f} ms = {ratio}",
                        bool(p50) and p99 <= target.tail * p50,
                    )
                )
    return verdicts


def _target_row(target: Target) -> int:
    """The connection count whose row carries the target's verdict."""
    if target.share is not None:
        return 8
    return 1 if target.p50_ms is not None else 32


def table(results: Results, paths: list[BenchPath], verdicts: list[Verdict]) -> str:
    lines = [
        "| path | conn. | req/s | p50 ms | p95 ms | p99 ms | trivial req/s | of trivial "
        "| not 2xx | targets |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        for clients in CLIENTS:
            run = results.runs.get((path.name, clients))
            if run is None:
                continue
            cells = [
                f"{v.target.label()}: {v.measured} {'PASS' if v.passed else 'MISS'}"
                for v in verdicts
                if v.path == path.name and _target_row(v.target) == clients
            ]
            share = "100%" if path.kind == CEILING else f"{results.share(path.name, clients):.0%}"
            ceiling = results.ceiling(path.name, clients)
            ceiling_rate = f"{ceiling.rate:,.0f}" if ceiling else "-"
            rate = f"{run.rate:,.0f}" + (" created" if path.kind == CLAIM else "")
            latencies = (
                f"{run.p50:.1f} | {run.p95:.1f} | {run.p99:.1f}"
                if run.requests
                else "no answer | within | the run"
            )
            lines.append(
                f"| {path.name} | {clients} | {rate} | {latencies} | {ceiling_rate} | {share} | "
                f"{run.failures} | {'; '.join(cells)} |"
            )
    return "\n".join(lines)


# --- the database ----------------------------------------------------------------------------


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")


def server_env(url: str, static_root: str) -> dict[str, str]:
    """The production settings over local HTTP, as scripts/serve sets them."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE"} and not k.startswith("DATABASE_")
    }
    return {
        **base,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": static_root,
        "DATABASE_URL": url,
    }


def setup_django(env: dict[str, str], settings_module: str = "config.settings") -> None:
    """Django in this process, on the benchmark database, DEBUG off, no pool."""
    os.environ.update(env)
    os.environ["DATABASE_POOL"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()


def load_wallet_history(bench_url: str, transactions: int) -> None:
    """`transactions` postings between 동구's wallet (never below zero) and a
    counterparty account (allowed below zero): ledger_bench's COPY loader,
    sequences, balances and hash chains as ledger_post writes them."""
    import ledger_bench

    from ledger.models import Purpose
    from ledger.services import account_for
    from regions.models import Region

    wallet = account_for(Region.objects.get(code=WALLET_REGION), Purpose.WALLET)
    (counter,) = ledger_bench.make_accounts(900_001, 1, allow_negative=True)
    ledger_bench.load_history(bench_url, wallet, counter, transactions, SEED)


def make_claim_fixtures() -> tuple[int, int]:
    """(listing id, household id) for the claim path, through the services."""
    from django.utils import timezone
    from djmoney.money import Money

    from ledger.services import proposal_approve, proposal_grant_create
    from marketplace.models import Category, ResourceKind
    from marketplace.services import household_create, listing_create, listing_publish
    from people.models import User
    from regions.models import Region

    finance, finance2 = (User.objects.get(username=u) for u in ("demo_finance", "demo_finance2"))
    proposal = proposal_grant_create(
        region=Region.objects.get(code=CLAIM_REGION),
        amount=10_000_000,
        reason=f"{BENCH_LABEL} 신청 측정용 포인트",
        by=finance,
    )
    proposal_approve(proposal=proposal, by=finance2, note=BENCH_LABEL)
    case_manager = User.objects.get(username="demo_cm_daedeok")
    dong = Region.objects.get(code=CLAIM_REGION).children.order_by("code").first()
    household = household_create(
        by=case_manager, dong=dong, size=2, notes=f"{BENCH_LABEL} 신청 측정용 가구"
    )
    coordinator = User.objects.get(username="demo_coord_seogu")
    listing = listing_create(
        by=coordinator,
        region=Region.objects.get(code=LISTING_DONG),
        kind=ResourceKind.GOODS,
        category=Category.objects.get(code="daily_living.side_dishes"),
        title=f"{BENCH_LABEL} 밑반찬 세트",
        description=f"{BENCH_LABEL} 신청 측정용 자원입니다.",
        quantity=1_000_000,
        unit="상자",
        value_per_unit=Money(2_000, "KRW"),
        available_from=timezone.localdate() - datetime.timedelta(days=1),
        available_until=timezone.localdate() + datetime.timedelta(days=60),
        pickup_notes=f"{BENCH_LABEL} 동 행정복지센터",
    )
    listing_publish(listing=listing, by=coordinator)
    return listing.pk, household.pk


def spread_listings(count: int) -> list[int]:
    """Ids of `count` listings of 서구's dongs for the spread claim row, each
    with 1,000,000 units: those a run made before, and the rest made now
    through the services (so that a database kept before this row existed
    gets them on its first run)."""
    from django.utils import timezone
    from djmoney.money import Money

    from marketplace.models import Category, Listing, ResourceKind
    from marketplace.services import listing_create, listing_publish
    from people.models import User
    from regions.models import Region

    titles = [f"{BENCH_LABEL} 분산 신청용 자원 {n + 1}" for n in range(count)]
    found = dict(Listing.objects.filter(title__in=titles).values_list("title", "pk"))
    missing = [title for title in titles if title not in found]
    if missing:
        coordinator = User.objects.get(username="demo_coord_seogu")
        dongs = list(Region.objects.get(code=FILTER_DISTRICT).children.order_by("code"))
        category = Category.objects.get(code="daily_living.side_dishes")
        today = timezone.localdate()
        for title in missing:
            listing = listing_create(
                by=coordinator,
                region=dongs[titles.index(title) % len(dongs)],
                kind=ResourceKind.GOODS,
                category=category,
                title=title,
                description=f"{BENCH_LABEL} 신청 측정용 자원입니다.",
                quantity=1_000_000,
                unit="상자",
                value_per_unit=Money(2_000, "KRW"),
                available_from=today - datetime.timedelta(days=1),
                available_until=today + datetime.timedelta(days=60),
                pickup_notes=f"{BENCH_LABEL} 동 행정복지센터",
            )
            listing_publish(listing=listing, by=coordinator)
            found[title] = listing.pk
    return [found[title] for title in titles]


def claim_bodies(listing_ids: list[int], household_id: int) -> list[str]:
    """The JSON body of a claim of one unit of each listing for the household
    (the justification: every claim after the first repeats its category)."""
    return [
        json.dumps(
            {
                "listing": listing_id,
                "household": household_id,
                "quantity": 1,
                "justification": "반복 지원이 필요한 가구입니다 (벤치마크 측정)",
            },
            ensure_ascii=False,
        )
        for listing_id in listing_ids
    ]


def key_prefix(phase: str, run_id: str, path: BenchPath, clients: int) -> str:
    """The Idempotency-Key prefix of one wrk run of a claim row (wrk_claim.lua
    adds the thread and a counter): unique to the run, the phase, the row and
    the connection count, so that no request replays another row's claim (the
    same key with another listing would be 409 idempotency_conflict)."""
    row = "" if path.listings == 1 else f"-over{path.listings}"
    return f"{phase}-{run_id}{row}-{clients}"


def find_claim_fixtures() -> tuple[int, int]:
    from marketplace.models import Household, Listing

    listing = Listing.objects.get(title=f"{BENCH_LABEL} 밑반찬 세트")
    household = Household.objects.get(notes=f"{BENCH_LABEL} 신청 측정용 가구")
    return listing.pk, household.pk


def prepare(bench_url: str, env: dict[str, str], *, quick: bool) -> tuple[int, int]:
    """Migrate and load the benchmark database; prints the time of each step.
    Django must be set up on it (setup_django). Returns the claim fixtures."""
    from django.db import connection, connections

    began = time.perf_counter()
    manage(env, "migrate", "--no-input")
    manage({**env, "DEBUG": "1"}, "seed_demo")
    manage(env, "collectstatic", "--no-input")
    print(f"  migrations, demo data, static files: {time.perf_counter() - began:.1f} s", flush=True)
    if not quick:
        import catalogue_bench

        t0 = time.perf_counter()
        world = catalogue_bench.make_world()
        catalogue_bench.load_listings(world, LISTINGS, PUBLISHED)
        print(
            f"  {LISTINGS:,} listings ({PUBLISHED:,} published) by COPY: "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )
    count = QUICK_WALLET_TRANSACTIONS if quick else WALLET_TRANSACTIONS
    t0 = time.perf_counter()
    load_wallet_history(bench_url, count)
    print(
        f"  {count:,} wallet transactions ({2 * count:,} entries, hash chains) by COPY: "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    fixtures = make_claim_fixtures()
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()
    print(f"  ANALYZE: {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"  loading took {time.perf_counter() - began:.1f} s in all", flush=True)
    return fixtures


# --- the server and the sign-ins ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int, error_log: str) -> subprocess.Popen:
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_POOL": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": os.devnull,
        "GUNICORN_ERROR_LOG": error_log,
        "GUNICORN_MAX_REQUESTS": os.environ.get("GUNICORN_MAX_REQUESTS", "0"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{Path(error_log).read_text()[-2000:]}")
        try:
            status, _headers, _body = request(port, "GET", "/bench/trivial")
            if status == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("gunicorn did not answer within 60 s")
        time.sleep(0.2)


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            found[key.strip()] = val.strip()
    return found


def sign_in(port: int, username: str) -> str:
    """The Cookie header of a session signed in through the login form."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    cookies = _cookies(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or match is None:
        raise SystemExit(f"GET /accounts/login/ answered {status} without a CSRF token")
    form = urlencode(
        {
            "csrfmiddlewaretoken": html.unescape(match.group(1).decode()),
            "username": username,
            "password": DEMO_PASSWORD,
        }
    ).encode()
    status, headers, _body = request(
        port,
        "POST",
        "/accounts/login/",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    cookies.update(_cookies(headers))
    if status != 302 or not any("session" in name for name in cookies):
        raise SystemExit(f"sign-in of {username} answered {status} without a session")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def api_token(port: int, username: str) -> str:
    body = json.dumps({"username": username, "password": DEMO_PASSWORD}).encode()
    status, _headers, answer = request(
        port, "POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"}
    )
    if status != 200:
        raise SystemExit(f"POST /api/v1/auth/token/ for {username} answered {status}")
    return json.loads(answer)["token"]


# --- main ----------------------------------------------------------------------------


def drain(port: int, probes: int = 12, limit: float = 30.0) -> float:
    """Wait until the server has finished what the last run left in flight.

    When wrk stops, the requests its connections had sent are still being
    served (or queued for a free thread): slow paths at 32 connections leave
    seconds of work, which would otherwise fall on the next run. A worker
    whose threads are all busy still accepts connections and queues them, so
    one fast probe proves little: the server is taken as idle once `probes`
    trivial requests sent at once (one per worker thread), on new
    connections, all answer within 250 ms, twice in a row. Returns the
    seconds waited."""
    from concurrent.futures import ThreadPoolExecutor

    def probe(_: int) -> bool:
        t0 = time.perf_counter()
        status, _headers, _body = request(port, "GET", "/bench/trivial")
        return status == 200 and time.perf_counter() - t0 < 0.25

    began = time.perf_counter()
    quick = 0
    with ThreadPoolExecutor(probes) as pool:
        while quick < 2 and time.perf_counter() - began < limit:
            quick = quick + 1 if all(pool.map(probe, range(probes))) else 0
            if not quick:
                time.sleep(0.2)
    return time.perf_counter() - began


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def select_paths(paths: list[BenchPath], only: str | None) -> list[BenchPath]:
    """The paths whose name contains `only` (all without it), and always the
    trivial view: every share is taken against it."""
    if not only:
        return paths
    return [p for p in paths if p.kind == CEILING or only in p.name]


def measure(
    port: int, paths: list[BenchPath], fixtures: tuple[int, int], seconds: int, ceiling_seconds: int
) -> tuple[Results, list[str]]:
    """Every path at every connection count; returns the results and the
    failures of read paths (non-2xx answers or socket errors)."""
    base = f"http://127.0.0.1:{port}"
    cookies = {user: sign_in(port, user) for user in {p.user for p in paths if p.user}}
    for path in paths:
        if path.kind == READ and path.user:
            status, _h, _b = request(port, "GET", path.url, headers={"Cookie": cookies[path.user]})
            if status != 200:
                raise SystemExit(f"{path.name}: GET {path.url} signed in answered {status}")
    token = api_token(port, "demo_cm_daedeok")
    listing_id, household_id = fixtures
    bodies = {
        path.name: claim_bodies(
            [listing_id] if path.listings == 1 else spread_listings(path.listings), household_id
        )
        for path in paths
        if path.kind == CLAIM
    }
    results = Results()
    failures = []
    run_id = secrets.token_hex(4)
    ceiling_path = next(p for p in paths if p.kind == CEILING)
    for path in paths:
        for clients in CLIENTS:
            drained = drain(port)
            if drained > 1:
                print(f"  (waited {drained:.1f} s for the previous run's requests)", flush=True)
            if path.kind != CEILING:
                ceiling = run_wrk(
                    wrk_command(base, ceiling_path, clients, ceiling_seconds, []),
                    created_only=False,
                )
                results.ceilings[path.name, clients] = ceiling
                if ceiling.failures:
                    failures.append(f"{CEILING_NAME} before {path.name}: {ceiling.statuses}")
            if path.kind == CLAIM:
                args = [key_prefix("bench", run_id, path, clients), token, *bodies[path.name]]
                warm_args = [key_prefix("warm", run_id, path, clients), token, *bodies[path.name]]
            else:
                args = warm_args = [f"Cookie: {cookies[path.user]}"] if path.user else []
            run_wrk(
                wrk_command(base, path, clients, WARMUP, warm_args),
                created_only=path.kind == CLAIM,
            )
            run = run_wrk(
                wrk_command(base, path, clients, seconds, args), created_only=path.kind == CLAIM
            )
            results.runs[path.name, clients] = run
            other = {code: n for code, n in run.statuses.items() if not 200 <= code < 300}
            print(
                f"  {path.name:<28} {clients:>2} conn.: {run.rate:8.1f}/s  p50 {run.p50:7.1f}  "
                f"p95 {run.p95:7.1f}  p99 {run.p99:7.1f} ms  "
                f"({results.share(path.name, clients):.0%} of trivial)"
                + (f"  not 2xx: {other}" if other else "")
                + (f"  socket errors: {run.socket_errors}" if run.socket_errors else ""),
                flush=True,
            )
            if path.kind != CLAIM and run.failures:
                failures.append(
                    f"{path.name} ({path.url}) at {clients} connections: statuses "
                    f"{run.statuses}, {run.socket_errors} socket errors"
                )
    return results, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="demo data only, 2 s per path")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--database", default=BENCH_DB, help=f"default {BENCH_DB}")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure a database already loaded (by --keep) and keep it",
    )
    parser.add_argument(
        "--only", metavar="SUBSTRING", help="only the paths whose name contains this"
    )
    args = parser.parse_args(argv)
    if subprocess.run(["which", "wrk"], capture_output=True, check=False).returncode:  # noqa: S607
        raise SystemExit("wrk is not installed: run scripts/bench-deps")
    began = time.perf_counter()
    load_before = load_average()
    admin_url, bench_url = database_urls(args.database)
    seconds = QUICK_DURATION if args.quick else DURATION
    print(
        f"HTTP benchmark, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"load average before: {load_before}" + ("; QUICK (demo data only)" if args.quick else ""),
        flush=True,
    )
    if not args.reuse:
        create_database(admin_url, args.database)
    static_root = tempfile.mkdtemp(prefix="nanum-bench-static-")
    error_log = os.path.join(static_root, "gunicorn-error.log")
    server = None
    try:
        env = server_env(bench_url, static_root)
        setup_django(env)
        if args.reuse:
            manage(env, "collectstatic", "--no-input")
            fixtures = find_claim_fixtures()
        else:
            fixtures = prepare(bench_url, env, quick=args.quick)
        paths = select_paths(bench_paths(), args.only)
        if len(paths) < 2:
            raise SystemExit(f"no path's name contains {args.only!r}")
        port = _free_port()
        server = start_server(env, port, error_log)
        workers = os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1
        threads = os.environ.get("GUNICORN_THREADS") or 4
        max_requests = os.environ.get("GUNICORN_MAX_REQUESTS", "0")
        ceiling_seconds = QUICK_CEILING_SECONDS if args.quick else CEILING_SECONDS
        print(
            f"  gunicorn (config/gunicorn.conf.py): {workers} workers x {threads} threads, "
            f"max_requests {max_requests}, DEBUG off, pool on; wrk {seconds} s per run after "
            f"{WARMUP} s of warm-up, the trivial view for {ceiling_seconds} s before each, "
            f"connections {', '.join(map(str, CLIENTS))}",
            flush=True,
        )
        results, failures = measure(
            port,
            paths,
            fixtures,
            seconds,
            ceiling_seconds,
        )
    finally:
        if server is not None:
            stop_server(server)
            server_log = Path(error_log).read_text(errors="replace")
        if not (args.keep or args.reuse):
            drop_database(admin_url, args.database)
        shutil.rmtree(static_root, ignore_errors=True)
    verdicts = judge(results, paths)
    print()
    print(table(results, paths, verdicts))
    missed = [v for v in verdicts if not v.passed]
    print(
        f"\nMachine: {os.cpu_count()} cores; load average before {load_before}, after "
        f"{load_average()}; total {time.perf_counter() - began:.0f} s"
    )
    boots = server_log.count("Booting worker")
    print(
        f"gunicorn: {boots} worker starts in all; {server_log.count('[ERROR]')} errors in its log"
    )
    print(f"Targets: {len(verdicts) - len(missed)} of {len(verdicts)} met.")
    for v in missed:
        print(f"  MISS {v.path}: {v.target.label()} (measured {v.measured})")
    if failures:
        print("\nFAILED: read paths answered other than 2xx:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
