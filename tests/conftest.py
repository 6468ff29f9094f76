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


def pytest_configure(config):
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"REQUIRE_POSTGRES=1 but the database engine is {engine}")


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

    def make(region: Region, role: Role | str, username: str | None = None, **fields) -> User:
        counter["n"] += 1
        user = User.objects.create_user(
            username=username or f"user{counter['n']}", password="pw-for-tests-only"
        )
        RegionMembership.objects.create(user=user, region=region, role=role, **fields)
        return user

    return make
