"""The public catalogue and its live filters, pages, totals and sorting."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace import stats
from marketplace.models import Listing
from marketplace.services import household_create
from tests.helpers import HTMX, SEOUL, listing_ids

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
