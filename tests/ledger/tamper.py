"""Tampering behind the append-only triggers, as a database superuser could.

Each helper switches the triggers off inside the test's own transaction, so
the rollback at the end of the test switches them back on.
"""

from __future__ import annotations

from django.db import connection

from ledger.models import Account, Entry, Transaction

_SQLITE_TRIGGERS = (
    "ledger_entry_no_update",
    "ledger_entry_no_delete",
    "ledger_transaction_no_delete",
)


def triggers_off(cursor) -> None:
    if connection.vendor == "postgresql":
        # Deferred checks of the fixture's postings must run before ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE ledger_transaction DISABLE TRIGGER USER")
    else:
        for name in _SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")


def delete_newest_transaction_and_rewind() -> Transaction:
    """Delete the newest transaction and put its accounts back as they were before it."""
    newest = Transaction.objects.order_by("-pk").first()
    entries = list(Entry.objects.filter(transaction=newest))
    for entry in entries:
        Account.objects.filter(pk=entry.account_id).update(
            balance=entry.balance_after - entry.amount,
            sequence=entry.sequence - 1,
            head_hash=entry.prev_hash,
        )
    with connection.cursor() as cursor:
        triggers_off(cursor)
        if connection.vendor == "postgresql":
            # Rows pointing at the transaction (a hold) are checked at commit, which a
            # test never reaches; a forger would use session_replication_role instead.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("DELETE FROM ledger_entry WHERE transaction_id = %s", [newest.pk])
        cursor.execute("DELETE FROM ledger_transaction WHERE id = %s", [newest.pk])
    return newest


def swap_entries_and_rechain(account: Account, first: int, *, move_times: bool) -> None:
    """Exchange entries `first` and `first + 1` of `account`, then recompute balances,
    hashes and the account's head so that every chain check passes.

    With `move_times` each entry keeps its own time (it moves with its amount and
    transaction); without, each position keeps its time.
    """
    rows = list(Entry.objects.filter(account=account).order_by("sequence"))
    a, b = rows[first - 1], rows[first]
    a.amount, b.amount = b.amount, a.amount
    a.transaction_id, b.transaction_id = b.transaction_id, a.transaction_id
    if move_times:
        a.posted_at, b.posted_at = b.posted_at, a.posted_at
    running, prev = 0, rows[0].prev_hash
    for entry in rows:
        running += entry.amount
        entry.balance_after = running
        entry.prev_hash = prev
        entry.hash = entry.compute_hash(account.code)
        prev = entry.hash
    with connection.cursor() as cursor:
        triggers_off(cursor)
        for entry in rows:
            cursor.execute(
                "UPDATE ledger_entry SET amount = %s, transaction_id = %s, posted_at = %s, "
                "balance_after = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [
                    entry.amount,
                    entry.transaction_id,
                    connection.ops.adapt_datetimefield_value(entry.posted_at),
                    entry.balance_after,
                    entry.prev_hash,
                    entry.hash,
                    entry.pk,
                ],
            )
    Account.objects.filter(pk=account.pk).update(balance=running, head_hash=prev)
