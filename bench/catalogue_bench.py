"""Catalogue benchmark (PostgreSQL): does the catalogue stay fast as listings grow?

Run from the repository root: `DEBUG=1 python bench/catalogue_bench.py`
(`make bench` does). The server comes from DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/nanum); the script creates its own database
`nanum_bench_catalogue` on it (or BENCH_DATABASE), migrates it, loads the bundled regions and
categories, and drops it at the end, also when it fails.

Two sizes: 2,000 listings (500 published) and 200,000 (50,000 published),
spread unevenly over the 82 dongs and 5 districts, every category, kind,
value and date, in every state; loaded with COPY (the listing state is a plain
column there: the state machine guards attribute assignment, not rows), then
VACUUM ANALYZE. Each size lives in its own schema of the benchmark database
(`small`, `big`), both migrated, and the measurements alternate between them
in rounds (by `search_path`), so that whatever else the machine is doing
weighs on both sizes alike.

For each typical filter combination it times about 300 runs at each size of
  - catalogue: what the page at / evaluates: `marketplace.selectors.catalogue(...)`
    through `config.pagination.CappedPaginator`, the first page of 20 rows and
    the count (which stops after 1,000: the page then says "1,000+");
  - api: anonymous `GET /api/v1/listings/?page_size=20&...` through
    django.test.Client (published, reserved and completed listings, with the
    capped count every page carries);
and prints p50 and p95 in ms and p95(200k) / p95(2k). Target: at most 2.
A query that misses is explained (EXPLAIN ANALYZE at 200,000 listings).

The indexes measured are the application's own, from its migrations: the
partial covering indexes listing_published_idx / listing_public_idx, the
trigram indexes on UPPER(title) and UPPER(description) (0002) and the
catalogue's sort-order indexes (0003). The catalogue's other sort orders are
measured on the catalogue path only.
Exit status: 0 when the run completes (missed targets included), non-zero on
an error.
"""

from __future__ import annotations

import datetime
import os
import platform
import random
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchdb import create_database, database_urls, drop_database  # noqa: E402

#: BENCH_DATABASE names another database, so that two runs on one server do not collide.
BENCH_DB = os.environ.get("BENCH_DATABASE") or "nanum_bench_catalogue"
SEED = 2026

SMALL, BIG = "small", "big"
#: schema: (listings, of which published)
SIZES = {SMALL: (2_000, 500), BIG: (200_000, 50_000)}
#: Shares of the listings that are not published, by state.
OTHER_STATES = {
    "completed": 0.40,
    "expired": 0.27,
    "withdrawn": 0.13,
    "draft": 0.13,
    "reserved": 0.07,
}
PAGE = 20
RUNS = 300  # per size and query
ROUNDS = 6  # the runs alternate between the sizes in this many rounds
WARMUP = 3  # runs not timed after each switch of size
#: A size's share of one query stops after about this many seconds (but not
#: before MIN_RUNS): slow queries at 200,000 get fewer runs, not more minutes.
TIME_CAP = 5.0
MIN_RUNS = 48
TARGET = 2.0

COMMON_WORD = "지원"  # "support": two syllables, in about a third of the listings
RARE_WORD = "도시락"  # "lunch box": three syllables, in about one in thirty


# --- the database -----------------------------------------------------------------------


def sql(statement: str) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else []


_schema = {"current": SMALL}


def use(schema: str) -> None:
    """Point every following query at one size's tables (pg_trgm stays in public)."""
    _schema["current"] = schema
    sql(f"SET search_path TO {schema}, public")


def _keep_schema_on_reconnect(sender, connection, **kwargs) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {_schema['current']}, public")


# --- the listings ------------------------------------------------------------------------

