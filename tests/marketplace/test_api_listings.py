"""The API of categories and listings: reading, filters, writing and who may write."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djmoney.money import Money

from donors.models import Donor
from exchange.services import claim_approve, claim_fulfil
from marketplace.models import Listing, ListingState
from marketplace.services import (
    listing_withdraw,
)
from tests.helpers import api_client, result_ids

# --- categories ----------------------------------------------------------------------


def test_categories_are_public_and_filter_by_parent_and_usual_kind(categories):
    client = api_client()
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
        assert result_ids(api_client(user).get("/api/v1/listings/")) == public
        for hidden in (draft, withdrawn):
            response = api_client(user).get(f"/api/v1/listings/{hidden.pk}/")
            assert (response.status_code, response.json()["code"]) == (404, "not_found")

    # The coordinator of the listings' region sees every state of them.
    mine = result_ids(api_client(people["coord_seo"]).get("/api/v1/listings/"))
    assert mine == public | {draft.pk, withdrawn.pk}
    drafts = api_client(people["coord_seo"]).get("/api/v1/listings/", {"state": "draft"})
    assert result_ids(drafts) == {draft.pk}


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
    response = api_client().get(f"/api/v1/listings/{listing.pk}/")
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
    body = api_client().get(f"/api/v1/listings/{hours.pk}/").json()
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
    client = api_client()

    def ids(**params) -> set[int]:
        return result_ids(client.get("/api/v1/listings/", params))

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
    response = api_client().get("/api/v1/listings/", params)
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
    response = api_client(people["coord_seo"]).get(url)
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
        client = api_client(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/listings/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    for user in (None, people["coord_seo"]):
        assert queries(user, 5) == queries(user, 25)


def test_the_listing_count_stops_at_the_cap_and_the_pages_go_on(make_listing, monkeypatch):
    listings = [make_listing() for _ in range(7)]
    newest_first = [listing.pk for listing in reversed(listings)]
    client = api_client()
    exact = client.get("/api/v1/listings/", {"page_size": 3}).json()
    assert (exact["count"], exact["count_exact"]) == (7, True)
    monkeypatch.setattr("config.pagination.COUNT_CAP", 4)
    # The cap is a constant of the code: the anonymous answer kept in the cache
    # under the same query was counted with the old one.
    cache.clear()
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
    client = api_client(people["coord_seo"])
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
    edited = api_client(people["coord_seo"]).patch(
        f"/api/v1/listings/{draft.pk}/", {"title": "김장 김치 (포기)", "value_per_unit_krw": 30_000}
    )
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["title"], edited.json()["points_per_unit"]) == ("김장 김치 (포기)", 30)
    assert edited.json()["state"] == "draft"


def test_goods_without_a_value_are_refused_on_edit_naming_the_api_field(people, make_listing):
    draft = make_listing(publish=False, kind="volunteer_hours", krw=None)
    response = api_client(people["coord_seo"]).patch(
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
    response = api_client(rep).post(
        "/api/v1/listings/", {**listing_payload, "donor_id": donor.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["donor"], response.json()["state"]) == (donor.name, "draft")
    assert result_ids(api_client(rep).get("/api/v1/listings/")) == {response.json()["id"]}
    assert result_ids(api_client(nobody).get("/api/v1/listings/")) == set()
    # Without naming their donor they list nothing.
    alone = api_client(rep).post("/api/v1/listings/", listing_payload, format="json")
    assert (alone.status_code, alone.json()["code"]) == (403, "permission_denied")


def test_only_a_coordinator_of_the_region_creates_publishes_or_withdraws(
    people, listing_payload, nobody, make_listing
):
    assert api_client().post("/api/v1/listings/", listing_payload).status_code == 401
    for user in (nobody, people["cm_seo"], people["coord_daedeok"]):
        response = api_client(user).post("/api/v1/listings/", listing_payload, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Listing.objects.filter(title="김장 김치").exists()

    published = make_listing()
    draft = make_listing(publish=False)
    other = api_client(people["coord_daedeok"])
    refused = other.post(f"/api/v1/listings/{published.pk}/withdraw/")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    # Another region's draft does not exist for them.
    assert other.post(f"/api/v1/listings/{draft.pk}/publish/").status_code == 404
    assert api_client().post(f"/api/v1/listings/{published.pk}/withdraw/").status_code == 401
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
    response = api_client(people["coord_seo"]).post(
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
    response = api_client(people["coord_seo"]).post("/api/v1/listings/", payload, format="json")
    assert response.status_code == 400
    assert missing in response.json()["fields"]


@pytest.mark.parametrize("body", [[1, 2], "text", 5])
def test_a_body_that_is_not_an_object_gets_400(people, body):
    response = api_client(people["coord_seo"]).post("/api/v1/listings/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_draft_keeps_its_region_and_donor(people, make_listing, daejeon):
    draft = make_listing(publish=False)
    response = api_client(people["coord_seo"]).patch(
        f"/api/v1/listings/{draft.pk}/", {"region": daejeon["관저2동"].code}
    )
    assert response.status_code == 400
    assert "region" in response.json()["fields"]
    assert Listing.objects.get(pk=draft.pk).region == daejeon["서구"]
