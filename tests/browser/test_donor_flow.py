"""The donors' acceptance flow in a browser (the 5:5 rule).

A coordinator of 서구 has published 10 boxes of side dishes at 20,000 KRW (20
points each); a verified donor has a confirmed pledge of 40 points; the
대덕구 wallet has points. A case manager of 대덕구 claims 4 boxes: 40 points are
held from 대덕구 and 40 from the pledge, automatically. The coordinator
approves, the case manager confirms receipt of 3: 대덕구 pays 30, the pledge 30,
서구 gains 60, the rest returns. A second claim finds no pledge with enough
left: the coordinator cannot approve it ("not matched"); the donor's
representative pledges again in the portal, finance confirms the money, the
representative commits the claim, and the coordinator approves it.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from djmoney.money import Money
from playwright.sync_api import Page, expect

from donors.exceptions import NotMatched
from donors.models import Donor, DonorKind, DonorMembership, Pledge, PledgeState
from donors.services import donor_verify, pledge_confirm, pledge_create
from exchange.models import Claim, ClaimState, Match, MatchState
from ledger.models import Purpose
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for, ledger_post, system_account
from marketplace.models import Category
from marketplace.services import (
    categories_load_csv,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import RegionMembership, Role
from people.services import finance_group
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-browser-tests"
NOTE = "고유메모-브라우저-7Q"


@pytest.fixture
def cast(daejeon, django_user_model):
    categories_load_csv()

    def person(username: str, last_name: str, region: str | None = None, role: str = ""):
        user = django_user_model.objects.create_user(
            username=username, password=PASSWORD, last_name=last_name
        )
        if region:
            RegionMembership.objects.create(user=user, region=daejeon[region], role=role)
        return user

    coordinator = person("coord_seo", "김서구", "서구", Role.COORDINATOR)
    case_manager = person("cm_daedeok", "박대덕", "대덕구", Role.CASE_MANAGER)
    finance = person("fin_kim", "김재무")
    finance.groups.add(finance_group())
    rep = person("rep_hamkke", "최후원")

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
    listing_publish(listing=listing, by=coordinator)

    donor = Donor.objects.create(
        name="함께나눔 사회적협동조합",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1248100998",
        home_region=daejeon["대덕구"],
    )
    DonorMembership.objects.create(user=rep, donor=donor)
    donor_verify(donor=donor, by=finance)
    pledge = pledge_create(
        by=rep,
        donor=donor,
        amount=Money(40_000, "KRW"),
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
    )
    pledge_confirm(pledge=pledge, by=finance)

    ledger_post(
        entries=[
            (system_account(Purpose.ISSUED), -1000),
            (account_for(daejeon["대덕구"], Purpose.WALLET), 1000),
        ],
        kind="grant",
        memo="2026년 개시 포인트 (테스트)",
    )
    dong = daejeon["대덕구"].children.order_by("code").first()
    household = household_create(by=case_manager, dong=dong, size=3, notes=NOTE)
    # The second claim is for another household: the same one would need a
    # justification for a repeated service within 30 days.
    neighbour = household_create(by=case_manager, dong=dong, size=1, notes=NOTE)
    return {
        "listing": listing,
        "donor": donor,
        "pledge": pledge,
        "household": household,
        "neighbour": neighbour,
    }


def log_in(page: Page, username: str) -> None:
    sign_in(page, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="로그아웃").click()


def claim_boxes(page: Page, listing_pk: int, household_pk: int, quantity: int) -> Claim:
    page.goto(f"/listings/{listing_pk}/")
    page.locator("#id_household").select_option(str(household_pk))
    page.locator("#id_quantity").fill(str(quantity))
    page.locator('[data-action="claim"]').click()
    expect(page.locator("#listing-panel .notice")).to_be_visible()
    return Claim.objects.order_by("-pk").first()


def test_a_claim_is_paid_half_by_the_district_and_half_by_a_donor(
    page, cast, daejeon, screenshot, outside_requests
):
    donor, pledge, household = cast["donor"], cast["pledge"], cast["household"]
    daedeok = account_for(daejeon["대덕구"], Purpose.WALLET)
    seogu = account_for(daejeon["서구"], Purpose.WALLET)
    match_account = account_for(donor, Purpose.MATCH)
    holds = system_account(Purpose.HOLDS)

    # 1. The case manager of 대덕구 claims 4 boxes: 40 + 40 points are held at once.
    log_in(page, "cm_daedeok")
    claim = claim_boxes(page, cast["listing"].pk, household.pk, 4)
    expect(page.locator(f"#claim-{claim.pk}")).to_have_attribute("data-state", "requested")
    screenshot("donor-01-claimed")
    match = Match.objects.get(claim=claim)
    assert (match.state, match.pledge_id, match.public_points, match.private_points) == (
        MatchState.COMMITTED,
        pledge.pk,
        40,
        40,
    )
    assert account_balance(daedeok) == 960
    assert account_balance(match_account) == 0
    assert account_balance(holds) == 80
    log_out(page)

    # 2. The coordinator approves from the dashboard.
    log_in(page, "coord_seo")
    card = page.locator(f"#claim-{claim.pk}")
    expect(card).not_to_contain_text(household.code)
    card.locator('[data-action="approve"]').click()
    expect(page.locator(f"#claim-{claim.pk}")).to_have_attribute("data-state", "approved")
    screenshot("donor-02-approved")
    log_out(page)

    # 3. The case manager confirms receipt of 3 boxes.
    log_in(page, "cm_daedeok")
    card = page.locator(f"#claim-{claim.pk}")
    received = card.locator('input[name="quantity_received"]')
    received.fill("3")
    received.blur()
    card.locator('[data-action="fulfil"]').click()
    expect(page.locator(f"#claim-{claim.pk}")).to_have_attribute("data-state", "fulfilled")
    screenshot("donor-03-received")
    pledge.refresh_from_db()
    assert account_balance(daedeok) == 1000 - 30
    assert (pledge.points_used, pledge.points_held, pledge.points_remaining) == (30, 0, 10)
    assert account_balance(match_account) == 10
    assert account_balance(seogu) == 60
    assert account_balance(holds) == 0
    assert ledger_verify().ok

    # 4. A second claim of 2 boxes needs 20 private points; the pledge has 10 left.
    second = claim_boxes(page, cast["listing"].pk, cast["neighbour"].pk, 2)
    assert Match.objects.get(claim=second).state == MatchState.PENDING
    assert account_balance(daedeok) == 970 - 20
    log_out(page)

    # 5. The coordinator cannot approve it: no button, and a forced approval says why.
    log_in(page, "coord_seo")
    card = page.locator(f"#claim-{second.pk}")
    expect(card).to_have_attribute("data-state", "requested")
    expect(card.locator('[data-action="approve"]')).to_have_count(0)
    # As from a page loaded before the claim lost its match: htmx posts the approval.
    page.wait_for_function("() => typeof window.htmx !== 'undefined'")
    page.evaluate(
        "([url, card]) => htmx.ajax('POST', url, {source: card, target: card, swap: 'outerHTML'})",
        [f"/claims/{second.pk}/approve/", f"#claim-{second.pk}"],
    )
    with translation.override("ko"):
        not_matched = str(NotMatched.default_message)
    expect(page.locator(f"#claim-{second.pk} [data-error]")).to_have_text(not_matched)
    screenshot("donor-04-not-matched")
    assert Claim.objects.get(pk=second.pk).state == ClaimState.REQUESTED
    log_out(page)

    # 6. The representative opens the portal: nothing to commit with 10 points
    #    left, so they pledge again (a wrong amount first).
    log_in(page, "rep_hamkke")
    page.locator('.main-nav a[href="/donors/"]').click()
    expect(page.locator(".donor-portal")).to_have_attribute("data-donor", str(donor.pk))
    expect(page.locator(f'tr[data-match="{Match.objects.get(claim=second).pk}"]')).to_have_count(0)
    page.locator("#id_pledge-amount").fill("150,500")
    page.locator("#id_pledge-valid_until").fill(
        (timezone.localdate() + datetime.timedelta(days=180)).isoformat()
    )
    page.locator('[data-action="pledge"]').click()
    expect(page.locator("#id_pledge-amount-error")).to_be_visible()
    screenshot("donor-05-pledge-error")
    page.locator("#id_pledge-amount").fill("100,000")
    page.locator('[data-action="pledge"]').click()
    expect(page.locator("#pledges .notice")).to_be_visible()
    new_pledge = Pledge.objects.exclude(pk=pledge.pk).get()
    expect(page.locator(f'tr[data-pledge="{new_pledge.pk}"]')).to_have_attribute(
        "data-state", "awaiting"
    )
    screenshot("donor-06-pledged")
    log_out(page)

    # 7. Finance confirms the money on the matching page.
    log_in(page, "fin_kim")
    page.goto("/finance/")
    page.locator('.finance-nav a[href="/finance/matching/"]').click()
    expect(
        page.locator(f'svg.matching-chart g.bar[data-district="{daejeon["대덕구"].code}"]')
    ).to_have_attribute("data-private", "30")
    row = page.locator(f'tr[data-pledge="{new_pledge.pk}"]')
    row.locator('[data-action="confirm"]').click()
    row.get_by_role("dialog").locator('[data-confirm-submit="confirm"]').click()
    expect(page.locator("#finance-queue .notice")).to_be_visible()
    expect(page.locator(f'tr[data-pledge="{new_pledge.pk}"]')).to_have_count(0)
    screenshot("donor-07-finance-matching")
    assert Pledge.objects.get(pk=new_pledge.pk).state == PledgeState.ACTIVE
    log_out(page)

    # 8. The representative commits the waiting claim: category, district and
    #    points, never the household.
    log_in(page, "rep_hamkke")
    page.goto("/donors/")
    second_match = Match.objects.get(claim=second)
    row = page.locator(f'tr[data-match="{second_match.pk}"]')
    expect(row).to_contain_text("대덕구")
    expect(row.locator('[data-points="private"]')).to_have_text("20")
    body = page.locator("body")
    expect(body).not_to_contain_text(household.code)
    expect(body).not_to_contain_text(cast["neighbour"].code)
    expect(body).not_to_contain_text(NOTE)
    expect(body).not_to_contain_text(household.dong.name_ko)
    screenshot("donor-08-portal-waiting")
    row.locator('[data-action="commit"]').click()
    dialog = row.get_by_role("dialog")
    expect(dialog).to_contain_text("20포인트")
    dialog.locator('[data-confirm-submit="commit"]').click()
    expect(page.locator("#matches .notice")).to_be_visible()
    expect(page.locator(f'tr[data-pledge="{new_pledge.pk}"] [data-points="held"]')).to_have_text(
        "20"
    )
    screenshot("donor-09-committed")
    page.goto(f"/donors/{donor.pk}/receipts/{timezone.localdate().year}/")
    expect(page.locator('[data-total="pledge"]')).to_have_text("30,000")
    screenshot("donor-10-receipt")
    log_out(page)

    # 9. The coordinator can approve it now.
    log_in(page, "coord_seo")
    card = page.locator(f"#claim-{second.pk}")
    card.locator('[data-action="approve"]').click()
    expect(page.locator(f"#claim-{second.pk}")).to_have_attribute("data-state", "approved")
    screenshot("donor-11-second-approved")

    assert Match.objects.get(claim=second).state == MatchState.COMMITTED
    assert account_balance(seogu) == 60
    assert ledger_verify().ok
    assert outside_requests == []


def test_an_in_kind_gift_is_drafted_by_the_donor_and_published_by_the_coordinator(
    page, cast, daejeon, screenshot, outside_requests
):
    donor = cast["donor"]
    log_in(page, "rep_hamkke")
    page.goto("/donors/")
    page.locator('[data-action="new-gift"]').click()
    page.locator("#id_gift-region").select_option(daejeon["관저2동"].code)
    page.locator("#id_gift-kind").select_option("goods")
    page.locator("#id_gift-category").select_option("daily_living.side_dishes")
    page.locator("#id_gift-title").fill("후원 김장김치")
    page.locator("#id_gift-quantity").fill("5")
    page.locator("#id_gift-unit").fill("상자")
    page.locator('[data-action="offer-gift"]').click()
    expect(page.locator("#id_gift-value_per_unit-error")).to_be_visible()
    screenshot("donor-12-gift-error")
    page.locator("#id_gift-value_per_unit").fill("6000")
    page.locator('[data-action="offer-gift"]').click()
    gift = page.locator("#gifts tr[data-listing]")
    expect(gift).to_have_attribute("data-state", "draft")
    screenshot("donor-13-gift-drafted")
    log_out(page)

    log_in(page, "coord_seo")
    page.goto("/donors/review/")
    row = page.locator("tr[data-listing]")
    expect(row).to_contain_text(donor.name)
    screenshot("donor-14-review")
    row.locator('[data-action="publish"]').click()
    expect(page.locator("#review-results .notice")).to_be_visible()
    expect(page.locator("tr[data-listing]")).to_have_count(0)
    listing = donor.listings.get()
    assert (listing.state, listing.region) == ("published", daejeon["관저2동"])
    assert outside_requests == []
