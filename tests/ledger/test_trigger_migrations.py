"""The append-only triggers come from SQL files (ledger/triggers, audit/triggers)
with reverse SQL: the ledger and the audit log migrate to zero and back, and
the triggers are then exactly what they were and refuse changes again."""

from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, NotSupportedError, connection, transaction
from django.utils import timezone

from audit.models import TransitionLog
from config.migration_sql import RunSQLFiles
from ledger.models import Entry, Purpose, Transaction
from ledger.services import account_for, ledger_post, system_account

LEDGER_TABLES = ("ledger_transaction", "ledger_entry")
AUDIT_TABLES = ("audit_transitionlog", "audit_personaldataaccess")


def migrate(*args: str) -> None:
    call_command("migrate", *args, verbosity=0, interactive=False)


def triggers(tables: tuple[str, ...]) -> dict[str, str]:
    """{trigger name: its definition} on `tables`; on PostgreSQL also the
    source of each function they run."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            return {name: sql for name, sql, table in cursor.fetchall() if table in tables}
        cursor.execute(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) || ' ' || p.prosrc FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgrelid::regclass::text = ANY(%s)",
            [list(tables)],
        )
        return dict(cursor.fetchall())


def functions(names: tuple[str, ...]) -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname = ANY(%s)", [list(names)])
        return {row[0] for row in cursor.fetchall()}


def tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.fixture
def migrated_back():
    """Whatever a test leaves half done, the next tests find every app migrated."""
    yield
    migrate()


def refused(statement: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


@pytest.mark.django_db(transaction=True)
def test_ledger_migrates_to_zero_and_back(daejeon, migrated_back):
    before = triggers(LEDGER_TABLES)
    assert len(before) == (6 if connection.vendor == "postgresql" else 4)
    ledger_functions = ("ledger_refuse_change", "ledger_check_balanced")

    migrate("ledger", "0001")  # the reverse SQL alone: tables stay, triggers go
    assert set(LEDGER_TABLES) <= tables()
    assert triggers(LEDGER_TABLES) == {}
    assert functions(ledger_functions) == set()

    migrate("ledger", "zero")
    assert not set(LEDGER_TABLES) & tables()
    migrate()
    assert triggers(LEDGER_TABLES) == before
    if connection.vendor == "postgresql":
        assert functions(ledger_functions) == set(ledger_functions)

    seo = account_for(daejeon["서구"], Purpose.WALLET)
    txn = ledger_post(entries=[(system_account(Purpose.ISSUED), -100), (seo, 100)], kind="grant")
    for statement in (
        "UPDATE ledger_entry SET amount = amount + 1",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_transaction SET memo = 'changed'",
        "DELETE FROM ledger_transaction",
    ):
        refused(statement)
    if connection.vendor == "postgresql":
        refused("TRUNCATE ledger_entry CASCADE")
        refused("TRUNCATE ledger_transaction CASCADE")
        # The deferred balance check is back too.
        with pytest.raises(DatabaseError, match="unbalanced"), transaction.atomic():
            forged = Transaction.objects.create(
                kind="forged", posted_at=timezone.now(), content_hash="x"
            )
            Entry.objects.create(
                transaction=forged,
                account=seo,
                amount=5,
                sequence=2,
                balance_after=105,
                posted_at=forged.posted_at,
                prev_hash="0" * 64,
                hash="f" * 64,
            )
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert sorted(Entry.objects.filter(transaction=txn).values_list("amount", flat=True)) == [
        -100,
        100,
    ]


@pytest.mark.django_db(transaction=True)
def test_audit_log_migrates_to_zero_and_back(daejeon, migrated_back):
    before = triggers(AUDIT_TABLES)
    assert len(before) == 4
    migrate("audit", "0001")
    assert triggers(AUDIT_TABLES) == {}
    assert functions(("audit_refuse_change",)) == set()
    migrate("audit", "zero")
    migrate()
    assert triggers(AUDIT_TABLES) == before

    region = daejeon["서구"]
    TransitionLog.objects.create(
        object_type=ContentType.objects.get_for_model(region),
        object_id=str(region.pk),
        transition="test",
        source="a",
        target="b",
    )
    refused("UPDATE audit_transitionlog SET reason = 'changed'")
    refused("DELETE FROM audit_transitionlog")
    if connection.vendor == "postgresql":
        refused("TRUNCATE audit_transitionlog CASCADE")
        refused("TRUNCATE audit_personaldataaccess CASCADE")


# --- the operation itself (no database) ---------------------------------------------


class _Connection:
    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.alias = "default"


class _SchemaEditor:
    def __init__(self, vendor: str) -> None:
        self.connection = _Connection(vendor)


def test_run_sql_files_reads_one_pair_per_database(tmp_path: Path):
    for vendor in ("postgresql", "sqlite"):
        (tmp_path / vendor).mkdir()
        (tmp_path / vendor / "thing.sql").write_text(f"-- {vendor}\nSELECT 1;\n")
        (tmp_path / vendor / "thing_reverse.sql").write_text("SELECT 2;\n")
    operation = RunSQLFiles(tmp_path, "thing")
    assert operation.reversible
    assert operation.sql == {
        "postgresql": "-- postgresql\nSELECT 1;\n",
        "sqlite": "-- sqlite\nSELECT 1;\n",
    }
    assert operation.deconstruct() == ("RunSQLFiles", [tmp_path, "thing"], {})
    with pytest.raises(NotSupportedError, match="written for postgresql, sqlite, not oracle"):
        operation.database_forwards("ledger", _SchemaEditor("oracle"), None, None)


def test_run_sql_files_needs_the_reverse_too(tmp_path: Path):
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "sqlite" / "thing.sql").write_text("SELECT 1;\n")
    with pytest.raises(FileNotFoundError):
        RunSQLFiles(tmp_path, "thing")
