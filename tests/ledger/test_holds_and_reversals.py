import pytest

from ledger.exceptions import (
    AlreadyReversed,
    HoldAlreadyResolved,
    InsufficientPoints,
    InvalidPosting,
    LedgerError,
    NotReversible,
)
from ledger.models import HoldStatus, Purpose, Transaction
from ledger.selectors import account_balance, ledger_verify
from ledger.services import hold, ledger_post, ledger_reverse, release, settle, system_account


def test_hold_moves_points_into_system_holds(wallets, fund):
    seo = wallets["서구"]
    fund(seo, 100)
    h = hold(source=seo, amount=40, memo="claim #1")
    assert account_balance(seo) == 60
    assert account_balance(system_account(Purpose.HOLDS)) == 40
    assert h.status == HoldStatus.OPEN


def test_hold_beyond_the_balance_is_refused(wallets, fund):
    seo = wallets["서구"]
    fund(seo, 10)
    with pytest.raises(InsufficientPoints):
        hold(source=seo, amount=11)
    assert account_balance(seo) == 10


def test_partial_settle_consumes_part_and_returns_the_rest(wallets, fund):
    seo = wallets["서구"]
    fund(seo, 100)
    h = hold(source=seo, amount=40)
    settle(h, 30)
    assert account_balance(seo) == 70
    assert account_balance(system_account(Purpose.HOLDS)) == 0
    assert account_balance(system_account(Purpose.REDEEMED)) == 30
    h.refresh_from_db()
    assert (h.status, h.settled_amount) == (HoldStatus.SETTLED, 30)
    assert ledger_verify().ok


def test_release_returns_everything(wallets, fund):
    seo = wallets["서구"]
    fund(seo, 100)
    h = hold(source=seo, amount=40)
    release(h)
    assert account_balance(seo) == 100
    assert account_balance(system_account(Purpose.HOLDS)) == 0


def test_a_hold_is_resolved_at_most_once(wallets, fund):
    seo = wallets["서구"]
    fund(seo, 100)
    h = hold(source=seo, amount=40)
    settle(h, 40)
    with pytest.raises(HoldAlreadyResolved):
        release(h)
    with pytest.raises(HoldAlreadyResolved):
        settle(h, 1)
    assert account_balance(seo) == 60


@pytest.mark.parametrize("amount", [-1, 41, 2.5])
def test_settle_outside_the_hold_is_refused(wallets, fund, amount):
    seo = wallets["서구"]
    fund(seo, 100)
    h = hold(source=seo, amount=40)
    with pytest.raises(InvalidPosting):
        settle(h, amount)
    h.refresh_from_db()
    assert h.status == HoldStatus.OPEN


def test_reversal_posts_the_mirror_and_references_the_original(wallets, fund, django_user_model):
    user = django_user_model.objects.create_user(username="fin", password="pw-for-tests-only")
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    original = ledger_post(entries=[(seo, -30), (daedeok, 30)], kind="transfer")
    reversal = ledger_reverse(transaction_to_reverse=original, reason="잘못 보냄", by=user)

    assert reversal.reverses == original
    assert account_balance(seo) == 100
    assert account_balance(daedeok) == 0
    assert sorted(reversal.entries.values_list("amount", flat=True)) == [-30, 30]
    assert ledger_verify().ok


def test_a_transaction_is_reversed_at_most_once(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    original = ledger_post(entries=[(seo, -30), (daedeok, 30)], kind="transfer")
    ledger_reverse(transaction_to_reverse=original, reason="x", by=None)
    with pytest.raises(AlreadyReversed):
        ledger_reverse(transaction_to_reverse=original, reason="again", by=None)
    assert Transaction.objects.filter(reverses=original).count() == 1
    assert account_balance(seo) == 100


def test_reversal_cannot_take_a_wallet_below_zero(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    original = ledger_post(entries=[(seo, -30), (daedeok, 30)], kind="transfer")
    ledger_post(entries=[(daedeok, -30), (wallets["유성구"], 30)], kind="transfer")
    with pytest.raises(InsufficientPoints):
        ledger_reverse(transaction_to_reverse=original, reason="x", by=None)


def test_hold_transactions_are_released_not_reversed(wallets, fund):
    seo = wallets["서구"]
    fund(seo, 100)
    h = hold(source=seo, amount=40)
    with pytest.raises(NotReversible):
        ledger_reverse(transaction_to_reverse=h.hold_transaction, reason="x", by=None)


def test_a_correction_needs_a_reason(wallets, fund):
    txn = fund(wallets["서구"], 100)
    with pytest.raises(InvalidPosting):
        ledger_reverse(transaction_to_reverse=txn, reason="  ", by=None)


def test_a_hold_without_a_key_does_not_look_for_an_earlier_one(wallets, fund):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seo = wallets["서구"]
    fund(seo, 100)
    with CaptureQueriesContext(connection) as queries:
        h = hold(source=seo, amount=40)
    assert not [q for q in queries.captured_queries if 'FROM "ledger_hold"' in q["sql"]]
    again = hold(source=seo, amount=40)
    assert again.pk != h.pk
    assert account_balance(seo) == 20


def test_a_repeated_hold_key_answers_with_the_first_hold(wallets, fund):
    seo = wallets["서구"]
    fund(seo, 100)
    first = hold(source=seo, amount=40, idempotency_key="hold-once")
    assert hold(source=seo, amount=40, idempotency_key="hold-once").pk == first.pk
    assert account_balance(seo) == 60


def test_a_hold_takes_the_holds_account_read_already_and_no_other(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    h = hold(source=seo, amount=40, holds=system_account(Purpose.HOLDS))
    assert account_balance(system_account(Purpose.HOLDS)) == 40 and h.amount == 40
    with pytest.raises(LedgerError):
        hold(source=seo, amount=10, holds=daedeok)
    assert account_balance(seo) == 60 and account_balance(daedeok) == 0
