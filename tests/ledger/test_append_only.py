import pytest
from django.db import DatabaseError, connection, transaction

from ledger.exceptions import AppendOnlyError
from ledger.models import Entry, Transaction


@pytest.fixture
def posted(wallets, fund):
    return fund(wallets["서구"], 100)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entry SET amount = amount + 1",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_transaction SET memo = 'changed'",
        "DELETE FROM ledger_transaction",
    ],
)
def test_raw_sql_cannot_update_or_delete_ledger_rows(posted, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert Entry.objects.filter(transaction=posted).count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["ledger_entry", "ledger_transaction"])
def test_truncate_is_refused_on_postgres(posted, table):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Run the deferred balance checks of the fixture's posting now;
        # PostgreSQL refuses to truncate a table with checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.postgres
def test_unbalanced_transaction_is_refused_at_commit_on_postgres(wallets):
    from django.utils import timezone

    seo = wallets["서구"]
    with pytest.raises(DatabaseError, match="unbalanced"), transaction.atomic():
        txn = Transaction.objects.create(kind="forged", posted_at=timezone.now(), content_hash="x")
        Entry.objects.create(
            transaction=txn,
            account=seo,
            amount=1000,
            sequence=1,
            balance_after=1000,
            posted_at=txn.posted_at,
            prev_hash="0" * 64,
            hash="f" * 64,
        )
        with connection.cursor() as cursor:  # what COMMIT would do
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not Transaction.objects.filter(kind="forged").exists()


def test_model_save_and_delete_refuse(posted):
    entry = posted.entries.first()
    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        posted.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=2)
    with pytest.raises(AppendOnlyError):
        Transaction.objects.all().delete()


def test_admin_shows_ledger_rows_read_only(posted, admin_client):
    entry = posted.entries.first()
    assert admin_client.get(f"/admin/ledger/entry/{entry.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/ledger/entry/{entry.pk}/change/", {"amount": 1})
    assert response.status_code == 403
    assert admin_client.get("/admin/ledger/transaction/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/ledger/transaction/{posted.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.amount != 1
