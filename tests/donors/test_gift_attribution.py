"""Only a donor's own representatives offer its in-kind gifts: a coordinator
cannot name a donor (API, page or service), cannot rewrite a gift, and the
donation receipt never counts a listing the donor did not offer."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from djmoney.money import Money
from rest_framework.test import APIClient

from config.exceptions import NotAllowed
from donors.models import Donor, DonorKind, DonorMembership
from donors.services import donor_verify
from exchange.donor_selectors import donation_receipt
from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.models import Listing
from marketplace.services import household_create, listing_create, listing_publish, listing_update
from tests import factories

KRW_5M = 5_000_000


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def payload(daejeon):
    return {
        "region": daejeon["서구"].code,
        "kind": "goods",
        "category": "daily_living.side_dishes",
        "title": "후원 가전",
        "quantity": 1,
        "unit": "대",
        "value_per_unit_krw": KRW_5M,
        "available_from": "2026-01-01",
    }


@pytest.fixture
def other_donor(daejeon, finance, django_user_model):
    rep = django_user_model.objects.create_user(username="rep2", password="pw-for-tests-only")
    other = Donor.objects.create(
        name="대전 행복복지관",
        kind=DonorKind.WELFARE_CENTRE,
        business_number="3058200013",
        home_region=daejeon["서구"],
    )
    DonorMembership.objects.create(user=rep, donor=other)
    return donor_verify(donor=other, by=finance)


def _fulfil(listing: Listing, people, daejeon) -> None:
    """A 서구 household receives the whole listing (a local handover)."""
    listing_publish(listing=listing, by=people["coord_seo"])
    dong = daejeon["서구"].children.order_by("code").first()
    household = household_create(by=people["cm_seo"], dong=dong, size=1)
    claim = claim_request(
        by=people["cm_seo"], listing=listing, household=household, quantity=listing.quantity
    )
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_seo"], quantity_received=listing.quantity)


def _in_kind_total(donor) -> Money:
    return donation_receipt(donor, datetime.date.today().year).in_kind_total


def test_a_coordinator_naming_a_donor_through_the_api_is_refused_and_the_receipt_unchanged(
    donor, people, payload, categories, daejeon
):
    before = _in_kind_total(donor)
    response = _api(people["coord_seo"]).post(
        "/api/v1/listings/", {**payload, "donor_id": donor.pk}, format="json"
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid" and "donor_id" in body["fields"]
    assert donor.name not in response.content.decode()
    # The same answer as for a donor that does not exist: nothing learned.
    missing = _api(people["coord_seo"]).post(
        "/api/v1/listings/", {**payload, "donor_id": donor.pk + 1000}, format="json"
    )
    assert (missing.status_code, missing.json()["fields"]) == (400, body["fields"])
    assert not Listing.objects.exists()

    # Without the donor the coordinator lists it as their own; fulfilling it
    # leaves the donor's receipt as it was.
    plain = _api(people["coord_seo"]).post("/api/v1/listings/", payload, format="json")
    assert plain.status_code == 201 and plain.json()["donor"] is None
    _fulfil(Listing.objects.get(pk=plain.json()["id"]), people, daejeon)
    assert _in_kind_total(donor) == before == Money(0, "KRW")


def test_the_service_refuses_a_donor_the_user_does_not_represent(
    donor, other_donor, donor_rep, people, categories, daejeon
):
    fields = {
        "region": daejeon["서구"],
        "kind": "goods",
        "category": categories["daily_living.side_dishes"],
        "title": "후원 가전",
        "quantity": 1,
        "unit": "대",
        "value_per_unit": Money(KRW_5M, "KRW"),
        "available_from": datetime.date(2026, 1, 1),
    }
    with pytest.raises(NotAllowed):
        listing_create(by=people["coord_seo"], donor=donor, **fields)
    # A representative of one donor cannot credit another either.
    with pytest.raises(NotAllowed):
        listing_create(by=donor_rep, donor=other_donor, **fields)
    assert not Listing.objects.exists()
    assert listing_create(by=donor_rep, donor=donor, **fields).donor == donor


def test_the_listing_page_ignores_a_donor_posted_by_a_coordinator(
    client, donor, people, categories, daejeon
):
    client.force_login(people["coord_seo"])
    response = client.post(
        "/listings/new/",
        {
            "region": daejeon["서구"].code,
            "kind": "goods",
            "category": "daily_living.side_dishes",
            "title": "후원 가전",
            "quantity": 1,
            "unit": "대",
            "value_per_unit": KRW_5M,
            "available_from": timezone.localdate().isoformat(),
            "donor": donor.pk,
            "donor_id": donor.pk,
        },
    )
    assert response.status_code == 302
    assert Listing.objects.get().donor is None
    # Nor can the coordinator use a donor's gift page.
    gift = client.post(f"/donors/{donor.pk}/gifts/new/", {"gift-title": "x"})
    assert gift.status_code == 403
    assert Listing.objects.count() == 1


def test_a_coordinator_cannot_rewrite_a_gift_draft(
    client, donor, donor_rep, people, daejeon, categories
):
    gift = factories.gift(
        by=donor_rep, donor=donor, region=daejeon["서구"], krw=6_000, quantity=1, title="후원 반찬"
    )
    with pytest.raises(NotAllowed):
        listing_update(listing=gift, by=people["coord_seo"], value_per_unit=Money(KRW_5M, "KRW"))
    response = _api(people["coord_seo"]).patch(
        f"/api/v1/listings/{gift.pk}/", {"value_per_unit_krw": KRW_5M, "quantity": 9}, format="json"
    )
    assert response.status_code == 403
    client.force_login(people["coord_seo"])
    page = client.get(f"/listings/{gift.pk}/").content.decode()
    assert 'name="value_per_unit"' not in page  # no edit form for someone else's gift
    gift.refresh_from_db()
    assert (gift.value_per_unit, gift.quantity) == (Money(6_000, "KRW"), 1)
    # Its representative still edits it, and the coordinator still publishes it.
    listing_update(listing=gift, by=donor_rep, quantity=2)
    listing_publish(listing=gift, by=people["coord_seo"])


def test_the_receipt_never_counts_a_listing_the_donor_did_not_offer(
    donor, donor_rep, people, daejeon, make_listing
):
    """A listing naming the donor without its representative having drafted it
    (from before the rule, or set in the database) stays off the receipt."""
    listing = make_listing(quantity=1, krw=KRW_5M, publish=False)
    Listing.objects.filter(pk=listing.pk).update(donor=donor)
    listing.refresh_from_db()
    _fulfil(listing, people, daejeon)
    assert _in_kind_total(donor) == Money(0, "KRW")

    offered = listing_create(
        by=donor_rep,
        donor=donor,
        region=daejeon["서구"],
        kind="goods",
        category=listing.category,
        title="후원 반찬",
        quantity=2,
        unit="상자",
        value_per_unit=Money(6_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    _fulfil(offered, people, daejeon)
    assert _in_kind_total(donor) == Money(12_000, "KRW")
