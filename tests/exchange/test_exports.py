"""The pages' downloads (CSV and XLSX from one shape, config/exports.py): each
parses back with the rows its page shows and nothing outside the viewer's
visibility, honours the page's filters, records the households it names, and
costs the same number of queries for 5 rows as for 50."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from djmoney.money import Money
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AccessAction, PersonalDataAccess
from config.exports import Sheet, export_response, xlsx_response
from exchange.models import Claim
from exchange.services import claim_approve, claim_fulfil, claim_request
from ledger.models import Account, Purpose
from marketplace.models import FollowUpOutcome, Listing
from marketplace.services import follow_up_record, household_close
from people.models import Role
from tests import factories

HOUSEHOLD_IN_DAEDEOK = "대덕구의 한 가구"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, _body(response)[:300]
    assert response["Content-Type"].startswith("text/csv")
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _book(response) -> openpyxl.Workbook:
    assert response.status_code == 200, _body(response)[:300]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(_body(response)))


def _sheet_rows(response) -> list[list]:
    book = _book(response)
    assert len(book.worksheets) == 1
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def _both(client: Client, url: str, query: str = "") -> tuple[list[list], list[list]]:
    """The same export as CSV and as XLSX, each parsed back."""
    joiner = "&" if query else ""
    as_csv = _csv(client.get(f"{url}?{query}{joiner}format=csv"))
    as_xlsx = _sheet_rows(client.get(f"{url}?{query}{joiner}format=xlsx"))
    return as_csv, as_xlsx


# --- config/exports.py ----------------------------------------------------------------------


def test_xlsx_keeps_numbers_money_and_dates_typed_and_text_safe():
    moment = datetime.datetime(2026, 11, 3, 1, 30, tzinfo=datetime.UTC)
    sheet = Sheet(
        title="시트/1",
        header=["이름", "금액", "날짜", "시각", "수"],
        rows=[
            [
                '=HYPERLINK("http://x")',
                Money(1_234_567, "KRW"),
                datetime.date(2026, 11, 3),
                moment,
                42,
            ]
        ],
    )
    response = xlsx_response([sheet], "t.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(_body(response)))
    ws = book.worksheets[0]
    assert ws.title == "시트1"
    assert [c.value for c in ws[1]] == ["이름", "금액", "날짜", "시각", "수"]
    assert all(c.font.bold for c in ws[1])
    text, money, day, at, number = ws[2]
    assert text.value == '\'=HYPERLINK("http://x")' and text.data_type == "s"
    assert money.value == 1_234_567 and money.number_format == "#,##0"
    assert day.value == datetime.datetime(2026, 11, 3) and day.is_date
    # Korean local time (UTC+9).
    assert at.value == datetime.datetime(2026, 11, 3, 10, 30) and at.is_date
    assert number.value == 42 and isinstance(number.value, int)
    # Korean headers are counted two columns a character.
    assert ws.column_dimensions["A"].width >= 8


def test_csv_and_xlsx_come_from_the_same_sheets(rf: RequestFactory):
    def sheets():
        return [
            Sheet(title="A", header=["x", "y"], rows=iter([[1, "가"], [2, "-1"]])),
            Sheet(title="B", header=["z"], rows=[[Money(5, "KRW")]]),
        ]

    as_csv = _csv(export_response(rf.get("/", {"format": "csv"}), sheets(), "s"))
    assert as_csv == [["A"], ["x", "y"], ["1", "가"], ["2", "'-1"], [], ["B"], ["z"], ["5"]]
    book = _book(export_response(rf.get("/", {"format": "xlsx"}), sheets(), "s"))
    assert [ws.title for ws in book.worksheets] == ["A", "B"]
    assert [list(r) for r in book["A"].iter_rows(values_only=True)] == [
        ["x", "y"],
        [1, "가"],
        [2, "'-1"],
    ]
    assert [list(r) for r in book["B"].iter_rows(values_only=True)] == [["z"], [5]]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=12))
def test_any_other_format_is_a_korean_400(value, people, db):
    client = _client(people["cm_daedeok"])
    response = client.get("/claims/", {"format": value})
    if value in ("csv", "xlsx"):
        assert response.status_code == 200
        return
    assert response.status_code == 400
    if "\x00" not in value:
        # (A NUL is refused earlier, by the request guard, with its own page.)
        assert "csv 또는 xlsx" in response.content.decode()


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def claims(people, make_listing, household, grant, daejeon, make_pledge):
    """A fulfilled cross-region claim of 대덕구's household on a 서구 listing, and
    a requested one on another listing."""
    grant(daejeon["대덕구"], 100_000)
    make_pledge()
    cm, coord = people["cm_daedeok"], people["coord_seo"]
    listing = make_listing(quantity=10, krw=20_000)
    Listing.objects.filter(pk=listing.pk).update(title="겨울 담요")
    done = claim_request(by=cm, listing=listing, household=household, quantity=2)
    done = claim_approve(claim=done, by=coord)
    claim_fulfil(claim=done, by=cm, quantity_received=2)
    other = make_listing(quantity=5, krw=10_000)
    Listing.objects.filter(pk=other.pk).update(title="=쌀 10kg")
    waiting = claim_request(
        by=cm, listing=other, household=household, quantity=1, justification="다시 필요"
    )
    return {"done": Claim.objects.get(pk=done.pk), "waiting": waiting}


# --- claims -------------------------------------------------------------------------------


def test_claims_export_names_the_household_only_to_its_case_manager(claims, people, household):
    done, waiting = claims["done"], claims["waiting"]
    for who, label in (("cm_daedeok", household.code), ("coord_seo", HOUSEHOLD_IN_DAEDEOK)):
        as_csv, as_xlsx = _both(_client(people[who]), "/claims/")
        for rows in (as_csv, as_xlsx):
            header, body = rows[0], rows[1:]
            assert header[:6] == ["번호", "신청 일시", "상태", "자원", "분야", "가구"]
            assert [str(r[0]) for r in body] == [str(waiting.pk), str(done.pk)]
            assert {r[5] for r in body} == {label}
            # A title that looks like a formula stays text.
            assert body[0][3] == "'=쌀 10kg"
        assert as_xlsx[1][12] == waiting.cost_points and isinstance(as_xlsx[1][12], int)
    # Another region's case manager sees none of these claims.
    as_csv, as_xlsx = _both(_client(people["cm_seo"]), "/claims/")
    assert as_csv[1:] == [] and as_xlsx[1:] == []


def test_claims_export_honours_the_filters(claims, people):
    client = _client(people["cm_daedeok"])
    as_csv, as_xlsx = _both(client, "/claims/", "state=fulfilled")
    assert [r[0] for r in as_csv[1:]] == [str(claims["done"].pk)]
    assert [r[0] for r in as_xlsx[1:]] == [claims["done"].pk]
    as_csv, _ = _both(client, "/claims/", "q=%EA%B2%A8%EC%9A%B8")  # 겨울
    assert [r[0] for r in as_csv[1:]] == [str(claims["done"].pk)]


def test_claims_export_records_the_households_it_names(claims, people, household):
    _csv(_client(people["cm_daedeok"]).get("/claims/?format=csv"))
    records = list(PersonalDataAccess.objects.filter(action=AccessAction.EXPORT))
    assert [(r.household_id, r.user_id) for r in records] == [
        (household.pk, people["cm_daedeok"].pk)
    ]
    assert "신청 목록 내려받기(CSV)" in records[0].purpose_detail
    # A coordinator's file names no household: nothing to record.
    _csv(_client(people["coord_seo"]).get("/claims/?format=csv"))
    assert PersonalDataAccess.objects.filter(action=AccessAction.EXPORT).count() == 1


def test_the_claims_page_links_its_downloads_with_the_filters(claims, people):
    page = _client(people["cm_daedeok"]).get("/claims/?state=fulfilled&page=1").content.decode()
    assert 'href="?state=fulfilled&amp;format=csv"' in page
    assert 'href="?state=fulfilled&amp;format=xlsx"' in page
    assert "CSV 내려받기" in page and "XLSX 내려받기" in page


# --- households and follow-ups --------------------------------------------------------------


@pytest.fixture
def caseload(people, daejeon, household, make_member):
    """cm_daedeok's two households (one closed, with its follow-ups) and a
    colleague's household in the same district."""
    dong = factories.first_dong(daejeon["대덕구"])
    closed = factories.household(by=people["cm_daedeok"], dong=dong, size=1)
    household_close(household=closed, by=people["cm_daedeok"])
    peer = make_member(daejeon["대덕구"], Role.CASE_MANAGER, username="cm_peer")
    theirs = factories.household(by=peer, dong=dong, size=4)
    return {"open": household, "closed": closed, "peer": theirs, "peer_user": peer}


