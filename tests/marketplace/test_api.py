import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djmoney.money import Money
from rest_framework.test import APIClient

from donors.models import Donor
from exchange.models import Claim, ClaimState
from exchange.services import claim_approve, claim_fulfil, claim_reject, claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for, system_account
from marketplace.models import FollowUp, Household, Listing, ListingState
from marketplace.selectors import Viewer, may_see_household
from marketplace.services import (
    household_close,
    household_create,
    listing_create,
    listing_publish,
    listing_withdraw,
)
from people.models import Role


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _wallet(daejeon, name: str) -> int:
    return account_balance(account_for(daejeon[name], Purpose.WALLET))


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def nobody(django_user_model, db):
    """A signed-in user with no role anywhere (as a donor's representative is)."""
    return django_user_model.objects.create_user(username="nobody", password="pw-for-tests-only")


@pytest.fixture
def listing_payload(daejeon, categories) -> dict:
    return {
        "region": daejeon["서구"].code,
        "kind": "goods",
        "category": "daily_living.side_dishes",
        "title": "김장 김치",
        "description": "10kg 상자",
        "quantity": 5,
        "unit": "상자",
        "value_per_unit_krw": 35_000,
        "available_from": "2026-01-01",
    }


@pytest.fixture
def offer(daejeon, categories, people):
    """offer(title, region_name="서구", **terms): a published listing with any terms."""

    def make(title: str, region_name: str = "서구", **terms):
        fields = {
            "kind": "goods",
            "category": "daily_living.side_dishes",
            "quantity": 10,
            "unit": "개",
            "value_per_unit": Money(20_000, "KRW"),
            "available_from": datetime.date(2026, 1, 1),
            **terms,
        }
        fields["category"] = categories[fields["category"]]
        by = people["coord_daedeok" if region_name == "대덕구" else "coord_seo"]
        listing = listing_create(by=by, region=daejeon[region_name], title=title, **fields)
        return listing_publish(listing=listing, by=by)

    return make


@pytest.fixture
def claim_for(people, household):
    """claim_for(listing, quantity=2, **extra): a claim by 대덕구's case manager."""

    def make(listing, quantity=2, **extra):
        return claim_request(
            by=people["cm_daedeok"],
            listing=listing,
            household=household,
            quantity=quantity,
            **extra,
        )

    return make


# --- categories ----------------------------------------------------------------------


def test_categories_are_public_and_filter_by_parent_and_usual_kind(categories):
    client = _client()
    health = client.get("/api/v1/categories/", {"parent": "health", "page_size": 100}).json()
    assert health["count"] == 9
    assert {row["parent"] for row in health["results"]} == {"health"}

    hours = client.get("/api/v1/categories/", {"usual_kind": "volunteer_hours"}).json()
    assert hours["count"] >= 1
    assert {row["usual_kind"] for row in hours["results"]} == {"volunteer_hours"}

    one = client.get("/api/v1/categories/daily_living.side_dishes/")
    assert one.status_code == 200
    assert one.json()["parent"] == "daily_living"
    missing = client.get("/api/v1/categories/no.such/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert client.get("/api/v1/categories/", {"usual_kind": "cash"}).status_code == 400


# --- listings: reading ----------------------------------------------------------------------


def test_everyone_sees_published_reserved_and_completed_listings_only(
    people, make_listing, claim_for, grant, daejeon, nobody
):
    grant(daejeon["대덕구"], 1_000)
    published = make_listing()
    draft = make_listing(publish=False)
    withdrawn = listing_withdraw(listing=make_listing(), by=people["coord_seo"])
    reserved = make_listing(quantity=2)
    claim_for(reserved, quantity=2)
    completed = make_listing(quantity=1, category="economy.donated_goods")
    claim = claim_for(completed, quantity=1)
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)
    assert Listing.objects.get(pk=reserved.pk).state == ListingState.RESERVED
    assert Listing.objects.get(pk=completed.pk).state == ListingState.COMPLETED

    public = {published.pk, reserved.pk, completed.pk}
    for user in (None, nobody, people["cm_daedeok"], people["coord_daedeok"]):
        assert _ids(_client(user).get("/api/v1/listings/")) == public
        for hidden in (draft, withdrawn):
            response = _client(user).get(f"/api/v1/listings/{hidden.pk}/")
            assert (response.status_code, response.json()["code"]) == (404, "not_found")

    # The coordinator of the listings' region sees every state of them.
    mine = _ids(_client(people["coord_seo"]).get("/api/v1/listings/"))
    assert mine == public | {draft.pk, withdrawn.pk}
    drafts = _client(people["coord_seo"]).get("/api/v1/listings/", {"state": "draft"})
    assert _ids(drafts) == {draft.pk}


