"""Irreversible actions of the marketplace pages behind a confirmation
(templates/components/confirm_action.html): rejecting and cancelling a claim,
closing a case, withdrawing a listing. Each page renders the dialog with its
required reason; a missing, blank or too long reason is refused 422 next to
the field with nothing changed; a given reason is kept and shown."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import TransitionLog
from exchange.models import Claim, ClaimState
from exchange.services import claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for
from marketplace.models import Household, HouseholdStatus, Listing, ListingState
from tests import factories
from tests.helpers import (
    CONFIRM_MISSING as MISSING,
)
from tests.helpers import (
    CONFIRM_REQUIRED as REQUIRED,
)
from tests.helpers import (
    CONFIRM_TOO_LONG as TOO_LONG,
)
from tests.helpers import (
    assert_confirmation,
    dialog,
    transitions_of,
)

HTMX = {"HX-Request": "true"}


# --- claims --------------------------------------------------------------------------------


def test_the_coordinator_sees_the_reject_confirmation_with_its_points(client, claim, people):
    client.force_login(people["coord_seo"])
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    box = assert_confirmation(html, f"confirm-reject-{claim.pk}", action="reject", reason="reason")
    assert f"신청 #{claim.pk}을 반려합니다" in box or f"신청 #{claim.pk}를 반려합니다" in box
    # 4 boxes at 20 points, all from the wallet (PUBLIC_SHARE 1 in these tests).
    assert "보류된 80포인트가 신청한 지역의 지갑으로 돌아갑니다." in box
    assert "반려 사유" in box


def test_the_case_manager_sees_the_cancel_confirmation(client, claim, people):
    client.force_login(people["cm_daedeok"])
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    box = assert_confirmation(html, f"confirm-cancel-{claim.pk}", action="cancel", reason="reason")
    assert "취소합니다. 되돌릴 수 없습니다." in box
    assert "취소 사유" in box


def test_a_local_handover_says_nothing_about_points(client, people, make_listing, daejeon):
    household = factories.household(
        by=people["cm_seo"], dong=factories.first_dong(daejeon["서구"]), size=1, notes=""
    )
    local = claim_request(
        by=people["cm_seo"], listing=make_listing(), household=household, quantity=1
    )
    client.force_login(people["coord_seo"])
    box = dialog(client.get(f"/claims/{local.pk}/").content.decode(), f"confirm-reject-{local.pk}")
    assert "data-confirm-points" not in box
    assert "포인트" not in box


@pytest.mark.parametrize("data", MISSING)
@pytest.mark.parametrize(("who", "action"), [("coord_seo", "reject"), ("cm_daedeok", "cancel")])
def test_a_claim_is_not_closed_without_a_reason(client, claim, people, daejeon, who, action, data):
    wallet = account_for(daejeon["대덕구"], Purpose.WALLET)
    before = account_balance(wallet)
    logged = TransitionLog.objects.count()
    client.force_login(people[who])
    response = client.post(f"/claims/{claim.pk}/{action}/", data, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    box = dialog(html, f"confirm-{action}-{claim.pk}")
    assert REQUIRED in box
    assert 'aria-invalid="true"' in box
    assert "data-confirm-failed" in html
    claim.refresh_from_db()
    assert claim.state == ClaimState.REQUESTED
    assert claim.decision_reason == ""
    assert account_balance(wallet) == before
    assert TransitionLog.objects.count() == logged


def test_a_plain_post_without_a_reason_shows_the_page_with_the_error(client, claim, people):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html
    assert REQUIRED in dialog(html, f"confirm-reject-{claim.pk}")
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED


def test_a_too_long_reason_is_refused_in_korean_and_kept_in_the_field(client, claim, people):
    client.force_login(people["coord_seo"])
    text = "가" * 1001
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": text}, headers=HTMX)
    assert response.status_code == 422
    box = dialog(response.content.decode(), f"confirm-reject-{claim.pk}")
    assert TOO_LONG in box
    assert text in box
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED


def test_a_reason_with_a_phone_number_is_refused_next_to_the_field(client, claim, people):
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/claims/{claim.pk}/cancel/", {"reason": "보호자 010-1234-5678 요청"}, headers=HTMX
    )
    assert response.status_code == 422
    box = dialog(response.content.decode(), f"confirm-cancel-{claim.pk}")
    assert 'aria-invalid="true"' in box
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED


def test_the_reason_of_a_rejection_is_kept_and_shown_in_the_history(client, claim, people):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": "  재고 소진  "}, headers=HTMX)
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED
    assert claim.decision_reason == "재고 소진"
    assert transitions_of("claim", claim.pk, transition="reject").get().reason == "재고 소진"
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    assert '<span class="reason">재고 소진</span>' in html


def test_approving_needs_no_reason_and_has_no_dialog(client, claim, people):
    client.force_login(people["coord_seo"])
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    assert 'data-confirm-open="confirm-approve-' not in html
    assert 'data-action="approve"' in html


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reason=st.text(max_size=1100))
def test_any_reason_is_either_kept_or_refused_never_a_server_error(
    client, people, make_listing, household, grant, daejeon, reason
):
    grant(daejeon["대덕구"], 100)
    claim = claim_request(
        by=people["cm_daedeok"],
        listing=make_listing(),
        household=household,
        quantity=1,
        justification="추가 지원 필요",
    )
    client.force_login(people["cm_daedeok"])
    response = client.post(f"/claims/{claim.pk}/cancel/", {"reason": reason}, headers=HTMX)
    assert response.status_code in (200, 400, 422)
    claim.refresh_from_db()
    if response.status_code == 200:
        assert claim.state == ClaimState.CANCELLED
        assert claim.decision_reason == reason.strip()
        assert claim.decision_reason
    else:
        assert claim.state == ClaimState.REQUESTED
        assert claim.decision_reason == ""


# --- households ----------------------------------------------------------------------------


def test_the_household_page_offers_closing_behind_a_confirmation(client, household, people):
    client.force_login(people["cm_daedeok"])
    html = client.get(f"/households/{household.pk}/").content.decode()
    box = assert_confirmation(
        html, f"confirm-close-case-{household.pk}", action="close-case", reason="reason"
    )
    assert f"가구 {household.code} 사례 종결" in box
    assert "종결 사유" in box


@pytest.mark.parametrize("data", MISSING)
def test_a_case_is_not_closed_without_a_reason(client, household, people, data):
    client.force_login(people["cm_daedeok"])
    response = client.post(f"/households/{household.pk}/close/", data, headers=HTMX)
    assert response.status_code == 422
    box = dialog(response.content.decode(), f"confirm-close-case-{household.pk}")
    assert REQUIRED in box
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE
    assert household.closed_at is None
    assert not household.follow_ups.exists()
    assert not transitions_of("household", household.pk).exists()


def test_a_too_long_closing_reason_is_refused(client, household, people):
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/households/{household.pk}/close/", {"reason": "나" * 1001}, headers=HTMX
    )
    assert response.status_code == 422
    assert TOO_LONG in response.content.decode()
    assert Household.objects.get(pk=household.pk).status == HouseholdStatus.ACTIVE


def test_the_closing_reason_is_logged_and_shown_on_the_household(client, household, people):
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/households/{household.pk}/close/", {"reason": "취업으로 자립"}, headers=HTMX
    )
    assert response.status_code == 200
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED
    log = transitions_of("household", household.pk).get()
    assert (log.transition, log.source, log.target, log.reason, log.by) == (
        "close",
        "active",
        "closed",
        "취업으로 자립",
        people["cm_daedeok"],
    )
    html = client.get(f"/households/{household.pk}/").content.decode()
    assert '<dd class="close-reason" data-close-reason>취업으로 자립</dd>' in html
    assert "data-confirm-open" not in html


# --- listings ------------------------------------------------------------------------------


def test_the_coordinator_sees_the_withdraw_confirmation(client, make_listing, people):
    listing = make_listing()
    client.force_login(people["coord_seo"])
    html = client.get(f"/listings/{listing.pk}/").content.decode()
    box = assert_confirmation(
        html, f"confirm-withdraw-{listing.pk}", action="withdraw", reason="reason"
    )
    assert listing.title in box
    assert "철회 사유" in box


@pytest.mark.parametrize("data", MISSING)
def test_a_listing_is_not_withdrawn_without_a_reason(client, make_listing, people, data):
    listing = make_listing()
    client.force_login(people["coord_seo"])
    response = client.post(f"/listings/{listing.pk}/withdraw/", data, headers=HTMX)
    assert response.status_code == 422
    assert REQUIRED in dialog(response.content.decode(), f"confirm-withdraw-{listing.pk}")
    assert Listing.objects.get(pk=listing.pk).state == ListingState.PUBLISHED


def test_the_withdrawal_reason_is_kept(client, make_listing, people):
    listing = make_listing()
    client.force_login(people["coord_seo"])
    response = client.post(f"/listings/{listing.pk}/withdraw/", {"reason": "중복 등록"})
    assert response.status_code == 302
    assert Listing.objects.get(pk=listing.pk).state == ListingState.WITHDRAWN
    assert transitions_of("listing", listing.pk, transition="withdraw").get().reason == "중복 등록"


def test_publishing_needs_no_reason(client, make_listing, people):
    listing = make_listing(publish=False)
    client.force_login(people["coord_seo"])
    assert client.post(f"/listings/{listing.pk}/publish/", {}).status_code == 302
    assert Listing.objects.get(pk=listing.pk).state == ListingState.PUBLISHED
