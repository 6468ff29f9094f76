"""The listings API's list: one pass per row, and anonymous answers from the cache.

`ListingSerializer.to_representation` builds a row without DRF's per-field
machinery; the first tests compare it with DRF's own answer on listings of
every shape. The anonymous list is kept under the catalogue version
(`ListingViewSet.list`, marketplace/catalogue_cache.py): an answer from the
cache runs one query (the version), which is how these tests tell it from a
fresh one. Listing changes raise the version when their transaction commits,
so they run inside django_capture_on_commit_callbacks(execute=True).
"""

import datetime
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from exchange.api import ListingSerializer
from exchange.selectors import listings_visible_to
from marketplace.models import Listing
from marketplace.selectors import Viewer
from marketplace.services import listing_withdraw
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


# --- the anonymous list from the cache ------------------------------------------------


def _queries(client, *args, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(*args, **kwargs)
    return len(ctx.captured_queries), response


def _titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


def test_a_second_anonymous_request_is_answered_from_the_cache_byte_for_byte(varied):
    client = api_client()
    built, first = _queries(client, URL, {"page_size": 2})
    cached, second = _queries(client, URL, {"page_size": 2})
    assert built > 1 and cached == 1
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    cache.clear()
    _, fresh = _queries(client, URL, {"page_size": 2})
    assert fresh.content == first.content


def test_a_published_listing_appears_at_once(make_listing, committed):
    client = api_client()
    assert "새 전기장판" not in _titles(client.get(URL))
    committed(lambda: make_listing(title="새 전기장판"))
    assert "새 전기장판" in _titles(client.get(URL))


def test_a_withdrawn_listing_disappears_at_once(make_listing, committed):
    client = api_client()
    listing = committed(lambda: make_listing(title="겨울 외투"))
    assert "겨울 외투" in _titles(client.get(URL))
    committed(lambda: listing_withdraw(listing=listing, by=listing.posted_by, reason="분실"))
    assert "겨울 외투" not in _titles(client.get(URL))


def test_an_edit_shows_at_once(make_listing, committed):
    client = api_client()
    listing = committed(lambda: make_listing(quantity=10))
    assert client.get(URL).json()["results"][0]["quantity_available"] == 10
    committed(lambda: Listing.objects.filter(pk=listing.pk).update(quantity_held=3))
    assert client.get(URL).json()["results"][0]["quantity_available"] == 7


def test_a_coordinators_answer_never_comes_from_the_anonymous_cache(
    make_listing, people, committed
):
    committed(lambda: make_listing(title="게시된 것"))
    committed(lambda: make_listing(title="초안", publish=False))
    assert _titles(api_client().get(URL)) == {"게시된 것"}
    coordinator = api_client(people["coord_seo"])
    assert _titles(coordinator.get(URL)) == {"게시된 것", "초안"}
    # Nor is theirs kept for anyone else.
    assert _titles(api_client().get(URL)) == {"게시된 것"}
    queries, _ = _queries(coordinator, URL)
    assert queries > 1


def test_unknown_parameters_bypass_the_cache(varied):
    client = api_client()
    for params in ({"utm_source": "x"}, {"format": "json"}):
        client.get(URL, params)
        queries, response = _queries(client, URL, params)
        assert response.status_code == 200
        assert queries > 1, params


def test_known_parameters_in_any_order_share_an_entry(varied, daejeon):
    client = api_client()
    district = daejeon["서구"].code
    first = client.get(f"{URL}?kind=goods&district={district}")
    queries, second = _queries(client, f"{URL}?district={district}&kind=goods")
    assert queries == 1
    assert second.content == first.content


def test_a_repeated_parameter_keeps_its_order_in_the_key(varied):
    """The filters read the last value: kind=goods&kind=volunteer_hours lists
    volunteer hours, the other order goods; they must not share an entry."""
    client = api_client()
    hours = client.get(URL, {"kind": ["goods", "volunteer_hours"]}).json()["results"]
    goods = client.get(URL, {"kind": ["volunteer_hours", "goods"]}).json()["results"]
    assert {row["kind"] for row in hours} == {"volunteer_hours"}
    assert {row["kind"] for row in goods} == {"goods"}


def test_each_language_has_its_own_answer(varied):
    client = api_client()
    korean = client.get(URL, HTTP_ACCEPT_LANGUAGE="ko").json()["results"]
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert {row["district_name"] for row in korean} == {"서구", "대덕구"}
    assert {row["district_name"] for row in english} == {"Seo-gu", "Daedeok-gu"}


def test_the_links_follow_the_host(varied):
    client = api_client()
    one = client.get(URL, {"page_size": 1}, HTTP_HOST="localhost").json()
    other = client.get(URL, {"page_size": 1}, HTTP_HOST="127.0.0.1").json()
    assert one["next"].startswith("http://localhost/")
    assert other["next"].startswith("http://127.0.0.1/")


def test_errors_and_other_renderers_are_not_kept(varied):
    client = api_client()
    assert client.get(URL, {"kind": "cash"}).status_code == 400
    assert client.get(URL, {"kind": "cash"}).status_code == 400
    assert client.get(URL, {"page": 99}).status_code == 404
    page = client.get(URL, HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html")
    assert client.get(URL)["Content-Type"] == "application/json"
    indented = client.get(URL, HTTP_ACCEPT="application/json; indent=4")
    assert indented.content != client.get(URL).content
    assert json.loads(indented.content) == client.get(URL).json()


def test_vary_and_cache_control(varied):
    client = api_client()
    for _ in range(2):  # built, then from the cache
        response = client.get(URL)
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"accept", "authorization", "cookie", "accept-language"} <= vary
        assert "private" in response["Cache-Control"]


def test_a_renamed_donor_shows_at_once(varied, committed):
    donor = Listing.objects.get(pk=varied[0].pk).donor
    client = api_client()
    assert "함께나눔 사회적협동조합" in {row["donor"] for row in client.get(URL).json()["results"]}

    def rename():
        donor.name = "새이름 협동조합"
        donor.save(update_fields=["name"])

    committed(rename)
    assert "새이름 협동조합" in {row["donor"] for row in client.get(URL).json()["results"]}
