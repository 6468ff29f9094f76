"""The database a benchmark runs in: its own, on the PostgreSQL server that
DATABASE_URL names (default postgres://postgres@127.0.0.1:5432/nanum), created
before the run and dropped after it."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/nanum"


def database_urls(name: str) -> tuple[str, str]:
    """(maintenance URL, URL of the database `name`) on the server of DATABASE_URL."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"DATABASE_URL must name a PostgreSQL server, not {parts.scheme!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{name}"))
    return admin, bench


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(admin_url: str, name: str) -> None:
    """A new, empty database `name` (an old one of that name is dropped first)."""
    drop_database(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
