"""Make the ledger append-only in the database itself.

PostgreSQL: UPDATE, DELETE and TRUNCATE on transactions and entries raise;
deferred constraint triggers check at commit that every transaction has at
least two entries summing to zero. SQLite: UPDATE and DELETE raise.

The SQL is in ledger/triggers/<vendor>/append_only.sql, undone by
append_only_reverse.sql.
"""

from pathlib import Path

from django.db import migrations

from config.migration_sql import RunSQLFiles

TRIGGERS = Path(__file__).resolve().parent.parent / "triggers"


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [RunSQLFiles(TRIGGERS, "append_only")]