def test_a_listing_shows_whole_won_points_availability_and_the_donors_name(
    make_listing, daejeon, claim_for, grant
):
    grant(daejeon["대덕구"], 1_000)
    donor = Donor.objects.create(
        name="대전 사회적협동조합",
        kind="social_cooperative",
        business_number="1234567891",
        home_region=daejeon["서구"],
        verified_at=timezone.now(),
    )
    # Only its representatives offer a donor's gifts; the name is what is read here.
    listing = make_listing(quantity=10, krw=20_000)
    Listing.objects.filter(pk=listing.pk).update(donor=donor)
    claim_for(listing, quantity=3)
    response = _client().get(f"/api/v1/listings/{listing.pk}/")
    body = response.json()
    assert body["value_per_unit_krw"] == 20_000
    assert type(body["value_per_unit_krw"]) is int
    assert b"20000.0" not in response.content
    assert (body["points_per_unit"], body["quantity_available"], body["quantity_held"]) == (
        20,
        7,
        3,
    )
    assert (body["donor"], body["region"], body["district_name"]) == (
        "대전 사회적협동조합",
        daejeon["서구"].code,
        "서구",
    )
    assert body["category"] == "daily_living.side_dishes"

    hours = make_listing(kind="volunteer_hours", krw=None, category="daily_living.housework")
    body = _client().get(f"/api/v1/listings/{hours.pk}/").json()
    assert (body["value_per_unit_krw"], body["points_per_unit"], body["donor"]) == (None, 10, None)


def test_listing_filters_search_and_ordering(offer, daejeon):
    dong, today = daejeon["관저2동"], timezone.localdate()
    side = offer("밑반찬 세트")
    blanket = offer(
        "겨울 이불", category="economy.donated_goods", value_per_unit=Money(45_000, "KRW")
    )
    in_dong = offer("쌀 10kg", region_name="관저2동")
    hours = offer(
        "가사 도우미",
        region_name="대덕구",
        kind="volunteer_hours",
        value_per_unit=None,
        category="daily_living.housework",
        description="주 2회 청소와 빨래",
    )
    later = offer(
        "여름 선풍기",
        available_from=today + datetime.timedelta(days=30),
        available_until=today + datetime.timedelta(days=60),
    )
    client = _client()

    def ids(**params) -> set[int]:
        return _ids(client.get("/api/v1/listings/", params))

    assert ids(kind="volunteer_hours") == {hours.pk}
    assert ids(category="daily_living") == {side.pk, in_dong.pk, hours.pk, later.pk}
    assert ids(category="economy.donated_goods") == {blanket.pk}
    assert ids(region=dong.code) == {in_dong.pk}
    assert ids(district=daejeon["서구"].code) == {side.pk, blanket.pk, in_dong.pk, later.pk}
    assert ids(district=daejeon["대덕구"].code, kind="volunteer_hours") == {hours.pk}
    in_a_month = (today + datetime.timedelta(days=45)).isoformat()
    assert ids(available_on=in_a_month) == {side.pk, blanket.pk, in_dong.pk, hours.pk, later.pk}
    assert ids(available_on=today.isoformat()) == {side.pk, blanket.pk, in_dong.pk, hours.pk}
    assert ids(available_on="2025-12-31") == set()
    assert ids(search="이불") == {blanket.pk}
    assert ids(search="빨래") == {hours.pk}  # found in the description
    assert ids(state="published") == {side.pk, blanket.pk, in_dong.pk, hours.pk, later.pk}

    by_value = client.get("/api/v1/listings/", {"ordering": "-value_per_unit_krw"}).json()
    assert by_value["results"][0]["id"] == blanket.pk
    newest = client.get("/api/v1/listings/").json()["results"]
    assert newest[0]["id"] == later.pk


