from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from ledger.models import Account
from ledger.selectors import ledger_verify
from ledger.services import hold, ledger_post, settle


@pytest.fixture
def busy_ledger(wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    ledger_post(entries=[(seo, -30), (daedeok, 30)], kind="transfer")
    settle(hold(source=daedeok, amount=20), 15)
    return wallets


def _verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger_verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def _disable_triggers(cursor) -> None:
    if connection.vendor == "postgresql":
        # Deferred checks of the fixture's postings must run before ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
    else:
        cursor.execute("DROP TRIGGER ledger_entry_no_update")


def test_verify_on_a_clean_ledger_prints_what_it_checked_and_exits_0(busy_ledger):
    code, out, err = _verify()
    assert code == 0, err
    accounts = Account.objects.count()
    assert f"Checked {accounts} accounts, 9 entries, 4 transactions." in out
    assert "no discrepancy" in out


def test_verify_names_the_account_whose_entry_was_altered_behind_the_triggers(busy_ledger):
    seo = busy_ledger["서구"]
    with connection.cursor() as cursor:
        _disable_triggers(cursor)
        cursor.execute(
            "UPDATE ledger_entry SET amount = amount + 5 WHERE account_id = %s AND sequence = 1",
            [seo.pk],
        )
    code, _out, err = _verify()
    assert code == 1
    assert "region:3017000000:wallet" in err
    assert "DISCREPANCY" in err
    assert "region:3023000000:wallet" not in err


def test_verify_finds_a_rewritten_hash_chain(busy_ledger):
    daedeok = busy_ledger["대덕구"]
    with connection.cursor() as cursor:
        _disable_triggers(cursor)
        # A forger who fixes amount and balance still cannot fix the hash.
        cursor.execute(
            "UPDATE ledger_entry SET amount = 31, balance_after = 31 "
            "WHERE account_id = %s AND sequence = 1",
            [daedeok.pk],
        )
        cursor.execute(
            "UPDATE ledger_account SET balance = balance + 1 WHERE id = %s", [daedeok.pk]
        )
    report = ledger_verify()
    assert not report.ok
    assert any("region:3023000000:wallet entry #1: hash" in p for p in report.problems)


def test_verify_finds_a_cached_balance_that_disagrees(busy_ledger):
    Account.objects.filter(pk=busy_ledger["유성구"].pk).update(balance=7)
    report = ledger_verify()
    assert any(p.startswith("region:3020000000:wallet: cached balance 7") for p in report.problems)
    assert any("trial balance" in p for p in report.problems)


def test_trial_balance_command_prints_groups_and_a_zero_total(busy_ledger):
    out = StringIO()
    call_command("ledger_trial_balance", stdout=out)
    assert "TOTAL" in out.getvalue()
    assert out.getvalue().rstrip().endswith(": +0")
