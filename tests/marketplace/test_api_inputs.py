"""The API as a whole: its schema, and no body or query making a 500."""

import pytest

from exchange.services import claim_approve
from marketplace.models import Household
from marketplace.services import (
    household_close,
    household_create,
)
from tests.helpers import api_client


def test_the_openapi_schema_describes_the_marketplace(db):
    schema = api_client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/categories/",
        "/api/v1/listings/",
        "/api/v1/listings/{id}/publish/",
        "/api/v1/households/{id}/record-follow-up/",
        "/api/v1/claims/{id}/fulfil/",
    ):
        assert path in schema["paths"], path
    listing = schema["components"]["schemas"]["Listing"]["properties"]
    assert listing["value_per_unit_krw"]["type"] == "integer"
    assert "Idempotency-Key" in {
        p["name"] for p in schema["paths"]["/api/v1/claims/"]["post"].get("parameters", [])
    }


# --- no input makes a 500 --------------------------------------------------------------

WEIRD = [
    None,
    "",
    " ",
    "x" * 10_001,
    -1,
    0,
    2**63,
    10**40,
    1.5,
    "1.5",
    "1e3",
    [],
    [1],
    {},
    {"a": 1},
    True,
    "١٢",
    "\x00",
    "2026-02-30",
]


def test_no_body_makes_a_500(
    people, make_listing, household, grant, daejeon, listing_payload, claim_for
):
    grant(daejeon["대덕구"], 100_000)
    draft = make_listing(publish=False)
    listing = make_listing(quantity=1_000)
    requested = claim_for(listing, quantity=1)
    approved = claim_for(listing, quantity=1, justification="j")
    claim_approve(claim=approved, by=people["coord_seo"])
    household_close(
        household=household_create(by=people["cm_daedeok"], dong=household.dong, size=1),
        by=people["cm_daedeok"],
    )
    closed = Household.objects.get(status="closed")
    coordinator, case_manager = people["coord_seo"], people["cm_daedeok"]
    endpoints = [
        (coordinator, "post", "/api/v1/listings/", listing_payload),
        (coordinator, "patch", f"/api/v1/listings/{draft.pk}/", {"title": "t", "quantity": 1}),
        (coordinator, "post", f"/api/v1/listings/{listing.pk}/withdraw/", {"reason": "r"}),
        (
            case_manager,
            "post",
            "/api/v1/households/",
            {"dong": household.dong.code, "size": 2, "needs": [], "notes": ""},
        ),
        (case_manager, "patch", f"/api/v1/households/{household.pk}/", {"size": 2, "notes": ""}),
        (
            case_manager,
            "post",
            f"/api/v1/households/{closed.pk}/record-follow-up/",
            {"follow_up": closed.follow_ups.first().pk, "note": "n", "outcome": "stable"},
        ),
        (
            case_manager,
            "post",
            "/api/v1/claims/",
            {"listing": listing.pk, "household": household.pk, "quantity": 1, "justification": ""},
        ),
        (coordinator, "post", f"/api/v1/claims/{requested.pk}/approve/", {"reason": "r"}),
        (coordinator, "post", f"/api/v1/claims/{requested.pk}/reject/", {"reason": "r"}),
        (case_manager, "post", f"/api/v1/claims/{requested.pk}/cancel/", {"reason": "r"}),
        (case_manager, "post", f"/api/v1/claims/{approved.pk}/fulfil/", {"quantity_received": 1}),
    ]
    for user, method, url, valid in endpoints:
        client = api_client(user)
        for name in [*valid, "unknown"]:
            for value in WEIRD:
                response = getattr(client, method)(url, {**valid, name: value}, format="json")
                assert response.status_code < 500, (url, name, value, response.content)
                assert "code" in response.json() or response.status_code < 300


@pytest.mark.parametrize(
    ("url", "names"),
    [
        (
            "/api/v1/listings/",
            [
                "state",
                "kind",
                "category",
                "region",
                "district",
                "available_on",
                "ordering",
                "search",
                "page",
                "page_size",
            ],
        ),
        ("/api/v1/claims/", ["state", "listing", "ordering", "page"]),
        ("/api/v1/households/", ["status", "dong", "ordering", "search"]),
        ("/api/v1/categories/", ["parent", "usual_kind", "search", "ordering"]),
    ],
)
def test_no_query_makes_a_500(people, make_listing, household, url, names):
    make_listing()
    for user in (None, people["coord_seo"], people["cm_daedeok"]):
        client = api_client(user)
        for name in names:
            for value in WEIRD:
                if value is None or isinstance(value, (list, dict)):
                    continue
                response = client.get(url, {name: str(value)})
                assert response.status_code < 500, (url, name, value, response.content)