def test_households_export_is_the_own_caseload_and_is_recorded(caseload, people):
    client = _client(people["cm_daedeok"])
    as_csv, as_xlsx = _both(client, "/households/")
    mine = {caseload["open"].code, caseload["closed"].code}
    for rows in (as_csv, as_xlsx):
        assert rows[0][:4] == ["가구 코드", "행정동", "가구원 수", "필요 서비스"]
        assert {r[0] for r in rows[1:]} == mine
        flat = " ".join(str(v) for r in rows for v in r)
        assert caseload["peer"].code not in flat
        assert "독거 어르신" not in flat  # notes never leave the application
    # The page's filter applies.
    filtered, _ = _both(client, "/households/", "status=closed")
    assert [r[0] for r in filtered[1:]] == [caseload["closed"].code]
    records = PersonalDataAccess.objects.filter(action=AccessAction.EXPORT)
    # One INSERT per export: a record for each household in it, saying how many.
    assert records.count() == 2 + 2 + 1 + 1
    assert set(records.values_list("household_id", flat=True)) == {
        caseload["open"].pk,
        caseload["closed"].pk,
    }
    assert all(not r.outside_caseload for r in records)
    assert {r.purpose_detail for r in records} >= {"가구 목록 내려받기(XLSX): 가구 2곳"}


