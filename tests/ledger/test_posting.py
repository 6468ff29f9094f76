import pytest
from django.db import transaction

from ledger.exceptions import IdempotencyConflict, InsufficientPoints, InvalidPosting, LedgerError
from ledger.models import Account, Entry, Purpose, Transaction
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for, ledger_post, system_account


def test_posting_moves_points_and_keeps_the_chain(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    txn = ledger_post(entries=[(seo, -30), (daedeok, 30)], kind="transfer", memo="test")

    assert account_balance(seo) == 70
    assert account_balance(daedeok) == 30
    entries = {e.account_id: e for e in txn.entries.all()}
    assert entries[seo.pk].sequence == 2
    assert entries[seo.pk].balance_after == 70
    assert entries[seo.pk].prev_hash == Entry.objects.get(account=seo, sequence=1).hash
    assert Account.objects.get(pk=seo.pk).head_hash == entries[seo.pk].hash
    assert ledger_verify().ok


@pytest.mark.parametrize(
    "amounts",
    [[5], [5, -4], [0, 0], [5, -5, 0], [2.5, -2.5], [True, -1]],
    ids=["one-entry", "unbalanced", "zeros", "a-zero", "fractions", "bool"],
)
def test_malformed_postings_are_refused_and_change_nothing(wallets, amounts):
    accounts = [wallets["서구"], wallets["대덕구"], wallets["유성구"]]
    with pytest.raises(InvalidPosting):
        ledger_post(entries=list(zip(accounts, amounts, strict=False)), kind="transfer")
    assert not Transaction.objects.exists()
    assert not Entry.objects.exists()


def test_same_account_twice_is_refused(wallets):
    seo = wallets["서구"]
    with pytest.raises(InvalidPosting):
        ledger_post(entries=[(seo, 5), (seo, -5)], kind="transfer")


def test_wallet_cannot_go_below_zero_and_the_error_names_account_and_shortfall(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 10)
    with pytest.raises(InsufficientPoints) as caught:
        ledger_post(entries=[(seo, -25), (daedeok, 25)], kind="transfer")

    assert caught.value.code == "insufficient_points"
    assert caught.value.shortfall == 15
    assert caught.value.extra == {"account": "region:3017000000:wallet", "shortfall": 15}
    assert "서구" in caught.value.message and "15" in caught.value.message
    assert account_balance(seo) == 10
    assert account_balance(daedeok) == 0


def test_issued_account_may_go_negative(wallets, fund):
    fund(wallets["서구"], 500)
    assert account_balance(system_account(Purpose.ISSUED)) == -500


def test_account_for_never_creates_twice(daejeon):
    first = account_for(daejeon["서구"], Purpose.WALLET)
    again = account_for(daejeon["서구"], Purpose.WALLET)
    assert first.pk == again.pk
    assert Account.objects.filter(code="region:3017000000:wallet").count() == 1
    assert not first.allow_negative
    assert system_account(Purpose.ISSUED).allow_negative


def test_wallets_belong_only_to_exchange_regions(daejeon):
    with pytest.raises(LedgerError):
        account_for(daejeon["관저2동"], Purpose.WALLET)
    with pytest.raises(LedgerError):
        account_for(daejeon["서구"], Purpose.HOLDS)


def test_same_idempotency_key_and_content_returns_the_original(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 50)
    first = ledger_post(entries=[(seo, -5), (daedeok, 5)], kind="transfer", idempotency_key="k1")
    again = ledger_post(entries=[(seo, -5), (daedeok, 5)], kind="transfer", idempotency_key="k1")

    assert again.pk == first.pk
    assert account_balance(seo) == 45


def test_same_idempotency_key_with_different_content_is_a_conflict(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 50)
    ledger_post(entries=[(seo, -5), (daedeok, 5)], kind="transfer", idempotency_key="k1")
    with pytest.raises(IdempotencyConflict) as caught:
        ledger_post(entries=[(seo, -6), (daedeok, 6)], kind="transfer", idempotency_key="k1")
    assert caught.value.code == "idempotency_conflict"
    assert account_balance(seo) == 45


def test_a_posting_that_fails_halfway_leaves_no_trace(wallets, fund, monkeypatch):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 50)
    before_txns, before_entries = Transaction.objects.count(), Entry.objects.count()
    before = list(Account.objects.order_by("pk").values_list("balance", "sequence", "head_hash"))

    import ledger.services

    def explode(cursor, state):  # after the transaction and its entries are written
        assert Entry.objects.count() == before_entries + 2
        raise RuntimeError("power cut")

    monkeypatch.setattr(ledger.services, "_store_heads", explode)
    with pytest.raises(RuntimeError, match="power cut"):
        ledger_post(entries=[(seo, -5), (daedeok, 5)], kind="transfer")
    monkeypatch.undo()

    assert Transaction.objects.count() == before_txns
    assert Entry.objects.count() == before_entries
    assert (
        list(Account.objects.order_by("pk").values_list("balance", "sequence", "head_hash"))
        == before
    )
    assert ledger_verify().ok


def test_failure_after_posting_inside_an_outer_transaction_rolls_back_everything(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 50)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        ledger_post(entries=[(seo, -5), (daedeok, 5)], kind="transfer")
        1 / 0  # noqa: B018
    assert account_balance(seo) == 50
    assert Transaction.objects.count() == 1


def test_transaction_records_who_what_and_the_business_object(
    wallets, fund, django_user_model, daejeon
):
    user = django_user_model.objects.create_user(username="fin", password="pw-for-tests-only")
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 50)
    txn = ledger_post(
        entries=[(seo, -5), (daedeok, 5)],
        kind="transfer",
        memo="반찬 5상자",
        obj=daejeon["관저2동"],
        by=user,
    )
    txn.refresh_from_db()
    assert (txn.kind, txn.memo, txn.posted_by, txn.business_object) == (
        "transfer",
        "반찬 5상자",
        user,
        daejeon["관저2동"],
    )
