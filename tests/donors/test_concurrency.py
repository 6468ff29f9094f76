import pytest

from donors.models import Pledge
from exchange.models import Claim, Match, MatchState
from exchange.services import claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for
from marketplace.services import household_create
from people.models import Role
from tests.helpers import run_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_claims_racing_for_a_pledge_that_funds_five_match_exactly_five(
    daejeon, make_listing, grant, make_member, make_pledge, donor
):
    grant(daejeon["대덕구"], 10_000)
    pledge = make_pledge(krw=50_000)  # 50 points: five private shares of 10
    dong = daejeon["대덕구"].children.order_by("code").first()
    listings = [make_listing(quantity=1, krw=20_000) for _ in range(20)]  # 20 points each
    managers = [
        make_member(daejeon["대덕구"], Role.CASE_MANAGER, username=f"cm{i}") for i in range(20)
    ]
    households = [household_create(by=m, dong=dong, size=1) for m in managers]

    results = run_parallel(
        20,
        lambda i: claim_request(
            by=managers[i], listing=listings[i], household=households[i], quantity=1
        ),
    )

    assert all(isinstance(r, Claim) for r in results), results
    states = sorted(Match.objects.values_list("state", flat=True))
    assert states.count(MatchState.COMMITTED) == 5
    assert states.count(MatchState.PENDING) == 15
    pledge.refresh_from_db()
    assert (pledge.points_held, pledge.points_remaining) == (50, 0)
    assert account_balance(account_for(donor, Purpose.MATCH)) == 0
    assert Pledge.objects.get(pk=pledge.pk).state == "exhausted"
    assert ledger_verify().ok
