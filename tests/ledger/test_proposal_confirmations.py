"""A finance officer decides another's proposal behind a confirmation: approving
(a note optional) posts for good; rejecting cannot go without its reason."""

from __future__ import annotations

import pytest

from ledger.models import Proposal, ProposalStatus, Transaction
from ledger.services import proposal_grant_create
from people.services import finance_group
from tests.helpers import CONFIRM_REQUIRED, CONFIRM_TOO_LONG, assert_confirmation, dialog

HTMX = {"HX-Request": "true"}


@pytest.fixture
def officers(db, django_user_model):
    def make(username: str):
        user = django_user_model.objects.create_user(username=username, password="pw-for-tests")
        user.groups.add(finance_group())
        return user

    return make("fin1"), make("fin2")


@pytest.fixture
def proposal(daejeon, officers):
    return proposal_grant_create(
        region=daejeon["서구"], amount=500, reason="분기 배정", by=officers[0]
    )


def test_the_second_officer_sees_both_decisions_behind_confirmations(client, officers, proposal):
    client.force_login(officers[1])
    html = client.get("/finance/proposals/").content.decode()
    approve = dialog(html, f"confirm-approve-{proposal.pk}")
    assert f"제안 #{proposal.pk} 승인" in approve
    assert "원장에 기록합니다. 되돌릴 수 없습니다." in approve
    field = approve[approve.index("<textarea") :].split(">")[0]
    assert 'name="note"' in field and " required" not in field
    reject = assert_confirmation(
        html, f"confirm-reject-{proposal.pk}", action="reject", reason="note"
    )
    assert "반려 사유" in reject


@pytest.mark.parametrize("data", [{}, {"note": ""}, {"note": "  "}])
def test_a_proposal_is_not_rejected_without_a_reason(client, officers, proposal, data):
    client.force_login(officers[1])
    response = client.post(f"/finance/proposals/{proposal.pk}/reject/", data, headers=HTMX)
    assert response.status_code == 422
    assert CONFIRM_REQUIRED in dialog(response.content.decode(), f"confirm-reject-{proposal.pk}")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (ProposalStatus.PROPOSED, None)


def test_a_too_long_note_is_refused_in_korean(client, officers, proposal):
    client.force_login(officers[1])
    before = Transaction.objects.count()
    response = client.post(
        f"/finance/proposals/{proposal.pk}/approve/", {"note": "마" * 1001}, headers=HTMX
    )
    assert response.status_code == 422
    assert CONFIRM_TOO_LONG in dialog(response.content.decode(), f"confirm-approve-{proposal.pk}")
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED
    assert Transaction.objects.count() == before


def test_the_rejection_reason_is_kept_and_shown(client, officers, proposal):
    client.force_login(officers[1])
    response = client.post(
        f"/finance/proposals/{proposal.pk}/reject/", {"note": "증빙 없음"}, headers=HTMX
    )
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == (ProposalStatus.REJECTED, "증빙 없음")
    assert "증빙 없음" in response.content.decode()