ITEMS = {
    "goods": [
        "생필품 꾸러미",
        "쌀 10kg",
        "겨울 이불",
        "전기장판",
        "라면 한 상자",
        "도시락",
        "김장 김치",
        "기저귀",
        "생수 묶음",
        "휴지 세트",
        "보행 보조기",
        "온열 매트",
        "밑반찬 세트",
        "학용품",
    ],
    "service": [
        "방문 상담",
        "집수리",
        "방역 소독",
        "도배·장판",
        "건강 검진",
        "재활 치료",
        "법률 상담",
        "취업 상담",
        "심리 상담 6회기",
        "방과후 교실",
    ],
    "volunteer_hours": [
        "가사 도우미",
        "이동 동행",
        "학습 멘토링",
        "말벗 봉사",
        "도시락 배달",
        "목욕 봉사",
        "문화 나들이",
        "장보기 동행",
    ],
}
ADJECTIVES = ["긴급", "정기", "겨울철", "여름철", "어르신", "아동", "장애인 가구", "한부모 가정"]
SENTENCES = [
    "수령은 행정복지센터에서 가능합니다.",
    "배송이 필요한 가구는 미리 연락 바랍니다.",
    "지역 기업의 후원으로 마련되었습니다.",
    "유통기한을 확인해 주세요.",
    "자원봉사자가 직접 방문합니다.",
    "주 1회 정기 지원입니다.",
    "수량이 한정되어 있습니다.",
    "사례관리사와 일정을 조율해 주세요.",
]
UNITS = {
    "goods": ["개", "상자", "세트", "kg", "묶음"],
    "service": ["회", "회기"],
    "volunteer_hours": ["시간"],
}
KRW_STEPS = {"goods": (5, 300), "service": (20, 400), "volunteer_hours": (10, 15)}  # thousands

COLUMNS = (
    "region_id",
    "donor_id",
    "kind",
    "category_id",
    "title",
    "description",
    "quantity",
    "unit",
    "value_per_unit_currency",
    "value_per_unit",
    "available_from",
    "available_until",
    "pickup_notes",
    "posted_by_id",
    "state",
    "quantity_held",
    "quantity_fulfilled",
    "created_at",
    "published_at",
)


@dataclass
class World:
    """What every listing refers to: regions, categories, donors, the poster."""

    dongs: list = field(default_factory=list)
    dong_weights: list[float] = field(default_factory=list)
    districts: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    category_weights: list[float] = field(default_factory=list)
    donor_ids: list[int] = field(default_factory=list)
    poster_id: int = 0


def make_world() -> World:
    from django.utils import timezone

    from donors.models import Donor, DonorKind
    from marketplace.models import Category
    from people.models import User
    from regions.models import Level, Region

    rng = random.Random(SEED)
    world = World()
    world.dongs = list(Region.objects.filter(level=Level.DONG).order_by("code"))
    world.districts = list(Region.objects.filter(level=Level.DISTRICT).order_by("code"))
    # Some neighbourhoods list far more than others.
    world.dong_weights = [rng.lognormvariate(0, 0.8) for _ in world.dongs]
    world.categories = list(Category.objects.filter(parent__isnull=False).order_by("code"))
    world.category_weights = [rng.lognormvariate(0, 0.7) for _ in world.categories]
    world.poster_id = User.objects.create_user(username="bench_coordinator").pk
    donors = Donor.objects.bulk_create(
        Donor(
            name=f"벤치 후원기관 {i}",
            kind=rng.choice(DonorKind.values),
            business_number=f"{9_000_000_000 + i}",
            home_region=rng.choice(world.districts),
            verified_at=timezone.now(),
        )
        for i in range(30)
    )
    world.donor_ids = [d.pk for d in donors]
    return world


