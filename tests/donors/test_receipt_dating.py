"""Which year a donation belongs to on the receipt: money by the day it was paid
(finance confirmed the pledge), whenever claims use it; goods by the day they
were handed over. Korean time throughout."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from djmoney.money import Money

from exchange.donor_selectors import donation_receipt, receipt_years
from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.services import household_create
from tests import factories

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")


def test_a_december_pledge_used_in_january_belongs_to_decembers_year(
    at, donor, make_pledge, daejeon, people, make_listing, household, grant
):
    with at(datetime.datetime(2026, 12, 20, 10, tzinfo=SEOUL)):
        grant(daejeon["대덕구"], 1000)
        listing = make_listing(quantity=10, krw=20_000)
        make_pledge(krw=1_000_000)
    with at(datetime.datetime(2027, 1, 12, 10, tzinfo=SEOUL)):
        claim = claim_request(
            by=people["cm_daedeok"], listing=listing, household=household, quantity=2
        )
        claim_approve(claim=claim, by=people["coord_seo"])
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=2)

    december = donation_receipt(donor, 2026)
    assert december.pledge_total == Money(20_000, "KRW")  # 20 points at 1,000 won
    assert [item.day for item in december.pledge_items] == [datetime.date(2026, 12, 20)]
    assert donation_receipt(donor, 2027).pledge_total == Money(0, "KRW")
    assert 2026 in receipt_years(donor)


def test_a_pledge_paid_just_before_midnight_on_new_years_eve_in_korea_is_that_years(
    at, donor, make_pledge, daejeon, people, make_listing, household, grant
):
    # 23:30 in Seoul on 31 December is 14:30 UTC, still the old year in both.
    with at(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=SEOUL)):
        grant(daejeon["대덕구"], 1000)
        listing = make_listing(quantity=10, krw=20_000)
        make_pledge(krw=500_000)
    with at(datetime.datetime(2027, 1, 1, 0, 30, tzinfo=SEOUL)):
        claim = claim_request(
            by=people["cm_daedeok"], listing=listing, household=household, quantity=1
        )
        claim_approve(claim=claim, by=people["coord_seo"])
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)
    assert donation_receipt(donor, 2026).pledge_total == Money(10_000, "KRW")
    assert donation_receipt(donor, 2027).pledge_total == Money(0, "KRW")


def test_in_kind_gifts_are_dated_by_the_day_they_were_handed_over(
    at, donor, donor_rep, daejeon, people
):
    with at(datetime.datetime(2026, 12, 28, 9, tzinfo=SEOUL)):
        gift = factories.gift(
            by=donor_rep,
            donor=donor,
            region=daejeon["서구"],
            krw=35_000,
            quantity=4,
            title="후원 이불",
            publisher=people["coord_seo"],
            unit="채",
            available_from=datetime.date(2026, 12, 1),
        )
        dong = daejeon["서구"].children.order_by("code").first()
        home = household_create(by=people["cm_seo"], dong=dong, size=1)
        claim = claim_request(by=people["cm_seo"], listing=gift, household=home, quantity=2)
        claim_approve(claim=claim, by=people["coord_seo"])
    with at(datetime.datetime(2027, 1, 3, 9, tzinfo=SEOUL)):
        claim_fulfil(claim=claim, by=people["cm_seo"], quantity_received=2)
    assert donation_receipt(donor, 2026).in_kind_total == Money(0, "KRW")
    january = donation_receipt(donor, 2027)
    assert january.in_kind_total == Money(70_000, "KRW")
    assert january.in_kind_items[0].day == datetime.date(2027, 1, 3)
