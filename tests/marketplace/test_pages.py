"""The marketplace pages: the public catalogue and its live filters, the listing
page and its claim form, claim decisions, listings, households and follow-ups,
the wallet statement, the review of repeated services and the dashboards."""

from __future__ import annotations

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from djmoney.money import Money

from exchange.models import Claim, ClaimState
from exchange.services import claim_approve, claim_fulfil, claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for
from marketplace import stats
from marketplace.models import FollowUp, Household, HouseholdStatus, Listing, ListingState
from marketplace.services import household_close, household_create
from people.models import Role
from people.services import finance_group

HTMX = {"HX-Request": "true"}
SEOUL = ZoneInfo("Asia/Seoul")


def listing_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-listing="(\d+)"', html)]


def actions_for(html: str, claim: Claim) -> set[str]:
    """The action buttons inside one claim's card."""
    match = re.search(rf'<li class="claim[^"]*" id="claim-{claim.pk}".*?</li>', html, re.S)
    return set(re.findall(r'data-action="([a-z-]+)"', match.group(0))) if match else set()


def wallet(region) -> int:
    return account_balance(account_for(region, Purpose.WALLET))


@pytest.fixture
def finance(db, django_user_model):
    user = django_user_model.objects.create_user(username="fin", password="pw-for-tests-only")
    user.groups.add(finance_group())
    return user


@pytest.fixture
def donor_like(db, django_user_model):
    """Signed in, but without any post."""
    return django_user_model.objects.create_user(username="nobody", password="pw-for-tests-only")


@pytest.fixture
def claim(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    return claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)


# --- the public catalogue ---------------------------------------------------------------


def test_catalogue_is_public_and_shows_only_published_listings(client, make_listing):
    published = make_listing()
    draft = make_listing(publish=False)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert listing_ids(html) == [published.pk]
    assert f'href="/listings/{published.pk}/"' in html
    assert draft.pk not in listing_ids(html)


