"""The same Idempotency-Key sent twice at once: one object, and both callers
get it, exactly as a sequential replay would answer (same status and body)."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from donors.models import Pledge
from exchange.models import Claim
from exchange.services import claim_request
from ledger.models import Proposal
from tests.helpers import run_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 3
WORKERS = 4


def _post_in_parallel(user, url: str, body: dict, key: str) -> list:
    def post(_i: int):
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.json()

    return run_parallel(WORKERS, post)


def _replayed(user, url: str, body: dict, key: str):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return response.status_code, response.json()


def test_racing_claims_with_one_key_all_get_the_first_claim(
    daejeon, make_listing, grant, people, household, make_pledge
):
    grant(daejeon["대덕구"], 100_000)
    make_pledge(krw=1_000_000)
    cm = people["cm_daedeok"]
    # One unit, and the household's category already claimed: a second claim
    # would be refused for quantity and for duplicate service, a replay is not.
    for n in range(ROUNDS):
        listing = make_listing(quantity=1, krw=20_000)
        body = {
            "listing": listing.pk,
            "household": household.pk,
            "quantity": 1,
            "justification": "재신청",
        }
        key = f"claim-race-{n}"
        results = _post_in_parallel(cm, "/api/v1/claims/", body, key)
        assert all(isinstance(r, tuple) for r in results), results
        statuses = {status for status, _body in results}
        ids = {answer.get("id") for _status, answer in results}
        assert statuses == {201} and len(ids) == 1, f"round {n + 1}: {results}"
        assert Claim.objects.filter(idempotency_key=key).count() == 1
        assert Claim.objects.filter(listing=listing).count() == 1
        assert _replayed(cm, "/api/v1/claims/", body, key) == results[0]

    # The service itself: the loser waits on the listing's lock, then finds the key.
    for n in range(ROUNDS):
        listing = make_listing(quantity=1, krw=20_000)
        results = run_parallel(
            WORKERS,
            lambda _i, listing=listing, n=n: claim_request(
                by=cm,
                listing=listing,
                household=household,
                quantity=1,
                justification="재신청",
                idempotency_key=f"svc-{n}",
            ),
        )
        assert all(isinstance(r, Claim) for r in results), results
        assert len({r.pk for r in results}) == 1


def test_racing_pledges_and_grant_proposals_with_one_key_make_one_each(
    daejeon, donor, donor_rep, finance
):
    body = {
        "donor": donor.pk,
        "amount_krw": 500_000,
        "valid_until": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
    }
    for n in range(ROUNDS):
        key = f"pledge-race-{n}"
        results = _post_in_parallel(donor_rep, "/api/v1/pledges/", body, key)
        assert all(isinstance(r, tuple) for r in results), results
        assert {status for status, _b in results} == {201}, results
        assert len({answer["id"] for _s, answer in results}) == 1, results
        assert Pledge.objects.filter(idempotency_key=key).count() == 1
        assert _replayed(donor_rep, "/api/v1/pledges/", body, key) == results[0]

    body = {"kind": "grant", "region": daejeon["서구"].code, "amount": 300, "reason": "연초 배정"}
    for n in range(ROUNDS):
        key = f"grant-race-{n}"
        results = _post_in_parallel(finance, "/api/v1/ledger/proposals/", body, key)
        assert all(isinstance(r, tuple) for r in results), results
        assert {status for status, _b in results} == {201}, results
        assert len({answer["id"] for _s, answer in results}) == 1, results
        assert Proposal.objects.filter(idempotency_key=key).count() == 1
        assert _replayed(finance, "/api/v1/ledger/proposals/", body, key) == results[0]


def test_racing_pledges_with_one_key_and_different_amounts_conflict(daejeon, donor, donor_rep):
    """The loser of the race is compared with the winner like a replay: a
    different pledge under the same key is idempotency_conflict, not the winner."""
    until = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    for n in range(ROUNDS):
        key = f"pledge-clash-{n}"

        def post(i: int, key=key):
            client = APIClient()
            client.force_authenticate(donor_rep)
            body = {"donor": donor.pk, "amount_krw": 100_000 * (i + 1), "valid_until": until}
            response = client.post(
                "/api/v1/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
            )
            return response.status_code, response.json()

        results = run_parallel(2, post)
        assert sorted(status for status, _b in results) == [201, 409], f"round {n + 1}: {results}"
        assert {b.get("code") for s, b in results if s == 409} == {"idempotency_conflict"}
        assert Pledge.objects.filter(idempotency_key=key).count() == 1
