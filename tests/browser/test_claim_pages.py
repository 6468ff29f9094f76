"""The claims list and a claim's page in a browser: a case manager of 대덕구
opens the claims list from the header, filters it by state, opens a claim and
reads its history: the transitions, who made them, and the points posted."""

from __future__ import annotations

import datetime

import pytest
from djmoney.money import Money
from playwright.sync_api import Page, expect

from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.models import Category
from marketplace.services import listing_create, listing_publish
from tests.browser.conftest import sign_in
from tests.browser.test_claim_flow import cast  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _listing(coordinator, region, title: str):
    listing = listing_create(
        by=coordinator,
        region=region,
        kind="goods",
        category=Category.objects.get(code="economy.donated_goods"),
        title=title,
        quantity=10,
        unit="상자",
        value_per_unit=Money(20_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    return listing_publish(listing=listing, by=coordinator)


def test_case_manager_filters_claims_and_reads_one_claims_history(
    page: Page,
    cast,  # noqa: F811
    daejeon,
    screenshot,
):
    coordinator, case_manager = cast["coordinator"], cast["case_manager"]
    coordinator.office = "서구청 복지정책과"
    coordinator.save()
    household = cast["household"]
    dishes = _listing(coordinator, daejeon["서구"], "밑반찬 세트")
    rice = _listing(coordinator, daejeon["서구"], "쌀 10kg")
    done = claim_request(by=case_manager, listing=dishes, household=household, quantity=4)
    done = claim_approve(claim=done, by=coordinator, reason="재고 충분")
    done = claim_fulfil(claim=done, by=case_manager, quantity_received=3)
    waiting = claim_request(
        by=case_manager, listing=rice, household=household, quantity=1, justification="추가 필요"
    )

    sign_in(page, "cm_daedeok")
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="신청").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("신청")
    rows = page.locator("#claim-list-panel [data-claim]")
    expect(rows).to_have_count(2)
    page.wait_for_load_state("load")
    page.locator("#id_state").select_option("fulfilled")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-claim", str(done.pk))
    assert "state=fulfilled" in page.url
    screenshot("claims-01-list-filtered")

    rows.first.locator("[data-action=open-claim]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"신청 #{done.pk}")
    steps = page.locator('.history-step[data-subject="claim"]')
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_have_attribute("data-to", "requested")
    expect(steps.nth(0)).to_contain_text("사례관리사 · 대덕구")
    expect(steps.nth(1)).to_have_attribute("data-to", "approved")
    expect(steps.nth(1)).to_contain_text("서구청 복지정책과 · 코디네이터 · 서구")
    expect(steps.nth(1)).to_contain_text("재고 충분")
    expect(steps.nth(2)).to_have_attribute("data-to", "fulfilled")
    expect(page.locator(".history-step")).not_to_contain_text([household.code])
    # 20 points a box: 80 held, 60 settled for the 3 received (20 back to the
    # wallet), and 60 paid to the providing region.
    expect(page.locator('[data-figure="moved"]')).to_contain_text("60")
    postings = page.locator(".posting")
    expect(postings).to_have_count(3)
    seogu = daejeon["서구"].code
    daedeok = daejeon["대덕구"].code
    expect(postings.nth(0).locator(f'[data-account="region:{daedeok}:wallet"]')).to_have_attribute(
        "data-amount", "-80"
    )
    expect(postings.nth(1).locator('[data-account="system:redeemed"]')).to_have_attribute(
        "data-amount", "60"
    )
    expect(postings.nth(1).locator(f'[data-account="region:{daedeok}:wallet"]')).to_have_attribute(
        "data-amount", "20"
    )
    expect(postings.nth(2).locator(f'[data-account="region:{seogu}:wallet"]')).to_have_attribute(
        "data-amount", "60"
    )
    expect(page.locator(".household-code")).to_have_text(household.code)
    screenshot("claims-02-claim-history")

    # On a phone: the claims list's cards still show every row, nothing cut off.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/claims/")
    expect(page.locator("#claim-list-panel [data-claim]")).to_have_count(2)
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow
    screenshot("claims-03-phone")
    assert waiting.pk != done.pk
