"""Follow-up that closes the loop, in a browser: a case manager closes a case
(two follow-ups are scheduled), records one with the outcome 위기, follows the
prompt to reopen the case, gives a reason, and finds both in the case history."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from audit.services import audit_history
from marketplace.models import FollowUp, Household, HouseholdStatus
from marketplace.services import household_create
from people.models import RegionMembership, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def case(daejeon, django_user_model) -> Household:
    case_manager = django_user_model.objects.create_user(
        username="cm_daedeok", password="pw-for-browser-tests", last_name="박대덕"
    )
    RegionMembership.objects.create(
        user=case_manager, region=daejeon["대덕구"], role=Role.CASE_MANAGER
    )
    dong = daejeon["대덕구"].children.order_by("code").first()
    return household_create(by=case_manager, dong=dong, size=2, notes="독거 어르신")


def test_close_record_a_crisis_and_reopen_with_history(
    page: Page, case: Household, screenshot, outside_requests
):
    sign_in(page, "cm_daedeok")
    page.goto(f"/households/{case.pk}/")
    panel = page.locator("#household-panel")
    expect(panel).to_have_attribute("data-status", "active")

    # Closing is confirmed in its dialog, with the reason it asks for.
    page.locator('[data-action="close-case"]').click()
    dialog = page.get_by_role("dialog", name=f"가구 {case.code} 사례 종결")
    dialog.get_by_label("종결 사유").fill("목표 달성으로 종결")
    dialog.locator('[data-confirm-submit="close-case"]').click()
    expect(panel).to_have_attribute("data-status", "closed")
    follow_ups = list(FollowUp.objects.filter(household=case).order_by("due_on"))
    assert len(follow_ups) == 2
    first, second = follow_ups
    expect(page.locator(f"#follow-up-{first.pk}")).to_be_visible()
    expect(page.locator(f"#follow-up-{second.pk}")).to_be_visible()

    # Without an outcome the form says so next to the field, in Korean.
    item = page.locator(f"#follow-up-{first.pk}")
    item.locator("textarea").fill("단전 예고, 식사 거름")
    item.locator('[data-action="record-follow-up"]').click()
    expect(item.locator(f"#id_fu{first.pk}-outcome-error")).to_contain_text(
        "안정, 재발, 위기 중에서 고르세요"
    )
    item = page.locator(f"#follow-up-{first.pk}")
    item.locator("select").select_option(label="위기")
    item.locator('[data-action="record-follow-up"]').click()
    recorded = page.locator(f"#follow-up-{first.pk}.recorded")
    expect(recorded).to_contain_text("위기")
    expect(recorded.locator(".crisis-prompt")).to_contain_text("사례 재개를 검토하세요")
    screenshot("follow-up-1-crisis")
    assert FollowUp.objects.get(pk=first.pk).outcome == "crisis"

    recorded.locator('[data-action="go-reopen"]').click()
    reopen = page.locator("details#reopen")
    expect(reopen).to_have_attribute("open", "")
    reopen.locator('[data-action="reopen-case"]').click()
    expect(page.locator("#id_reason-error")).to_contain_text("사유를 적어야 합니다")
    page.locator("#id_reason").fill("위기 확인으로 사례 재개입")
    page.locator('[data-action="reopen-case"]').click()
    expect(panel).to_have_attribute("data-status", "active")

    history = page.locator(".household-history")
    expect(history.locator('[data-event="close"]')).to_contain_text("사례 종결")
    expect(history.locator('[data-event="close"]')).to_contain_text("목표 달성으로 종결")
    expect(history.locator('[data-event="follow_up"]')).to_contain_text("위기")
    expect(history.locator('[data-event="reopen"]')).to_contain_text("위기 확인으로 사례 재개입")
    expect(history.locator('[data-event="held"]')).to_contain_text("재개로 보류")
    expect(page.locator(f"#follow-up-{second.pk}")).to_contain_text("재개로 보류")
    screenshot("follow-up-2-reopened")

    case.refresh_from_db()
    assert case.status == HouseholdStatus.ACTIVE
    assert [e.transition for e in audit_history(case)] == ["close", "reopen"]
    assert FollowUp.objects.get(pk=second.pk).held_at is not None
    assert outside_requests == []
