"""Refused claim actions on the pages reveal nothing of the claim.

A claim the user may not see is not found (404), as in the API; a claim they
may see but whose button they may not press is a bare 403. Neither body holds
any of the claim's data, and nothing changes.
"""

from __future__ import annotations

import pytest

from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for
from marketplace.models import Claim, ClaimState, Listing
from marketplace.services import claim_request

HTMX = {"HX-Request": "true"}
TITLE = "비밀표식-물품명"
JUSTIFICATION = "비밀표식-사유서"
REASON = "비밀표식-결정사유"


@pytest.fixture
def nobody(db, django_user_model):
    """Signed in, but without any post."""
    return django_user_model.objects.create_user(username="nobody", password="pw-for-tests-only")


@pytest.fixture
def secret_claim(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    Listing.objects.filter(pk=listing.pk).update(title=TITLE)
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)
    Claim.objects.filter(pk=claim.pk).update(justification=JUSTIFICATION, decision_reason=REASON)
    return Claim.objects.get(pk=claim.pk)


def _snapshot(claim: Claim, daejeon) -> tuple:
    claim.refresh_from_db()
    wallet = account_balance(account_for(daejeon["대덕구"], Purpose.WALLET))
    return (claim.state, claim.decided_by_id, claim.quantity_received, wallet)


def _assert_reveals_nothing(body: str, claim: Claim) -> None:
    for secret in (
        TITLE,
        JUSTIFICATION,
        REASON,
        claim.household.code,
        f'data-claim="{claim.pk}"',
        f"claim-{claim.pk}",
        f"#{claim.pk}",
        "상자",  # the listing's unit
        "data-error",
    ):
        assert secret not in body, secret


ACTIONS = [
    ("approve", {"reason": "ok"}),
    ("reject", {"reason": "no"}),
    ("cancel", {"reason": "x"}),
    ("fulfil", {"quantity_received": "4"}),
]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
@pytest.mark.parametrize(("action", "data"), ACTIONS, ids=[a for a, _ in ACTIONS])
@pytest.mark.parametrize("who", ["nobody", "cm_seo", "coord_daedeok"])
def test_a_claim_the_user_may_not_see_is_not_found(
    client, secret_claim, people, nobody, daejeon, who, action, data, headers
):
    user = nobody if who == "nobody" else people[who]
    before = _snapshot(secret_claim, daejeon)
    client.force_login(user)
    response = client.post(f"/claims/{secret_claim.pk}/{action}/", data, headers=headers)
    assert response.status_code == 404
    _assert_reveals_nothing(response.content.decode(), secret_claim)
    assert _snapshot(secret_claim, daejeon) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
@pytest.mark.parametrize(
    ("who", "action", "data"),
    [
        ("cm_daedeok", "approve", {"reason": "ok"}),
        ("cm_daedeok", "reject", {"reason": "no"}),
        ("coord_seo", "fulfil", {"quantity_received": "4"}),
        # An invalid form is refused for the permission first, not shown back.
        ("cm_daedeok", "approve", {"reason": "가" * 2000}),
        ("coord_seo", "fulfil", {"quantity_received": "abc"}),
    ],
)
def test_a_visible_claim_without_the_permission_is_a_bare_403(
    client, secret_claim, people, daejeon, who, action, data, headers
):
    before = _snapshot(secret_claim, daejeon)
    client.force_login(people[who])
    response = client.post(f"/claims/{secret_claim.pk}/{action}/", data, headers=headers)
    assert response.status_code == 403
    _assert_reveals_nothing(response.content.decode(), secret_claim)
    assert _snapshot(secret_claim, daejeon) == before


def test_the_listing_coordinator_still_decides(client, secret_claim, people):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{secret_claim.pk}/approve/", {"reason": "ok"}, headers=HTMX)
    assert response.status_code == 200
    secret_claim.refresh_from_db()
    assert secret_claim.state == ClaimState.APPROVED
