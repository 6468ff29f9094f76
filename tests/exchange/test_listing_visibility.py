"""Who may see a listing: one rule (`exchange.selectors.listings_visible_to`) for
its page and the API. The case they used to answer differently: a donor's
representative and a draft of the donor's own gift (the API showed it, the
page answered 404). Least privilege: they see that draft, and nothing else
that is not public."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from djmoney.money import Money
from rest_framework.test import APIClient

from donors.models import Donor, DonorKind, DonorMembership
from exchange.selectors import listings_visible_to
from marketplace.services import listing_create, listing_withdraw


@pytest.fixture
def gifts(daejeon, categories, people, donor, donor_rep, django_user_model, finance):
    def gift(title: str):
        return listing_create(
            by=donor_rep,
            region=daejeon["관저2동"],
            donor=donor,
            kind="goods",
            category=categories["daily_living.side_dishes"],
            title=title,
            quantity=3,
            unit="상자",
            value_per_unit=Money(10_000, "KRW"),
            available_from=timezone.localdate(),
        )

    draft, withdrawn = gift("초안 기부 VX1"), gift("철회된 기부 VX2")
    listing_withdraw(listing=withdrawn, by=people["coord_seo"])
    other_rep = django_user_model.objects.create_user(username="rep2", password="pw-x")
    other = Donor.objects.create(
        name="다른 후원기관",
        kind=DonorKind.COMPANY,
        business_number="2208162517",
        home_region=daejeon["서구"],
    )
    DonorMembership.objects.create(user=other_rep, donor=other)
    return {"draft": draft, "withdrawn": withdrawn, "other_rep": other_rep}


def _page(user, listing) -> int:
    client = Client()
    client.force_login(user)
    return client.get(f"/listings/{listing.pk}/").status_code


def _api(user, listing) -> int:
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/listings/{listing.pk}/").status_code


def test_a_representative_sees_their_donors_draft_on_the_page_and_in_the_api(gifts, donor_rep):
    draft = gifts["draft"]
    assert (_page(donor_rep, draft), _api(donor_rep, draft)) == (200, 200)
    assert draft.title not in Client().get("/").content.decode()  # not public yet
    assert list(listings_visible_to(donor_rep).values_list("pk", flat=True)) == [draft.pk]


def test_nothing_else_unpublished_page_and_api_agree(gifts, donor_rep, people):
    withdrawn, other_rep = gifts["withdrawn"], gifts["other_rep"]
    # Their donor's withdrawn gift, and another donor's representative on the draft.
    assert (_page(donor_rep, withdrawn), _api(donor_rep, withdrawn)) == (404, 404)
    assert (_page(other_rep, gifts["draft"]), _api(other_rep, gifts["draft"])) == (404, 404)
    # The region's coordinator sees both, on both.
    coord = people["coord_seo"]
    for listing in (gifts["draft"], withdrawn):
        assert (_page(coord, listing), _api(coord, listing)) == (200, 200)
    # Another region's coordinator neither.
    other_coord = people["coord_daedeok"]
    assert (_page(other_coord, gifts["draft"]), _api(other_coord, gifts["draft"])) == (404, 404)