@pytest.mark.parametrize(
    "params",
    [
        {"available_on": "tomorrow"},
        {"available_on": "2026-02-30"},
        {"kind": "money"},
        {"state": "lost"},
        {"district": "서구"},
        {"region": "30170"},
        {"ordering": "password"},
    ],
)
def test_bad_listing_filters_get_400(make_listing, params):
    make_listing()
    response = _client().get("/api/v1/listings/", params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/listings/abc/",
        "/api/v1/listings/1.5/",
        "/api/v1/listings/-1/",
        "/api/v1/listings/99999999999999999999999999/",
        "/api/v1/claims/99999999999999999999999999/",
        "/api/v1/households/99999999999999999999999999/",
        "/api/v1/claims/abc/approve/",
        "/api/v1/categories/%00/",
        "/api/v1/categories/a%00b/",
    ],
)
def test_ids_that_are_not_ids_get_a_json_404(people, url):
    response = _client(people["coord_seo"]).get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_listing_list_costs_the_same_queries_for_any_page_size(
    make_listing, categories, people, daejeon
):
    regions = [daejeon[name] for name in ("서구", "관저2동", "대덕구")]
    for i in range(26):
        make_listing(
            region_name=regions[i % 3].name_ko,
            category=["daily_living.side_dishes", "economy.donated_goods"][i % 2],
        )

    def queries(user, page_size: int) -> int:
        client = _client(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/listings/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    for user in (None, people["coord_seo"]):
        assert queries(user, 5) == queries(user, 25)


def test_the_listing_count_stops_at_the_cap_and_the_pages_go_on(make_listing, monkeypatch):
    listings = [make_listing() for _ in range(7)]
    newest_first = [listing.pk for listing in reversed(listings)]
    client = _client()
    exact = client.get("/api/v1/listings/", {"page_size": 3}).json()
    assert (exact["count"], exact["count_exact"]) == (7, True)
    monkeypatch.setattr("config.pagination.COUNT_CAP", 4)
    seen = []
    url, params = "/api/v1/listings/", {"page_size": 3}
    while url:
        body = client.get(url, params).json()
        assert (body["count"], body["count_exact"]) == (4, False)
        seen += [row["id"] for row in body["results"]]
        url, params = body["next"], None
    assert seen == newest_first  # every listing, in order, once
    assert client.get("/api/v1/listings/", {"page_size": 3, "page": 4}).status_code == 404


# --- listings: writing ---------------------------------------------------------------


def test_coordinator_drafts_publishes_and_withdraws_a_listing(people, listing_payload):
    client = _client(people["coord_seo"])
    created = client.post("/api/v1/listings/", listing_payload, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["value_per_unit_krw"], body["points_per_unit"]) == (
        "draft",
        35_000,
        35,
    )
    url = f"/api/v1/listings/{body['id']}/"
    assert client.put(url, listing_payload, format="json").status_code == 405

    published = client.post(f"{url}publish/")
    assert published.status_code == 200
    assert published.json()["state"] == "published"
    assert published.json()["published_at"]

    refused = client.patch(url, {"title": "바꿈"})
    assert (refused.status_code, refused.json()["code"]) == (409, "illegal_transition")
    again = client.post(f"{url}publish/")
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")
    assert Listing.objects.get(pk=body["id"]).title == "김장 김치"

    withdrawn = client.post(f"{url}withdraw/", {"reason": "기부처 사정"})
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"


def test_coordinator_edits_a_draft(people, make_listing):
    draft = make_listing(publish=False)
    edited = _client(people["coord_seo"]).patch(
        f"/api/v1/listings/{draft.pk}/", {"title": "김장 김치 (포기)", "value_per_unit_krw": 30_000}
    )
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["title"], edited.json()["points_per_unit"]) == ("김장 김치 (포기)", 30)
    assert edited.json()["state"] == "draft"


def test_goods_without_a_value_are_refused_on_edit_naming_the_api_field(people, make_listing):
    draft = make_listing(publish=False, kind="volunteer_hours", krw=None)
    response = _client(people["coord_seo"]).patch(
        f"/api/v1/listings/{draft.pk}/", {"kind": "goods"}
    )
    assert response.status_code == 400
    assert "value_per_unit_krw" in response.json()["fields"]
    assert Listing.objects.get(pk=draft.pk).kind == "volunteer_hours"


