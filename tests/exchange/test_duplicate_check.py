"""The duplicate-service check (`active_claims_in_category`): what it finds,
and the shape of its query, which must not join the listings.

A join under `.exists()` (LIMIT 1) let PostgreSQL choose a merge join that
walks the listings' primary key from its start up to the claimed listing:
90–100 ms per claim at 200,000 listings for a recent listing, inside the
listing's row lock (bench/README.md, claim creation).
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.models import Claim
from exchange.selectors import active_claims_in_category
from exchange.services import claim_request


def _window() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=30)


@pytest.fixture
def claimed(people, make_listing, household, grant, daejeon):
    """One claim of the household on a side-dishes listing."""
    grant(daejeon["대덕구"], 10_000)
    listing = make_listing(category="daily_living.side_dishes")
    return claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)


def test_a_claim_in_the_category_within_the_window_is_found(claimed, household):
    category = claimed.listing.category_id
    assert list(active_claims_in_category(household, category, _window())) == [claimed]


def test_other_categories_older_claims_and_closed_claims_are_not(claimed, household, categories):
    category = claimed.listing.category_id
    other = categories["housing.repair"].pk
    assert not active_claims_in_category(household, other, _window()).exists()

    Claim.objects.filter(pk=claimed.pk).update(
        requested_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert not active_claims_in_category(household, category, _window()).exists()

    Claim.objects.filter(pk=claimed.pk).update(requested_at=timezone.now(), state="cancelled")
    assert not active_claims_in_category(household, category, _window()).exists()
    Claim.objects.filter(pk=claimed.pk).update(state="fulfilled")
    assert active_claims_in_category(household, category, _window()).exists()


def _check_sql(household, category: int) -> str:
    with CaptureQueriesContext(connection) as queries:
        active_claims_in_category(household, category, _window()).exists()
    [query] = queries.captured_queries
    return query["sql"]


def test_the_check_joins_no_table(claimed, household):
    sql = _check_sql(household, claimed.listing.category_id)
    assert "JOIN" not in sql.upper()


@pytest.mark.postgres
def test_the_check_reads_listings_only_by_key_whatever_the_planner_prefers(claimed, household):
    """With nested loops and hash joins off, a join of claims and listings is a
    merge join over the listings' key; the check has no join to make one of."""
    sql = _check_sql(household, claimed.listing.category_id)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Join" not in plan, plan
    assert "Seq Scan on marketplace_listing" not in plan, plan
