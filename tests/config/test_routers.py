"""config.routers: which database a marked view reads from. The router is asked
directly here (no second database needed); a real replica database:
tests/marketplace/test_replica.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import router
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from config.routers import replica_reads
from marketplace.models import Listing

ROOT = Path(__file__).resolve().parents[2]

# The router reads the settings' DATABASES; the connections never see the change.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def replica_alias(settings):
    """A "replica" database in the settings, never connected to: the router only names it."""
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}


def _reads() -> str:
    return router.db_for_read(Listing)


@replica_reads
def _marked(request, write=False):
    before = _reads()
    if write:
        assert router.db_for_write(Listing) == "default"
    return HttpResponse(f"{before} {_reads()}")


@replica_reads
def _marked_stream(request):
    return StreamingHttpResponse(_reads() for _ in range(2))


def test_a_marked_get_reads_from_the_replica(replica_alias):
    assert _marked(RequestFactory().get("/")).content == b"replica replica"
    assert _marked(RequestFactory().head("/")).content == b"replica replica"


def test_after_a_write_the_request_reads_from_the_primary(replica_alias):
    assert _marked(RequestFactory().get("/"), write=True).content == b"replica default"
    # The next request starts afresh.
    assert _marked(RequestFactory().get("/")).content == b"replica replica"


def test_a_post_reads_and_writes_on_the_primary_even_in_a_marked_view(replica_alias):
    assert _marked(RequestFactory().post("/")).content == b"default default"
    assert router.db_for_write(Listing) == "default"


def test_outside_a_marked_view_everything_is_on_the_primary(replica_alias):
    assert _reads() == "default"
    assert router.db_for_write(Listing) == "default"


def test_a_streamed_export_reads_from_the_replica_while_it_streams(replica_alias):
    response = _marked_stream(RequestFactory().get("/"))
    assert b"".join(response.streaming_content) == b"replicareplica"
    assert _reads() == "default"


def test_without_a_replica_a_marked_view_reads_from_the_primary(settings):
    assert "replica" not in settings.DATABASES
    assert _marked(RequestFactory().get("/")).content == b"default default"


def _databases(**env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: [v['NAME'], v.get('TEST', {}).get('MIRROR')] "
        "for k, v in settings.DATABASES.items()} | {'routers': settings.DATABASE_ROUTERS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_replica_url_adds_the_replica_alias_and_only_it():
    primary = "postgres://postgres@127.0.0.1:5432/nanum_primary"
    assert _databases(DATABASE_URL=primary) == {
        "default": ["nanum_primary", None],
        "routers": ["config.routers.ReplicaRouter"],
    }
    with_replica = _databases(
        DATABASE_URL=primary,
        DATABASE_REPLICA_URL="postgres://reader@127.0.0.1:5433/nanum_primary",
    )
    assert with_replica["replica"] == ["nanum_primary", "default"]


def test_a_replica_of_another_engine_is_refused():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "1",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
            "DATABASE_REPLICA_URL": "sqlite:///replica.sqlite3",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must use the same engine as DATABASE_URL" in result.stderr
