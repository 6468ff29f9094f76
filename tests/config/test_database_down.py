"""With the database unreachable every page and API call answers 503 (JSON in
the API, a Korean page elsewhere), never 500, and the site recovers by itself
when the database is back."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]

#: Run in a child process whose DATABASE_URL points at a closed port: the
#: production settings (DEBUG off), the real middleware and error handlers.
CHILD = r"""
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.test import Client

client = Client(raise_request_exception=False)
answers = {}

def record(name, response):
    answers[name] = [response.status_code, response["Content-Type"], response.content.decode()]

record("api", client.get("/api/v1/listings/"))
token = {"Authorization": "Token " + "a" * 40}
record("api_token", client.get("/api/v1/claims/", headers=token))
proposal = {"kind": "grant"}
record(
    "api_post",
    client.post("/api/v1/ledger/proposals/", proposal, "application/json", headers=token),
)
record("catalogue", client.get("/"))
record("login", client.post("/accounts/login/", {"username": "u", "password": "p"}))
client.cookies["sessionid"] = "s" * 32
record("signed_in_page", client.get("/dashboard/"))
record("signed_in_api", client.get("/api/v1/households/"))
print(json.dumps(answers))
"""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Production pools connections (DATABASE_POOL, on without DEBUG): a request
# then waits DATABASE_POOL_TIMEOUT for a connection before it is answered 503.
@pytest.mark.parametrize("pool", ["0", "1"], ids=["no_pool", "pool"])
def test_every_request_answers_503_while_the_database_is_unreachable(pool):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_POOL=pool,
        DATABASE_POOL_TIMEOUT="1",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{_closed_port()}/nanum_down",
    )
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("api", "api_token", "api_post", "signed_in_api"):
        status, content_type, body = answers[name]
        assert status == 503, (name, status, body[:300])
        assert content_type.startswith("application/json"), name
        assert json.loads(body)["code"] == "unavailable"
        assert json.loads(body)["detail"]
    for name in ("catalogue", "login", "signed_in_page"):
        status, content_type, body = answers[name]
        assert status == 503, (name, status, body[:300])
        assert content_type.startswith("text/html"), name
        assert "잠시 서비스를 이용할 수 없습니다" in body, name


def test_a_database_error_in_a_view_is_503_not_500(db, client):
    api = Client(raise_request_exception=False)
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("refused")):
        page = client.get("/")
        response = api.get("/api/v1/regions/")
    assert page.status_code == 503
    assert "잠시 서비스를 이용할 수 없습니다" in page.content.decode()
    assert page["Retry-After"]
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert client.get("/").status_code == 200


@pytest.fixture
def unreachable_settings():
    """Point the default connection at a closed port; restored afterwards."""
    saved = dict(connection.settings_dict)

    def down() -> None:
        connection.close()
        connection.settings_dict["PORT"] = str(_closed_port())

    def up() -> None:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    yield down, up
    up()
    connection.close()


@pytest.mark.postgres
def test_the_site_recovers_when_the_database_comes_back(transactional_db, unreachable_settings):
    down, up = unreachable_settings
    client = Client(raise_request_exception=False)
    assert client.get("/").status_code == 200
    down()
    assert client.get("/").status_code == 503
    assert client.get("/api/v1/regions/").status_code == 503
    up()
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/regions/").status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("url", ["/", "/api/v1/regions/"])
def test_a_connection_the_server_dropped_is_not_kept(transactional_db, url):
    """A persistent connection that the server ended (a restart, a failover) is
    closed on the first failure, so the next request works again."""
    client = Client(raise_request_exception=False)
    assert client.get(url).status_code == 200
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert client.get(url).status_code == 503
    assert client.get(url).status_code == 200
