"""Irreversible actions in a browser: the button opens a modal dialog that says
what will happen and asks for the reason; 취소 and Esc close it with nothing
changed; a blank reason is refused next to the field; with a reason the action
goes through and the reason is shown on the claim's page or the household's."""

from __future__ import annotations

import datetime

import pytest
from djmoney.money import Money
from playwright.sync_api import Page, expect

from exchange.models import Claim, ClaimState
from exchange.services import claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for
from marketplace.models import Category, Household, HouseholdStatus
from marketplace.services import listing_create, listing_publish
from tests.browser.conftest import sign_in
from tests.browser.test_claim_flow import cast  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REQUIRED = "사유를 적어 주세요. 사유는 이력에 남고 고칠 수 없습니다."


@pytest.fixture
def waiting_claim(cast, daejeon):  # noqa: F811
    coordinator = cast["coordinator"]
    listing = listing_create(
        by=coordinator,
        region=daejeon["서구"],
        kind="goods",
        category=Category.objects.get(code="economy.donated_goods"),
        title="밑반찬 세트",
        quantity=10,
        unit="상자",
        value_per_unit=Money(15_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    listing_publish(listing=listing, by=coordinator)
    return claim_request(
        by=cast["case_manager"], listing=listing, household=cast["household"], quantity=3
    )


def test_coordinator_rejects_a_claim_through_the_confirmation(
    page: Page, waiting_claim, daejeon, screenshot, outside_requests
):
    claim = waiting_claim
    wallet = account_for(daejeon["대덕구"], Purpose.WALLET)
    before = account_balance(wallet)
    sign_in(page, "coord_seo")
    page.goto(f"/claims/{claim.pk}/")
    opener = page.locator(f'#claim-{claim.pk} [data-action="reject"]')
    dialog = page.get_by_role("dialog", name=f"신청 #{claim.pk} 반려")
    expect(dialog).to_be_hidden()

    # The dialog opens with what will happen, the points that return, the reason.
    opener.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text(f"신청 #{claim.pk}")
    expect(dialog).to_contain_text("반려합니다. 되돌릴 수 없습니다.")
    expect(dialog).to_contain_text("보류된 45포인트가 신청한 지역의 지갑으로 돌아갑니다.")
    reason = dialog.get_by_label("반려 사유")
    expect(reason).to_be_focused()
    screenshot("confirm-01-reject-dialog")

    # 취소 closes it, focus returns to the button, nothing changed.
    dialog.get_by_role("button", name="취소", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    # Esc closes it too.
    opener.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    claim.refresh_from_db()
    assert claim.state == ClaimState.REQUESTED

    # A blank reason is refused next to the field; the dialog stays open.
    opener.click()
    dialog.get_by_label("반려 사유").fill("   ")
    dialog.locator('[data-confirm-submit="reject"]').click()
    error = dialog.locator("[data-error]")
    expect(error).to_have_text(REQUIRED)
    expect(dialog.get_by_label("반려 사유")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("반려 사유")).to_be_focused()
    screenshot("confirm-02-reject-reason-missing")
    claim.refresh_from_db()
    assert claim.state == ClaimState.REQUESTED
    assert account_balance(wallet) == before

    # With a reason the claim is rejected and its history shows the reason.
    dialog.get_by_label("반려 사유").fill("재고가 모두 소진되었습니다")
    dialog.locator('[data-confirm-submit="reject"]').click()
    expect(page.locator(f"#claim-{claim.pk}")).to_have_attribute("data-state", "rejected")
    step = page.locator('.history-step[data-subject="claim"][data-to="rejected"]')
    expect(step.locator(".reason")).to_have_text("재고가 모두 소진되었습니다")
    screenshot("confirm-03-rejected")
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.state == ClaimState.REJECTED
    assert claim.decision_reason == "재고가 모두 소진되었습니다"
    assert account_balance(wallet) == before + 45
    assert outside_requests == []


def test_case_manager_closes_a_case_through_the_confirmation(
    page: Page,
    cast,  # noqa: F811
    screenshot,
    outside_requests,
):
    household = cast["household"]
    sign_in(page, "cm_daedeok")
    page.goto(f"/households/{household.pk}/")
    opener = page.locator('[data-action="close-case"]')
    dialog = page.get_by_role("dialog", name=f"가구 {household.code} 사례 종결")

    opener.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("종결한 사례는 나중에 사유를 적어 다시 열 수 있습니다.")
    expect(dialog.get_by_label("종결 사유")).to_be_focused()
    dialog.get_by_role("button", name="취소", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    assert Household.objects.get(pk=household.pk).status == HouseholdStatus.ACTIVE

    opener.click()
    dialog.locator('[data-confirm-submit="close-case"]').click()
    expect(dialog.locator("[data-error]")).to_have_text(REQUIRED)
    expect(page.locator("#household-panel")).to_have_attribute("data-status", "active")
    assert Household.objects.get(pk=household.pk).status == HouseholdStatus.ACTIVE
    assert not household.follow_ups.exists()

    dialog.get_by_label("종결 사유").fill("취업으로 자립, 지원 종료")
    dialog.locator('[data-confirm-submit="close-case"]').click()
    expect(page.locator("#household-panel")).to_have_attribute("data-status", "closed")
    expect(page.locator("[data-close-reason]")).to_have_text("취업으로 자립, 지원 종료")
    screenshot("confirm-04-case-closed")
    assert Household.objects.get(pk=household.pk).status == HouseholdStatus.CLOSED
    assert household.follow_ups.count() == 2
    assert outside_requests == []


def test_without_javascript_the_confirmation_is_a_form_in_the_page(
    browser,
    live_server,
    waiting_claim,
    outside_requests,
):
    """No script: the dialog is shown in place as a plain form (no 취소, no
    opener button), a blank reason comes back 422 with the error, a reason goes
    through and the page redirects."""
    from tests.browser.conftest import LIVE_SERVER

    LIVE_SERVER["url"] = live_server.url
    context = browser.new_context(
        base_url=live_server.url, locale="ko-KR", java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in(page, "coord_seo")
        claim = waiting_claim
        page.goto(f"/claims/{claim.pk}/")
        box = page.locator(f"#confirm-reject-{claim.pk}")
        expect(box).to_be_visible()
        expect(page.locator(f'#claim-{claim.pk} [data-action="reject"]')).to_be_hidden()
        expect(box.locator("[data-confirm-close]")).to_be_hidden()
        box.get_by_label("반려 사유").fill("")
        with page.expect_response(f"**/claims/{claim.pk}/reject/") as answer:
            box.locator('[data-confirm-submit="reject"]').click()
        assert answer.value.status == 422
        expect(page.locator(f"#confirm-reject-{claim.pk} [data-error]")).to_have_text(REQUIRED)
        assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED
        page.locator(f"#confirm-reject-{claim.pk}").get_by_label("반려 사유").fill("중복 신청")
        page.locator(f'#confirm-reject-{claim.pk} [data-confirm-submit="reject"]').click()
        expect(page.locator(".messages, [role=status]").first).to_be_visible()
        claim = Claim.objects.get(pk=claim.pk)
        assert (claim.state, claim.decision_reason) == (ClaimState.REJECTED, "중복 신청")
    finally:
        context.close()
