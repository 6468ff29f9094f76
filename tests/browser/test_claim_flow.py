"""The marketplace's acceptance flow in a browser: a coordinator of 서구 lists
and publishes 10 boxes of side dishes; a case manager of 대덕구 finds them with
the catalogue's filters and claims 4 for a household; the coordinator approves;
the case manager confirms receipt of 3. The points move exactly once."""

from __future__ import annotations

import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from djmoney.money import Money
from playwright.sync_api import Page, expect

from exchange.models import Claim, ClaimState
from ledger.models import Purpose
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for, ledger_post, system_account
from marketplace.models import Category, Listing, ListingState
from marketplace.services import (
    categories_load_csv,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import RegionMembership, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-browser-tests"


@pytest.fixture
def cast(daejeon, django_user_model, settings):
    # The wallet pays the whole cost here (no donor match), as in the
    # marketplace's own tests; the 5:5 split is tested with the donors.
    settings.PUBLIC_SHARE = Decimal(1)
    categories_load_csv()

    def person(username: str, last_name: str, region: str, role: str):
        user = django_user_model.objects.create_user(
            username=username, password=PASSWORD, last_name=last_name
        )
        RegionMembership.objects.create(user=user, region=daejeon[region], role=role)
        return user

    coordinator = person("coord_seo", "김서구", "서구", Role.COORDINATOR)
    case_manager = person("cm_daedeok", "박대덕", "대덕구", Role.CASE_MANAGER)
    other = person("coord_ys", "이유성", "유성구", Role.COORDINATOR)
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
    # Something else in the catalogue, for the filters to leave out.
    blankets = listing_create(
        by=other,
        region=daejeon["유성구"],
        kind="goods",
        category=Category.objects.get(code="economy.donated_goods"),
        title="겨울 이불",
        quantity=6,
        unit="채",
        value_per_unit=Money(45_000, "KRW"),
        available_from=datetime.date(2026, 1, 1),
    )
    listing_publish(listing=blankets, by=other)
    return {"coordinator": coordinator, "case_manager": case_manager, "household": household}


def log_in(page: Page, username: str) -> None:
    sign_in(page, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="로그아웃").click()


def test_list_find_claim_approve_and_receive(page, cast, daejeon, screenshot, outside_requests):
    seogu_wallet = account_for(daejeon["서구"], Purpose.WALLET)
    daedeok_wallet = account_for(daejeon["대덕구"], Purpose.WALLET)

    # 1. The coordinator of 서구 drafts the listing and publishes it.
    log_in(page, "coord_seo")
    page.locator('[data-action="new-listing"]').click()
    page.locator("#id_region").select_option(daejeon["서구"].code)
    page.locator("#id_kind").select_option("goods")
    page.locator("#id_category").select_option(label="밑반찬 지원")
    page.locator("#id_title").fill("밑반찬 세트")
    page.locator("#id_description").fill("어르신 가구용 밑반찬 (3종)")
    page.locator("#id_quantity").fill("10")
    page.locator("#id_unit").fill("상자")
    page.locator("#id_value_per_unit").fill("")
    page.locator('[data-action="create-listing"]').click()
    expect(page.locator("#id_value_per_unit-error")).to_be_visible()
    screenshot("market-01-listing-form-error")
    page.locator("#id_value_per_unit").fill("20000")
    page.locator("#id_pickup_notes").fill("서구청 복지정책과 (평일 9–18시)")
    page.locator('[data-action="create-listing"]').click()
    expect(page.locator("#listing-panel")).to_have_attribute("data-state", "draft")
    screenshot("market-02-listing-draft")
    page.locator('[data-action="publish"]').click()
    expect(page.locator("#listing-panel")).to_have_attribute("data-state", "published")
    expect(page.locator("[data-points]")).to_have_attribute("data-points", "20")
    expect(page.locator("[data-available]")).to_have_attribute("data-available", "10")
    screenshot("market-03-listing-published")
    listing = Listing.objects.get(title="밑반찬 세트")
    assert listing.state == ListingState.PUBLISHED
    log_out(page)

    # 2. The case manager of 대덕구 finds it with the filters and claims 4 boxes.
    log_in(page, "cm_daedeok")
    page.get_by_role("link", name="나눔 교환").first.click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    cards = page.locator("#catalogue-results [data-listing]")
    expect(cards).to_have_count(2)
    page.locator("#id_district").select_option(label="서구")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-listing", str(listing.pk))
    page.locator("#id_category").select_option(label="밑반찬 지원")
    page.locator("#id_q").fill("밑반찬")
    page.locator("#id_available").check()
    expect(cards).to_have_count(1)
    assert "district=" in page.url and "q=" in page.url
    screenshot("market-04-catalogue-filtered")
    cards.first.get_by_role("link").click()
    expect(page.locator("#claim-form")).to_be_visible()
    # htmx binds the quantity's live cost once the page has loaded; typing
    # before that would send no request.
    page.wait_for_load_state("load")
    page.locator("#id_household").select_option(str(cast["household"].pk))
    page.locator("#id_quantity").fill("4")
    # The cost shown follows the quantity typed.
    expect(page.locator("#claim-split")).to_have_attribute("data-quantity", "4")
    expect(page.locator("#claim-split")).to_have_attribute("data-wallet", "80")
    page.locator('[data-action="claim"]').click()
    expect(page.locator("#listing-panel .notice")).to_be_visible()
    expect(page.locator("[data-available]")).to_have_attribute("data-available", "6")
    claim = Claim.objects.get()
    expect(page.locator(f"#claim-{claim.pk}")).to_have_attribute("data-state", "requested")
    screenshot("market-05-claimed")
    assert account_balance(daedeok_wallet) == 1000 - 80
    log_out(page)

    # 3. The coordinator approves from the dashboard; the household stays unnamed.
    log_in(page, "coord_seo")
    card = page.locator(f"#claim-{claim.pk}")
    expect(card.locator(".household-anon")).to_be_visible()
    expect(card).not_to_contain_text(cast["household"].code)
    screenshot("market-06-coordinator-dashboard")
    card.locator('[data-action="approve"]').click()
    expect(page.locator(f"#claim-{claim.pk}")).to_have_attribute("data-state", "approved")
    screenshot("market-07-approved")
    log_out(page)

    # 4. The case manager confirms receipt of 3 boxes.
    log_in(page, "cm_daedeok")
    card = page.locator(f"#claim-{claim.pk}")
    expect(card.locator('[data-action="approve"]')).to_have_count(0)
    received = card.locator('input[name="quantity_received"]')
    received.fill("3")
    # A full-page screenshot taken while a number field has focus makes the
    # browser drop the next click; leave the field first.
    received.blur()
    screenshot("market-08-confirm-receipt")
    card.locator('[data-action="fulfil"]').click()
    expect(page.locator(f"#claim-{claim.pk}")).to_have_attribute("data-state", "fulfilled")
    # The fulfilled claim leaves the "approved" group at once, for the closed
    # claims (opened), with what was received and the points that moved.
    fulfilled = page.locator(f"#my-claims .closed-claims[open] #claim-{claim.pk}")
    expect(fulfilled).to_be_visible()
    expect(page.locator("#my-claims h3", has_text="승인됨")).to_have_count(0)
    expect(fulfilled.locator(".notice")).to_be_visible()
    expect(fulfilled.locator("[data-points-paid]")).to_have_attribute("data-points-paid", "60")
    expect(fulfilled).to_contain_text("3상자 수령")
    expect(fulfilled).to_contain_text("60포인트 지급 (요청 80포인트)")
    wallet_card = page.locator(f'[data-wallet="{daejeon["대덕구"].code}"] .wallet-balance')
    expect(wallet_card).to_have_attribute("data-balance", "940")
    screenshot("market-09-received")

    page.goto(f"/listings/{listing.pk}/")
    expect(page.locator("[data-available]")).to_have_attribute("data-available", "7")
    screenshot("market-10-listing-after")
    page.goto(f"/wallet/{daejeon['대덕구'].code}/")
    expect(page.locator("td.running").first).to_have_text("940")
    screenshot("market-11-wallet-statement")

    claim.refresh_from_db()
    assert (claim.state, claim.quantity_received) == (ClaimState.FULFILLED, 3)
    assert account_balance(seogu_wallet) == 60
    assert account_balance(daedeok_wallet) == 1000 - 60
    assert ledger_verify().ok
    assert outside_requests == []


def test_household_record_close_and_follow_up(page, cast, daejeon, screenshot, outside_requests):
    from marketplace.models import FollowUp, Household, HouseholdStatus

    log_in(page, "cm_daedeok")
    page.locator('.main-nav a[href="/households/"]').click()
    page.locator('[data-action="new-household"]').click()
    dong = daejeon["대덕구"].children.order_by("code").last()
    page.locator("#id_dong").select_option(dong.code)
    page.locator("#id_size").fill("2")
    page.locator("#id_needs").select_option(["daily_living.side_dishes", "health.checkup"])
    page.locator("#id_notes").fill("보호자 연락처 010-1234-5678")
    page.locator('[data-action="create-household"]').click()
    expect(page.locator("#id_notes-error")).to_be_visible()
    screenshot("market-12-household-form-error")
    page.locator("#id_notes").fill("거동 불편, 주 2회 방문 필요")
    page.locator('[data-action="create-household"]').click()
    expect(page.locator("#household-panel")).to_have_attribute("data-status", "active")
    household = Household.objects.get(dong=dong)
    expect(page.locator("#household-panel h1")).to_contain_text(household.code)
    screenshot("market-13-household")

    page.locator('[data-action="close-case"]').click()
    dialog = page.get_by_role("dialog", name=f"가구 {household.code} 사례 종결")
    dialog.get_by_label("종결 사유").fill("자립 지원 완료")
    dialog.locator('[data-confirm-submit="close-case"]').click()
    expect(page.locator("#household-panel")).to_have_attribute("data-status", "closed")
    assert household.follow_ups.count() == 2
    first = household.follow_ups.order_by("due_on").first()
    item = page.locator(f"#follow-up-{first.pk}")
    item.locator("select").select_option("stable")
    item.locator("textarea").fill("식사 잘 하고 계심")
    item.locator('[data-action="record-follow-up"]').click()
    expect(page.locator(f"#follow-up-{first.pk}.recorded")).to_be_visible()
    screenshot("market-14-household-closed")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED
    assert FollowUp.objects.get(pk=first.pk).recorded_by == cast["case_manager"]
    assert outside_requests == []