def listing_rows(world: World, total: int, published: int, today: datetime.date):
    """Yield COPY rows for `total` listings, `published` of them published."""
    rng = random.Random(f"{SEED}-{total}")
    states = ["published"] * published
    rest = total - published
    for state, share in OTHER_STATES.items():
        states += [state] * round(rest * share)
    states += ["completed"] * (total - len(states))
    rng.shuffle(states)
    now = datetime.datetime.now(datetime.UTC)
    kinds = list(ITEMS)
    for state in states:
        at_dong = rng.random() < 0.85
        region = (
            rng.choices(world.dongs, world.dong_weights)[0]
            if at_dong
            else rng.choice(world.districts)
        )
        category = rng.choices(world.categories, world.category_weights)[0]
        kind = category.usual_kind if rng.random() < 0.85 else rng.choice(kinds)
        item = rng.choice(ITEMS[kind])
        form = rng.random()
        if form < 0.35:
            title = f"{item} ({category.name_ko})"
        elif form < 0.55:
            title = f"{rng.choice(ADJECTIVES)} {item}"
        elif form < 0.70:
            title = f"{category.name_ko} - {item}"
        elif form < 0.80:
            title = f"{region.name_ko} {item}"
        else:
            title = item
        description = f"{region.name_ko}에서 드리는 {item}입니다. " + " ".join(
            rng.sample(SENTENCES, rng.randint(1, 3))
        )
        low, high = KRW_STEPS[kind]
        krw = None
        if kind != "volunteer_hours" or rng.random() < 0.2:
            krw = rng.randint(low, high) * 1_000
        # Dates: created within the last 400 days; available from around then.
        created = now - datetime.timedelta(days=rng.uniform(0, 400))
        available_from = created.date() + datetime.timedelta(days=rng.randint(0, 20))
        available_until = None
        if rng.random() < 0.65:
            available_until = available_from + datetime.timedelta(days=rng.randint(7, 240))
        if state == "published" and available_until is not None and available_until < today:
            # A published listing whose availability ended would have expired.
            available_until = today + datetime.timedelta(days=rng.randint(0, 120))
        if state == "expired":
            available_until = min(available_until or today, today - datetime.timedelta(days=1))
            available_from = min(available_from, available_until)
        quantity = rng.randint(4, 200) if kind == "volunteer_hours" else rng.randint(1, 100)
        held = fulfilled = 0
        if state == "reserved":
            held = quantity
        elif state == "completed":
            fulfilled = quantity
        elif state == "published" and rng.random() < 0.3:
            held = rng.randint(0, quantity - 1)
        published_at = None
        if state != "draft":
            published_at = created + datetime.timedelta(hours=rng.uniform(1, 72))
        yield (
            region.pk,
            rng.choice(world.donor_ids) if rng.random() < 0.15 else None,
            kind,
            category.pk,
            title,
            description,
            quantity,
            rng.choice(UNITS[kind]),
            "KRW",
            krw,
            available_from,
            available_until,
            "행정복지센터 1층 민원실",
            world.poster_id,
            state,
            held,
            fulfilled,
            created,
            published_at,
        )


def load_listings(world: World, total: int, published: int) -> float:
    """Fill the current schema's listings; returns the seconds it took."""
    from django.db import connection
    from django.utils import timezone

    began = time.perf_counter()
    with connection.cursor() as cursor:
        copy_sql = f"COPY marketplace_listing ({', '.join(COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for row in listing_rows(world, total, published, timezone.localdate()):
                copy.write_row(row)
    sql("VACUUM (ANALYZE) marketplace_listing")
    return time.perf_counter() - began


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    catalogue: dict
    api: dict | None  # None: the catalogue's own sort orders, not measured for the API


def cases(district: str, today: datetime.date) -> list[Case]:
    return [
        Case("no filter", {}, {}),
        Case("kind=goods", {"kind": "goods"}, {"kind": "goods"}),
        Case(
            "category=daily_living (parent)",
            {"category": "daily_living"},
            {"category": "daily_living"},
        ),
        Case("district=서구", {"district": district}, {"district": district}),
        Case(
            "district=서구 + kind=service",
            {"district": district, "kind": "service"},
            {"district": district, "kind": "service"},
        ),
        Case(f"text “{COMMON_WORD}” (2 syllables)", {"text": COMMON_WORD}, {"search": COMMON_WORD}),
        Case(f"text “{RARE_WORD}” (3 syllables)", {"text": RARE_WORD}, {"search": RARE_WORD}),
        Case("available_on=today", {"available_on": today}, {"available_on": today.isoformat()}),
        Case("sort=ending", {"ordering": "ending"}, None),
        Case("sort=title", {"ordering": "title"}, None),
        Case("sort=value + kind=goods", {"ordering": "value", "kind": "goods"}, None),
    ]


CATALOGUE = "catalogue"
API = "api"
PATHS = (CATALOGUE, API)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Timing:
    p50: float
    p95: float
    runs: int
    rows: int  # what the count said


def measure(work: Callable[[], int]) -> dict[str, Timing]:
    """Time `work` (which returns the count it read) about RUNS times at each
    size, in ms, alternating between the sizes in ROUNDS rounds."""
    times: dict[str, list[float]] = {SMALL: [], BIG: []}
    rows: dict[str, int] = {}
    per_round, cap, least = RUNS // ROUNDS, TIME_CAP / ROUNDS, -(-MIN_RUNS // ROUNDS)
    for _round in range(ROUNDS):
        for schema in (SMALL, BIG):
            use(schema)
            for _ in range(WARMUP):
                rows[schema] = work()
            started = time.perf_counter()
            for done in range(1, per_round + 1):
                began = time.perf_counter()
                work()
                times[schema].append((time.perf_counter() - began) * 1000)
                if done >= least and time.perf_counter() - started > cap:
                    break
    result = {}
    for schema, values in times.items():
        values.sort()
        result[schema] = Timing(
            percentile(values, 50), percentile(values, 95), len(values), rows[schema]
        )
    return result


