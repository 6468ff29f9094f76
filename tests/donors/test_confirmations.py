"""Irreversible actions of the donor portal and of finance's matching page behind
a confirmation: withdrawing a pledge (reason required), committing funds to a
claim (note optional, kept in the claim's history), confirming a pledge and
verifying a donor (confirmed, no reason)."""

from __future__ import annotations

import pytest

from donors.models import Donor, DonorKind, DonorMembership, Pledge, PledgeState
from exchange.models import Match, MatchState
from exchange.services import claim_request
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

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep_client(client, donor_rep):
    client.force_login(donor_rep)
    return client


@pytest.fixture
def pending_claim(daejeon, people, make_listing, household, grant):
    """2 boxes at 20 points from 대덕구 for a 서구 listing: 20 public held, 20 private pending."""
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    return claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=2)


# --- withdrawing a pledge ------------------------------------------------------------------


def test_the_portal_offers_withdrawing_behind_a_confirmation(rep_client, make_pledge):
    pledge = make_pledge(krw=100_000)
    html = rep_client.get("/donors/").content.decode()
    box = assert_confirmation(
        html, f"confirm-withdraw-{pledge.pk}", action="withdraw", reason="reason"
    )
    assert f"약정 #{pledge.pk} 철회" in box
    assert "신청에 보류되지 않은 100포인트는 바로 돌아가고" in box


@pytest.mark.parametrize("data", MISSING)
def test_a_pledge_is_not_withdrawn_without_a_reason(rep_client, make_pledge, data):
    pledge = make_pledge(krw=100_000)
    response = rep_client.post(f"/donors/pledges/{pledge.pk}/withdraw/", data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert REQUIRED in dialog(html, f"confirm-withdraw-{pledge.pk}")
    pledge.refresh_from_db()
    assert (pledge.state, pledge.points_returned) == (PledgeState.ACTIVE, 0)
    assert not transitions_of("pledge", pledge.pk, transition="withdraw").exists()


def test_a_too_long_withdrawal_reason_is_refused(rep_client, make_pledge):
    pledge = make_pledge(krw=100_000)
    response = rep_client.post(
        f"/donors/pledges/{pledge.pk}/withdraw/", {"reason": "다" * 1001}, **HTMX
    )
    assert response.status_code == 422
    assert TOO_LONG in response.content.decode()
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.ACTIVE


def test_the_withdrawal_reason_is_kept(rep_client, make_pledge):
    pledge = make_pledge(krw=100_000)
    response = rep_client.post(
        f"/donors/pledges/{pledge.pk}/withdraw/", {"reason": "예산 조정"}, **HTMX
    )
    assert response.status_code == 200
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.CLOSED
    log = transitions_of("pledge", pledge.pk, transition="withdraw").get()
    assert log.reason == "예산 조정"


# --- committing funds ----------------------------------------------------------------------


def test_the_portal_offers_committing_behind_a_confirmation(rep_client, make_pledge, pending_claim):
    make_pledge()
    match = Match.objects.get(claim=pending_claim)
    html = rep_client.get("/donors/").content.decode()
    assert f'data-action="commit" data-confirm-open="confirm-commit-{match.pk}"' in html
    box = dialog(html, f"confirm-commit-{match.pk}")
    assert "이 신청에 기금 확정" in box
    assert "확정은 되돌릴 수 없습니다." in box
    assert "약정의 20포인트가 이 신청을 위해 보류되며" in box
    textarea = box[box.index("<textarea") :].split(">")[0]
    assert 'name="reason"' in textarea
    assert " required" not in textarea  # optional
    # Never the household.
    assert pending_claim.household.code not in box


def test_committing_needs_no_reason(rep_client, donor, make_pledge, pending_claim):
    make_pledge()
    match = Match.objects.get(claim=pending_claim)
    response = rep_client.post(f"/donors/{donor.pk}/matches/{match.pk}/commit/", {}, **HTMX)
    assert response.status_code == 200
    assert Match.objects.get(pk=match.pk).state == MatchState.COMMITTED


def test_the_commit_note_is_kept_and_shown_in_the_claims_history(
    rep_client, client, donor, make_pledge, pending_claim, people
):
    make_pledge()
    match = Match.objects.get(claim=pending_claim)
    response = rep_client.post(
        f"/donors/{donor.pk}/matches/{match.pk}/commit/", {"reason": "연말 나눔 캠페인"}, **HTMX
    )
    assert response.status_code == 200
    assert transitions_of("match", match.pk, transition="commit").get().reason == "연말 나눔 캠페인"
    client.force_login(people["coord_seo"])
    html = client.get(f"/claims/{pending_claim.pk}/").content.decode()
    assert '<span class="reason">연말 나눔 캠페인</span>' in html


def test_a_too_long_commit_note_is_refused_and_commits_nothing(
    rep_client, donor, make_pledge, pending_claim
):
    pledge = make_pledge()
    match = Match.objects.get(claim=pending_claim)
    response = rep_client.post(
        f"/donors/{donor.pk}/matches/{match.pk}/commit/", {"reason": "라" * 1001}, **HTMX
    )
    assert response.status_code == 422
    assert TOO_LONG in dialog(response.content.decode(), f"confirm-commit-{match.pk}")
    assert Match.objects.get(pk=match.pk).state == MatchState.PENDING
    assert Pledge.objects.get(pk=pledge.pk).points_held == 0


# --- finance: confirming a pledge, verifying a donor ----------------------------------------


def test_finance_confirms_a_pledge_and_verifies_a_donor_behind_confirmations(
    client, finance, make_pledge, daejeon
):
    pledge = make_pledge(krw=250_000, confirm=False)
    unverified = Donor.objects.create(
        name="대전 나눔상회",
        kind=DonorKind.WELFARE_CENTRE,
        business_number="3058200013",
        home_region=daejeon["서구"],
    )
    DonorMembership.objects.create(user=pledge.created_by, donor=unverified)
    client.force_login(finance)
    html = client.get("/finance/matching/").content.decode()
    box = assert_confirmation(html, f"confirm-confirm-{pledge.pk}", action="confirm", reason=None)
    assert "250,000원이 입금되었음을 확인합니다" in box
    assert "250포인트가 발행됩니다" in box
    box = assert_confirmation(
        html, f"confirm-verify-donor-{unverified.pk}", action="verify-donor", reason=None
    )
    assert "대전 나눔상회 확인" in box
    assert "305-82-00013" in box
