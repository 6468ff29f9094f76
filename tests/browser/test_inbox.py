"""The inbox in a browser: a case manager of 대덕구 claims boxes of a 서구
listing; the coordinator of 서구 sees the unread count in the header, opens the
inbox, follows the new claim's notification to the claim, and the count drops;
"모두 읽음" clears the rest."""

from __future__ import annotations

import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from djmoney.money import Money
from playwright.sync_api import Page, expect

from exchange.models import Claim
from inbox.models import Kind
from inbox.services import notify
from ledger.models import Purpose
from ledger.services import account_for, ledger_post, system_account
from marketplace.models import Category
from marketplace.services import (
    categories_load_csv,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import RegionMembership, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cast(daejeon, django_user_model, settings):
    settings.PUBLIC_SHARE = Decimal(1)  # the wallet pays: no donor match needed
    categories_load_csv()

    def person(username: str, last_name: str, region: str, role: str):
        user = django_user_model.objects.create_user(
            username=username, password="pw-for-browser-tests", last_name=last_name
        )
        RegionMembership.objects.create(user=user, region=daejeon[region], role=role)
        return user

    coordinator = person("coord_seo", "김서구", "서구", Role.COORDINATOR)
    case_manager = person("cm_daedeok", "박대덕", "대덕구", Role.CASE_MANAGER)
    dong = daejeon["대덕구"].children.order_by("code").first()
    household = household_create(by=case_manager, dong=dong, size=3, notes="독거 어르신")
    ledger_post(
        entries=[
            (system_account(Purpose.ISSUED), -1000),
            (account_for(daejeon["대덕구"], Purpose.WALLET), 1000),
        ],
        kind="grant",
        memo="2026년 개시 포인트 (테스트)",
    )
    listing = listing_create(
        by=coordinator,
        region=daejeon["서구"],
        kind="goods",
        category=Category.objects.get(code="daily_living.side_dishes"),
        title="밑반찬 세트",
        quantity=10,
        unit="상자",
        value_per_unit=Money(20_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    listing = listing_publish(listing=listing, by=coordinator)
    # Something older already waits in the coordinator's inbox.
    notify(
        [coordinator],
        Kind.LISTING_EXPIRING,
        "“겨울 이불”은(는) 2026-12-09까지만 제공됩니다",
        "",
        f"/listings/{listing.pk}/",
    )
    return {"coordinator": coordinator, "household": household, "listing": listing}


def unread(page: Page):
    return page.locator(".site-header .inbox-link")


def test_a_claim_reaches_the_coordinators_inbox(page, cast, screenshot, outside_requests):
    listing = cast["listing"]

    # 1. The case manager of 대덕구 claims 2 boxes for a household.
    sign_in(page, "cm_daedeok")
    expect(unread(page)).to_have_attribute("data-unread", "0")
    page.goto(f"/listings/{listing.pk}/")
    page.wait_for_load_state("load")
    page.locator("#id_household").select_option(str(cast["household"].pk))
    page.locator("#id_quantity").fill("2")
    expect(page.locator("#claim-split")).to_have_attribute("data-quantity", "2")
    page.locator('[data-action="claim"]').click()
    expect(page.locator("#listing-panel .notice")).to_be_visible()
    claim = Claim.objects.get()
    page.get_by_role("button", name="로그아웃").click()

    # 2. The coordinator of 서구 sees two unread notifications in the header.
    sign_in(page, "coord_seo")
    expect(unread(page)).to_have_attribute("data-unread", "2")
    expect(unread(page).locator(".unread-count")).to_have_text("2")
    screenshot("inbox-01-header-badge")
    unread(page).click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("알림")
    items = page.locator("#inbox-list .notification")
    expect(items).to_have_count(2)
    newest = items.first
    expect(newest).to_have_class("notification unread")
    expect(newest).to_contain_text(f"“밑반찬 세트”에 새 신청 #{claim.pk}")
    expect(newest).to_contain_text("대덕구의 한 가구가 “밑반찬 세트” 2상자를 신청했습니다")
    expect(newest).not_to_contain_text(cast["household"].code)
    screenshot("inbox-02-list")

    # 3. Following the notification opens the claim and marks it read.
    newest.locator(".notification-title").click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/claims/{claim.pk}/")
    expect(unread(page)).to_have_attribute("data-unread", "1")
    expect(unread(page).locator(".unread-count")).to_have_text("1")
    screenshot("inbox-03-followed")

    # 4. Back in the inbox, "모두 읽음" clears the rest.
    unread(page).click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/inbox/")
    expect(page.locator("#inbox-list .notification.unread")).to_have_count(1)
    page.get_by_role("button", name="모두 읽음").click()
    expect(unread(page)).to_have_attribute("data-unread", "0")
    expect(unread(page).locator(".unread-count")).to_have_count(0)
    expect(page.locator("#inbox-list .notification.unread")).to_have_count(0)
    screenshot("inbox-04-all-read")

    # 5. From the profile, the coordinator chooses one digest a day instead.
    page.get_by_role("link", name="김서구").click()
    page.locator('[data-link="notification-settings"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("알림 설정")
    page.locator("#id_email").select_option("digest")
    page.get_by_label("곧 만료되는 자원").check()
    page.get_by_role("button", name="저장").click()
    expect(page.locator(".messages")).to_contain_text("알림 설정을 저장했습니다.")
    expect(page.locator("#id_email")).to_have_value("digest")
    screenshot("inbox-05-settings")
    preference = cast["coordinator"].notification_preference
    assert (preference.email_immediate, preference.daily_digest) == (False, True)
    assert preference.muted_kinds == [Kind.LISTING_EXPIRING]
    assert outside_requests == []
