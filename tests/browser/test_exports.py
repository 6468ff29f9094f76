"""The monthly report in a browser: a coordinator of 서구 opens it from the
dashboard, reads the month's figures and downloads the XLSX, which opens with
openpyxl and holds the four sheets offices file."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import Page, expect

from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.models import Category
from marketplace.services import listing_create, listing_publish
from tests.browser.conftest import sign_in
from tests.browser.test_claim_flow import cast  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHEETS = ["사례관리자별 사례 수", "연계 실적", "분야별 서비스", "사후관리"]


def test_coordinator_downloads_the_monthly_report_pack(
    page: Page,
    cast,  # noqa: F811
    daejeon,
    screenshot,
):
    coordinator, case_manager = cast["coordinator"], cast["case_manager"]
    listing = listing_create(
        by=coordinator,
        region=daejeon["서구"],
        kind="goods",
        category=Category.objects.get(code="economy.donated_goods"),
        title="겨울 담요",
        quantity=10,
        unit="장",
        value_per_unit=Money(20_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    listing = listing_publish(listing=listing, by=coordinator)
    claim = claim_request(by=case_manager, listing=listing, household=cast["household"], quantity=3)
    claim = claim_approve(claim=claim, by=coordinator)
    claim_fulfil(claim=claim, by=case_manager, quantity_received=3)
    month = f"{timezone.localdate():%Y-%m}"

    sign_in(page, "coord_seo")
    page.get_by_role("link", name="월간 보고").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("월간 보고")
    heading = page.locator("#report-heading")
    expect(heading).to_have_attribute("data-district", daejeon["서구"].code)
    expect(heading).to_have_attribute("data-month", month)
    provided = page.locator('[data-linkages="provided"]')
    expect(provided).to_contain_text("다른 자치구에 제공")
    expect(provided).to_contain_text("60,000")
    expect(page.locator(".monthly-report")).not_to_contain_text(cast["household"].code)
    screenshot("monthly-report-01-page")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="XLSX 내려받기").click()
    download = download_info.value
    assert download.suggested_filename == (f"monthly_report_{daejeon['서구'].code}_{month}.xlsx")
    # The saved file has no extension, which openpyxl's path check wants.
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    assert book.sheetnames == SHEETS
    linkages = {row[0]: row[1:] for row in book["연계 실적"].iter_rows(values_only=True)}
    assert linkages["다른 자치구에 제공"] == (1, 60_000, 60)