def test_a_donor_representative_drafts_an_in_kind_gift_and_sees_it(
    listing_payload, daejeon, django_user_model, nobody
):
    from donors.models import DonorMembership

    donor = Donor.objects.create(
        name="함께나눔 사회적협동조합",
        kind="social_cooperative",
        business_number="1248100998",
        home_region=daejeon["대덕구"],
        verified_at=timezone.now(),
    )
    rep = django_user_model.objects.create_user(username="rep", password="pw-for-tests-only")
    DonorMembership.objects.create(user=rep, donor=donor)
    response = _client(rep).post(
        "/api/v1/listings/", {**listing_payload, "donor_id": donor.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["donor"], response.json()["state"]) == (donor.name, "draft")
    assert _ids(_client(rep).get("/api/v1/listings/")) == {response.json()["id"]}
    assert _ids(_client(nobody).get("/api/v1/listings/")) == set()
    # Without naming their donor they list nothing.
    alone = _client(rep).post("/api/v1/listings/", listing_payload, format="json")
    assert (alone.status_code, alone.json()["code"]) == (403, "permission_denied")


def test_only_a_coordinator_of_the_region_creates_publishes_or_withdraws(
    people, listing_payload, nobody, make_listing
):
    assert _client().post("/api/v1/listings/", listing_payload).status_code == 401
    for user in (nobody, people["cm_seo"], people["coord_daedeok"]):
        response = _client(user).post("/api/v1/listings/", listing_payload, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Listing.objects.filter(title="김장 김치").exists()

    published = make_listing()
    draft = make_listing(publish=False)
    other = _client(people["coord_daedeok"])
    refused = other.post(f"/api/v1/listings/{published.pk}/withdraw/")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    # Another region's draft does not exist for them.
    assert other.post(f"/api/v1/listings/{draft.pk}/publish/").status_code == 404
    assert _client().post(f"/api/v1/listings/{published.pk}/withdraw/").status_code == 401
    assert Listing.objects.get(pk=published.pk).state == ListingState.PUBLISHED
    assert Listing.objects.get(pk=draft.pk).state == ListingState.DRAFT


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value_per_unit_krw": "many"}, "value_per_unit_krw"),
        ({"value_per_unit_krw": 1.5}, "value_per_unit_krw"),
        ({"value_per_unit_krw": "20000.5"}, "value_per_unit_krw"),
        ({"value_per_unit_krw": -1}, "value_per_unit_krw"),
        ({"value_per_unit_krw": 10**20}, "value_per_unit_krw"),
        ({"value_per_unit_krw": None}, "value_per_unit_krw"),  # goods need a value
        ({"value_per_unit_krw": {"amount": 1}}, "value_per_unit_krw"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 10**30}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"quantity": [1]}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": {"ko": "김치"}}, "title"),
        ({"title": "김치\x00"}, "title"),
        ({"kind": "money"}, "kind"),
        ({"category": "no.such"}, "category"),
        ({"category": 7}, "category"),
        ({"region": "9999999999"}, "region"),
        ({"region": "3000000000"}, "region"),  # the city: a listing belongs to a dong or district
        ({"available_from": "someday"}, "available_from"),
        ({"available_until": "2025-12-31"}, "available_until"),
        ({"donor_id": 1.5}, "donor_id"),
        ({"donor_id": 10**30}, "donor_id"),
        ({"donor_id": "abc"}, "donor_id"),
        ({"donor_id": True}, "donor_id"),
    ],
)
def test_bad_listings_get_400_naming_the_field_and_create_nothing(
    people, listing_payload, change, field
):
    response = _client(people["coord_seo"]).post(
        "/api/v1/listings/", {**listing_payload, **change}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body
    assert not Listing.objects.exists()


@pytest.mark.parametrize("missing", ["region", "kind", "category", "title", "quantity", "unit"])
def test_a_listing_missing_a_field_gets_400(people, listing_payload, missing):
    payload = {k: v for k, v in listing_payload.items() if k != missing}
    response = _client(people["coord_seo"]).post("/api/v1/listings/", payload, format="json")
    assert response.status_code == 400
    assert missing in response.json()["fields"]


@pytest.mark.parametrize("body", [[1, 2], "text", 5])
def test_a_body_that_is_not_an_object_gets_400(people, body):
    response = _client(people["coord_seo"]).post("/api/v1/listings/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_draft_keeps_its_region_and_donor(people, make_listing, daejeon):
    draft = make_listing(publish=False)
    response = _client(people["coord_seo"]).patch(
        f"/api/v1/listings/{draft.pk}/", {"region": daejeon["관저2동"].code}
    )
    assert response.status_code == 400
    assert "region" in response.json()["fields"]
    assert Listing.objects.get(pk=draft.pk).region == daejeon["서구"]


# --- households ------------------------------------------------------------------------


def test_case_manager_registers_updates_closes_and_follows_up_a_household(
    people, daejeon, categories
):
    client = _client(people["cm_daedeok"])
    dong = daejeon["대덕구"].children.order_by("code").first()
    created = client.post(
        "/api/v1/households/",
        {"dong": dong.code, "size": 2, "needs": ["daily_living.side_dishes"], "notes": "거동 불편"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["code"].startswith("HH-")
    assert (body["district_name"], body["case_manager"], body["status"]) == (
        "대덕구",
        "cm_dd",
        "active",
    )
    url = f"/api/v1/households/{body['id']}/"

    updated = client.patch(url, {"size": 3, "needs": []}, format="json")
    assert updated.status_code == 200, updated.json()
    assert (updated.json()["size"], updated.json()["needs"], updated.json()["notes"]) == (
        3,
        [],
        "거동 불편",
    )
    assert _ids(client.get("/api/v1/households/")) == {body["id"]}

    closed = client.post(f"{url}close/")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    follow_ups = closed.json()["follow_ups"]
    assert len(follow_ups) == 2
    again = client.post(f"{url}close/")
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")

    first = follow_ups[0]["id"]
    recorded = client.post(f"{url}record-follow-up/", {"follow_up": first, "note": "안정적"})
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["follow_ups"][0]["recorded_by"] == "cm_dd"
    twice = client.post(f"{url}record-follow-up/", {"follow_up": first, "note": "다시"})
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")
    assert FollowUp.objects.get(pk=first).note == "안정적"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"follow_up": 10**30, "note": "x"}, "follow_up"),
        ({"follow_up": "abc", "note": "x"}, "follow_up"),
        ({"follow_up": 1.5, "note": "x"}, "follow_up"),
        ({"note": "x"}, "follow_up"),
        ({"follow_up": "OTHER", "note": "x"}, "follow_up"),  # another household's follow-up
        ({"follow_up": "MINE", "note": ""}, "note"),
        ({"follow_up": "MINE"}, "note"),
    ],
)
def test_bad_follow_up_records_get_400(people, daejeon, household, body, field):
    household_close(household=household, by=people["cm_daedeok"])
    other = household_create(by=people["cm_daedeok"], dong=household.dong, size=1)
    household_close(household=other, by=people["cm_daedeok"])
    ids = {
        "MINE": household.follow_ups.first().pk,
        "OTHER": other.follow_ups.first().pk,
    }
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = _client(people["cm_daedeok"]).post(
        f"/api/v1/households/{household.pk}/record-follow-up/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not FollowUp.objects.filter(recorded_at__isnull=False).exists()


def test_households_do_not_exist_for_anyone_but_their_case_managers(
    people, household, nobody, daejeon, make_member
):
    url = f"/api/v1/households/{household.pk}/"
    assert _client().get("/api/v1/households/").status_code == 401
    assert _client().get(url).status_code == 401
    for user in (nobody, people["coord_daedeok"], people["coord_seo"], people["cm_seo"]):
        client = _client(user)
        listed = client.get("/api/v1/households/")
        assert (listed.status_code, listed.json()["count"]) == (200, 0)
        for response in (
            client.get(url),
            client.patch(url, {"notes": "x"}),
            client.post(f"{url}close/"),
        ):
            assert response.status_code == 404
    household.refresh_from_db()
    assert (household.notes, household.status) == ("독거 어르신 동거", "active")

    # A case manager of the dong alone sees it too; one of another dong does not.
    dong_cm = make_member(household.dong, Role.CASE_MANAGER)
    assert _ids(_client(dong_cm).get("/api/v1/households/")) == {household.pk}
    next_dong = daejeon["대덕구"].children.order_by("code")[1]
    assert (
        _ids(_client(make_member(next_dong, Role.CASE_MANAGER)).get("/api/v1/households/")) == set()
    )


def test_only_case_managers_register_households_and_only_in_their_dongs(people, daejeon, nobody):
    dong = daejeon["대덕구"].children.order_by("code").first()
    payload = {"dong": dong.code, "size": 2}
    assert _client().post("/api/v1/households/", payload).status_code == 401
    for user in (nobody, people["coord_daedeok"]):
        response = _client(user).post("/api/v1/households/", payload)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    # Refused before the body is read: a bad body is still 403, not 400.
    assert _client(nobody).post("/api/v1/households/", {"size": "x"}).status_code == 403
    response = _client(people["cm_seo"]).post("/api/v1/households/", payload)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"size": 0}, "size"),
        ({"size": 21}, "size"),
        ({"size": 2.5}, "size"),
        ({"size": "two"}, "size"),
        ({"size": 10**30}, "size"),
        ({"dong": "9999999999"}, "dong"),
        ({"dong": "3023000000"}, "dong"),  # a district, not a dong
        ({"needs": ["no.such"]}, "needs"),
        ({"needs": "daily_living"}, "needs"),
        ({"notes": ["x"]}, "notes"),
    ],
)
def test_bad_households_get_400_naming_the_field(people, daejeon, change, field):
    dong = daejeon["대덕구"].children.order_by("code").first()
    response = _client(people["cm_daedeok"]).post(
        "/api/v1/households/", {"dong": dong.code, "size": 2, **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Household.objects.exists()


# --- claims ----------------------------------------------------------------------------


def test_case_manager_claims_across_regions_and_the_cost_is_held(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1_000)
    listing = make_listing(quantity=10, krw=20_000)
    response = _client(people["cm_daedeok"]).post(
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
    assert _wallet(daejeon, "대덕구") == 920

    approved = _client(people["coord_seo"]).post(f"/api/v1/claims/{body['id']}/approve/")
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert approved.json()["household"] is None
    fulfilled = _client(people["cm_daedeok"]).post(
        f"/api/v1/claims/{body['id']}/fulfil/", {"quantity_received": 3}
    )
    assert fulfilled.status_code == 200, fulfilled.json()
    assert (fulfilled.json()["state"], fulfilled.json()["quantity_received"]) == ("fulfilled", 3)
    assert (_wallet(daejeon, "대덕구"), _wallet(daejeon, "서구")) == (940, 60)


def test_claim_creation_is_idempotent(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1_000)
    listing = make_listing()
    client = _client(people["cm_daedeok"])
    payload = {"listing": listing.pk, "household": household.pk, "quantity": 2}

    first = client.post("/api/v1/claims/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    again = client.post("/api/v1/claims/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Claim.objects.count() == 1
    assert _wallet(daejeon, "대덕구") == 960

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
    assert _wallet(daejeon, "대덕구") == 960


def test_claim_refusals_keep_their_codes_and_change_nothing(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 50)
    client = _client(people["cm_daedeok"])
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
    assert _wallet(daejeon, "대덕구") == 50

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
    client = _client(people["cm_daedeok"])
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
    assert _wallet(daejeon, "대덕구") == 1_000


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
    response = _client(people["cm_daedeok"]).post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert other.code.encode() not in response.content
    assert not Claim.objects.exists()


@pytest.mark.parametrize("missing", ["listing", "household", "quantity"])
def test_a_claim_missing_a_field_gets_400(people, make_listing, household, missing):
    body = {"listing": make_listing().pk, "household": household.pk, "quantity": 1}
    del body[missing]
    response = _client(people["cm_daedeok"]).post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert missing in response.json()["fields"]


def test_only_case_managers_claim(people, make_listing, household, nobody):
    listing = make_listing()
    body = {"listing": listing.pk, "household": household.pk, "quantity": 1}
    assert _client().post("/api/v1/claims/", body).status_code == 401
    for user in (nobody, people["coord_seo"], people["coord_daedeok"]):
        response = _client(user).post("/api/v1/claims/", body)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Claim.objects.exists()


@pytest.fixture
def ledger_snapshot(daejeon):
    def take() -> tuple[int, int, int]:
        return (
            _wallet(daejeon, "대덕구"),
            _wallet(daejeon, "서구"),
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
    response = _client(user).post(f"/api/v1/claims/{claim.pk}/{action}/", body, format="json")

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
    assert _wallet(daejeon, "대덕구") == 940

    first = _client(people["cm_daedeok"]).post(
        f"/api/v1/claims/{by_case_manager.pk}/cancel/", {"reason": "이사"}
    )
    second = _client(people["coord_seo"]).post(
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
    assert _wallet(daejeon, "대덕구") == 980
    before = ledger_snapshot()
    response = _client(people["coord_seo"]).post(f"/api/v1/claims/{claim.pk}/approve/")
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
    client = _client(people["coord_seo"])

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
    assert _wallet(daejeon, "대덕구") == 1_000
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
        assert _ids(_client(user).get("/api/v1/claims/")) == visible
        expected = 200 if visible else 404
        assert _client(user).get(f"/api/v1/claims/{claim.pk}/").status_code == expected
    assert _client().get("/api/v1/claims/").status_code == 401


def test_claim_list_costs_the_same_queries_for_any_page_size(
    people, make_listing, claim_for, grant, daejeon
):
    grant(daejeon["대덕구"], 100_000)
    listings = [make_listing(quantity=100), make_listing(region_name="관저2동", quantity=100)]
    for i in range(26):
        claim_for(listings[i % 2], quantity=1, justification="반복 지원")

    def queries(user, page_size: int) -> int:
        client = _client(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/claims/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    for user in (people["cm_daedeok"], people["coord_seo"]):
        assert queries(user, 5) == queries(user, 25)


# --- who sees a household --------------------------------------------------------------


def test_household_codes_and_notes_reach_no_one_but_their_case_managers(
    people, make_listing, household, grant, daejeon, nobody
):
    grant(daejeon["대덕구"], 1_000)
    # One claim on a 서구 listing and one on a 대덕구 listing, so that the
    # coordinators of both regions see a claim for the household.
    cross = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=1
    )
    local_listing = make_listing(region_name="대덕구", category="economy.donated_goods")
    local = claim_request(
        by=people["cm_daedeok"], listing=local_listing, household=household, quantity=1
    )
    secret_code, secret_notes = household.code.encode(), household.notes.encode()

    urls = [
        "/api/v1/listings/",
        f"/api/v1/listings/{local_listing.pk}/",
        "/api/v1/claims/",
        f"/api/v1/claims/{cross.pk}/",
        f"/api/v1/claims/{local.pk}/",
        "/api/v1/households/",
        f"/api/v1/households/{household.pk}/",
    ]
    onlookers = {
        "anonymous": None,
        "no role": nobody,
        "coordinator of the listing's region": people["coord_seo"],
        "coordinator of the household's region": people["coord_daedeok"],
        "case manager of another region": people["cm_seo"],
    }
    for who, user in onlookers.items():
        client = _client(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 401, 404), (who, url)
            assert secret_code not in response.content, (who, url)
            assert secret_notes not in response.content, (who, url)

    # The coordinators see where the household lives, and act on the claims
    # without ever being shown who it is.
    seen = _client(people["coord_seo"]).get(f"/api/v1/claims/{cross.pk}/").json()
    assert (seen["household"], seen["household_district"]) == (None, "대덕구")
    for user, claim in ((people["coord_seo"], cross), (people["coord_daedeok"], local)):
        response = _client(user).post(f"/api/v1/claims/{claim.pk}/approve/")
        assert response.status_code == 200
        assert secret_code not in response.content
        assert secret_notes not in response.content

    # The household's own case manager sees the code (and the notes on the household).
    client = _client(people["cm_daedeok"])
    assert secret_code in client.get(f"/api/v1/claims/{cross.pk}/").content
    assert secret_notes in client.get(f"/api/v1/households/{household.pk}/").content


def test_the_api_decides_who_sees_a_household_as_may_see_household_does(
    people, daejeon, household, nobody, make_member
):
    others = [
        household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=1),
        household,
    ]
    users = [
        *people.values(),
        nobody,
        make_member(household.dong, Role.CASE_MANAGER),
        make_member(
            daejeon["관저2동"],
            Role.CASE_MANAGER,
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2025, 12, 31),
        ),
    ]
    for user in users:
        viewer = Viewer(user)
        for h in others:
            assert viewer.sees_household(h) == may_see_household(user, h), (user, h)


def test_the_openapi_schema_describes_the_marketplace(db):
    schema = _client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
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
            {"follow_up": closed.follow_ups.first().pk, "note": "n"},
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
        client = _client(user)
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
        client = _client(user)
        for name in names:
            for value in WEIRD:
                if value is None or isinstance(value, (list, dict)):
                    continue
                response = client.get(url, {name: str(value)})
                assert response.status_code < 500, (url, name, value, response.content)
