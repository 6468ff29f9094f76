"""Fixtures shared by every test.

Tests marked `postgres` need PostgreSQL features (triggers, row locks, real
concurrency). On SQLite they are skipped; in the PostgreSQL run
(REQUIRE_POSTGRES=1, which `make test` sets) a non-PostgreSQL database is an
error, so they can never be skipped silently there.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection

from people.models import RegionMembership, Role, User
from regions.models import Region
from regions.services import regions_load_csv

#: Tables whose triggers refuse UPDATE, DELETE and TRUNCATE.
APPEND_ONLY_TABLES = (
    "ledger_entry",
    "ledger_transaction",
    "audit_transitionlog",
    "audit_personaldataaccess",
)


def pytest_configure(config):
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"REQUIRE_POSTGRES=1 but the database engine is {engine}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # DRF's throttles (sign-in, failed tokens) count per address in the cache,
    # which would otherwise carry one test's requests into the next.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (runs in the PostgreSQL pass of make test)")


@pytest.fixture
def daejeon(db) -> dict[str, Region]:
    """The bundled Daejeon regions, loaded; returns them by Korean name."""
    regions_load_csv()
    return {region.name_ko: region for region in Region.objects.all()}


@pytest.fixture
def make_member(db):
    """make_member(region, role, **membership fields) -> a user holding that post."""
    counter = {"n": 0}

    def make(
        region: Region, role: Role | str, username: str | None = None, email: str = "", **fields
    ) -> User:
        counter["n"] += 1
        user = User.objects.create_user(
            username=username or f"user{counter['n']}", password="pw-for-tests-only", email=email
        )
        RegionMembership.objects.create(user=user, region=region, role=role, **fields)
        return user

    return make


@pytest.fixture(autouse=True, scope="session")
def _flush_past_ledger_triggers():
    """Let tests that commit (transactional_db) be cleaned up afterwards.

    The ledger's tables and the audit log refuse DELETE (SQLite) and TRUNCATE (PostgreSQL) by
    trigger, and Django empties the database between transactional tests with
    exactly those. Test runs only, this wraps the flush: the triggers are
    switched off around it and back on after. Production code has no such path.
    """
    from django.db.backends.postgresql.base import DatabaseWrapper as PgWrapper
    from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper

    PgOps, SqliteOps = PgWrapper.ops_class, SqliteWrapper.ops_class

    ledger_tables = APPEND_ONLY_TABLES
    pg_flush, sqlite_flush = PgOps.sql_flush, SqliteOps.sql_flush

    def pg(self, style, tables, **kwargs):
        sql = pg_flush(self, style, tables, **kwargs)
        mine = [t for t in ledger_tables if t in tables]
        if not sql or not mine:
            return sql
        return (
            [f'ALTER TABLE "{t}" DISABLE TRIGGER USER;' for t in mine]
            + sql
            + [f'ALTER TABLE "{t}" ENABLE TRIGGER USER;' for t in mine]
        )

    def sqlite(self, style, tables, **kwargs):
        sql = sqlite_flush(self, style, tables, **kwargs)
        if not sql:
            return sql
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            triggers = [
                (name, sql) for name, sql, table in cursor.fetchall() if table in ledger_tables
            ]
        return (
            [f'DROP TRIGGER "{name}";' for name, _sql in triggers]
            + sql
            + [f"{create};" for _name, create in triggers]
        )

    PgOps.sql_flush, SqliteOps.sql_flush = pg, sqlite
    yield
    PgOps.sql_flush, SqliteOps.sql_flush = pg_flush, sqlite_flush
