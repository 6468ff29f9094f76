import pytest

from ledger.models import Account, Purpose
from ledger.services import account_for, ledger_post, system_account


@pytest.fixture
def wallets(daejeon) -> dict[str, Account]:
    return {
        name: account_for(daejeon[name], Purpose.WALLET) for name in ("서구", "대덕구", "유성구")
    }


@pytest.fixture
def fund():
    """fund(account, points): issue points to an account (a plain grant posting)."""

    def give(account: Account, points: int):
        return ledger_post(
            entries=[(system_account(Purpose.ISSUED), -points), (account, points)],
            kind="grant",
            memo="test funding",
        )

    return give
