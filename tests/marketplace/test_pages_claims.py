"""Claim decisions through the pages: approve, confirm receipt, reject, cancel, and what is
refused."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from exchange.models import Claim, ClaimState
from exchange.services import claim_approve
from ledger.selectors import ledger_verify
from tests.helpers import HTMX, actions_for, wallet_balance

# --- claim decisions ------------------------------------------------------------------------


def test_approve_is_offered_only_to_the_listing_regions_coordinator(client, claim, people):
    client.force_login(people["coord_seo"])
    assert {"approve", "reject"} <= actions_for(client.get("/dashboard/").content.decode(), claim)
    client.force_login(people["coord_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert "approve" not in actions_for(html, claim)
    listing_html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-action="approve"' not in listing_html
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert actions_for(html, claim) == {"cancel"}
    listing_html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert "approve" not in actions_for(listing_html, claim)


def test_approve_then_confirm_receipt_through_the_pages(client, claim, people, daejeon):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/approve/", {"reason": ""}, headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert response["HX-Trigger"] == "claims-changed"
    assert f'id="claim-{claim.pk}"' in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED

    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert actions_for(html, claim) == {"cancel", "fulfil"}
    response = client.post(
        f"/claims/{claim.pk}/fulfil/", {"quantity_received": "3", "next": "/dashboard/"}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    claim.refresh_from_db()
    assert (claim.state, claim.quantity_received) == (ClaimState.FULFILLED, 3)
    assert wallet_balance(daejeon["서구"]) == 60
    assert wallet_balance(daejeon["대덕구"]) == 1000 - 60
    assert ledger_verify().ok
    html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-available="7"' in html


def test_reject_with_a_reason_returns_the_points(client, claim, people, daejeon):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": "재고 소진"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.state, claim.decision_reason) == (ClaimState.REJECTED, "재고 소진")
    assert wallet_balance(daejeon["대덕구"]) == 1000


def test_case_manager_cancels_their_claim(client, claim, people, daejeon):
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/claims/{claim.pk}/cancel/", {"reason": "가구 사정 변경"}, headers=HTMX
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.state == ClaimState.CANCELLED
    assert wallet_balance(daejeon["대덕구"]) == 1000


@pytest.mark.parametrize(
    ("who", "action", "data", "status"),
    [
        ("cm_daedeok", "fulfil", {"quantity_received": "4"}, 409),
        ("cm_daedeok", "fulfil", {"quantity_received": "-1"}, 422),
        ("cm_daedeok", "fulfil", {"quantity_received": "abc"}, 422),
        ("cm_daedeok", "fulfil", {"quantity_received": "9" * 40}, 422),
        ("coord_seo", "approve", {"reason": "가" * 2000}, 422),
    ],
)
def test_illegal_actions_are_refused_and_change_nothing(
    client, claim, people, daejeon, who, action, data, status
):
    client.force_login(people[who])
    response = client.post(f"/claims/{claim.pk}/{action}/", data, headers=HTMX)
    assert response.status_code == status
    assert "data-error" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == ClaimState.REQUESTED
    assert wallet_balance(daejeon["대덕구"]) == 920


def test_deciding_twice_is_a_conflict(client, claim, people):
    client.force_login(people["coord_seo"])
    assert client.post(f"/claims/{claim.pk}/approve/", {}).status_code == 302
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": "재고 소진"})
    assert response.status_code == 409
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


def test_receiving_more_than_claimed_is_refused(client, claim, people):
    claim_approve(claim=claim, by=people["coord_seo"])
    client.force_login(people["cm_daedeok"])
    response = client.post(f"/claims/{claim.pk}/fulfil/", {"quantity_received": "5"})
    assert response.status_code == 422
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


def test_actions_on_unknown_claims_are_404_and_anonymous_go_to_login(client, claim, people):
    response = client.post(f"/claims/{claim.pk}/approve/", {})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(people["coord_seo"])
    assert client.post("/claims/999999/approve/", {}).status_code == 404
    assert client.post("/claims/99999999999999999999999/approve/", {}).status_code == 404
    assert client.get(f"/claims/{claim.pk}/approve/").status_code == 405


def test_a_claim_past_its_deadline_shows_as_expired(client, claim, people, daejeon):
    Claim.objects.filter(pk=claim.pk).update(
        approve_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert f'id="claim-{claim.pk}" data-claim="{claim.pk}" data-state="expired"' in html
    assert actions_for(html, claim) == set()
    client.force_login(people["coord_seo"])
    html = client.get("/dashboard/").content.decode()
    assert f'id="claim-{claim.pk}"' not in html  # no longer waiting for a decision
    # Shown so before the command runs; the pages wrote nothing.
    claim.refresh_from_db()
    assert claim.state == ClaimState.REQUESTED
    call_command("expire_due", stdout=io.StringIO())
    claim.refresh_from_db()
    assert claim.state == ClaimState.EXPIRED
    assert wallet_balance(daejeon["대덕구"]) == 1000


def test_the_listing_page_counts_overdue_claims_units_as_free(client, claim):
    Claim.objects.filter(pk=claim.pk).update(
        approve_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    html = client.get(f"/listings/{claim.listing_id}/").content.decode()
    assert 'data-available="10"' in html
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED
