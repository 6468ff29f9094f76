import datetime

import pytest
from djmoney.money import Money

from config.exceptions import NotAllowed
from marketplace.exceptions import IllegalTransition, InvalidRequest
from marketplace.models import Category, FollowUp, HouseholdStatus, ListingState
from marketplace.selectors import points_for_krw, points_per_unit
from marketplace.services import (
    categories_load_csv,
    follow_up_record,
    household_close,
    household_create,
    listing_create,
    listing_publish,
)


@pytest.mark.usefixtures("empty_reference_tables")
def test_categories_load_two_levels_and_twice_is_once(db):
    assert categories_load_csv() == (41, 0, 0)
    assert categories_load_csv() == (0, 0, 41)
    assert Category.objects.filter(parent__isnull=True).count() == 5
    assert Category.objects.get(code="daily_living.side_dishes").parent.code == "daily_living"


@pytest.mark.parametrize(
    ("krw", "points"), [(20_000, 20), (1_500, 2), (1_499, 1), (500, 1), (499, 0), (10_320, 10)]
)
def test_points_are_krw_over_krw_per_point_rounded_half_up(krw, points):
    assert points_for_krw(krw) == points


def test_volunteer_hour_without_a_value_is_worth_the_statutory_wage(make_listing, settings):
    listing = make_listing(kind="volunteer_hours", krw=None, category="daily_living.housework")
    assert points_per_unit(listing) == 10
    settings.VOLUNTEER_HOUR_KRW = 12_000
    assert points_per_unit(listing) == 12


def test_goods_need_a_value(daejeon, categories, people):
    with pytest.raises(InvalidRequest):
        listing_create(
            by=people["coord_seo"],
            region=daejeon["서구"],
            kind="goods",
            category=categories["economy.donated_goods"],
            title="x",
            quantity=1,
            unit="개",
            value_per_unit=None,
            available_from=datetime.date(2026, 1, 1),
        )


def test_only_the_regions_coordinator_lists_and_publishes(
    daejeon, categories, people, make_listing
):
    with pytest.raises(NotAllowed):
        listing_create(
            by=people["coord_daedeok"],
            region=daejeon["서구"],
            kind="goods",
            category=categories["economy.donated_goods"],
            title="x",
            quantity=1,
            unit="개",
            value_per_unit=Money(1000, "KRW"),
            available_from=datetime.date(2026, 1, 1),
        )
    draft = make_listing(publish=False)
    with pytest.raises(NotAllowed):
        listing_publish(listing=draft, by=people["coord_daedeok"])
    published = listing_publish(listing=draft, by=people["coord_seo"])
    assert published.state == ListingState.PUBLISHED
    with pytest.raises(IllegalTransition):
        listing_publish(listing=published, by=people["coord_seo"])


def test_closing_a_case_schedules_two_follow_ups(household, people):
    household_close(household=household, by=people["cm_daedeok"])
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED
    due = list(FollowUp.objects.filter(household=household).values_list("due_on", flat=True))
    assert len(due) == 2
    assert (due[1] - due[0]).days in range(89, 93)
    follow_up_record(
        follow_up=household.follow_ups.first(),
        by=people["cm_daedeok"],
        note="안부 확인, 생활 안정",
        outcome="stable",
    )
    assert household.follow_ups.filter(recorded_at__isnull=True).count() == 1
    with pytest.raises(IllegalTransition):
        household_close(household=household, by=people["cm_daedeok"])


def test_households_are_kept_by_case_managers_of_their_dong_only(daejeon, people):
    with pytest.raises(NotAllowed):
        household_create(by=people["coord_seo"], dong=daejeon["관저2동"], size=2)
    with pytest.raises(NotAllowed):
        household_create(by=people["cm_daedeok"], dong=daejeon["관저2동"], size=2)
    with pytest.raises(InvalidRequest):
        household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=0)
    household = household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=2)
    assert household.code.startswith("HH-")


@pytest.mark.parametrize(
    "notes", ["연락처 010-1234-5678", "주민번호 900101-1234567", "02 123 4567"]
)
def test_household_notes_refuse_phone_and_resident_numbers(daejeon, people, notes):
    with pytest.raises(InvalidRequest) as caught:
        household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=2, notes=notes)
    assert "notes" in caught.value.extra["fields"]
