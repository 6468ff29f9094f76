"""The monthly report pack of a district (exchange/reports.py, /reports/monthly/):
its figures against a hand-built month of known claims with known values, who
may open it, and what bad input gets."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from djmoney.money import Money
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.reports import monthly_pack
from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.models import FollowUpOutcome
from marketplace.services import follow_up_record, household_close
from people.models import RegionMembership, Role
from tests import factories

KST = datetime.timezone(datetime.timedelta(hours=9))
SHEETS = ["사례관리자별 사례 수", "연계 실적", "분야별 서비스", "사후관리"]


def _on(day: int, month: int = 11, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=KST)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def month(at, people, daejeon, make_listing, grant, make_pledge, make_member):
    """November 2026 in 대덕구, built by hand:

    cm_daedeok's cases: A (registered in October, open), B (registered 5 Nov),
    C (registered in October, closed 20 Nov), D and E (closed in August: their
    first follow-ups fall due on 10 and 20 Nov; D's is recorded on 15 Nov).
    A colleague, cm_peer, is posted in 대덕구 with no case.

    Linkages for 대덕구's households fulfilled in November:
    - local: 3 units of a 대덕구 listing at 15,000 won, 2 received → 30,000 won, no points;
    - exchange: 4 units of a 서구 listing at 20,000 won (side dishes), all received
      → 80,000 won, 80 points (40 from the wallet, 40 from the donor);
    - exchange: 2 hours of a 서구 housework volunteer listing without a stated value
      (10,320 won an hour) → 20,640 won, 10 points an hour → 20 points.
    Outside the month: one fulfilled on 31 Oct at 23:30 Korean time.
    Provided by 대덕구: a 서구 household's claim on a 대덕구 listing, 1 unit at
    15,000 won → 15 points.
    """
    cm, coord_seo, coord_dd = people["cm_daedeok"], people["coord_seo"], people["coord_daedeok"]
    dong = factories.first_dong(daejeon["대덕구"])
    seo_dong = factories.first_dong(daejeon["서구"])
    make_member(daejeon["대덕구"], Role.CASE_MANAGER, username="cm_peer")
    cm.first_name, cm.office = "김사례", "대덕구청 희망복지지원단"
    cm.save()
    # Everyone has held their post since January.
    RegionMembership.objects.update(starts_on=datetime.date(2026, 1, 1))

    at.set(_on(10, month=8))
    d = factories.household(by=cm, dong=dong)
    household_close(household=d, by=cm)
    at.set(_on(20, month=8))
    e = factories.household(by=cm, dong=dong)
    household_close(household=e, by=cm)
    at.set(_on(1, month=10))
    a = factories.household(by=cm, dong=dong)
    c = factories.household(by=cm, dong=dong)
    seo_household = factories.household(by=people["cm_seo"], dong=seo_dong)
    grant(daejeon["대덕구"], 100_000)
    grant(daejeon["서구"], 100_000)
    make_pledge()
    local_listing = make_listing(region_name="대덕구", quantity=10, krw=15_000)
    side_dishes = make_listing(quantity=10, krw=20_000)
    housework = make_listing(
        kind="volunteer_hours", category="daily_living.housework", krw=None, unit="시간"
    )
    early = make_listing(category="housing.repair", krw=50_000)

    at.set(_on(31, month=10, hour=12))
    october = claim_request(by=cm, listing=early, household=a, quantity=1)
    claim_approve(claim=october, by=coord_seo)
    at.set(_on(31, month=10, hour=23) + datetime.timedelta(minutes=30))
    claim_fulfil(claim=october, by=cm, quantity_received=1)

    at.set(_on(5))
    b = factories.household(by=cm, dong=dong)
    local = claim_request(by=cm, listing=local_listing, household=a, quantity=3)
    claim_approve(claim=local, by=coord_dd)
    dishes = claim_request(by=cm, listing=side_dishes, household=b, quantity=4)
    claim_approve(claim=dishes, by=coord_seo)
    hours = claim_request(by=cm, listing=housework, household=c, quantity=2)
    claim_approve(claim=hours, by=coord_seo)
    provided = claim_request(
        by=people["cm_seo"], listing=local_listing, household=seo_household, quantity=1
    )
    claim_approve(claim=provided, by=coord_dd)
    # Requested in November but not fulfilled: no linkage.
    claim_request(by=cm, listing=side_dishes, household=a, quantity=1, justification="추가")

    at.set(_on(12))
    claim_fulfil(claim=local, by=cm, quantity_received=2)
    claim_fulfil(claim=dishes, by=cm, quantity_received=4)
    claim_fulfil(claim=hours, by=cm, quantity_received=2)
    claim_fulfil(claim=provided, by=people["cm_seo"], quantity_received=1)
    at.set(_on(15))
    follow_up_record(
        follow_up=d.follow_ups.order_by("due_on").first(),
        by=cm,
        note="안정적",
        outcome=FollowUpOutcome.STABLE,
    )
    at.set(_on(20))
    household_close(household=c, by=cm)
    # Reading the report happens later, in December.
    at.set(_on(2, month=12))
    return {"district": daejeon["대덕구"], "households": (a, b, c, d, e)}


def test_the_pack_has_the_months_figures(month, people, django_assert_num_queries):
    district = month["district"]
    with django_assert_num_queries(7):
        pack = monthly_pack(district, 2026, 11)
    rows = {row.name: row for row in pack.case_managers}
    assert set(rows) == {"김사례", "cm_peer"}
    mine = rows["김사례"]
    assert mine.office == "대덕구청 희망복지지원단"
    assert (mine.active, mine.opened, mine.closed, mine.fulfilled) == (2, 1, 1, 3)
    peer = rows["cm_peer"]
    assert (peer.active, peer.opened, peer.closed, peer.fulfilled) == (0, 0, 0, 0)

    assert (pack.local.count, pack.local.value, pack.local.points) == (
        1,
        Money(30_000, "KRW"),
        0,
    )
    assert (pack.exchange.count, pack.exchange.value, pack.exchange.points) == (
        2,
        Money(100_640, "KRW"),
        100,
    )
    assert pack.linkages.count == 3 and pack.linkages.value == Money(130_640, "KRW")
    assert isinstance(pack.linkages.value.amount, Decimal)
    assert (pack.provided.count, pack.provided.value, pack.provided.points) == (
        1,
        Money(15_000, "KRW"),
        15,
    )

    fields = {row.category.code: row.linkages for row in pack.by_field}
    assert fields["daily_living"].count == 3
    assert fields["daily_living"].value == Money(130_640, "KRW")
    assert fields["housing"].count == 0  # the October repair is outside the month
    assert sum(f.count for f in fields.values()) == 3

    follow = pack.follow_ups
    assert (follow.due, follow.due_recorded, follow.recorded, follow.overdue) == (2, 1, 1, 1)


def test_october_is_its_own_month(month):
    pack = monthly_pack(month["district"], 2026, 10)
    assert pack.linkages.count == 1
    assert pack.linkages.value == Money(50_000, "KRW")
    assert {r.category.code: r.linkages.count for r in pack.by_field}["housing"] == 1


def test_the_page_and_the_xlsx_show_the_same_figures(month, people):
    client = _client(people["coord_daedeok"])
    code = month["district"].code
    page = client.get(f"/reports/monthly/?district={code}&month=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    assert "대덕구 2026-11 월간 보고" in html
    assert "130,640" in html and "100,640" in html
    for household in month["households"]:
        assert household.code not in html
    response = client.get(f"/reports/monthly/?district={code}&month=2026-11&format=xlsx")
    assert response.status_code == 200
    assert f"monthly_report_{code}_2026-11.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(_body(response)))
    assert book.sheetnames == SHEETS
    cases = [list(r) for r in book["사례관리자별 사례 수"].iter_rows(values_only=True)]
    assert cases[0] == [
        "사례관리사",
        "소속 기관/부서",
        "진행 중인 가구",
        "이달 신규",
        "이달 종결",
        "연계 완료 신청",
    ]
    assert ["김사례", "대덕구청 희망복지지원단", 2, 1, 1, 3] in cases
    assert cases[-1] == ["합계", None, 2, 1, 1, 3]
    linkages = [list(r) for r in book["연계 실적"].iter_rows(values_only=True)]
    assert linkages[1:] == [
        ["지역 내 전달", 1, 30_000, 0],
        ["다른 자치구와의 교환", 2, 100_640, 100],
        ["합계", 3, 130_640, 100],
        ["다른 자치구에 제공", 1, 15_000, 15],
    ]
    assert book["연계 실적"]["C3"].number_format == "#,##0"
    fields = {r[0]: r[1:] for r in book["분야별 서비스"].iter_rows(min_row=2, values_only=True)}
    assert fields["일상생활"] == (3, 130_640)
    assert fields["합계"] == (3, 130_640)
    follow = [list(r) for r in book["사후관리"].iter_rows(values_only=True)]
    assert follow[1:] == [
        ["이달 예정", 2],
        ["그중 기록 완료", 1],
        ["이달 기록", 1],
        ["월말 기준 기한 경과", 1],
    ]
    every_cell = " ".join(
        str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r
    )
    for household in month["households"]:
        assert household.code not in every_cell
    csv_response = client.get(f"/reports/monthly/?district={code}&month=2026-11&format=csv")
    text = _body(csv_response).decode("utf-8")
    assert text.startswith("\ufeff사례관리자별 사례 수") and "130640" in text


def test_who_may_open_the_report(people, daejeon, finance, nobody_user):
    code = daejeon["대덕구"].code
    url = f"/reports/monthly/?district={code}&month=2026-11"
    assert _client(people["coord_daedeok"]).get(url).status_code == 200
    assert _client(finance).get(url).status_code == 200
    # A coordinator of another district, a case manager, anyone else: 403.
    for user in (people["coord_seo"], people["cm_daedeok"], nobody_user):
        response = _client(user).get(url)
        assert response.status_code == 403
        assert "data-district" not in response.content.decode()
    assert _client(people["coord_seo"]).get(url + "&format=xlsx").status_code == 403
    anonymous = _client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # The city's coordinators cover every district.
    city = factories.member(daejeon["대전광역시"], Role.COORDINATOR, "coord_city")
    assert _client(city).get(url).status_code == 200
    # A coordinator of a dong only: not the district's report.
    dong = factories.first_dong(daejeon["대덕구"])
    dong_coord = factories.member(dong, Role.COORDINATOR, "coord_dong")
    assert _client(dong_coord).get(url).status_code == 403
    assert _client(dong_coord).get("/reports/monthly/").status_code == 403


def test_without_a_district_the_coordinators_own_is_shown(people):
    response = _client(people["coord_seo"]).get("/reports/monthly/")
    assert response.status_code == 200
    assert "서구" in response.content.decode()
    assert 'data-district="3017000000"' in response.content.decode()


def test_unknown_district_is_404(people, finance, daejeon):
    dong = factories.first_dong(daejeon["대덕구"])
    for code in ("9999999999", dong.code, daejeon["대전광역시"].code, "x" * 300):
        response = _client(finance).get("/reports/monthly/", {"district": code})
        assert response.status_code == 404, code


@pytest.mark.parametrize(
    "value", ["2026-13", "2026-00", "abc", "1999-12", "2101-01", "2026-1", "26-11", "２０２６-11"]
)
def test_a_bad_month_is_422_with_a_korean_message(people, value):
    client = _client(people["coord_seo"])
    for extra in ({}, {"format": "xlsx"}):
        response = client.get("/reports/monthly/", {"month": value, **extra})
        assert response.status_code == 422
        assert "YYYY-MM 형식" in response.content.decode()


def test_a_bad_format_is_400(people):
    response = _client(people["coord_seo"]).get("/reports/monthly/", {"format": "pdf"})
    assert response.status_code == 400
    assert "csv 또는 xlsx" in response.content.decode()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    district=st.text(max_size=12),
    month_text=st.text(max_size=10),
    fmt=st.sampled_from(["", "csv", "xlsx", "html", "\x00"]),
)
def test_no_input_is_a_server_error(finance, district, month_text, fmt):
    query = {"district": district, "month": month_text}
    if fmt:
        query["format"] = fmt
    response = _client(finance).get("/reports/monthly/", query)
    assert response.status_code in (200, 400, 404, 422)


@pytest.fixture
def nobody_user(django_user_model, db):
    return django_user_model.objects.create_user(username="nobody", password="pw-for-tests-only")


def test_the_dashboard_links_the_report(people):
    html = _client(people["coord_seo"]).get("/dashboard/").content.decode()
    assert 'href="/reports/monthly/"' in html
    assert 'href="/listings/export/?format=xlsx"' in html
