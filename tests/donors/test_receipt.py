"""The donation receipt (기부금 영수증 / 기부 내역 확인서): the statutory layout,
the title that depends on the issuer's configuration, cash dated by the day it
was paid, serial numbers issued by POST and kept for reprints, and who may issue."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone
from djmoney.money import Money

from donors.models import ReceiptCounter, ReceiptIssue
from exchange.receipts import NothingToIssue, receipt_issue
from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.services import household_create
from tests import factories
from tests.helpers import run_parallel

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")

ISSUER = {
    "RECEIPT_ISSUER_NAME": "대전광역시사회복지협의회",
    "RECEIPT_ISSUER_NUMBER": "3058212345",
    "RECEIPT_ISSUER_ADDRESS": "대전광역시 서구 둔산로 100",
    "RECEIPT_ISSUER_PHONE": "042-123-4567",
    "RECEIPT_ISSUER_REPRESENTATIVE": "홍길동",
    "RECEIPT_ISSUER_LEGAL_BASIS": "법인세법 제24조 제2항",
    "RECEIPT_DONATION_TYPE_CODE": "10",
}


def text(response) -> str:
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def field(page: str, name: str) -> str:
    found = re.search(rf'data-field="{name}"[^>]*>(.*?)</', page, re.S)
    assert found, name
    return found.group(1).strip()


def document(page: str) -> str:
    """The printed document: the page without the list of issues and its form."""
    start = page.index('<table class="receipt-form">')
    return page[start : page.index('<section class="receipt-issues')]


@pytest.fixture
def rep_client(client, donor_rep):
    client.force_login(donor_rep)
    return client


@pytest.fixture
def gifts(donor, donor_rep, make_pledge, daejeon, people, make_listing, household, grant):
    """This year: a pledge paid 30 points (30,000 KRW) of a claim of 4 boxes at
    20 points of which 3 arrived, and an in-kind gift of 6,000 KRW a box of which
    households received 5 (30,000 KRW)."""
    grant(daejeon["대덕구"], 1000)
    make_pledge(krw=1_000_000)
    claim = claim_request(
        by=people["cm_daedeok"],
        listing=make_listing(quantity=10, krw=20_000),
        household=household,
        quantity=4,
    )
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=3)
    gift = factories.gift(
        by=donor_rep,
        donor=donor,
        region=daejeon["서구"],
        krw=6_000,
        quantity=10,
        title="후원 반찬",
        publisher=people["coord_seo"],
    )
    seo_household = household_create(
        by=people["cm_seo"], dong=daejeon["서구"].children.order_by("code").first(), size=1
    )
    local = claim_request(by=people["cm_seo"], listing=gift, household=seo_household, quantity=5)
    claim_approve(claim=local, by=people["coord_seo"])
    claim_fulfil(claim=local, by=people["cm_seo"], quantity_received=5)
    return timezone.localdate().year


# --- the layout ----------------------------------------------------------------------------


@override_settings(**ISSUER)
def test_a_configured_issuer_gives_a_receipt_with_every_statutory_field(rep_client, donor, gifts):
    page = text(rep_client.get(f"/donors/{donor.pk}/receipts/{gifts}/"))
    assert '<span class="receipt-title">기부금 영수증</span>' in page
    assert "data-disclaimer" not in page
    assert field(page, "serial") == "미발급 미리보기"  # a preview has no serial yet
    assert field(page, "donor_name") == donor.name
    assert field(page, "donor_number") == "124-81-00998"
    assert field(page, "donor_address") == "대전광역시 대덕구"  # no street address on file
    assert field(page, "issuer_name") == "대전광역시사회복지협의회"
    assert field(page, "issuer_number") == "305-82-12345"
    assert field(page, "issuer_address") == "대전광역시 서구 둔산로 100"
    assert field(page, "issuer_phone") == "042-123-4567"
    assert field(page, "issuer_representative") == "홍길동"
    assert field(page, "legal_basis") == "법인세법 제24조 제2항"
    assert field(page, "agent_name") == "해당 없음(기부금 단체가 직접 받음)"
    assert page.count('data-field="type_code">10<') == 2
    assert field(page, "type_label") == "10 특례기부금(법정기부금)"
    assert re.findall(r'data-field="form">(.*?)<', page) == ["금전", "현물"]
    assert "환가액" in field(page, "valuation_basis")
    assert (
        "「소득세법」 제34조, 「조세특례제한법」 제76조·제88조의4 및 「법인세법」 제24조에 따른 "
        "기부금을 위와 같이 기부하였음을 증명하여 드립니다." in page
    )
    assert field(page, "issuer") == "대전광역시사회복지협의회"
    assert '₩<span data-total="pledge">30,000</span>' in page
    assert '₩<span data-total="in_kind">30,000</span>' in page
    assert '₩<span data-total="total">60,000</span>' in page
    assert "₩6,000" in page and "5상자" in page
    assert "인쇄 / PDF로 저장" in page


@pytest.mark.parametrize("missing", sorted(ISSUER))
def test_an_issuer_missing_any_setting_gives_a_statement_not_a_receipt(
    rep_client, donor, gifts, missing
):
    with override_settings(**{**ISSUER, missing: ""}):
        page = text(rep_client.get(f"/donors/{donor.pk}/receipts/{gifts}/"))
    assert '<span class="receipt-title">기부 내역 확인서</span>' in page
    assert "세법상 기부금 영수증이 아닙니다" in page
    assert "<title>기부 내역 확인서" in page


def test_the_development_default_is_a_statement(rep_client, donor, gifts):
    page = text(rep_client.get(f"/donors/{donor.pk}/receipts/{gifts}/"))
    assert '<span class="receipt-title">기부 내역 확인서</span>' in page
    assert field(page, "issuer_name") == "—" and field(page, "type_label") == "설정되지 않음"


@override_settings(**ISSUER, RECEIPT_AGENT_NAME="대전일보", RECEIPT_AGENT_NUMBER="3148212342")
def test_a_fundraising_agent_is_shown_when_configured(rep_client, donor, gifts):
    page = text(rep_client.get(f"/donors/{donor.pk}/receipts/{gifts}/"))
    assert field(page, "agent_name") == "대전일보"
    assert field(page, "agent_number") == "314-82-12342"


# --- issuing: serials, reprints, supersession ------------------------------------------------


@override_settings(**ISSUER)
def test_a_get_never_issues_and_a_post_issues_the_next_serial(rep_client, donor, donor_rep, gifts):
    url = f"/donors/{donor.pk}/receipts/{gifts}/"
    rep_client.get(url)
    rep_client.get(url, {"format": "csv"})
    assert not ReceiptIssue.objects.exists() and not ReceiptCounter.objects.exists()

    response = rep_client.post(f"{url}issue/")
    issue = ReceiptIssue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/donors/{donor.pk}/receipts/issued/{issue.pk}/"
    assert issue.serial == f"{gifts}-000001" and issue.number == 1
    assert issue.total == Money(60_000, "KRW") and issue.is_legal_receipt
    assert issue.issued_by == donor_rep

    page = text(rep_client.get(response["Location"]))
    assert field(page, "serial") == f"{gifts}-000001"
    assert "data-preview" not in page
    assert field(page, "issued_on") == timezone.localdate().strftime("%Y년 %-m월 %-d일")
    preview = text(rep_client.get(url))
    assert f'data-issue="{gifts}-000001"' in preview and "재발급" in preview


def test_a_reprint_shows_the_same_serial_and_figures_after_the_figures_change(
    rep_client, donor, gifts, people, daejeon, make_listing, household
):
    url = f"/donors/{donor.pk}/receipts/{gifts}/"
    rep_client.post(f"{url}issue/")
    first = ReceiptIssue.objects.get()
    before = text(rep_client.get(f"/donors/{donor.pk}/receipts/issued/{first.pk}/"))

    # The pledge pays for one more box: the preview grows, the issued receipt does not.
    claim = claim_request(
        by=people["cm_daedeok"],
        listing=make_listing(quantity=5, krw=20_000),
        household=household,
        quantity=1,
        justification="추가 지원",
    )
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)
    assert 'data-total="total">70,000<' in text(rep_client.get(url))

    after = text(rep_client.get(f"/donors/{donor.pk}/receipts/issued/{first.pk}/"))
    assert document(after) == document(before)
    assert 'data-total="total">60,000<' in after
    rows = csv_rows(rep_client.get(f"/donors/{donor.pk}/receipts/issued/{first.pk}/?format=csv"))
    assert rows[0][2] == first.serial and rows[-1][-1] == "60000"

    # Reissued after the correction: a new serial, the earlier one superseded.
    rep_client.post(f"{url}issue/")
    second = ReceiptIssue.objects.exclude(pk=first.pk).get()
    first.refresh_from_db()
    assert second.serial == f"{gifts}-000002" and second.total == Money(70_000, "KRW")
    assert first.superseded_by == second and second.superseded_by is None
    old = text(rep_client.get(f"/donors/{donor.pk}/receipts/issued/{first.pk}/"))
    assert "data-superseded" in old and second.serial in old
    assert field(old, "serial") == first.serial


def test_serials_run_per_year_across_donors(donor, donor_rep, finance, gifts, other_donor_gift):
    one = receipt_issue(donor=donor, year=gifts, by=donor_rep)
    two = receipt_issue(donor=other_donor_gift, year=gifts, by=finance)
    three = receipt_issue(donor=donor, year=gifts, by=finance)
    assert [one.serial, two.serial, three.serial] == [
        f"{gifts}-000001",
        f"{gifts}-000002",
        f"{gifts}-000003",
    ]
    assert ReceiptCounter.objects.get(year=gifts).last == 3


def test_a_year_without_donations_issues_nothing_and_uses_no_number(
    rep_client, donor, donor_rep, gifts
):
    response = rep_client.post(f"/donors/{donor.pk}/receipts/{gifts - 1}/issue/")
    assert response.status_code == 409
    assert "영수증을 발급할 기부 내역이 없습니다" in text(response)
    assert not ReceiptIssue.objects.exists()
    assert not ReceiptCounter.objects.filter(last__gt=0).exists()
    with pytest.raises(NothingToIssue):
        receipt_issue(donor=donor, year=gifts - 1, by=donor_rep)
    assert receipt_issue(donor=donor, year=gifts, by=donor_rep).number == 1


@pytest.fixture
def other_donor_gift(daejeon, finance, django_user_model, people):
    """Another verified donor with a fulfilled in-kind gift this year."""
    from donors.models import Donor, DonorKind, DonorMembership
    from donors.services import donor_verify

    rep = django_user_model.objects.create_user(username="rep2", password="pw-for-tests-only")
    other = Donor.objects.create(
        name="다른 후원기관",
        kind=DonorKind.COMPANY,
        business_number="2208162517",
        home_region=daejeon["서구"],
    )
    DonorMembership.objects.create(user=rep, donor=other)
    donor_verify(donor=other, by=finance)
    gift = factories.gift(
        by=rep,
        donor=other,
        region=daejeon["서구"],
        krw=50_000,
        quantity=3,
        title="쌀",
        publisher=people["coord_seo"],
        unit="포대",
    )
    home = household_create(
        by=people["cm_seo"], dong=daejeon["서구"].children.order_by("code").first(), size=1
    )
    claim = claim_request(by=people["cm_seo"], listing=gift, household=home, quantity=1)
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_seo"], quantity_received=1)
    other.rep = rep
    return other


# --- who may issue ---------------------------------------------------------------------------


def test_finance_may_issue_any_donors_receipt(client, donor, finance, gifts):
    client.force_login(finance)
    response = client.post(f"/donors/{donor.pk}/receipts/{gifts}/issue/")
    assert response.status_code == 302
    assert ReceiptIssue.objects.get().issued_by == finance


def test_others_may_not_issue_and_learn_nothing(
    client, donor, gifts, people, other_donor_gift, django_user_model
):
    url = f"/donors/{donor.pk}/receipts/{gifts}/issue/"
    client.force_login(people["coord_seo"])
    refused = client.post(url)
    assert refused.status_code == 403 and donor.name not in text(refused)

    client.force_login(other_donor_gift.rep)
    hidden = client.post(url)
    assert hidden.status_code == 404 and donor.name not in text(hidden)

    client.logout()
    assert client.post(url).status_code == 302  # to the login page
    assert not ReceiptIssue.objects.filter(donor=donor).exists()
    assert client.get(f"/donors/{donor.pk}/receipts/{gifts}/issue/").status_code in (302, 405)


def test_an_issued_receipt_is_not_found_through_another_donor_or_by_another_rep(
    client, donor, donor_rep, gifts, other_donor_gift, people
):
    issue = receipt_issue(donor=donor, year=gifts, by=donor_rep)
    client.force_login(other_donor_gift.rep)
    assert client.get(f"/donors/{donor.pk}/receipts/issued/{issue.pk}/").status_code == 404
    through = client.get(f"/donors/{other_donor_gift.pk}/receipts/issued/{issue.pk}/")
    assert through.status_code == 404 and issue.serial not in text(through)
    client.force_login(people["coord_seo"])
    assert client.get(f"/donors/{donor.pk}/receipts/issued/{issue.pk}/").status_code == 403
    client.force_login(donor_rep)
    assert client.get(f"/donors/{donor.pk}/receipts/issued/{issue.pk}/").status_code == 200


def test_a_representative_may_not_issue_through_the_service_for_another_donor(
    donor, gifts, other_donor_gift
):
    from config.exceptions import NotAllowed

    with pytest.raises(NotAllowed):
        receipt_issue(donor=donor, year=gifts, by=other_donor_gift.rep)
    assert not ReceiptIssue.objects.exists()


# --- CSV ---------------------------------------------------------------------------------------


@override_settings(**ISSUER)
def test_the_csv_names_the_document_and_lists_cash_and_in_kind(rep_client, donor, gifts):
    rows = csv_rows(rep_client.get(f"/donors/{donor.pk}/receipts/{gifts}/?format=csv"))
    assert rows[0] == ["기부금 영수증", str(gifts)]
    assert rows[2] == ["사업자등록번호", "124-81-00998"]
    items = [row for row in rows if len(row) == 8 and row[1][:4] == str(gifts)]
    assert [row[0] for row in items] == ["금전", "현물"]
    assert items[0][4:] == ["30", "포인트", "1000", "30000"]
    assert items[1][2:] == ["후원 반찬", "서구", "5", "상자", "6000", "30000"]
    assert rows[-1] == ["합계", "", "", "", "", "", "", "60000"]


# --- odd input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/donors/{donor}/receipts/1999/issue/",
        "/donors/{donor}/receipts/99999999999999999999/issue/",
        "/donors/99999999999999999999/receipts/2026/issue/",
        "/donors/{donor}/receipts/issued/99999999999999999999/",
    ],
)
def test_odd_receipt_addresses_are_not_found(rep_client, donor, path):
    url = path.format(donor=donor.pk)
    response = rep_client.post(url) if url.endswith("issue/") else rep_client.get(url)
    assert response.status_code == 404
    assert not ReceiptIssue.objects.exists()


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_take_consecutive_serials_without_gaps(
    donor, donor_rep, finance, gifts, other_donor_gift
):
    donors = [donor, other_donor_gift] * 3
    users = [donor_rep, other_donor_gift.rep] * 3

    results = run_parallel(6, lambda i: receipt_issue(donor=donors[i], year=gifts, by=users[i]))

    assert all(isinstance(r, ReceiptIssue) for r in results), results
    assert sorted(r.number for r in results) == [1, 2, 3, 4, 5, 6]
    assert ReceiptCounter.objects.get(year=gifts).last == 6
    # Each donor keeps exactly one valid issue: the others are superseded in order.
    for each in (donor, other_donor_gift):
        issues = list(ReceiptIssue.objects.filter(donor=each).order_by("number"))
        assert [i.superseded_by_id for i in issues] == [issues[1].pk, issues[2].pk, None]
