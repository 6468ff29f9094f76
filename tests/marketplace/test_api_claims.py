"""The API of claims: requests across regions, idempotency, refusals, decisions,
who sees a claim."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.models import Claim, ClaimState
from exchange.services import claim_approve, claim_fulfil, claim_reject
from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for, system_account
from marketplace.models import Listing
from marketplace.services import (
    household_create,
    listing_withdraw,
)
from tests.helpers import api_client, result_ids, wallet_balance

# --- claims ----------------------------------------------------------------------------


def test_case_manager_claims_across_regions_and_the_cost_is_held(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1_000)
    listing = make_listing(quantity=10, krw=20_000)
    response = api_client(people["cm_daedeok"]).post(
        "/api/v1/claims/",
        {"listing": listing.pk, "household": household.pk, "quantity": 4},
        format="json",
        HTTP_IDEMPOTENCY_KEY="claim-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["cost_points"], body["is_exchange"]) == ("requested", 80, True)
    assert body["household"] == {"id": household.pk, "code": household.code}
    assert body["household_district"] == "대덕구"
    assert (body["claimant_region"], body["provider_region"]) == (
        daejeon["대덕구"].code,
        daejeon["서구"].code,
    )
    assert wallet_balance(daejeon["대덕구"]) == 920

    approved = api_client(people["coord_seo"]).post(f"/api/v1/claims/{body['id']}/approve/")
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert approved.json()["household"] is None
    fulfilled = api_client(people["cm_daedeok"]).post(
        f"/api/v1/claims/{body['id']}/fulfil/", {"quantity_received": 3}
    )
    assert fulfilled.status_code == 200, fulfilled.json()
    assert (fulfilled.json()["state"], fulfilled.json()["quantity_received"]) == ("fulfilled", 3)
    assert (wallet_balance(daejeon["대덕구"]), wallet_balance(daejeon["서구"])) == (940, 60)


def test_claim_creation_is_idempotent(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1_000)
    listing = make_listing()
    client = api_client(people["cm_daedeok"])
    payload = {"listing": listing.pk, "household": household.pk, "quantity": 2}

    first = client.post("/api/v1/claims/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    again = client.post("/api/v1/claims/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Claim.objects.count() == 1
    assert wallet_balance(daejeon["대덕구"]) == 960

    conflict = client.post(
        "/api/v1/claims/", {**payload, "quantity": 3}, format="json", HTTP_IDEMPOTENCY_KEY="k-7"
    )
    assert (conflict.status_code, conflict.json()["code"]) == (409, "idempotency_conflict")
    too_long = client.post(
        "/api/v1/claims/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k" * 129
    )
    assert too_long.status_code == 400
    assert "Idempotency-Key" in too_long.json()["fields"]
    assert Claim.objects.count() == 1
    assert wallet_balance(daejeon["대덕구"]) == 960


def test_claim_refusals_keep_their_codes_and_change_nothing(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 50)
    client = api_client(people["cm_daedeok"])
    listing = make_listing(quantity=3, krw=20_000)

    def claim(**body):
        return client.post(
            "/api/v1/claims/",
            {"listing": listing.pk, "household": household.pk, "quantity": 1, **body},
            format="json",
        )

    poor = claim(quantity=3)
    assert poor.status_code == 409
    assert (poor.json()["code"], poor.json()["shortfall"]) == ("insufficient_points", 10)
    assert poor.json()["account"] == account_for(daejeon["대덕구"], Purpose.WALLET).code

    short = claim(quantity=4)
    assert (short.status_code, short.json()["code"], short.json()["available"]) == (
        409,
        "insufficient_quantity",
        3,
    )
    assert "quantity" in short.json()["fields"]
    assert not Claim.objects.exists()
    assert wallet_balance(daejeon["대덕구"]) == 50

    assert claim().status_code == 201
    duplicate = claim()
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate_service")
    assert "justification" in duplicate.json()["fields"]
    justified = claim(justification="가구원 증가")
    assert justified.status_code == 201
    assert justified.json()["duplicate_flag"] is True
    assert Claim.objects.count() == 2


def test_claims_on_listings_that_are_not_open_are_refused(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1_000)
    client = api_client(people["cm_daedeok"])
    for listing in (
        listing_withdraw(listing=make_listing(), by=people["coord_seo"]),
        make_listing(publish=False),
    ):
        response = client.post(
            "/api/v1/claims/",
            {"listing": listing.pk, "household": household.pk, "quantity": 1},
            format="json",
        )
        assert (response.status_code, response.json()["code"]) == (409, "listing_not_published")
    assert not Claim.objects.exists()
    assert wallet_balance(daejeon["대덕구"]) == 1_000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": "three"}, "quantity"),
        ({"quantity": 10**30}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"listing": 10**30}, "listing"),
        ({"listing": 1.5}, "listing"),
        ({"listing": "1.0"}, "listing"),
        ({"listing": "abc"}, "listing"),
        ({"listing": -1}, "listing"),
        ({"listing": None}, "listing"),
        ({"household": 10**30}, "household"),
        ({"household": "x"}, "household"),
        ({"household": "OTHER"}, "household"),  # exists, but not in my regions
        ({"justification": {"why": 1}}, "justification"),
    ],
)
def test_bad_claims_get_400_naming_the_field(
    people, make_listing, household, grant, daejeon, change, field
):
    grant(daejeon["대덕구"], 1_000)
    other = household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=1)
    listing = make_listing()
    body = {"listing": listing.pk, "household": household.pk, "quantity": 1, **change}
    if body["household"] == "OTHER":
        body["household"] = other.pk
    response = api_client(people["cm_daedeok"]).post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert other.code.encode() not in response.content
    assert not Claim.objects.exists()


@pytest.mark.parametrize("missing", ["listing", "household", "quantity"])
def test_a_claim_missing_a_field_gets_400(people, make_listing, household, missing):
    body = {"listing": make_listing().pk, "household": household.pk, "quantity": 1}
    del body[missing]
    response = api_client(people["cm_daedeok"]).post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert missing in response.json()["fields"]


def test_only_case_managers_claim(people, make_listing, household, nobody):
    listing = make_listing()
    body = {"listing": listing.pk, "household": household.pk, "quantity": 1}
    assert api_client().post("/api/v1/claims/", body).status_code == 401
    for user in (nobody, people["coord_seo"], people["coord_daedeok"]):
        response = api_client(user).post("/api/v1/claims/", body)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Claim.objects.exists()


@pytest.fixture
def ledger_snapshot(daejeon):
    def take() -> tuple[int, int, int]:
        return (
            wallet_balance(daejeon["대덕구"]),
            wallet_balance(daejeon["서구"]),
            account_balance(system_account(Purpose.HOLDS)),
        )

    return take


@pytest.mark.parametrize(
    ("setup", "actor", "action", "body", "status", "code"),
    [
        ("fulfilled", "coord_seo", "approve", {}, 409, "illegal_transition"),
        ("fulfilled", "cm_daedeok", "cancel", {"reason": "x"}, 409, "illegal_transition"),
        ("fulfilled", "cm_daedeok", "fulfil", {"quantity_received": 1}, 409, "illegal_transition"),
        ("rejected", "cm_daedeok", "fulfil", {"quantity_received": 1}, 409, "illegal_transition"),
        ("rejected", "coord_seo", "approve", {}, 409, "illegal_transition"),
        ("approved", "coord_seo", "reject", {"reason": "x"}, 409, "illegal_transition"),
        ("approved", "coord_seo", "approve", {}, 409, "illegal_transition"),
        ("requested", "cm_daedeok", "fulfil", {"quantity_received": 1}, 409, "illegal_transition"),
        # The household's case manager sees the claim but may not decide on it.
        ("requested", "cm_daedeok", "approve", {}, 403, "permission_denied"),
        ("requested", "cm_daedeok", "reject", {"reason": "x"}, 403, "permission_denied"),
        # The coordinator may not confirm what the household received.
        ("approved", "coord_seo", "fulfil", {"quantity_received": 1}, 403, "permission_denied"),
        # A coordinator of another region cannot even see the claim.
        ("requested", "coord_daedeok", "approve", {}, 404, "not_found"),
        ("requested", "coord_daedeok", "cancel", {"reason": "x"}, 404, "not_found"),
        ("requested", "nobody", "approve", {}, 404, "not_found"),
        ("requested", "anonymous", "approve", {}, 401, "not_authenticated"),
        # Bodies that are not what the action needs.
        ("requested", "coord_seo", "reject", {}, 400, "invalid"),
        ("requested", "coord_seo", "reject", {"reason": ""}, 400, "invalid"),
        ("approved", "cm_daedeok", "fulfil", {}, 400, "invalid"),
        ("approved", "cm_daedeok", "fulfil", {"quantity_received": 1.5}, 400, "invalid"),
        ("approved", "cm_daedeok", "fulfil", {"quantity_received": -1}, 400, "invalid"),
        ("approved", "cm_daedeok", "fulfil", {"quantity_received": 10**30}, 400, "invalid"),
        ("approved", "cm_daedeok", "fulfil", {"quantity_received": 3}, 400, "invalid"),
    ],
)
def test_refused_claim_actions_change_nothing(
    people,
    make_listing,
    claim_for,
    grant,
    daejeon,
    nobody,
    ledger_snapshot,
    setup,
    actor,
    action,
    body,
    status,
    code,
):
    grant(daejeon["대덕구"], 1_000)
    claim = claim_for(make_listing(), quantity=2)
    if setup in ("approved", "fulfilled"):
        claim_approve(claim=claim, by=people["coord_seo"])
    if setup == "fulfilled":
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=2)
    if setup == "rejected":
        claim_reject(claim=claim, by=people["coord_seo"], reason="일정 불가")
    before, state = ledger_snapshot(), Claim.objects.get(pk=claim.pk).state
    listing_before = Listing.objects.values("quantity_held", "quantity_fulfilled", "state").get(
        pk=claim.listing_id
    )

    user = {"nobody": nobody, "anonymous": None}.get(actor) or people.get(actor)
    response = api_client(user).post(f"/api/v1/claims/{claim.pk}/{action}/", body, format="json")

    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    if status == 400:
        assert response.json()["fields"]
    assert Claim.objects.get(pk=claim.pk).state == state == setup
    assert ledger_snapshot() == before
    assert (
        Listing.objects.values("quantity_held", "quantity_fulfilled", "state").get(
            pk=claim.listing_id
        )
        == listing_before
    )


def test_either_side_cancels_and_the_hold_returns(
    people, make_listing, claim_for, grant, daejeon, ledger_snapshot
):
    grant(daejeon["대덕구"], 1_000)
    listing = make_listing()
    by_case_manager = claim_for(listing, quantity=2)
    by_coordinator = claim_for(listing, quantity=1, justification="추가 필요")
    assert wallet_balance(daejeon["대덕구"]) == 940

    first = api_client(people["cm_daedeok"]).post(
        f"/api/v1/claims/{by_case_manager.pk}/cancel/", {"reason": "이사"}
    )
    second = api_client(people["coord_seo"]).post(
        f"/api/v1/claims/{by_coordinator.pk}/reject/", {"reason": "재고 소진"}
    )
    assert (first.json()["state"], second.json()["state"]) == ("cancelled", "rejected")
    assert first.json()["decision_reason"] == "이사"
    assert ledger_snapshot() == (1_000, 0, 0)
    assert Listing.objects.get(pk=listing.pk).quantity_held == 0


def test_under_the_five_five_rule_approval_waits_for_a_donor(
    people, make_listing, claim_for, grant, daejeon, settings, ledger_snapshot
):
    settings.PUBLIC_SHARE = Decimal("0.5")
    grant(daejeon["대덕구"], 1_000)
    claim = claim_for(make_listing(), quantity=2)  # 40 points: 20 public, 20 from a donor
    assert wallet_balance(daejeon["대덕구"]) == 980
    before = ledger_snapshot()
    response = api_client(people["coord_seo"]).post(f"/api/v1/claims/{claim.pk}/approve/")
    assert (response.status_code, response.json()["code"]) == (409, "not_matched")
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED
    assert ledger_snapshot() == before


def test_a_stale_claim_is_shown_expired_and_expired_before_it_is_acted_on(
    people, make_listing, claim_for, grant, daejeon
):
    grant(daejeon["대덕구"], 1_000)
    listed, shown, acted = (
        claim_for(make_listing(), quantity=1, justification="반복 지원") for _ in range(3)
    )
    Claim.objects.update(approve_by=timezone.now() - datetime.timedelta(minutes=1))
    client = api_client(people["coord_seo"])

    # A list shows a claim past its deadline as expired, and filters it so;
    # reading writes nothing (expire_due, or an action on the claim, expires it).
    page = client.get("/api/v1/claims/", {"listing": listed.listing_id}).json()
    assert [(row["id"], row["state"]) for row in page["results"]] == [(listed.pk, "expired")]
    assert Claim.objects.get(pk=shown.pk).state == ClaimState.REQUESTED
    assert (
        client.get("/api/v1/claims/", {"state": "requested", "listing": listed.listing_id}).json()[
            "count"
        ]
        == 0
    )
    assert (
        client.get("/api/v1/claims/", {"state": "expired", "listing": listed.listing_id}).json()[
            "count"
        ]
        == 1
    )

    assert client.get(f"/api/v1/claims/{shown.pk}/").json()["state"] == "expired"
    assert Claim.objects.filter(state=ClaimState.REQUESTED).count() == 3

    approve = client.post(f"/api/v1/claims/{acted.pk}/approve/")
    assert (approve.status_code, approve.json()["code"]) == (409, "illegal_transition")
    assert Claim.objects.get(pk=acted.pk).state == ClaimState.EXPIRED
    assert Claim.objects.filter(state=ClaimState.REQUESTED).count() == 2

    call_command("expire_due", stdout=io.StringIO())
    assert not Claim.objects.filter(state=ClaimState.REQUESTED).exists()
    assert wallet_balance(daejeon["대덕구"]) == 1_000
    assert not Listing.objects.filter(quantity_held__gt=0).exists()


def test_claims_are_visible_to_the_household_side_and_the_listing_side_only(
    people, make_listing, claim_for, grant, daejeon, nobody
):
    grant(daejeon["대덕구"], 1_000)
    claim = claim_for(make_listing())
    for user, visible in (
        (people["cm_daedeok"], {claim.pk}),
        (people["coord_seo"], {claim.pk}),
        (people["coord_daedeok"], set()),
        (people["cm_seo"], set()),
        (nobody, set()),
    ):
        assert result_ids(api_client(user).get("/api/v1/claims/")) == visible
        expected = 200 if visible else 404
        assert api_client(user).get(f"/api/v1/claims/{claim.pk}/").status_code == expected
    assert api_client().get("/api/v1/claims/").status_code == 401


def test_claim_list_costs_the_same_queries_for_any_page_size(
    people, make_listing, claim_for, grant, daejeon
):
    grant(daejeon["대덕구"], 100_000)
    listings = [make_listing(quantity=100), make_listing(region_name="관저2동", quantity=100)]
    for i in range(26):
        claim_for(listings[i % 2], quantity=1, justification="반복 지원")

    def queries(user, page_size: int) -> int:
        client = api_client(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/claims/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    for user in (people["cm_daedeok"], people["coord_seo"]):
        assert queries(user, 5) == queries(user, 25)
