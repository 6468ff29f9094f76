"""Fixtures shared by every test.

Tests marked `postgres` need PostgreSQL features (triggers, row locks, real
concurrency). On SQLite they are skipped; in the PostgreSQL run
(REQUIRE_POSTGRES=1, which `make test` sets) a non-PostgreSQL database is an
error, so they can never be skipped silently there.

The regions and categories are loaded once, when the test database is created
(`django_db_setup` below), and put back after every flush of a transactional
test; fixtures such as `daejeon` only read them. Builders live in
tests/factories.py. `at` sets the clock.
"""

from __future__ import annotations

import contextlib
import datetime
import os

import pytest
from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

from people.models import Role, User
from regions.models import Region
from tests import factories

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
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache

    cache.clear()
    # A transactional test's flush and serialized rollback can give the content
    # types new ids; the per-process cache of them would otherwise hand the next
    # test ids that no longer exist (a foreign-key violation in the audit log).
    ContentType.objects.clear_cache()


def pytest_collection_modifyitems(items):
    # Skipped before any fixture is set up: a transactional test skipped from
    # inside a fixture would still pay for the flush of the database afterwards.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass of make test)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as pytest-django creates it, plus the reference data.

    A transactional test ends with a flush of every table; the reference rows
    are put back right after it, so the next test finds them as the first did.
    """
    with django_db_blocker.unblock():
        factories.load_reference_data()
    flush = TransactionTestCase._fixture_teardown

    def flush_then_restore(self):
        flush(self)
        factories.restore_reference_data()

    TransactionTestCase._fixture_teardown = flush_then_restore
    yield
    TransactionTestCase._fixture_teardown = flush


@pytest.fixture
def empty_reference_tables(db) -> None:
    """No region and no category, for the loaders' own tests (rolled back after)."""
    factories.empty_reference_tables()


@pytest.fixture
def daejeon(db) -> dict[str, Region]:
    """The bundled Daejeon regions (loaded once per session) by Korean name."""
    return factories.regions_by_name()


@pytest.fixture
def make_member(db):
    """make_member(region, role, **membership fields) -> a user holding that post."""
    counter = {"n": 0}

    def make(
        region: Region, role: Role | str, username: str | None = None, email: str = "", **fields
    ) -> User:
        counter["n"] += 1
        return factories.member(
            region, role, username or f"user{counter['n']}", email=email, **fields
        )

    return make


@pytest.fixture
def at(monkeypatch):
    """The clock: `with at(moment):` everything inside (timezone.now(), localdate(),
    auto_now fields, postings) happens at `moment`; `at.set(moment)` until the test ends."""

    @contextlib.contextmanager
    def frozen(moment: datetime.datetime):
        with monkeypatch.context() as patch:
            patch.setattr(timezone, "now", lambda: moment)
            yield

    def set_now(moment: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    frozen.set = set_now
    return frozen


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