def test_households_export_is_refused_to_others(caseload, people, finance):
    for user in (people["coord_seo"], finance):
        assert _client(user).get("/households/?format=csv").status_code == 403
    anonymous = _client().get("/households/?format=csv")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert not PersonalDataAccess.objects.filter(action=AccessAction.EXPORT).exists()


def test_follow_ups_export(caseload, people):
    closed = caseload["closed"]
    first = closed.follow_ups.order_by("due_on").first()
    follow_up_record(
        follow_up=first, by=people["cm_daedeok"], note="전화 상담", outcome=FollowUpOutcome.CRISIS
    )
    as_csv, as_xlsx = _both(_client(people["cm_daedeok"]), "/follow-ups/export/")
    dues = sorted(closed.follow_ups.values_list("due_on", flat=True))
    assert [r[0] for r in as_csv[1:]] == [closed.code, closed.code]
    assert [r[3] for r in as_csv[1:]] == [d.isoformat() for d in dues]
    assert [r[3].date() for r in as_xlsx[1:]] == dues
    assert [(r[4], r[5]) for r in as_csv[1:]] == [("기록 완료", "위기"), ("예정", "")]
    assert as_csv[0][5] == "결과"
    assert PersonalDataAccess.objects.filter(action=AccessAction.EXPORT, household=closed).exists()
    # Another district's case manager: no row; a coordinator: refused.
    other, _ = _both(_client(people["cm_seo"]), "/follow-ups/export/")
    assert other[1:] == []
    assert _client(people["coord_seo"]).get("/follow-ups/export/").status_code == 403
    dashboard = _client(people["cm_daedeok"]).get("/dashboard/").content.decode()
    assert 'href="/follow-ups/export/?format=csv"' in dashboard


# --- listings, wallet, matching --------------------------------------------------------------


def test_catalogue_export_is_the_filtered_public_catalogue(make_listing, people):
    make_listing(title="밑반찬 세트", krw=20_000)
    make_listing(title="겨울 이불", krw=35_000, category="daily_living.meals")
    make_listing(title="초안 자원", publish=False)
    as_csv, as_xlsx = _both(_client(), "/")
    assert {r[1] for r in as_csv[1:]} == {"밑반찬 세트", "겨울 이불"}
    blanket = next(r for r in as_xlsx[1:] if r[1] == "겨울 이불")
    assert blanket[4] == "서구" and blanket[9] == 35_000 and blanket[10] == 35
    filtered, _ = _both(_client(), "/", "q=%EC%9D%B4%EB%B6%88")  # 이불
    assert [r[1] for r in filtered[1:]] == ["겨울 이불"]


def test_coordinator_listing_export_covers_own_regions_drafts_included(make_listing, people):
    make_listing(title="서구 초안", publish=False)
    make_listing(title="대덕구 자원", region_name="대덕구")
    as_csv, as_xlsx = _both(_client(people["coord_seo"]), "/listings/export/")
    assert [r[1] for r in as_csv[1:]] == ["서구 초안"]
    assert [r[5] for r in as_xlsx[1:]] == ["초안"]
    assert _client(people["cm_seo"]).get("/listings/export/").status_code == 403


