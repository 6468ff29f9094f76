"""The listings API's list: one pass per row.

`ListingSerializer.to_representation` builds a row without DRF's per-field
machinery; these tests compare it with DRF's own answer on listings of every
shape.
"""

import datetime
import json

import pytest
from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from exchange.api import ListingSerializer
from exchange.selectors import listings_visible_to
from marketplace.models import Listing
from marketplace.selectors import Viewer
from tests import factories
from tests.helpers import api_client

URL = "/api/v1/listings/"


@pytest.fixture
def varied(make_listing, daejeon, people):
    """Listings of every shape the answer has: with and without a donor, a value,
    an end date, a publication date; in a district, a dong and another district."""
    donor = factories.verified_donor(
        home_region=daejeon["서구"],
        representative=people["cm_seo"],
        verified_by=factories.finance_officer(),
    )
    gift = make_listing(krw=12_345, description="설명", pickup_notes="동 주민센터")
    Listing.objects.filter(pk=gift.pk).update(donor=donor)
    return [
        gift,
        make_listing(region_name="관저2동", krw=2_500),
        make_listing(region_name="대덕구", krw=1_500, quantity=3),
        make_listing(kind="volunteer_hours", krw=None, category="daily_living.housework"),
        make_listing(publish=False, available_until=datetime.date(2026, 12, 31)),
    ]


def _generic(serializer: ListingSerializer, listing: Listing) -> dict:
    """DRF's own representation over the serializer's fields."""
    return serializers.ModelSerializer.to_representation(serializer, listing)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_row_is_what_drfs_generic_serializer_gives(varied, people, language):
    request = APIRequestFactory().get(URL)
    request.user = people["coord_seo"]
    listings = listings_visible_to(people["coord_seo"]).filter(pk__in=[x.pk for x in varied])
    assert len(listings) == len(varied)
    with translation.override(language):
        for listing in listings:
            serializer = ListingSerializer(
                context={"request": request, "viewer": Viewer(people["coord_seo"])}
            )
            lean, generic = serializer.to_representation(listing), _generic(serializer, listing)
            assert list(lean) == list(generic)
            # Same values and the same JSON types (an int stays an int, None None).
            assert json.dumps(lean, sort_keys=False) == json.dumps(generic, sort_keys=False)


def test_the_answer_keeps_its_values(varied, daejeon):
    """A fixed data set read through the API, field by field."""
    gift = varied[0]
    rows = {row["id"]: row for row in api_client().get(URL).json()["results"]}
    assert varied[4].pk not in rows  # the draft
    row = rows[gift.pk]
    gift.refresh_from_db()
    assert row == {
        "id": gift.pk,
        "state": "published",
        "kind": "goods",
        "category": "daily_living.side_dishes",
        "category_name": gift.category.name_ko,
        "title": "밑반찬 세트",
        "description": "설명",
        "quantity": 10,
        "unit": "상자",
        "quantity_available": 10,
        "quantity_held": 0,
        "quantity_fulfilled": 0,
        "value_per_unit_krw": 12_345,
        "points_per_unit": 12,
        "available_from": "2026-01-01",
        "available_until": None,
        "pickup_notes": "동 주민센터",
        "region": daejeon["서구"].code,
        "region_name": "서구",
        "district_name": "서구",
        "donor": "함께나눔 사회적협동조합",
        "published_at": timezone.localtime(gift.published_at).isoformat(),
        "created_at": timezone.localtime(gift.created_at).isoformat(),
    }
    assert rows[varied[1].pk]["district_name"] == "서구"
    assert rows[varied[1].pk]["region_name"] == "관저2동"
    assert rows[varied[3].pk]["value_per_unit_krw"] is None
    assert rows[varied[3].pk]["points_per_unit"] == 10
