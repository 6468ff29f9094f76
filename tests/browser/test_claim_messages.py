"""A claim's message thread in a browser: the case manager of 대덕구 writes to
the providing office from the claim's page (a mobile number is refused next to
the field), then the coordinator of 서구 signs in, reads the message with the
case manager's office phone and answers; the coordinator never sees the
household's code."""

from __future__ import annotations

import datetime

import pytest
from djmoney.money import Money
from playwright.sync_api import Page, expect

from exchange.models import ClaimMessage
from exchange.services import claim_request
from marketplace.models import Category
from marketplace.services import listing_create, listing_publish
from tests.browser.conftest import sign_in
from tests.browser.test_claim_flow import cast  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FIRST = "목요일 오후 2시에 서구청 민원실로 찾아가겠습니다."


def test_offices_arrange_the_handover_without_the_household(
    page: Page,
    cast,  # noqa: F811
    daejeon,
    screenshot,
):
    coordinator, case_manager = cast["coordinator"], cast["case_manager"]
    household = cast["household"]
    for person, office, phone in (
        (case_manager, "대덕구청 복지정책과", "042-608-6111"),
        (coordinator, "서구청 복지정책과", "042-288-2222"),
    ):
        person.office, person.office_phone = office, phone
        person.save()
    listing = listing_create(
        by=coordinator,
        region=daejeon["서구"],
        kind="goods",
        category=Category.objects.get(code="economy.donated_goods"),
        title="밑반찬 세트",
        quantity=10,
        unit="상자",
        value_per_unit=Money(20_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    listing = listing_publish(listing=listing, by=coordinator)
    claim = claim_request(by=case_manager, listing=listing, household=household, quantity=2)

    sign_in(page, "cm_daedeok")
    page.goto(f"/claims/{claim.pk}/")
    thread = page.locator("#messages")
    expect(thread.get_by_role("heading", level=2)).to_have_text("연락")
    expect(page.locator('[data-contact="provider"]')).to_contain_text("042-288-2222")
    expect(page.locator(".household-code")).to_have_text(household.code)

    # A personal mobile number is refused next to the field, and nothing is written.
    field = thread.get_by_label("메시지")
    field.fill("보호자 010-1234-5678로 연락 주세요")
    thread.locator("[data-send=message]").click()
    error = page.locator("#id_body-error")
    expect(error).to_contain_text("휴대전화")
    expect(page.locator("#id_body")).to_have_attribute(
        "aria-describedby", "id_body-help id_body-error"
    )
    assert not ClaimMessage.objects.exists()

    page.locator("#id_body").fill(FIRST)
    page.locator("#messages [data-send=message]").click()
    messages = page.locator("#messages .claim-message")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text(FIRST)
    expect(messages.first).to_contain_text("대덕구청 복지정책과")
    expect(messages.first).to_contain_text("042-608-6111")
    expect(messages.first).to_contain_text("신청 기관")
    expect(page.locator("#id_body")).to_have_value("")
    screenshot("claim-messages-01-case-manager")

    sign_in(page, "coord_seo")
    page.goto(f"/claims/{claim.pk}/")
    messages = page.locator("#messages .claim-message")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text(FIRST)
    expect(messages.first.locator(".office-phone")).to_have_text("042-608-6111")
    expect(page.locator('[data-contact="claimant"]')).to_contain_text("042-608-6111")
    expect(page.locator('.history-step[data-subject="message"]')).to_have_count(1)
    page.locator("#id_body").fill("네, 2시에 뵙겠습니다. 042-288-2222로 전화 주세요.")
    page.locator("#messages [data-send=message]").click()
    expect(messages).to_have_count(2)
    expect(messages.nth(1)).to_contain_text("제공 기관")
    # The history below follows.
    expect(page.locator('.history-step[data-subject="message"]')).to_have_count(2)
    expect(page.locator(".household-code")).to_have_count(0)
    assert household.code not in page.content()
    screenshot("claim-messages-02-coordinator")