def test_wallet_export_matches_the_statement(claims, people, daejeon, finance):
    url = f"/wallet/{daejeon['대덕구'].code}/"
    as_csv, as_xlsx = _both(_client(people["cm_daedeok"]), url)
    assert as_csv[0] == ["기록 일시", "거래", "유형", "적요", "금액", "잔액"]
    amounts = [r[4] for r in as_xlsx[1:]]
    balances = [r[5] for r in as_xlsx[1:]]
    assert amounts[0] == 100_000
    running = 0
    for amount, balance in zip(amounts, balances, strict=True):
        running += amount
        assert balance == running
    assert [int(r[4]) for r in as_csv[1:]] == amounts
    assert _client(people["coord_seo"]).get(url + "?format=csv").status_code == 403
    assert _client(finance).get(url + "?format=xlsx").status_code == 200


def test_matching_export(claims, finance, people):
    year = claims["done"].closed_at.year
    as_csv = _csv(_client(finance).get(f"/finance/matching/?year={year}&format=csv"))
    book = _book(_client(finance).get(f"/finance/matching/?year={year}&format=xlsx"))
    assert [ws.title for ws in book.worksheets] == ["자치구별", "자치구·월별"]
    by_district = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    # 20,000 won a unit is 20 points; two units cost 40, split 5:5.
    assert by_district[1][:5] == ["대덕구", str(year), 20, 20, 40]
    assert by_district[-1][0] == "합계"
    assert as_csv[0] == ["자치구별"]
    assert _client(people["coord_seo"]).get("/finance/matching/?format=csv").status_code == 403


# --- query counts ---------------------------------------------------------------------------


def _export_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        _body(response)
    assert response.status_code == 200
    return len(queries)


def test_claims_export_costs_the_same_queries_for_5_and_50_rows(
    people, make_listing, household, daejeon
):
    cm = people["cm_daedeok"]
    listing = make_listing(region_name="대덕구", quantity=100, krw=1_000)
    client = _client(cm)

    def claims_up_to(n: int) -> None:
        while Claim.objects.count() < n:
            claim_request(
                by=cm, listing=listing, household=household, quantity=1, justification="정기 지원"
            )

    counts = {}
    for n in (5, 50):
        claims_up_to(n)
        for fmt in ("csv", "xlsx"):
            counts[(n, fmt)] = _export_queries(client, f"/claims/?format={fmt}")
    assert counts[(5, "csv")] == counts[(50, "csv")]
    assert counts[(5, "xlsx")] == counts[(50, "xlsx")]


def test_households_export_costs_the_same_queries_for_5_and_50_rows(people, daejeon, categories):
    cm = people["cm_daedeok"]
    dong = factories.first_dong(daejeon["대덕구"])
    client = _client(cm)
    counts = {}
    for n in (5, 50):
        while cm.households.count() < n:
            made = factories.household(by=cm, dong=dong)
            made.needs.add(categories["daily_living.side_dishes"])
        counts[n] = _export_queries(client, "/households/?format=xlsx")
    assert counts[5] == counts[50]


def test_finance_statement_has_an_xlsx_beside_its_csv(claims, finance, people, daejeon):
    wallet = Account.objects.get(region=daejeon["대덕구"], purpose=Purpose.WALLET)
    url = f"/finance/accounts/{wallet.pk}/"
    rows = _sheet_rows(_client(finance).get(url, {"format": "xlsx"}))
    header, opening, *entries, closing = rows
    assert len(header) == 7 and opening[-1] == 0
    assert all(isinstance(row[0], datetime.datetime) for row in entries)
    assert [row[6] for row in entries][-1] == closing[-1] == wallet.balance
    as_csv = _csv(_client(finance).get(url, {"format": "csv"}))
    assert [int(row[6]) for row in as_csv[2:-1]] == [row[6] for row in entries]
    assert _client(finance).get(url, {"format": "ods"}).status_code == 400
    assert _client(people["cm_daedeok"]).get(url, {"format": "xlsx"}).status_code == 403


def test_listings_export_costs_the_same_queries_for_5_and_50_rows(people, make_listing):
    client = _client(people["coord_seo"])
    counts = {}
    for n in (5, 50):
        while Listing.objects.count() < n:
            make_listing(publish=False)
        for fmt in ("csv", "xlsx"):
            counts[(n, fmt)] = _export_queries(client, f"/listings/export/?format={fmt}")
    assert counts[(5, "csv")] == counts[(50, "csv")]
    assert counts[(5, "xlsx")] == counts[(50, "xlsx")]
