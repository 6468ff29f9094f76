import pytest
from playwright.sync_api import Page, expect

from ledger.models import Proposal, ProposalStatus
from people.services import finance_group
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-browser-tests"
SEOGU_WALLET = "region:3017000000:wallet"


@pytest.fixture
def finance_officers(daejeon, django_user_model):
    officers = []
    for username, last_name in (("fin_kim", "김재무"), ("fin_lee", "이재무")):
        user = django_user_model.objects.create_user(
            username=username, password=PASSWORD, last_name=last_name
        )
        user.groups.add(finance_group())
        officers.append(user)
    return officers


def log_in(page: Page, username: str) -> None:
    sign_in(page, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")


def test_a_grant_proposed_by_one_officer_is_approved_by_another(
    page, finance_officers, screenshot, outside_requests
):
    first, second = finance_officers

    log_in(page, first.username)
    page.get_by_role("link", name="재무 감사").click()
    expect(page.locator(f'tr[data-account="{SEOGU_WALLET}"]')).to_have_count(0)
    page.locator('.finance-nav a[href="/finance/proposals/"]').click()

    page.locator("#id_grant-region").select_option(label="서구")
    page.locator("#id_grant-amount").fill("12.5")
    page.locator('[data-action="propose-grant"]').click()
    expect(page.locator("#id_grant-amount-error")).to_be_visible()
    expect(page.locator("#id_grant-reason-error")).to_be_visible()
    screenshot("finance-grant-invalid")
    assert not Proposal.objects.exists()

    page.locator("#id_grant-amount").fill("500")
    page.locator("#id_grant-reason").fill("2026년 개시 포인트")
    page.locator('[data-action="propose-grant"]').click()

    row = page.locator('tr[data-status="proposed"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2026년 개시 포인트")
    expect(page.locator(".notice")).to_be_visible()
    expect(page.locator('[data-action="approve"]')).to_have_count(0)
    expect(page.locator('[data-action="reject"]')).to_have_count(0)
    screenshot("finance-proposal-pending")

    page.get_by_role("button", name="로그아웃").click()
    log_in(page, second.username)
    page.goto("/finance/proposals/")
    row = page.locator('tr[data-status="proposed"]')
    expect(row.locator('[data-action="approve"]')).to_be_visible()
    screenshot("finance-proposal-to-approve")
    row.locator('[data-action="approve"]').click()
    dialog = row.get_by_role("dialog")
    dialog.locator('textarea[name="note"]').fill("증빙 확인")
    dialog.locator('[data-confirm-submit="approve"]').click()

    approved = page.locator('tr[data-status="approved"]')
    expect(approved).to_have_count(1)
    expect(approved.locator("[data-posted]")).to_be_visible()
    proposal = Proposal.objects.get()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.decided_by == second
    screenshot("finance-proposal-approved")

    page.locator('.finance-nav a[href="/finance/"]').click()
    expect(page.locator(f'tr[data-account="{SEOGU_WALLET}"] .balance')).to_have_text("500")
    page.locator('[data-action="verify"]').click()
    expect(page.locator('#verify-result [data-ok="true"]')).to_be_visible()
    screenshot("finance-accounts")

    page.locator('.finance-nav a[href="/finance/chart/"]').click()
    expect(page.locator(f'svg.chart polyline[data-account="{SEOGU_WALLET}"]')).to_have_count(1)
    screenshot("finance-chart")

    page.goto("/finance/")
    page.locator(f'tr[data-account="{SEOGU_WALLET}"] a').click()
    expect(page.locator("td.running")).to_have_text(["500"])
    screenshot("finance-statement")
    assert outside_requests == []


def test_live_filters_narrow_the_accounts_without_reloading(
    page, finance_officers, screenshot, outside_requests
):
    from ledger.models import Purpose
    from ledger.services import account_for
    from regions.models import Level, Region

    for region in Region.objects.filter(level=Level.DISTRICT):
        account_for(region, Purpose.WALLET)
    log_in(page, finance_officers[0].username)
    page.goto("/finance/")
    rows = page.locator("#account-results tr[data-account]")
    expect(rows).to_have_count(5)
    page.locator("#id_q").fill("유성")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-account", "region:3020000000:wallet")
    assert "q=" in page.url
    page.locator("#id_q").fill("")
    page.locator("#id_district").select_option(label="대덕구")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-account", "region:3023000000:wallet")
    screenshot("finance-accounts-filtered")
    assert outside_requests == []
