"""`make backup` / `make restore` (scripts/backup, scripts/restore) round-trip the ledger."""

from __future__ import annotations

import os
import subprocess
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from ledger.models import Transaction
from ledger.services import (
    hold,
    ledger_post,
    proposal_approve,
    proposal_correction_create,
    proposal_grant_create,
    release,
    settle,
)
from people.services import finance_group

pytestmark = pytest.mark.postgres

BASE_DIR = Path(settings.BASE_DIR)
KEY = "a-test-checkpoint-key-of-forty-characters"


def _url(name: str) -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _run(*command: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=BASE_DIR,
        env=os.environ | {"DEBUG": "1", "LEDGER_CHECKPOINT_KEY": KEY} | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _ledger_state(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {
            "accounts": conn.execute(
                "SELECT code, balance, sequence, head_hash FROM ledger_account ORDER BY code"
            ).fetchall(),
            "entries": conn.execute(
                "SELECT count(*), max(id) FROM ledger_entry"  # sequences resume past these
            ).fetchall(),
            "holds": conn.execute(
                "SELECT id, status, amount, settled_amount FROM ledger_hold ORDER BY id"
            ).fetchall(),
            "proposals": conn.execute(
                "SELECT id, kind, status, posted_id FROM ledger_proposal ORDER BY id"
            ).fetchall(),
        }


def _drop(url_of_maintenance: str, name: str) -> None:
    with psycopg.connect(url_of_maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ledger_activity(wallets, fund, django_user_model):
    seo, daedeok, yuseong = wallets["서구"], wallets["대덕구"], wallets["유성구"]
    fin1, fin2 = (
        django_user_model.objects.create_user(username=name, password="pw-for-tests")
        for name in ("fin1", "fin2")
    )
    fin1.groups.add(finance_group())
    fin2.groups.add(finance_group())
    fund(seo, 500)
    proposal_approve(
        proposal=proposal_grant_create(
            region=daedeok.region, amount=200, reason="opening", by=fin1
        ),
        by=fin2,
    )
    transfer = ledger_post(entries=[(seo, -40), (yuseong, 40)], kind="transfer")
    proposal_approve(
        proposal=proposal_correction_create(target=transfer, reason="wrong region", by=fin1),
        by=fin2,
    )
    settle(hold(source=daedeok, amount=30), 25)
    release(hold(source=seo, amount=12))
    hold(source=seo, amount=9)  # stays open
    return wallets


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_verifies_with_the_same_balances_and_head_hashes(
    ledger_activity, tmp_path, settings
):
    source = connection.settings_dict["NAME"]
    target = f"{source}_restored"
    maintenance = _url("postgres")
    dump, checkpoint = tmp_path / "nanum.dump", tmp_path / "checkpoint.json"
    settings.LEDGER_CHECKPOINT_KEY = KEY
    call_command("ledger_checkpoint", "--out", str(checkpoint), stdout=StringIO())
    assert Transaction.objects.count() == 9

    backup = _run("bash", "scripts/backup", DATABASE_URL=_url(source), BACKUP_FILE=str(dump))
    assert backup.returncode == 0, backup.stderr
    _drop(maintenance, target)
    try:
        restore = _run("bash", "scripts/restore", DATABASE_URL=_url(target), BACKUP_FILE=str(dump))
        assert restore.returncode == 0, restore.stderr

        # Every account, entry count, hold and proposal as it was.
        assert _ledger_state(_url(target)) == _ledger_state(_url(source))
        verify = _run(
            ".venv/bin/python",
            "manage.py",
            "ledger_verify",
            "--checkpoint",
            str(checkpoint),
            DATABASE_URL=_url(target),
        )
        assert verify.returncode == 0, verify.stderr
        assert "Ledger verified: no discrepancy." in verify.stdout

        # The restored ledger is append-only again: the triggers came back after the data.
        with (
            psycopg.connect(_url(target)) as conn,
            pytest.raises(psycopg.Error, match="append-only"),
        ):
            conn.execute("UPDATE ledger_entry SET amount = amount")

        # A second restore into the now populated database is refused and changes nothing.
        again = _run("bash", "scripts/restore", DATABASE_URL=_url(target), BACKUP_FILE=str(dump))
        assert again.returncode == 1
        assert "already has" in again.stderr
        assert _ledger_state(_url(target)) == _ledger_state(_url(source))
    finally:
        _drop(maintenance, target)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    result = _run(
        "bash", "scripts/restore", DATABASE_URL=_url("never_created"), BACKUP_FILE=str(junk)
    )
    assert result.returncode == 1
    assert "not a pg_dump custom-format file" in result.stderr


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    result = _run(
        "bash",
        "scripts/backup",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        BACKUP_FILE=str(tmp_path / "x.dump"),
    )
    assert result.returncode == 1
    assert "PostgreSQL URL" in result.stderr
    assert not (tmp_path / "x.dump").exists()
