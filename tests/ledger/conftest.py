import pytest

from ledger.models import Account, Purpose
from ledger.services import account_for
from tests import factories


@pytest.fixture
def wallets(daejeon) -> dict[str, Account]:
    return {
        name: account_for(daejeon[name], Purpose.WALLET) for name in ("서구", "대덕구", "유성구")
    }


@pytest.fixture
def fund():
    """fund(account, points): issue points to an account (a plain grant posting)."""
    return factories.fund