def work_for(case: Case, path: str, client) -> Callable[[], int]:
    from config.pagination import CappedPaginator
    from marketplace.selectors import catalogue

    if path == API:
        query = {**case.api, "page_size": PAGE}

        def api() -> int:
            response = client.get("/api/v1/listings/", query)
            if response.status_code != 200:
                raise RuntimeError(f"GET /api/v1/listings/ {query}: {response.status_code}")
            return response.json()["count"]

        return api

    def page() -> int:
        # As exchange.views.catalogue_view pages it.
        shown = CappedPaginator(catalogue(**case.catalogue), PAGE).get_page(1)
        assert len(list(shown.object_list)) <= PAGE
        return shown.paginator.count

    return page


def measure_all(client, case_list: list[Case], paths: tuple[str, ...]) -> dict:
    """{schema: {(case name, path): Timing}}"""
    results: dict[str, dict] = {SMALL: {}, BIG: {}}
    for case in case_list:
        for path in paths:
            if path == API and case.api is None:
                continue
            for schema, timing in measure(work_for(case, path, client)).items():
                results[schema][case.name, path] = timing
    return results


WIDTH = 36


def print_table(title: str, results: dict) -> None:
    print(f"\n{title}")
    print(
        f"  {'query':<{WIDTH}} {'path':<34} {'size':>7} {'rows':>7} {'runs':>5} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p95 ratio':>9}"
    )
    for key, big in results[BIG].items():
        name, path = key
        for schema in (SMALL, BIG):
            t = results[schema][key]
            size = f"{SIZES[schema][0] // 1000}k"
            ratio = ""
            if schema == BIG:
                r = big.p95 / results[SMALL][key].p95
                ratio = f"{r:.2f} {'ok' if r <= TARGET else 'MISS'}"
            print(
                f"  {name if schema == SMALL else '':<{WIDTH}} "
                f"{path if schema == SMALL else '':<34} {size:>7} {t.rows:>7} "
                f"{t.runs:>5} {t.p50:>8.2f} {t.p95:>8.2f} {ratio:>9}"
            )


def ratio(results: dict, key) -> float:
    return results[BIG][key].p95 / results[SMALL][key].p95


# --- explaining ----------------------------------------------------------------------------

#: Plan lines that say little about why (buffers, caches, memory).
QUIET = ("Buffers:", "Cache Key", "Cache Mode", "Hits:", "Buckets:", "Planning:", "Sort Method")
#: Statements faster than this are named, not explained.
EXPLAIN_FROM_MS = 5.0


