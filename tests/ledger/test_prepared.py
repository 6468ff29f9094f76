"""The posting path binds on the server and prepares its statements (PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.models import Account, Entry
from ledger.selectors import ledger_verify
from ledger.services import ledger_post

pytestmark = pytest.mark.postgres


def prepared() -> dict[str, int]:
    """{statement text: executions} of this connection's prepared statements."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def posting_statements(statements: dict[str, int]) -> dict[str, int]:
    return {
        sql: runs
        for sql, runs in statements.items()
        if "ledger_account" in sql or "ledger_transaction" in sql or "ledger_entry" in sql
    }


def test_postings_reuse_four_prepared_statements(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    fund(daedeok, 100)
    before = posting_statements(prepared())

    ledger_post(entries=[(seo, -3), (daedeok, 3)], kind="transfer")
    ledger_post(entries=[(seo, 5), (daedeok, -5)], kind="transfer")
    ledger_post(entries=[(daedeok, -7), (seo, 7)], kind="transfer")
    after = posting_statements(prepared())

    # Four statements (lock, transaction, entries, account heads), prepared by
    # the fundings, which have two entries too, and run by each posting again.
    ran = {sql: runs - before.get(sql, 0) for sql, runs in after.items()}
    assert sorted(ran.values()) == [0] * (len(ran) - 4) + [3, 3, 3, 3]
    assert after.keys() == before.keys()
    assert any(sql.startswith("INSERT INTO ledger_entry") for sql in ran)
    assert Account.objects.get(pk=seo.pk).balance == 100 - 3 + 5 + 7
    assert Entry.objects.filter(account=seo).count() == 4
    assert ledger_verify().ok


def test_the_rest_of_django_prepares_nothing(wallets, fund):
    fund(wallets["서구"], 10)
    for _ in range(10):
        list(Account.objects.filter(pk=wallets["서구"].pk))
    # The ORM quotes table names; the posting path's statements do not.
    assert not [sql for sql in prepared() if '"ledger_account"' in sql]


def test_posting_statements_are_still_logged_where_django_logs_them(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 10)
    with CaptureQueriesContext(connection) as captured:
        ledger_post(entries=[(seo, -1), (daedeok, 1)], kind="transfer")
    sql = [q["sql"] for q in captured.captured_queries]
    assert any(s.startswith("INSERT INTO ledger_entry") for s in sql)
    assert any(s.startswith("UPDATE ledger_account") for s in sql)
