"""The audit log refuses UPDATE and DELETE in the database (and TRUNCATE on PostgreSQL).

The SQL is in audit/triggers/<vendor>/transition_log_append_only.sql, undone by
transition_log_append_only_reverse.sql.
"""

from pathlib import Path

from django.db import migrations

from config.migration_sql import RunSQLFiles

TRIGGERS = Path(__file__).resolve().parent.parent / "triggers"


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [RunSQLFiles(TRIGGERS, "transition_log_append_only")]