def explain(work: Callable[[], int], label: str) -> None:
    """EXPLAIN ANALYZE the listing statements that `work` sends (the slow ones in full)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        work()
    print(f"\n  -- {label}")
    for query in captured.captured_queries:
        statement = query["sql"]
        if "marketplace_listing" not in statement:
            continue
        plan = [line for (line,) in sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")]
        took = float(plan[-1].split(":")[1].split()[0])
        kind = "count" if statement.startswith("SELECT COUNT") else "page"
        if took < EXPLAIN_FROM_MS:
            print(f"     {kind}: {took:.1f} ms")
            continue
        short = statement if len(statement) < 160 else statement[:60] + " … " + statement[-100:]
        print(f"     {kind}: {short}")
        for line in plan:
            if not line.strip().startswith(QUIET):
                print(f"       {line}")


# --- main ------------------------------------------------------------------------------------


def markdown(results: dict, paths: tuple[str, ...]) -> None:
    print(f"| query | {' | '.join(paths)} |")
    print(f"|---|{'---|' * len(paths)}")
    for name in dict.fromkeys(name for name, _path in results[BIG]):
        cells = []
        for path in paths:
            key = (name, path)
            if key not in results[BIG]:
                cells.append("not measured")
                continue
            r = ratio(results, key)
            cells.append(
                f"{results[SMALL][key].p95:.1f} → {results[BIG][key].p95:.1f} ms, "
                f"×{r:.2f} {'PASS' if r <= TARGET else 'MISS'}"
            )
        print(f"| {name} | {' | '.join(cells)} |")


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    began = time.perf_counter()
    admin_url, bench_url = database_urls(BENCH_DB)
    create_database(admin_url, BENCH_DB)
    django_ready = False
    try:
        os.environ["DATABASE_URL"] = bench_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        os.environ.setdefault("DEBUG", "1")
        import django

        django.setup()
        django_ready = True
        from django.core.management import call_command
        from django.db.backends.signals import connection_created
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.utils import timezone

        from marketplace.services import categories_load_csv
        from regions.models import Region
        from regions.services import regions_load_csv

        # The test client's host ("testserver") is allowed only in a test environment.
        setup_test_environment()
        connection_created.connect(_keep_schema_on_reconnect)
        pg_version = sql("SELECT version()")[0][0].split(" on ")[0]
        print("Catalogue benchmark")
        print(
            f"  machine: {os.cpu_count()} cores, {platform.machine()}, "
            f"Python {platform.python_version()}, Django {django.get_version()}; {pg_version}"
        )
        print(f"  load average at start: {load_average()}")
        print(f"  database: {BENCH_DB} (created now, dropped at the end), schemas {SMALL}, {BIG}")

        # Both schemas find the trigram operators in public (the migration's
        # CREATE EXTENSION IF NOT EXISTS then finds it there).
        sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        worlds = {}
        for schema, (total, published) in SIZES.items():
            sql(f"CREATE SCHEMA {schema}")
            use(schema)
            call_command("migrate", verbosity=0, interactive=False)
            regions_load_csv()
            categories_load_csv()
            worlds[schema] = make_world()
            seconds = load_listings(worlds[schema], total, published)
            print(
                f"  {schema}: {total:,} listings ({published:,} published) over "
                f"{len(worlds[schema].dongs)} dongs, {len(worlds[schema].districts)} districts "
                f"and {len(worlds[schema].categories)} sub-categories, loaded in {seconds:.1f} s"
            )
        district = Region.objects.get(name_ko="서구").code
        case_list = cases(district, timezone.localdate())
        by_name = {case.name: case for case in case_list}
        client = Client()
        print(
            f"  per query and size: {RUNS} runs in {ROUNDS} rounds alternating the sizes "
            f"(fewer, at least {MIN_RUNS}, when a size's share passes ~{TIME_CAP:.0f} s)"
        )
        print(
            f"  catalogue = the first page of {PAGE} of catalogue(...) and its count "
            f"(capped at 1,000) as / pages it; api = anonymous "
            f"GET /api/v1/listings/?page_size={PAGE}&… (capped count included)"
        )
        print(f"  setup: {time.perf_counter() - began:.1f} s")

        results = measure_all(client, case_list, PATHS)
        print_table("p95 ratio = p95 at the big size / p95 at the small; target <= 2", results)
        missing = [key for key in results[BIG] if ratio(results, key) > TARGET]
        if missing:
            print(f"\n== Why: EXPLAIN ANALYZE at {SIZES[BIG][0]:,} listings")
            use(BIG)
            for name, path in missing:
                explain(work_for(by_name[name], path, client), f"{name} ({path})")

        print("\nResults (markdown)\n")
        (small_total, small_published), (big_total, big_published) = SIZES.values()
        print(
            f"Machine: {os.cpu_count()} cores; {pg_version}; DEBUG on; load average "
            f"{load_average()} at the end. Each cell: p95 of a first page of {PAGE} "
            f"with its count at {small_total:,} listings ({small_published:,} "
            f"published) → at {big_total:,} ({big_published:,} published), measured "
            f"alternately, and the ratio; target ×{TARGET:g}.\n"
        )
        markdown(results, PATHS)
        verdict = "every query within target" if not missing else f"{len(missing)} MISSED"
        print(f"\nVerdict: {verdict} ({len(results[BIG])} query/path pairs)")
        print(f"\nTotal elapsed: {time.perf_counter() - began:.1f} s")
        return 0
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if django_ready:
            from django.db import connections

            connections.close_all()
        drop_database(admin_url, BENCH_DB)


if __name__ == "__main__":
    sys.exit(main())
