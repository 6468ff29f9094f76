"""A migration operation that runs SQL kept in files, one pair per database.

Triggers and trigger functions are written in each database's own dialect,
so a migration that installs them has SQL for PostgreSQL and for SQLite.
`RunSQLFiles(directory, name)` reads `<directory>/<vendor>/<name>.sql` and,
to undo it, `<directory>/<vendor>/<name>_reverse.sql`, for every vendor
directory that has them, and runs the pair of the database being migrated
(through Django's RunSQL: the text is split into statements and comments are
dropped; nothing is bound, so `%` reaches the database as written). A
database without files is refused rather than migrated without its triggers.

The files are read when the migration module loads, so a missing file stops
`migrate` before anything runs. Keep SQLite triggers one statement per line
as they were first created: SQLite stores a trigger's text as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import NotSupportedError, migrations, router


class RunSQLFiles(migrations.RunSQL):
    def __init__(
        self,
        directory: str | Path,
        name: str,
        *,
        hints: dict[str, Any] | None = None,
        elidable: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.name = name
        forwards, backwards = {}, {}
        for vendor_dir in sorted(p for p in self.directory.iterdir() if p.is_dir()):
            sql_file = vendor_dir / f"{name}.sql"
            if sql_file.exists():
                forwards[vendor_dir.name] = sql_file.read_text(encoding="utf-8")
                reverse = vendor_dir / f"{name}_reverse.sql"
                backwards[vendor_dir.name] = reverse.read_text(encoding="utf-8")
        if not forwards:
            raise FileNotFoundError(f"no {name}.sql under {self.directory}/<vendor>/")
        super().__init__(sql=forwards, reverse_sql=backwards, hints=hints, elidable=elidable)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if self.hints:
            kwargs["hints"] = self.hints
        if self.elidable:
            kwargs["elidable"] = self.elidable
        return (self.__class__.__qualname__, [self.directory, self.name], kwargs)

    def describe(self) -> str:
        return f"SQL of {self.name}.sql under {self.directory}"

    def _for(self, by_vendor: dict[str, str], schema_editor: Any) -> str:
        vendor = schema_editor.connection.vendor
        if vendor not in by_vendor:
            raise NotSupportedError(
                f"{self.name}.sql is written for {', '.join(sorted(by_vendor))}, not {vendor}"
            )
        return by_vendor[vendor]

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            self._run_sql(schema_editor, self._for(self.sql, schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            self._run_sql(schema_editor, self._for(self.reverse_sql, schema_editor))
