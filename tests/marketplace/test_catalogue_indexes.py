"""The catalogue's queries match the indexes made for them (PostgreSQL).

The speed itself is measured by bench/catalogue_bench.py; these tests make sure
the queries the ORM writes can use the indexes at all, so that a change to a
query or an index that parts them fails here rather than only in a benchmark.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.selectors import catalogue

pytestmark = pytest.mark.postgres


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'marketplace_listing'")
        return {name for (name,) in cursor.fetchall()}


def test_the_catalogue_indexes_exist(db):
    assert {
        "listing_published_idx",
        "listing_public_idx",
        "listing_title_trgm_idx",
        "listing_description_trgm_idx",
        "listing_title_trgm_pub_idx",
        "listing_description_trgm_pub_idx",
    } <= _indexes()


def test_a_first_page_is_read_in_the_published_index(make_listing):
    """Only the published index (and the primary key) left, and neither plain
    scans nor a sort allowed: the page is read in that index's order, or the plan
    shows the sort or the scan it had to fall back on. Which of several equally
    cheap plans a table of one row gets otherwise depends on the statistics the
    earlier tests of the run left behind (once it was a sort over another index)."""
    make_listing()
    _only_indexes("listing_published_idx", scans=("seqscan", "bitmapscan", "sort"))
    plan = catalogue(kind="goods")[:20].explain()
    assert "listing_published_idx" in plan
    assert "Sort" not in plan and "Seq Scan on marketplace_listing" not in plan


def _only_indexes(*keep: str, scans: tuple[str, ...] = ("seqscan", "indexscan")) -> None:
    """Leave the listings only `keep` (and the primary key) for this test's
    transaction, and no plain scans: if the ORM's query can use those indexes,
    the plan shows them; if the expressions part, the query cannot be planned
    without a sequential scan, which the plan then shows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'marketplace_listing' "
            "AND indexname <> 'marketplace_listing_pkey'"
        )
        for (name,) in cursor.fetchall():
            if name not in keep:
                cursor.execute(f'DROP INDEX "{name}"')
        for scan in scans:
            cursor.execute(f"SET LOCAL enable_{scan} = off")


def test_a_catalogue_text_search_reads_the_published_trigram_indexes(make_listing):
    make_listing(description="도시락 배달")
    _only_indexes("listing_title_trgm_pub_idx", "listing_description_trgm_pub_idx")
    plan = catalogue(text="도시락").order_by()[:1001].explain()
    assert "Seq Scan on marketplace_listing" not in plan
    assert "listing_title_trgm_pub_idx" in plan
    assert "listing_description_trgm_pub_idx" in plan


def test_an_api_text_search_reads_the_trigram_indexes(make_listing):
    from rest_framework.test import APIClient

    make_listing(description="도시락 배달")
    _only_indexes("listing_title_trgm_idx", "listing_description_trgm_idx")
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get("/api/v1/listings/", {"search": "도시락"})
    assert response.json()["count"] == 1
    [statement] = [q["sql"] for q in queries.captured_queries if "COUNT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {statement}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Seq Scan on marketplace_listing" not in plan
    assert "listing_title_trgm_idx" in plan
    assert "listing_description_trgm_idx" in plan


@pytest.mark.parametrize(
    ("ordering", "index"),
    [
        ("newest", "listing_published_idx"),
        ("ending", "listing_pub_ending_idx"),
        ("title", "listing_pub_title_idx"),
        ("value", "listing_pub_kind_value_idx"),
    ],
)
def test_every_sort_order_is_read_from_its_index_without_sorting(make_listing, ordering, index):
    make_listing()
    # Sorting is only discouraged: if the index's order differed from the
    # query's, the plan would still sort, and say so.
    _only_indexes(index, scans=("seqscan", "bitmapscan", "sort"))
    plan = catalogue(kind="goods", ordering=ordering)[:20].explain()
    assert index in plan
    assert "Sort" not in plan


def test_value_without_a_kind_is_read_from_the_value_index(make_listing):
    make_listing()
    _only_indexes("listing_pub_value_idx", scans=("seqscan", "bitmapscan", "sort"))
    plan = catalogue(ordering="value")[:20].explain()
    assert "listing_pub_value_idx" in plan
    assert "Sort" not in plan


def test_a_two_character_catalogue_search_reads_the_published_bigram_indexes(make_listing):
    make_listing(description="생활 지원 물품")
    _only_indexes("listing_title_bigram_pub_idx", "listing_description_bigram_pub_idx")
    plan = catalogue(text="지원").order_by()[:1001].explain()
    assert "Seq Scan on marketplace_listing" not in plan
    assert "listing_title_bigram_pub_idx" in plan
    assert "listing_description_bigram_pub_idx" in plan


def test_a_two_character_api_search_reads_the_bigram_indexes(make_listing):
    from rest_framework.test import APIClient

    make_listing(description="생활 지원 물품")
    _only_indexes("listing_title_bigram_idx", "listing_description_bigram_idx")
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get("/api/v1/listings/", {"search": "지원"})
    assert response.json()["count"] == 1
    [statement] = [q["sql"] for q in queries.captured_queries if "COUNT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {statement}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Seq Scan on marketplace_listing" not in plan
    assert "listing_title_bigram_idx" in plan
    assert "listing_description_bigram_idx" in plan


def test_the_bigrams_function(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nanum_bigrams('지원'), nanum_bigrams('생활지원지원'), "
            "nanum_bigrams('지'), nanum_bigrams('')"
        )
        two, repeated, one, empty = cursor.fetchone()
    assert two == ["지원"]
    assert set(repeated) == {"생활", "활지", "지원", "원지"}
    assert one == [] and empty == []
