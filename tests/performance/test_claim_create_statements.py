"""POST /api/v1/claims/ reads each thing once.

A cross-region claim whose private half a pledge takes at once (the 5:5
split, the HTTP benchmark's case): the user's posts are read once for the
whole request, each ledger account once (the claiming wallet, the holds
account, the donor's match account), the region tree once per region asked
about, and no hold is looked for when no idempotency key can make a posting
a repeat. Every statement is one more round trip, most of them inside the
listing's row lock, which every claim on the listing queues for.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from exchange.models import Claim
from marketplace.services import household_create

#: Statements of one claim (without the transaction's BEGIN and COMMIT).
#: 65 before the reads below were made once each (in this test, as counted here).
BUDGET = 55


def _table_reads(queries: list[dict], table: str) -> list[str]:
    """The statements that read `table` as their main table (their first FROM)."""
    found = []
    for query in queries:
        sql = query["sql"].lstrip()
        main = re.search(r"\bFROM\s+\"?(\w+)\"?", sql, re.IGNORECASE)
        if sql.upper().startswith("SELECT") and main and main.group(1) == table:
            found.append(sql)
    return found


@pytest.fixture
def claimed(people, daejeon, make_listing, grant, make_pledge):
    grant(daejeon["대덕구"], 1_000_000)
    make_pledge(krw=10_000_000)
    listing = make_listing(region_name="서구", quantity=100)
    household = household_create(
        by=people["cm_daedeok"], dong=daejeon["대덕구"].children.order_by("code").first(), size=2
    )
    client = APIClient()
    client.force_authenticate(people["cm_daedeok"])
    # A first claim (another household) makes what is made once: the holds
    # account, the content types' cache.
    first = household_create(by=people["cm_daedeok"], dong=household.dong, size=1)
    payload = {"listing": listing.pk, "household": first.pk, "quantity": 1}
    assert client.post("/api/v1/claims/", payload, format="json").status_code == 201
    payload = {"listing": listing.pk, "household": household.pk, "quantity": 2}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/claims/", payload, format="json", HTTP_IDEMPOTENCY_KEY="statements-1"
        )
    assert response.status_code == 201, response.json()
    claim = Claim.objects.get(pk=response.json()["id"])
    assert claim.match.state == "committed" and claim.hold_id is not None
    return [
        q for q in queries.captured_queries if q["sql"].strip().upper() not in ("BEGIN", "COMMIT")
    ]


def test_a_claim_stays_within_its_statement_budget(claimed):
    assert len(claimed) <= BUDGET, "\n".join(q["sql"][:120] for q in claimed)


def test_the_users_posts_are_read_once(claimed):
    assert len(_table_reads(claimed, "people_regionmembership")) == 1


def test_each_ledger_account_is_read_once(claimed):
    # By code (`account_for`); the row locks read them again, by id, on purpose.
    by_code = [sql for sql in _table_reads(claimed, "ledger_account") if '"code"' in sql]
    assert len(by_code) == 3  # the claiming wallet, system:holds, the donor's match account


def test_no_hold_is_looked_for_without_an_idempotency_key(claimed):
    assert _table_reads(claimed, "ledger_hold") == []


def test_the_region_tree_is_read_once_per_region(claimed):
    ancestors = [sql for sql in _table_reads(claimed, "regions_region") if '"code" IN' in sql]
    # The household's dong (for the claiming district) and the listing's region
    # (for the providing one); the wallet's check of the district reads nothing.
    assert len(ancestors) == 2
