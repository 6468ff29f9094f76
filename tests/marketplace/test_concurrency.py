import pytest

from exchange.models import Claim, ClaimState
from ledger.models import Purpose
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for
from marketplace.exceptions import InsufficientQuantity
from marketplace.models import Household
from marketplace.services import household_create
from people.models import Role
from tests.helpers import run_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_case_managers_racing_for_the_last_five_units_get_exactly_five(
    daejeon, make_listing, grant, make_member
):
    from exchange.services import claim_request

    grant(daejeon["대덕구"], 10_000)
    listing = make_listing(quantity=5)
    dong = daejeon["대덕구"].children.order_by("code").first()
    managers, households = [], []
    for i in range(20):
        manager = make_member(daejeon["대덕구"], Role.CASE_MANAGER, username=f"racer{i}")
        managers.append(manager)
        households.append(household_create(by=manager, dong=dong, size=1))

    def claim_one(i: int):
        return claim_request(by=managers[i], listing=listing, household=households[i], quantity=1)

    results = run_parallel(20, claim_one)

    won = [r for r in results if isinstance(r, Claim)]
    lost = [r for r in results if isinstance(r, InsufficientQuantity)]
    assert (len(won), len(lost)) == (5, 15), results
    listing.refresh_from_db()
    assert (listing.quantity_held, listing.quantity_available) == (5, 0)
    assert Claim.objects.filter(state=ClaimState.REQUESTED).count() == 5
    assert account_balance(account_for(daejeon["대덕구"], Purpose.WALLET)) == 10_000 - 5 * 20
    assert Household.objects.count() == 20
    assert ledger_verify().ok
