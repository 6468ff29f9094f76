"""POST /api/v1/claims/ answers from the claim the service made: the same JSON
as reading the claim afterwards, without reading it again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from exchange.models import Claim
from marketplace.services import household_create


def _post(user, payload: dict, key: str | None = None):
    client = APIClient()
    client.force_authenticate(user)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/claims/", payload, format="json", **headers)
    return response, queries.captured_queries


def _detail(user, pk: int) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/claims/{pk}/")
    assert response.status_code == 200
    return response.json()


def _claim_reads(queries: list[dict]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT") and '"effective_state"' in q["sql"]
    ]


@pytest.mark.parametrize("where", ["across regions, matched", "across regions", "local"])
def test_the_answer_to_a_new_claim_is_what_reading_it_says(
    where, people, daejeon, make_listing, grant, make_pledge
):
    grant(daejeon["대덕구"], 1_000_000)
    if where == "across regions, matched":
        make_pledge(krw=10_000_000)
    listing = make_listing(region_name="서구" if where.startswith("across") else "대덕구")
    household = household_create(
        by=people["cm_daedeok"], dong=daejeon["대덕구"].children.order_by("code").first(), size=2
    )
    payload = {"listing": listing.pk, "household": household.pk, "quantity": 2}
    response, queries = _post(people["cm_daedeok"], payload, key=f"new-{where}")
    assert response.status_code == 201, response.json()
    assert _claim_reads(queries) == []
    body = response.json()
    assert body == _detail(people["cm_daedeok"], body["id"])
    assert body["household"] is not None and body["state"] == "requested"
    if where == "across regions, matched":
        assert Claim.objects.get(pk=body["id"]).match.state == "committed"

    # A replay answers with the claim as it is now, read again.
    again, queries = _post(people["cm_daedeok"], payload, key=f"new-{where}")
    assert again.status_code == 201
    assert again.json() == body
    assert len(_claim_reads(queries)) == 1
