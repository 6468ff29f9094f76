"""What the pages say in daily use: listing terms that make no sense are
refused with a Korean message, claim cards tell what was received and paid,
and decisions say only what happened."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import Listing, ListingState

pytestmark = pytest.mark.django_db


def _listing_form(region, **overrides) -> dict[str, str]:
    return {
        "region": region.code,
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


@pytest.mark.parametrize("krw", ["0", "400", "499"])
def test_a_listing_worth_less_than_a_point_is_refused(client, people, daejeon, categories, krw):
    client.force_login(people["coord_seo"])
    response = client.post("/listings/new/", _listing_form(daejeon["서구"], value_per_unit=krw))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_value_per_unit-error"' in html
    assert "환가액은 500원(1포인트) 이상이어야 합니다." in html
    assert not Listing.objects.exists()


def test_half_a_point_is_the_least_value(client, people, daejeon, categories):
    client.force_login(people["coord_seo"])
    response = client.post("/listings/new/", _listing_form(daejeon["서구"], value_per_unit="500"))
    assert response.status_code == 302
    assert Listing.objects.get().value_per_unit == Money(500, "KRW")


def test_a_draft_worth_nothing_cannot_be_published(client, people, daejeon, categories):
    # A draft saved before the minimum existed.
    draft = Listing.objects.create(
        region=daejeon["서구"],
        posted_by=people["coord_seo"],
        kind="goods",
        category=categories["daily_living.side_dishes"],
        title="밑반찬 세트",
        quantity=10,
        unit="상자",
        value_per_unit=Money(400, "KRW"),
        available_from=timezone.localdate(),
    )
    client.force_login(people["coord_seo"])
    response = client.post(f"/listings/{draft.pk}/publish/", {})
    assert response.status_code == 422
    assert "환가액은 500원(1포인트) 이상이어야 합니다." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == ListingState.DRAFT


def test_a_new_listing_cannot_start_long_ago(client, people, daejeon, categories):
    client.force_login(people["coord_seo"])
    today = timezone.localdate()
    too_old = today - datetime.timedelta(days=31)
    response = client.post(
        "/listings/new/", _listing_form(daejeon["서구"], available_from=too_old.isoformat())
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_available_from-error"' in html
    earliest = (today - datetime.timedelta(days=30)).isoformat()
    assert f"시작일은 30일 전까지만 입력할 수 있습니다({earliest} 이후)." in html
    assert not Listing.objects.exists()
    response = client.post(
        "/listings/new/", _listing_form(daejeon["서구"], available_from=earliest)
    )
    assert response.status_code == 302
