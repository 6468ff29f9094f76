"""The donation receipt in a browser: a donor's representative opens the year's
preview (미발급 미리보기), issues it (발급), and prints it to PDF on A4 without
the site's header, footer and buttons."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import Page, expect

from donors.models import Donor, DonorKind, DonorMembership, ReceiptIssue
from donors.services import donor_verify
from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.models import Category
from marketplace.services import (
    categories_load_csv,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import RegionMembership, Role
from people.services import finance_group
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-browser-tests"


@pytest.fixture
def issuer(settings):
    settings.RECEIPT_ISSUER_NAME = "대전광역시사회복지협의회"
    settings.RECEIPT_ISSUER_NUMBER = "3058212345"
    settings.RECEIPT_ISSUER_ADDRESS = "대전광역시 서구 둔산로 100"
    settings.RECEIPT_ISSUER_PHONE = "042-123-4567"
    settings.RECEIPT_ISSUER_REPRESENTATIVE = "홍길동"
    settings.RECEIPT_ISSUER_LEGAL_BASIS = "법인세법 제24조 제2항"
    settings.RECEIPT_DONATION_TYPE_CODE = "10"


@pytest.fixture
def donor(daejeon, django_user_model):
    """A donor whose gift of 5 boxes of side dishes at 6,000 KRW reached a household."""
    categories_load_csv()

    def person(username: str, region: str | None = None, role: str = ""):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD)
        if region:
            RegionMembership.objects.create(user=user, region=daejeon[region], role=role)
        return user

    coordinator = person("coord_seo", "서구", Role.COORDINATOR)
    case_manager = person("cm_seo", "서구", Role.CASE_MANAGER)
    finance = person("fin_kim")
    finance.groups.add(finance_group())
    rep = person("rep_hamkke")
    donor = Donor.objects.create(
        name="함께나눔 사회적협동조합",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1248100998",
        home_region=daejeon["대덕구"],
        address="대전광역시 대덕구 한밭대로 1000",
    )
    DonorMembership.objects.create(user=rep, donor=donor)
    donor_verify(donor=donor, by=finance)
    gift = listing_create(
        by=rep,
        donor=donor,
        region=daejeon["서구"],
        kind="goods",
        category=Category.objects.get(code="daily_living.side_dishes"),
        title="후원 반찬",
        quantity=10,
        unit="상자",
        value_per_unit=Money(6_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    listing_publish(listing=gift, by=coordinator)
    home = household_create(
        by=case_manager, dong=daejeon["서구"].children.order_by("code").first(), size=1
    )
    claim = claim_request(by=case_manager, listing=gift, household=home, quantity=5)
    claim_approve(claim=claim, by=coordinator)
    claim_fulfil(claim=claim, by=case_manager, quantity_received=5)
    return donor


def test_a_representative_issues_the_receipt_and_prints_it_to_pdf(
    page: Page, issuer, donor, screenshot, outside_requests
):
    year = timezone.localdate().year
    sign_in(page, "rep_hamkke")
    page.goto(f"/donors/{donor.pk}/receipts/{year}/")
    expect(page.locator(".receipt-title")).to_have_text("기부금 영수증")
    expect(page.locator('[data-field="serial"]')).to_have_text("미발급 미리보기")
    expect(page.locator('[data-total="total"]')).to_have_text("30,000")
    screenshot("receipt-01-preview")

    page.locator('[data-action="issue"]').click()
    expect(page.locator('[data-field="serial"]')).to_have_text(f"{year}-000001")
    issue = ReceiptIssue.objects.get()
    assert page.url.endswith(f"/donors/{donor.pk}/receipts/issued/{issue.pk}/")
    print_button = page.get_by_role("button", name="인쇄 / PDF로 저장")
    expect(print_button).to_be_visible()
    expect(page.locator('[data-field="form"]')).to_have_text(["현물"])
    expect(page.locator('[data-field="legal_basis"]')).to_have_text("법인세법 제24조 제2항")
    expect(page.locator('[data-field="donor_address"]')).to_have_text(
        "대전광역시 대덕구 한밭대로 1000"
    )

    # As printed: no header, footer, navigation or buttons, the form's tables kept.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(page.locator('[data-action="issue"]')).to_be_hidden()
    expect(page.locator(".receipt-form")).to_be_visible()
    expect(page.locator(".receipt-items")).to_be_visible()
    screenshot("receipt-02-print")

    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "receipt-issued.pdf").write_bytes(pdf)
    assert not outside_requests
