"""Finance's view of matching (/finance/matching/): public and private points of
fulfilled claims per district and month, the ratio, the chart, and the
confirmation of pledges and verification of donors."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from djmoney.money import Money

from donors.exceptions import DonorNotVerified
from donors.models import Donor, DonorKind, Pledge, PledgeState
from donors.services import pledge_create
from exchange.donor_selectors import Split, matching_by_district
from exchange.models import Claim
from exchange.services import claim_approve, claim_fulfil, claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for
from marketplace.services import household_create

SEOUL = ZoneInfo("Asia/Seoul")
HTMX = {"HTTP_HX_REQUEST": "true"}


def seoul(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SEOUL)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def fin_client(client, finance):
    client.force_login(finance)
    return client


@pytest.fixture
def fulfilled(people, grant, daejeon):
    """fulfilled(listing, household, case_manager, quantity, received, at) -> the
    claim, fulfilled and dated `at` (its closing moment)."""

    def make(listing, household, case_manager, quantity, received, at):
        claim = claim_request(
            by=case_manager,
            listing=listing,
            household=household,
            quantity=quantity,
            justification="반복 지원",
        )
        claim_approve(claim=claim, by=listing.posted_by)
        claim_fulfil(claim=claim, by=case_manager, quantity_received=received)
        Claim.objects.filter(pk=claim.pk).update(closed_at=at)
        return claim

    return make


@pytest.fixture
def scenario(daejeon, people, make_listing, household, grant, make_pledge, fulfilled):
    """2026 in 대덕구: March 4 of 4 boxes claimed, 3 received at 20 points (60:
    30 public, 30 private); April 1 box at 20 (10 : 10) and 1 at 15 (8 : 7).
    서구 claims 1 box at 20 from 대덕구, received on 1 May 08:00 Korean time (still
    30 April in UTC): May, 10 : 10. Not counted: a local handover, a 2025 claim."""
    grant(daejeon["대덕구"], 10_000)
    grant(daejeon["서구"], 10_000)
    make_pledge(krw=10_000_000)
    seo = make_listing(quantity=100, krw=20_000)
    seo_15 = make_listing(quantity=100, krw=15_000)
    cm_dd = people["cm_daedeok"]
    fulfilled(seo, household, cm_dd, 4, 3, seoul(2026, 3, 15, 10))
    fulfilled(seo, household, cm_dd, 1, 1, seoul(2026, 4, 2, 10))
    fulfilled(seo_15, household, cm_dd, 1, 1, seoul(2026, 4, 30, 23, 59))
    fulfilled(seo, household, cm_dd, 1, 1, seoul(2025, 12, 31, 23, 59))

    daedeok_listing = make_listing(region_name="대덕구", quantity=100, krw=20_000)
    seo_dong = daejeon["서구"].children.order_by("code").first()
    seo_household = household_create(by=people["cm_seo"], dong=seo_dong, size=1)
    fulfilled(daedeok_listing, seo_household, people["cm_seo"], 1, 1, seoul(2026, 5, 1, 8))
    fulfilled(seo, seo_household, people["cm_seo"], 2, 2, seoul(2026, 5, 3, 8))  # local
    return daejeon


def test_points_are_split_per_district_and_korean_month(scenario):
    report = matching_by_district(2026)
    rows = {(row.district.name_ko, row.month.isoformat()[:7]): row.split for row in report.rows}
    assert rows == {
        ("서구", "2026-05"): Split(10, 10),
        ("대덕구", "2026-03"): Split(30, 30),
        ("대덕구", "2026-04"): Split(18, 17),
    }
    assert rows[("대덕구", "2026-04")].ratio == "5.1:4.9"
    assert rows[("대덕구", "2026-03")].ratio == "5:5"
    assert report.total == Split(58, 57)
    assert [(r.name_ko, s) for r, s in report.by_district] == [
        ("서구", Split(10, 10)),
        ("대덕구", Split(48, 47)),
    ]
    assert matching_by_district(2025).total == Split(10, 10)
    assert matching_by_district(2024).rows == []


def test_the_page_shows_the_table_the_ratio_and_the_chart(fin_client, scenario):
    response = fin_client.get("/finance/matching/?year=2026")
    assert response.status_code == 200
    page = text(response)
    row = re.search(r'<tr data-district="3023000000" data-month="2026-04">.*?</tr>', page, re.S)
    assert row, page
    assert 'data-points="public">18<' in row.group(0)
    assert 'data-points="private">17<' in row.group(0)
    assert "5.1:4.9" in row.group(0)
    assert re.search(r"<svg[^>]*matching-chart", page)
    assert 'data-district="3023000000" data-public="48" data-private="47"' in page
    assert 'href="/finance/matching/" aria-current="page"' in page  # in the finance menu


def test_an_odd_year_falls_back_to_this_year(fin_client, scenario):
    for query in ("?year=abc", "?year=1999", "?year=99999999999999999999999"):
        response = fin_client.get(f"/finance/matching/{query}")
        assert response.status_code == 200
        assert 'id="id_year-error"' in text(response)


def test_only_finance_sees_matching(client, people, donor_rep, donor):
    response = client.get("/finance/matching/")
    assert response.status_code == 302
    for user in (people["coord_seo"], donor_rep):
        client.force_login(user)
        assert client.get("/finance/matching/").status_code == 403
        assert client.post(f"/finance/matching/donors/{donor.pk}/verify/").status_code == 403


def test_finance_confirms_a_pledge_and_its_points_are_issued(fin_client, donor, donor_rep):
    pledge = pledge_create(
        by=donor_rep,
        donor=donor,
        amount=Money(300_000, "KRW"),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    page = text(fin_client.get("/finance/matching/"))
    assert re.search(rf'<tr data-pledge="{pledge.pk}">.*?data-action="confirm"', page, re.S)
    response = fin_client.post(f"/finance/matching/pledges/{pledge.pk}/confirm/", **HTMX)
    assert response.status_code == 200
    assert f'data-pledge="{pledge.pk}"' not in text(response)
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.ACTIVE
    assert account_balance(account_for(donor, Purpose.MATCH)) == 300
    plain = fin_client.post(f"/finance/matching/pledges/{pledge.pk}/confirm/")
    assert plain.status_code == 409  # confirmed already: shown on the page


def test_an_unverified_donors_pledge_says_so_and_verifying_lets_it_through(
    fin_client, finance, daejeon
):
    unverified = Donor.objects.create(
        name="미확인 기업",
        kind=DonorKind.COMPANY,
        business_number="2208162517",
        home_region=daejeon["서구"],
    )
    pledge = pledge_create(
        by=finance,
        donor=unverified,
        amount=Money(5_000, "KRW"),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    with translation.override("ko"):
        message = str(DonorNotVerified.default_message)
    response = fin_client.post(
        f"/finance/matching/pledges/{pledge.pk}/confirm/", HTTP_ACCEPT_LANGUAGE="ko", **HTMX
    )
    assert response.status_code == 409
    assert message in text(response)
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.AWAITING

    page = text(fin_client.get("/finance/matching/"))
    assert re.search(rf'<tr data-donor="{unverified.pk}">.*?data-action="verify-donor"', page, re.S)
    response = fin_client.post(f"/finance/matching/donors/{unverified.pk}/verify/", **HTMX)
    assert response.status_code == 200
    assert f'data-donor="{unverified.pk}"' not in text(response)
    assert Donor.objects.get(pk=unverified.pk).is_verified
    fin_client.post(f"/finance/matching/pledges/{pledge.pk}/confirm/", **HTMX)
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.ACTIVE


def test_the_page_costs_the_same_queries_however_many_rows(
    fin_client, finance, daejeon, donor, donor_rep
):
    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            other = Donor.objects.create(
                name=f"기관 {i}",
                kind=DonorKind.COMPANY,
                business_number=f"{i:02d}11111111",
                home_region=daejeon["서구"],
            )
            pledge_create(
                by=finance,
                donor=other if i % 2 else donor,
                amount=Money(5_000, "KRW"),
                valid_until=timezone.localdate() + datetime.timedelta(days=30),
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert fin_client.get("/finance/matching/").status_code == 200
        return len(ctx.captured_queries)

    grow(2, 0)
    few = queries()
    grow(10, 2)
    assert queries() == few
