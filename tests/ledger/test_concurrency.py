"""Real parallel connections on PostgreSQL: row locks, not luck, keep the books."""

from collections import Counter

import pytest

from ledger.exceptions import InsufficientPoints
from ledger.models import Account, Purpose, Transaction
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for, ledger_post, system_account
from tests.helpers import run_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_workers_spending_from_a_wallet_of_fifty_spend_exactly_fifty(daejeon):
    wallet = account_for(daejeon["서구"], Purpose.WALLET)
    sink = account_for(daejeon["대덕구"], Purpose.WALLET)
    ledger_post(entries=[(system_account(Purpose.ISSUED), -50), (wallet, 50)], kind="grant")

    def spend_ten_times(_i: int) -> Counter:
        outcome: Counter = Counter()
        for _ in range(10):
            try:
                ledger_post(entries=[(wallet, -1), (sink, 1)], kind="transfer")
                outcome["ok"] += 1
            except InsufficientPoints as exc:
                assert exc.code == "insufficient_points"
                outcome["insufficient"] += 1
        return outcome

    results = run_parallel(20, spend_ten_times)

    assert all(isinstance(r, Counter) for r in results), results
    total = sum(results, Counter())
    assert total == Counter(ok=50, insufficient=150)
    assert account_balance(wallet) == 0
    assert account_balance(sink) == 50
    assert Transaction.objects.filter(kind="transfer").count() == 50
    assert ledger_verify().ok


def test_two_workers_with_the_same_idempotency_key_make_one_transaction(daejeon):
    wallet = account_for(daejeon["서구"], Purpose.WALLET)
    sink = account_for(daejeon["대덕구"], Purpose.WALLET)
    ledger_post(entries=[(system_account(Purpose.ISSUED), -100), (wallet, 100)], kind="grant")

    for attempt in range(5):
        key = f"claim-42-attempt-{attempt}"
        results = run_parallel(
            2,
            lambda _i, key=key: ledger_post(
                entries=[(wallet, -3), (sink, 3)], kind="transfer", idempotency_key=key
            ),
        )
        assert all(isinstance(r, Transaction) for r in results), results
        assert results[0].pk == results[1].pk
        assert Transaction.objects.filter(idempotency_key=key).count() == 1

    assert account_balance(wallet) == 100 - 5 * 3
    assert ledger_verify().ok


def test_racing_to_create_an_account_creates_one(daejeon):
    results = run_parallel(8, lambda _i: account_for(daejeon["유성구"], Purpose.WALLET).pk)
    assert len(set(results)) == 1
    assert Account.objects.filter(code="region:3020000000:wallet").count() == 1