@pytest.fixture
def assorted(daejeon, categories, people, make_listing):
    """Five published listings that differ in one respect each."""
    today = timezone.localdate()
    listings = {
        "side_dishes": make_listing(),
        "service": make_listing(kind="service", category="housing.repair", krw=50_000),
        "daedeok": make_listing(region_name="대덕구", category="economy.donated_goods"),
        "gwanjeo2": make_listing(region_name="관저2동", category="daily_living.meals"),
        "later": make_listing(category="health.checkup"),
    }
    Listing.objects.filter(pk=listings["later"].pk).update(
        available_from=today + datetime.timedelta(days=10)
    )
    Listing.objects.filter(pk=listings["service"].pk).update(title="집수리 봉사")
    return listings


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=집수리", {"service"}),
        ("kind=service", {"service"}),
        ("category=housing.repair", {"service"}),
        ("category=daily_living", {"side_dishes", "gwanjeo2"}),
        ("district=3023000000", {"daedeok"}),
        ("district=3017000000", {"side_dishes", "service", "gwanjeo2", "later"}),
        ("dong=3017059700", {"gwanjeo2"}),
        ("available=on", {"side_dishes", "service", "daedeok", "gwanjeo2"}),
    ],
)
def test_each_catalogue_filter_narrows_the_results(client, assorted, query, expected):
    everything = listing_ids(client.get("/").content.decode())
    assert len(everything) == 5
    response = client.get(f"/?{query}", headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert "<html" not in html and 'id="catalogue-results"' in html
    assert set(listing_ids(html)) == {assorted[name].pk for name in expected}


def test_full_page_also_varies_on_htmx(client, daejeon):
    response = client.get("/?kind=goods")
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_the_dong_list_follows_the_chosen_district(client, daejeon):
    html = client.get("/?district=3023000000").content.decode()
    dong_select = re.search(r'<select name="dong".*?</select>', html, re.S).group(0)
    assert daejeon["관저2동"].code not in dong_select
    assert any(r.code in dong_select for r in daejeon["대덕구"].children.all()), (
        "the dongs of 대덕구 are offered"
    )
    # An htmx request whose district changed gets the narrowed dong list out of band …
    changed = client.get("/?district=3023000000&dongs_for=", headers=HTMX).content.decode()
    assert 'id="dong-field" hx-swap-oob="true"' in changed
    # … and only then, so the list the user is choosing from is not replaced.
    same = client.get("/?district=3023000000&dongs_for=3023000000", headers=HTMX).content.decode()
    assert "hx-swap-oob" not in same


def test_a_dong_left_over_from_another_district_is_dropped(client, assorted):
    html = client.get("/?district=3023000000&dong=3017059700", headers=HTMX).content.decode()
    assert set(listing_ids(html)) == {assorted["daedeok"].pk}


def test_sorting_by_title_and_value(client, assorted):
    by_title = listing_ids(client.get("/?sort=title").content.decode())
    titles = list(
        Listing.objects.filter(pk__in=by_title)
        .order_by("title", "-pk")
        .values_list("pk", flat=True)
    )
    assert by_title == titles
    by_value = listing_ids(client.get("/?sort=value").content.decode())
    assert by_value[0] == assorted["service"].pk


def test_catalogue_pages_hold_twenty(client, make_listing):
    for _ in range(25):
        make_listing()
    first = client.get("/").content.decode()
    second = client.get("/?page=2", headers=HTMX).content.decode()
    assert len(listing_ids(first)) == 20
    assert len(listing_ids(second)) == 5
    assert not set(listing_ids(first)) & set(listing_ids(second))
    assert 'data-count="25"' in first
    assert client.get("/?page=abc").status_code == 200
    assert client.get("/?page=999999999999999999999").status_code == 200


def test_past_a_thousand_the_catalogue_says_more_and_still_pages(client, make_listing, monkeypatch):
    monkeypatch.setattr("config.pagination.COUNT_CAP", 30)
    for _ in range(45):
        make_listing()
    first = client.get("/").content.decode()
    assert 'data-count="30+"' in first
    assert "30건이 넘는 자원이 있습니다" in first  # "More than 30 listings"
    assert "<span>1쪽</span>" in first and 'rel="next"' in first
    seen = listing_ids(first)
    for number in (2, 3):
        page = client.get(f"/?page={number}", headers=HTMX).content.decode()
        seen += listing_ids(page)
    assert len(seen) == len(set(seen)) == 45
    assert 'rel="next"' not in page


def test_totals_count_listings_and_this_months_redeemed_points(
    client, people, make_listing, household, grant, daejeon, at
):
    from people.models import RegionMembership

    RegionMembership.objects.update(starts_on=datetime.date(2026, 1, 1))
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    make_listing(publish=False)
    now = timezone.now()
    last_month = timezone.localtime(now).replace(day=1) - datetime.timedelta(days=3)
    with at(last_month):
        old = claim_request(
            by=people["cm_daedeok"], listing=listing, household=household, quantity=1
        )
        claim_approve(claim=old, by=people["coord_seo"])
        claim_fulfil(claim=old, by=people["cm_daedeok"], quantity_received=1)
    other = household_create(by=people["cm_daedeok"], dong=household.dong, size=1)
    fresh = claim_request(by=people["cm_daedeok"], listing=listing, household=other, quantity=4)
    claim_approve(claim=fresh, by=people["coord_seo"])
    claim_fulfil(claim=fresh, by=people["cm_daedeok"], quantity_received=3)

    assert stats.points_exchanged_in_month() == 60
    assert stats.points_exchanged_in_month(timezone.localdate(last_month)) == 20
    html = client.get("/").content.decode()
    assert re.search(r'data-total="listings">1<', html)
    assert re.search(r'data-total="points-month">60<', html)


def test_month_bounds_are_seoul_months():
    start, end = stats.month_bounds(datetime.date(2026, 12, 15))
    assert start == datetime.datetime(2026, 12, 1, tzinfo=SEOUL)
    assert end == datetime.datetime(2027, 1, 1, tzinfo=SEOUL)


def test_catalogue_shrugs_off_garbage(client, assorted):
    response = client.get(
        "/?kind=zzz&category=nope&district=12&dong=x&sort=sideways&available=maybe&q=" + "가" * 500
    )
    assert response.status_code == 200
    # A NUL character is refused for every page before it reaches a query.
    assert client.get("/?dong=%00&q=%00").status_code == 400


# --- the listing page ------------------------------------------------------------------


def test_listing_page_is_public_and_shows_the_terms(client, make_listing):
    listing = make_listing(pickup_notes="관저2동 주민센터 1층에서 수령")
    response = client.get(f"/listings/{listing.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "밑반찬 세트" in html
    assert 'data-points="20"' in html
    assert "20,000" in html
    assert 'data-available="10"' in html
    assert "서구" in html
    assert "관저2동 주민센터 1층에서 수령" in html
    assert 'id="claim-form"' not in html


def test_a_draft_is_seen_only_by_its_regions_coordinators(client, make_listing, people):
    draft = make_listing(publish=False)
    assert client.get(f"/listings/{draft.pk}/").status_code == 404
    client.force_login(people["coord_daedeok"])
    assert client.get(f"/listings/{draft.pk}/").status_code == 404
    client.force_login(people["coord_seo"])
    html = client.get(f"/listings/{draft.pk}/").content.decode()
    assert 'data-action="publish"' in html
    assert 'id="edit-form"' in html


def test_a_draft_whose_availability_ended_offers_no_publish_button(client, make_listing, people):
    today = timezone.localdate()
    draft = make_listing(
        publish=False,
        available_from=today - datetime.timedelta(days=30),
        available_until=today - datetime.timedelta(days=1),
    )
    client.force_login(people["coord_seo"])
    html = client.get(f"/listings/{draft.pk}/").content.decode()
    assert 'data-action="publish"' not in html
    assert 'data-action="withdraw"' in html
    assert "제공 기간이 이미 끝났습니다" in html
    # Sent anyway, publishing is refused and changes nothing.
    response = client.post(f"/listings/{draft.pk}/publish/")
    assert response.status_code == 409
    draft.refresh_from_db()
    assert (draft.state, draft.published_at) == (ListingState.DRAFT, None)


def test_case_manager_sees_a_claim_form_with_only_their_active_households(
    client, make_listing, people, household, daejeon
):
    closed = household_create(by=people["cm_daedeok"], dong=household.dong, size=1)
    household_close(household=closed, by=people["cm_daedeok"])
    elsewhere = household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=2)
    listing = make_listing()
    client.force_login(people["cm_daedeok"])
    html = client.get(f"/listings/{listing.pk}/").content.decode()
    form = re.search(r'<form[^>]*id="claim-form".*?</form>', html, re.S).group(0)
    assert household.code in form
    assert closed.code not in form
    assert elsewhere.code not in form
    assert 'name="justification"' not in form


def test_claim_through_the_page_holds_points(
    client, make_listing, people, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing()
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/listings/{listing.pk}/claim/", {"household": household.pk, "quantity": "4"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/listings/{listing.pk}/"
    claim = Claim.objects.get()
    assert (claim.quantity, claim.state, claim.cost_points) == (4, ClaimState.REQUESTED, 80)
    assert wallet(daejeon["대덕구"]) == 920
    html = client.get(f"/listings/{listing.pk}/").content.decode()
    assert 'data-available="6"' in html
    assert f'id="claim-{claim.pk}"' in html


def test_claim_without_enough_points_shows_how_many_are_missing(
    client, make_listing, people, household, grant, daejeon
):
    grant(daejeon["대덕구"], 30)
    listing = make_listing()
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/listings/{listing.pk}/claim/",
        {"household": household.pk, "quantity": "4"},
        headers=HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    form = re.search(r'<form[^>]*id="claim-form".*?</form>', html, re.S).group(0)
    assert 'data-shortfall="50"' in form
    error = re.search(r'id="id_quantity-error".*?</div>', form, re.S).group(0)
    assert "50" in error
    assert not Claim.objects.exists()
    assert wallet(daejeon["대덕구"]) == 30


def test_claim_of_more_units_than_available_is_refused_next_to_the_quantity(
    client, make_listing, people, household, grant, daejeon
):
    grant(daejeon["대덕구"], 10_000)
    listing = make_listing(quantity=5)
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/listings/{listing.pk}/claim/", {"household": household.pk, "quantity": "6"}
    )
    assert response.status_code == 409
    assert 'id="id_quantity-error"' in response.content.decode()
    assert not Claim.objects.exists()


def test_repeated_service_needs_a_justification_then_goes_through(
    client, make_listing, people, household, grant, daejeon
):
    grant(daejeon["대덕구"], 10_000)
    listing = make_listing()
    client.force_login(people["cm_daedeok"])
    url = f"/listings/{listing.pk}/claim/"
    assert client.post(url, {"household": household.pk, "quantity": "1"}).status_code == 302

    response = client.post(url, {"household": household.pk, "quantity": "1"}, headers=HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'name="justification"' in html
    assert 'id="id_justification-error"' in html
    assert Claim.objects.count() == 1

    response = client.post(
        url,
        {"household": household.pk, "quantity": "1", "justification": "가구원 수술 후 회복 중"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert 'class="notice"' in response.content.decode()
    second = Claim.objects.order_by("-pk").first()
    assert second.duplicate_flag is True
    assert second.justification == "가구원 수술 후 회복 중"


def test_claim_for_a_household_outside_my_regions_is_403(
    client, make_listing, people, household, grant, daejeon
):
    grant(daejeon["서구"], 1000)
    listing = make_listing(region_name="대덕구", category="economy.donated_goods")
    client.force_login(people["cm_seo"])
    response = client.post(
        f"/listings/{listing.pk}/claim/", {"household": household.pk, "quantity": "1"}
    )
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_claim_before_the_listing_opens_is_refused_at_the_top_of_the_form(
    client, make_listing, people, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing()
    Listing.objects.filter(pk=listing.pk).update(
        available_from=timezone.localdate() + datetime.timedelta(days=3)
    )
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/listings/{listing.pk}/claim/",
        {"household": household.pk, "quantity": "1"},
        headers=HTMX,
    )
    assert response.status_code == 409
    form = re.search(r'<form[^>]*id="claim-form".*?</form>', response.content.decode(), re.S)
    assert 'class="errors form-errors"' in form.group(0)
    assert not Claim.objects.exists()


def test_claim_on_a_withdrawn_listing_is_refused(
    client, make_listing, people, household, grant, daejeon
):
    from marketplace.services import listing_withdraw

    listing = make_listing()
    listing_withdraw(listing=listing, by=people["coord_seo"])
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/listings/{listing.pk}/claim/", {"household": household.pk, "quantity": "1"}
    )
    assert response.status_code in {404, 409}
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"quantity": "abc"},
        {"quantity": "-3"},
        {"quantity": "0"},
        {"quantity": "1.5"},
        {"quantity": "9" * 40},
        {"quantity": ""},
        {"household": "x"},
        {"household": "-1"},
        {"household": "99999999"},
        {"household": "9" * 40},
        {"household": ""},
        {"justification": "가" * 5000},
    ],
)
def test_malformed_claims_are_422_not_500(client, make_listing, people, household, data):
    listing = make_listing()
    client.force_login(people["cm_daedeok"])
    payload = {"household": str(household.pk), "quantity": "1", **data}
    response = client.post(f"/listings/{listing.pk}/claim/", payload)
    assert response.status_code == 422
    assert not Claim.objects.exists()


