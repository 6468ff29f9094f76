"""The listing page and its claim form, and listings drafted, edited, published and withdrawn
through the pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from djmoney.money import Money

from exchange.models import Claim, ClaimState
from marketplace.models import Listing, ListingState
from marketplace.services import household_close, household_create
from tests.helpers import HTMX, wallet_balance

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
    assert wallet_balance(daejeon["대덕구"]) == 920
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
    assert wallet_balance(daejeon["대덕구"]) == 30


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


def test_only_case_managers_may_post_claims(client, make_listing, people, household, nobody):
    listing = make_listing()
    url = f"/listings/{listing.pk}/claim/"
    payload = {"household": household.pk, "quantity": "1"}
    response = client.post(url, payload)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(nobody)
    assert client.post(url, payload).status_code == 403
    client.force_login(people["coord_seo"])
    assert client.post(url, payload).status_code == 403
    assert not Claim.objects.exists()


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
    client, people, make_listing, nobody
):
    draft = make_listing(publish=False)
    published = make_listing()
    assert client.get("/listings/new/").status_code == 302
    for user in (people["coord_daedeok"], people["cm_seo"], nobody):
        client.force_login(user)
        assert client.post(f"/listings/{draft.pk}/publish/", {}).status_code == 403
        assert (
            client.post(f"/listings/{published.pk}/withdraw/", {"reason": "중복 등록"}).status_code
            == 403
        )
        html = client.get(f"/listings/{published.pk}/").content.decode()
        assert 'data-action="withdraw"' not in html
    for user in (people["cm_seo"], nobody):
        client.force_login(user)
        assert client.get("/listings/new/").status_code == 403
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.state, published.state) == (ListingState.DRAFT, ListingState.PUBLISHED)


def test_withdraw_is_not_offered_while_claims_are_active(client, claim, people):
    client.force_login(people["coord_seo"])
    html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-action="withdraw"' not in html
    response = client.post(f"/listings/{claim.listing_id}/withdraw/", {"reason": "중복 등록"})
    assert response.status_code == 409


def test_unknown_and_huge_listing_ids_are_404(client, people):
    assert client.get("/listings/999999/").status_code == 404
    assert client.get("/listings/99999999999999999999999/").status_code == 404
    client.force_login(people["cm_daedeok"])
    assert client.post("/listings/999999/claim/", {}).status_code == 404
