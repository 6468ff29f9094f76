"""The personal-data access records refuse UPDATE and DELETE in the database (and
TRUNCATE on PostgreSQL), as the transition log does (0002): they are kept for good.

The SQL is in audit/triggers/<vendor>/access_records_append_only.sql, undone by
access_records_append_only_reverse.sql; on PostgreSQL it uses 0002's trigger
function audit_refuse_change().
"""

from pathlib import Path

from django.db import migrations

from config.migration_sql import RunSQLFiles

TRIGGERS = Path(__file__).resolve().parent.parent / "triggers"


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_personal_data_access")]

    operations = [RunSQLFiles(TRIGGERS, "access_records_append_only")]
