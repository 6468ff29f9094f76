"""The bulk import in the browser: a coordinator uploads a CSV with one bad
row and sees the problem next to that row and no import button; corrects the
file, uploads it again and imports; the drafts are on the dashboard."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from marketplace.models import Listing, ListingState
from marketplace.services import categories_load_csv
from people.models import RegionMembership, Role
from tests.browser.conftest import sign_in
from tests.marketplace.test_imports import csv_bytes, row

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _choose(page: Page, name: str, data: bytes) -> None:
    page.locator("#id_file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": data})


def test_coordinator_fixes_a_bad_row_and_imports_drafts(
    page, daejeon, django_user_model, screenshot, outside_requests
):
    categories_load_csv()
    user = django_user_model.objects.create_user(
        username="coord_seo", password="pw-for-browser-tests", last_name="김서구"
    )
    RegionMembership.objects.create(user=user, region=daejeon["서구"], role=Role.COORDINATOR)
    seo, gwanjeo = daejeon["서구"], daejeon["관저2동"]
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()

    sign_in(page, "coord_seo")
    page.locator('[data-action="import-listings"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("자원 일괄 가져오기")

    bad = csv_bytes([row(seo), row(gwanjeo, 제목="겨울 이불", 종료일=yesterday)], encoding="cp949")
    _choose(page, "자원.csv", bad)
    page.locator('[data-action="preview-import"]').click()
    expect(page.locator(".import-summary")).to_have_text("2행 중 1행 오류")
    bad_row = page.locator('tr[data-line="3"]')
    expect(bad_row).to_have_class("row-error")
    expect(bad_row.locator('td[data-field="available_until"] .field-error')).to_have_text(
        "시작일보다 빠른 날짜입니다."
    )
    expect(page.locator('tr[data-line="2"]')).to_have_class("row-ok")
    expect(page.locator('[data-action="confirm-import"]')).to_have_count(0)
    screenshot("listing-import-errors")
    assert not Listing.objects.exists()

    good = csv_bytes([row(seo), row(gwanjeo, 제목="겨울 이불")])
    _choose(page, "자원.csv", good)
    page.locator('[data-action="preview-import"]').click()
    expect(page.locator(".import-summary")).to_have_text("2행 중 0행 오류")
    confirm = page.locator('[data-action="confirm-import"]')
    expect(confirm).to_have_text("2건을 초안으로 가져오기")
    confirm.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")
    expect(page.get_by_text("2건을 초안으로 가져왔습니다.")).to_be_visible()
    drafts = page.locator('.dash-listings tr[data-state="draft"]')
    expect(drafts).to_have_count(2)
    expect(drafts.filter(has_text="겨울 이불")).to_have_count(1)
    screenshot("listing-import-done")
    assert set(Listing.objects.values_list("state", flat=True)) == {ListingState.DRAFT}
    assert outside_requests == []
