"""Refused claim actions on the pages reveal nothing of the claim.

A claim the user may not see is not found (404), as in the API; a claim they
may see but whose button they may not press is a bare 403. Neither body holds
any of the claim's data, and nothing changes.
"""

from __future__ import annotations

from unittest import mock

import pytest

from exchange.models import Claim, ClaimState
from exchange.services import claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for
from marketplace.models import Listing

HTMX = {"HX-Request": "true"}
TITLE = "비밀표식-물품명"
JUSTIFICATION = "비밀표식-사유서"
REASON = "비밀표식-결정사유"


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


@pytest.mark.parametrize(("action", "data"), ACTIONS, ids=[a for a, _ in ACTIONS])
@pytest.mark.parametrize("who", ["nobody", "cm_seo", "coord_daedeok"])
def test_a_claim_the_user_may_not_see_is_not_found(
    client, secret_claim, people, nobody, daejeon, who, action, data
):
    user = nobody if who == "nobody" else people[who]
    before = _snapshot(secret_claim, daejeon)
    client.force_login(user)
    for headers in ({}, HTMX):
        response = client.post(f"/claims/{secret_claim.pk}/{action}/", data, headers=headers)
        assert response.status_code == 404
        _assert_reveals_nothing(response.content.decode(), secret_claim)
    assert _snapshot(secret_claim, daejeon) == before


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
    client, secret_claim, people, daejeon, who, action, data
):
    before = _snapshot(secret_claim, daejeon)
    client.force_login(people[who])
    for headers in ({}, HTMX):
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


# --- a service's own refusal (NotAllowed) is the bare 403 page ------------------------------
# The views check the permission first; the services check it again under their
# locks, where a post that ended a moment ago refuses. That answer must not show
# the object either.


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
def test_a_services_refusal_of_a_claim_action_shows_nothing(
    client, secret_claim, people, daejeon, headers
):
    from config.exceptions import NotAllowed

    before = _snapshot(secret_claim, daejeon)
    client.force_login(people["coord_seo"])
    with mock.patch("exchange.views.claim_approve", side_effect=NotAllowed()):
        response = client.post(f"/claims/{secret_claim.pk}/approve/", {}, headers=headers)
    assert response.status_code == 403
    _assert_reveals_nothing(response.content.decode(), secret_claim)
    assert _snapshot(secret_claim, daejeon) == before


@pytest.mark.parametrize(
    ("service", "url", "data"),
    [
        ("household_close", "/households/{pk}/close/", {"reason": "자립"}),
        ("household_update", "/households/{pk}/edit/", {"size": "2", "notes": "x"}),
    ],
)
def test_a_services_refusal_of_a_household_action_shows_nothing(
    client, household, people, service, url, data
):
    from config.exceptions import NotAllowed

    client.force_login(people["cm_daedeok"])
    with mock.patch(f"exchange.views.{service}", side_effect=NotAllowed()):
        response = client.post(url.format(pk=household.pk), data, headers=HTMX)
    assert response.status_code == 403
    body = response.content.decode()
    assert household.code not in body
    assert "독거 어르신" not in body  # the household's notes


def test_a_services_refusal_of_a_listing_action_shows_nothing(client, make_listing, people):
    from config.exceptions import NotAllowed

    draft = make_listing(publish=False)
    Listing.objects.filter(pk=draft.pk).update(title=TITLE)
    client.force_login(people["coord_seo"])
    with mock.patch("exchange.views.listing_publish", side_effect=NotAllowed()):
        response = client.post(f"/listings/{draft.pk}/publish/", {}, headers=HTMX)
    assert response.status_code == 403
    assert TITLE not in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_a_services_refusal_of_a_finance_proposal_shows_nothing(client, daejeon, make_member):
    from config.exceptions import NotAllowed
    from ledger.models import Proposal
    from people.services import finance_group

    officer = make_member(daejeon["서구"], "coordinator", username="officer")
    officer.groups.add(finance_group())
    client.force_login(officer)
    with mock.patch("ledger.views.proposal_grant_create", side_effect=NotAllowed()):
        response = client.post(
            "/finance/proposals/grant/",
            {"grant-region": daejeon["서구"].code, "grant-amount": "5", "grant-reason": REASON},
            headers=HTMX,
        )
    assert response.status_code == 403
    body = response.content.decode()
    assert REASON not in body and "proposals-panel" not in body
    assert not Proposal.objects.exists()