def test_only_case_managers_may_post_claims(client, make_listing, people, household, donor_like):
    listing = make_listing()
    url = f"/listings/{listing.pk}/claim/"
    payload = {"household": household.pk, "quantity": "1"}
    response = client.post(url, payload)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(donor_like)
    assert client.post(url, payload).status_code == 403
    client.force_login(people["coord_seo"])
    assert client.post(url, payload).status_code == 403
    assert not Claim.objects.exists()


# --- claim decisions ------------------------------------------------------------------------


def test_approve_is_offered_only_to_the_listing_regions_coordinator(client, claim, people):
    client.force_login(people["coord_seo"])
    assert {"approve", "reject"} <= actions_for(client.get("/dashboard/").content.decode(), claim)
    client.force_login(people["coord_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert "approve" not in actions_for(html, claim)
    listing_html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-action="approve"' not in listing_html
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert actions_for(html, claim) == {"cancel"}
    listing_html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert "approve" not in actions_for(listing_html, claim)


def test_approve_then_confirm_receipt_through_the_pages(client, claim, people, daejeon):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/approve/", {"reason": ""}, headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert response["HX-Trigger"] == "claims-changed"
    assert f'id="claim-{claim.pk}"' in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED

    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert actions_for(html, claim) == {"cancel", "fulfil"}
    response = client.post(
        f"/claims/{claim.pk}/fulfil/", {"quantity_received": "3", "next": "/dashboard/"}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    claim.refresh_from_db()
    assert (claim.state, claim.quantity_received) == (ClaimState.FULFILLED, 3)
    assert wallet(daejeon["서구"]) == 60
    assert wallet(daejeon["대덕구"]) == 1000 - 60
    assert ledger_verify().ok
    html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-available="7"' in html


def test_reject_with_a_reason_returns_the_points(client, claim, people, daejeon):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": "재고 소진"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.state, claim.decision_reason) == (ClaimState.REJECTED, "재고 소진")
    assert wallet(daejeon["대덕구"]) == 1000


def test_case_manager_cancels_their_claim(client, claim, people, daejeon):
    client.force_login(people["cm_daedeok"])
    response = client.post(f"/claims/{claim.pk}/cancel/", {}, headers=HTMX)
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.state == ClaimState.CANCELLED
    assert wallet(daejeon["대덕구"]) == 1000


@pytest.mark.parametrize(
    ("who", "action", "data", "status"),
    [
        ("cm_daedeok", "fulfil", {"quantity_received": "4"}, 409),
        ("cm_daedeok", "fulfil", {"quantity_received": "-1"}, 422),
        ("cm_daedeok", "fulfil", {"quantity_received": "abc"}, 422),
        ("cm_daedeok", "fulfil", {"quantity_received": "9" * 40}, 422),
        ("coord_seo", "approve", {"reason": "가" * 2000}, 422),
    ],
)
def test_illegal_actions_are_refused_and_change_nothing(
    client, claim, people, daejeon, who, action, data, status
):
    client.force_login(people[who])
    response = client.post(f"/claims/{claim.pk}/{action}/", data, headers=HTMX)
    assert response.status_code == status
    assert "data-error" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == ClaimState.REQUESTED
    assert wallet(daejeon["대덕구"]) == 920


def test_deciding_twice_is_a_conflict(client, claim, people):
    client.force_login(people["coord_seo"])
    assert client.post(f"/claims/{claim.pk}/approve/", {}).status_code == 302
    response = client.post(f"/claims/{claim.pk}/reject/", {})
    assert response.status_code == 409
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


def test_receiving_more_than_claimed_is_refused(client, claim, people):
    claim_approve(claim=claim, by=people["coord_seo"])
    client.force_login(people["cm_daedeok"])
    response = client.post(f"/claims/{claim.pk}/fulfil/", {"quantity_received": "5"})
    assert response.status_code == 422
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


def test_actions_on_unknown_claims_are_404_and_anonymous_go_to_login(client, claim, people):
    response = client.post(f"/claims/{claim.pk}/approve/", {})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(people["coord_seo"])
    assert client.post("/claims/999999/approve/", {}).status_code == 404
    assert client.post("/claims/99999999999999999999999/approve/", {}).status_code == 404
    assert client.get(f"/claims/{claim.pk}/approve/").status_code == 405


def test_a_claim_past_its_deadline_shows_as_expired(client, claim, people, daejeon):
    Claim.objects.filter(pk=claim.pk).update(
        approve_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert f'id="claim-{claim.pk}" data-claim="{claim.pk}" data-state="expired"' in html
    assert actions_for(html, claim) == set()
    client.force_login(people["coord_seo"])
    html = client.get("/dashboard/").content.decode()
    assert f'id="claim-{claim.pk}"' not in html  # no longer waiting for a decision
    # Shown so before the command runs; the pages wrote nothing.
    claim.refresh_from_db()
    assert claim.state == ClaimState.REQUESTED
    call_command("expire_due", stdout=io.StringIO())
    claim.refresh_from_db()
    assert claim.state == ClaimState.EXPIRED
    assert wallet(daejeon["대덕구"]) == 1000


def test_the_listing_page_counts_overdue_claims_units_as_free(client, claim):
    Claim.objects.filter(pk=claim.pk).update(
        approve_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-available="10"' in html
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED


# --- listings --------------------------------------------------------------------------------


def _listing_form(region, **overrides) -> dict[str, str]:
    return {
        "region": region.code if region else "",
        "kind": "goods",
        "category": "daily_living.side_dishes",
        "title": "밑반찬 세트",
        "description": "",
        "quantity": "10",
        "unit": "상자",
        "value_per_unit": "20000",
        "available_from": timezone.localdate().isoformat(),
        "available_until": "",
        "pickup_notes": "",
        **overrides,
    }


def test_coordinator_drafts_publishes_and_withdraws(client, people, daejeon, categories):
    client.force_login(people["coord_seo"])
    page = client.get("/listings/new/").content.decode()
    region_select = re.search(r'<select name="region".*?</select>', page, re.S).group(0)
    assert daejeon["관저2동"].code in region_select
    assert daejeon["대덕구"].code not in region_select
    assert "10,320" in page  # the value of a volunteer hour, in the help text

    response = client.post("/listings/new/", _listing_form(daejeon["관저2동"]))
    listing = Listing.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/listings/{listing.pk}/"
    assert (listing.state, listing.value_per_unit) == (ListingState.DRAFT, Money(20_000, "KRW"))
    assert listing.posted_by == people["coord_seo"]

    response = client.post(f"/listings/{listing.pk}/publish/", {}, headers=HTMX)
    assert response.status_code == 200
    assert 'data-action="withdraw"' in response.content.decode()
    assert 'id="edit-form"' not in response.content.decode()
    listing.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED
    assert client.post(f"/listings/{listing.pk}/publish/", {}).status_code == 409

    response = client.post(f"/listings/{listing.pk}/withdraw/", {"reason": "기한 변경"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.state == ListingState.WITHDRAWN


def _edit_form(**overrides) -> dict[str, str]:
    data = _listing_form(None, **overrides)
    data.pop("region")
    return data


def test_coordinator_edits_a_draft_and_not_a_published_listing(client, people, make_listing):
    draft = make_listing(publish=False)
    client.force_login(people["coord_seo"])
    response = client.post(
        f"/listings/{draft.pk}/edit/", _edit_form(title="밑반찬 세트 (2인분)"), headers=HTMX
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.title == "밑반찬 세트 (2인분)"
    response = client.post(f"/listings/{draft.pk}/edit/", _edit_form(quantity="0"))
    assert response.status_code == 422

    published = make_listing()
    response = client.post(f"/listings/{published.pk}/edit/", _edit_form(title="바뀐 제목"))
    assert response.status_code == 409
    client.force_login(people["coord_daedeok"])
    assert client.post(f"/listings/{draft.pk}/edit/", _edit_form()).status_code == 403
    published.refresh_from_db()
    assert published.title == "밑반찬 세트"


def test_listing_form_errors_are_shown_next_to_the_fields(client, people, daejeon, categories):
    client.force_login(people["coord_seo"])
    response = client.post(
        "/listings/new/", _listing_form(daejeon["서구"], value_per_unit=""), headers=HTMX
    )
    assert response.status_code == 422
    assert 'id="id_value_per_unit-error"' in response.content.decode()
    response = client.post(
        "/listings/new/",
        _listing_form(
            daejeon["대덕구"], quantity="-1", value_per_unit="abc", available_from="어제"
        ),
    )
    assert response.status_code == 422
    html = response.content.decode()
    for field in ("region", "quantity", "value_per_unit", "available_from"):
        assert f'id="id_{field}-error"' in html
    response = client.post(
        "/listings/new/",
        _listing_form(daejeon["서구"], available_until="2000-01-01"),
    )
    assert response.status_code == 422
    assert 'id="id_available_until-error"' in response.content.decode()
    assert not Listing.objects.exists()


def test_volunteer_hours_need_no_value(client, people, daejeon, categories):
    client.force_login(people["coord_seo"])
    data = _listing_form(
        daejeon["서구"],
        kind="volunteer_hours",
        category="daily_living.housework",
        value_per_unit="",
    )
    data["unit"] = "시간"
    assert client.post("/listings/new/", data).status_code == 302
    listing = Listing.objects.get()
    html = client.get(f"/listings/{listing.pk}/").content.decode()
    assert 'data-points="10"' in html


def test_listing_management_is_for_the_regions_coordinators_only(
    client, people, make_listing, donor_like
):
    draft = make_listing(publish=False)
    published = make_listing()
    assert client.get("/listings/new/").status_code == 302
    for user in (people["coord_daedeok"], people["cm_seo"], donor_like):
        client.force_login(user)
        assert client.post(f"/listings/{draft.pk}/publish/", {}).status_code == 403
        assert client.post(f"/listings/{published.pk}/withdraw/", {}).status_code == 403
        html = client.get(f"/listings/{published.pk}/").content.decode()
        assert 'data-action="withdraw"' not in html
    for user in (people["cm_seo"], donor_like):
        client.force_login(user)
        assert client.get("/listings/new/").status_code == 403
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.state, published.state) == (ListingState.DRAFT, ListingState.PUBLISHED)


def test_withdraw_is_not_offered_while_claims_are_active(client, claim, people):
    client.force_login(people["coord_seo"])
    html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-action="withdraw"' not in html
    response = client.post(f"/listings/{claim.listing_id}/withdraw/", {})
    assert response.status_code == 409


def test_unknown_and_huge_listing_ids_are_404(client, people):
    assert client.get("/listings/999999/").status_code == 404
    assert client.get("/listings/99999999999999999999999/").status_code == 404
    client.force_login(people["cm_daedeok"])
    assert client.post("/listings/999999/claim/", {}).status_code == 404


# --- households ------------------------------------------------------------------------------


def test_case_manager_registers_closes_and_follows_up_a_household(
    client, people, daejeon, categories
):
    client.force_login(people["cm_daedeok"])
    page = client.get("/households/new/").content.decode()
    dong_select = re.search(r'<select name="dong".*?</select>', page, re.S).group(0)
    dong = daejeon["대덕구"].children.order_by("code").first()
    assert dong.code in dong_select and daejeon["관저2동"].code not in dong_select

    response = client.post(
        "/households/new/",
        {
            "dong": dong.code,
            "size": "2",
            "needs": ["daily_living.side_dishes", "health.checkup"],
            "notes": "거동 불편",
        },
    )
    household = Household.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/households/{household.pk}/"
    assert household.case_manager == people["cm_daedeok"]
    assert set(household.needs.values_list("code", flat=True)) == {
        "daily_living.side_dishes",
        "health.checkup",
    }
    assert household.code in client.get("/households/").content.decode()

    response = client.post(
        f"/households/{household.pk}/edit/",
        {"size": "3", "needs": [], "notes": "거동 불편, 보행기 사용"},
        headers=HTMX,
    )
    assert response.status_code == 200
    household.refresh_from_db()
    assert household.size == 3 and household.notes == "거동 불편, 보행기 사용"

    response = client.post(f"/households/{household.pk}/close/", {}, headers=HTMX)
    assert response.status_code == 200
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED
    follow_ups = list(household.follow_ups.all())
    assert len(follow_ups) == 2
    assert client.post(f"/households/{household.pk}/close/", {}).status_code == 409

    first = follow_ups[0]
    response = client.post(
        f"/follow-ups/{first.pk}/record/", {f"fu{first.pk}-note": ""}, headers=HTMX
    )
    assert response.status_code == 422
    response = client.post(
        f"/follow-ups/{first.pk}/record/",
        {f"fu{first.pk}-note": "식사 잘 하고 계심"},
        headers=HTMX,
    )
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.note == "식사 잘 하고 계심" and first.recorded_by == people["cm_daedeok"]
    response = client.post(
        f"/follow-ups/{first.pk}/record/", {f"fu{first.pk}-note": "다시"}, headers=HTMX
    )
    assert response.status_code == 409


def test_follow_ups_due_are_on_the_dashboard_with_a_form(client, people, household):
    household_close(household=household, by=people["cm_daedeok"])
    FollowUp.objects.filter(household=household).update(due_on=timezone.localdate())
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert 'data-action="record-follow-up"' in html
    follow_up = FollowUp.objects.filter(household=household).first()
    response = client.post(
        f"/follow-ups/{follow_up.pk}/record/",
        {f"fu{follow_up.pk}-note": "안부 확인", "next": "/dashboard/"},
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


@pytest.mark.parametrize(
    "changes",
    [
        {"size": "0"},
        {"size": "21"},
        {"size": "abc"},
        {"size": "9" * 40},
        {"dong": "3017059700"},  # a dong of another district
        {"dong": "3023000000"},  # a district, not a dong
        {"needs": ["nope"]},
        {"notes": "연락처 010-1234-5678"},
        {"notes": "주민번호 900101-1234567"},
    ],
)
def test_household_form_refuses_bad_input(client, people, daejeon, categories, changes):
    client.force_login(people["cm_daedeok"])
    dong = daejeon["대덕구"].children.order_by("code").first()
    data = {"dong": dong.code, "size": "2", "notes": "", **changes}
    response = client.post("/households/new/", data)
    assert response.status_code == 422
    assert not Household.objects.exists()


def test_household_pages_are_for_its_regions_case_managers(client, people, household, donor_like):
    assert client.get("/households/").status_code == 302
    for user in (people["coord_seo"], people["coord_daedeok"], donor_like):
        client.force_login(user)
        assert client.get("/households/").status_code == 403
        assert client.get("/households/new/").status_code == 403
        assert client.get(f"/households/{household.pk}/").status_code == 403
    client.force_login(people["cm_seo"])
    assert client.get(f"/households/{household.pk}/").status_code == 403
    assert client.post(f"/households/{household.pk}/close/", {}).status_code == 403
    assert household.code not in client.get("/households/").content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE
    client.force_login(people["cm_daedeok"])
    assert client.get("/households/999999/").status_code == 404


# --- the wallet statement --------------------------------------------------------------------


def test_wallet_statement_with_running_balance(client, claim, people, daejeon, finance):
    code = daejeon["대덕구"].code
    client.force_login(people["cm_daedeok"])
    response = client.get(f"/wallet/{code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-balance="920"' in html
    assert re.findall(r'class="num running">([\d,]+)<', html) == ["920", "1,000"]
    client.force_login(people["coord_daedeok"])
    assert client.get(f"/wallet/{code}/").status_code == 200
    client.force_login(finance)
    assert client.get(f"/wallet/{code}/").status_code == 200


def test_wallet_statement_of_another_district_is_403(client, claim, people, daejeon, donor_like):
    code = daejeon["대덕구"].code
    assert client.get(f"/wallet/{code}/").status_code == 302
    for user in (people["coord_seo"], people["cm_seo"], donor_like):
        client.force_login(user)
        assert client.get(f"/wallet/{code}/").status_code == 403
    client.force_login(people["coord_seo"])
    assert client.get(f"/wallet/{daejeon['관저2동'].code}/").status_code == 404
    assert client.get("/wallet/0000000000/").status_code == 404
    assert client.get("/wallet/abc/").status_code == 404
    # 서구 has had no posting yet: an empty statement, not an error.
    assert client.get(f"/wallet/{daejeon['서구'].code}/").status_code == 200


# --- the review of repeated services ---------------------------------------------------------


def test_repeated_services_are_listed_for_coordinators_and_finance(
    client, claim, people, household, finance, donor_like
):
    repeat = claim_request(
        by=people["cm_daedeok"],
        listing=claim.listing,
        household=household,
        quantity=1,
        justification="추가 지원 필요",
    )
    client.force_login(people["coord_seo"])
    html = client.get("/review/duplicates/").content.decode()
    assert f'data-claim="{repeat.pk}"' in html and f'data-claim="{claim.pk}"' not in html
    assert "추가 지원 필요" in html
    client.force_login(finance)
    assert f'data-claim="{repeat.pk}"' in client.get("/review/duplicates/").content.decode()
    client.force_login(people["coord_daedeok"])
    assert f'data-claim="{repeat.pk}"' not in client.get("/review/duplicates/").content.decode()
    for user in (people["cm_daedeok"], donor_like):
        client.force_login(user)
        assert client.get("/review/duplicates/").status_code == 403


# --- the dashboards ---------------------------------------------------------------------------


def test_coordinator_dashboard(client, claim, people, make_listing, daejeon):
    make_listing(publish=False)
    client.force_login(people["coord_seo"])
    response = client.get("/dashboard/")
    html = response.content.decode()
    assert "HX-Request" in response["Vary"]
    assert re.search(r'data-state="draft"><span>[^<]+</span> <strong>1<', html)
    assert re.search(r'data-state="reserved"><span>[^<]+</span> <strong>0<', html)
    assert f'id="claim-{claim.pk}"' in html
    assert f'href="/wallet/{daejeon["서구"].code}/"' in html
    assert 'data-action="new-listing"' in html


def test_case_manager_dashboard(client, claim, people, household, daejeon):
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert household.code in html
    assert f'id="claim-{claim.pk}"' in html
    assert re.search(r'data-balance="920"', html)
    assert f'href="/wallet/{daejeon["대덕구"].code}/"' in html
    fragment = client.get("/dashboard/?part=wallets", headers=HTMX).content.decode()
    assert "<html" not in fragment and 'data-balance="920"' in fragment


def test_dashboard_queries_do_not_grow_with_the_claims(
    client, people, make_listing, daejeon, grant, django_assert_max_num_queries
):
    grant(daejeon["대덕구"], 100_000)
    listing = make_listing(quantity=100)
    dong = daejeon["대덕구"].children.order_by("code").first()

    def add(n: int) -> None:
        for _ in range(n):
            household = household_create(by=people["cm_daedeok"], dong=dong, size=1)
            claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)

    add(2)
    client.force_login(people["coord_seo"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/dashboard/")
    client.force_login(people["cm_daedeok"])
    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/dashboard/")
    with django_assert_max_num_queries(15):
        client.get("/?page=1")


def test_membership_ending_removes_the_role(client, daejeon, make_member, make_listing):
    former = make_member(
        daejeon["서구"],
        Role.COORDINATOR,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
    )
    draft = make_listing(publish=False)
    client.force_login(former)
    assert client.get("/listings/new/").status_code == 403
    assert client.post(f"/listings/{draft.pk}/publish/", {}).status_code == 403


def test_a_wallet_statement_takes_its_count_from_the_account(client, people, daejeon, grant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _n in range(55):
        grant(daejeon["대덕구"], 1)
    client.force_login(people["cm_daedeok"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/wallet/{daejeon['대덕구'].code}/")
    assert response.status_code == 200
    assert not [
        q
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "ledger_entry" in q["sql"]
    ]
    assert "page=2" in response.content.decode()
    second = client.get(f"/wallet/{daejeon['대덕구'].code}/", {"page": "2"}).content.decode()
    assert len(re.findall(r'<td class="num running">', second)) == 5
