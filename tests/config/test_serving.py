"""Production serving: gunicorn, WhiteNoise and the PostgreSQL connection pool.

The settings are read afresh (config/settings.py run as a script) with each
environment; the last test runs the real thing: collectstatic and gunicorn with
DEBUG off against the test database.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "config" / "settings.py"
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
POSTGRES_URL = "postgres://app@db.example:5432/nanum"
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"

#: Every variable these settings read, cleared before each reading.
SERVING_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_POOL",
    "DATABASE_POOL_MIN_SIZE",
    "DATABASE_POOL_MAX_SIZE",
    "DATABASE_POOL_TIMEOUT",
    "GUNICORN_THREADS",
    "GUNICORN_BIND",
    "WEB_CONCURRENCY",
    "GUNICORN_TIMEOUT",
    "GUNICORN_ACCESS_LOG",
)


def _settings(monkeypatch, **env: str) -> dict:
    for name in SERVING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env.setdefault("SECRET_KEY", "x" * 50)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_production_serves_hashed_compressed_static_files(monkeypatch):
    production = _settings(monkeypatch, DEBUG="0", DATABASE_URL=POSTGRES_URL)
    assert production["STORAGES"]["staticfiles"]["BACKEND"] == MANIFEST_STORAGE
    assert production["WHITENOISE_USE_FINDERS"] is False
    middleware = production["MIDDLEWARE"]
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    assert "csp.middleware.CSPMiddleware" in middleware


def test_development_needs_no_collectstatic(monkeypatch):
    development = _settings(monkeypatch, DEBUG="1")
    backend = development["STORAGES"]["staticfiles"]["BACKEND"]
    assert backend == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert development["WHITENOISE_USE_FINDERS"] is True


def test_production_pools_postgresql_connections(monkeypatch):
    database = _settings(monkeypatch, DEBUG="0", DATABASE_URL=POSTGRES_URL)["DATABASES"]["default"]
    assert database["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 4, "timeout": 5}
    assert database["CONN_MAX_AGE"] == 0
    # The pool checks each connection before handing it out (recovery after a restart).
    assert database["CONN_HEALTH_CHECKS"] is True


def test_pool_sizes_come_from_the_environment(monkeypatch):
    database = _settings(
        monkeypatch,
        DEBUG="0",
        DATABASE_URL=POSTGRES_URL,
        DATABASE_POOL_MIN_SIZE="1",
        DATABASE_POOL_MAX_SIZE="6",
        DATABASE_POOL_TIMEOUT="3",
    )["DATABASES"]["default"]
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 6, "timeout": 3}
    threads = _settings(monkeypatch, DEBUG="0", DATABASE_URL=POSTGRES_URL, GUNICORN_THREADS="8")
    assert threads["DATABASES"]["default"]["OPTIONS"]["pool"]["max_size"] == 8


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "1", "DATABASE_URL": POSTGRES_URL},
        {"DEBUG": "0"},  # SQLite
        {"DEBUG": "0", "DATABASE_URL": POSTGRES_URL, "DATABASE_POOL": "0"},
        # Persistent connections chosen instead: the pool stays off.
        {"DEBUG": "0", "DATABASE_URL": POSTGRES_URL, "DATABASE_CONN_MAX_AGE": "60"},
    ],
)
def test_no_pool_in_development_on_sqlite_or_when_switched_off(monkeypatch, env):
    database = _settings(monkeypatch, **env)["DATABASES"]["default"]
    assert "pool" not in database.get("OPTIONS", {})


def test_a_pool_can_be_asked_for_in_development(monkeypatch):
    database = _settings(monkeypatch, DEBUG="1", DATABASE_URL=POSTGRES_URL, DATABASE_POOL="1")
    assert database["DATABASES"]["default"]["OPTIONS"]["pool"]["max_size"] == 4


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_POOL": "sometimes"}, "DATABASE_POOL must be a boolean"),
        ({"DATABASE_POOL_MAX_SIZE": "ten"}, "DATABASE_POOL_MAX_SIZE must be a whole number"),
        ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MAX_SIZE must be at least 1"),
        ({"DATABASE_POOL_MIN_SIZE": "-1"}, "DATABASE_POOL_MIN_SIZE must be at least 0"),
        ({"DATABASE_POOL_TIMEOUT": "0"}, "DATABASE_POOL_TIMEOUT must be at least 1"),
        ({"DATABASE_POOL_TIMEOUT": "2.5"}, "DATABASE_POOL_TIMEOUT must be a whole number"),
        (
            {"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "3"},
            "DATABASE_POOL_MIN_SIZE",
        ),
        (
            {"DATABASE_POOL": "1", "DATABASE_CONN_MAX_AGE": "60"},
            "DATABASE_POOL cannot be on with DATABASE_CONN_MAX_AGE",
        ),
        (
            {"DATABASE_POOL": "1", "DATABASE_URL": "sqlite:///tmp/x.sqlite3"},
            "DATABASE_POOL needs a PostgreSQL DATABASE_URL",
        ),
    ],
)
def test_bad_pool_settings_are_refused_naming_the_variable(monkeypatch, env, message):
    env = {"DEBUG": "0", "DATABASE_URL": POSTGRES_URL, **env}
    with pytest.raises(ImproperlyConfigured, match=message):
        _settings(monkeypatch, **env)


# --- gunicorn configuration --------------------------------------------------


def _gunicorn_conf(monkeypatch, **env: str) -> dict:
    for name in SERVING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_config_reads_the_environment(monkeypatch):
    conf = _gunicorn_conf(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["workers"] == (os.cpu_count() or 1) + 1
    assert conf["threads"] == 4
    assert conf["timeout"] == 30
    assert conf["graceful_timeout"] == 30
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    conf = _gunicorn_conf(
        monkeypatch, GUNICORN_BIND="0.0.0.0:9000", WEB_CONCURRENCY="2", GUNICORN_THREADS="3"
    )
    assert (conf["bind"], conf["workers"], conf["threads"]) == (["0.0.0.0:9000"], 2, 3)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_CONCURRENCY", "many", "WEB_CONCURRENCY must be a whole number"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be at least 1"),
        ("GUNICORN_THREADS", "0", "GUNICORN_THREADS must be at least 1"),
        ("GUNICORN_TIMEOUT", "30s", "GUNICORN_TIMEOUT must be a whole number"),
    ],
)
def test_gunicorn_config_refuses_bad_values_naming_the_variable(monkeypatch, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        _gunicorn_conf(monkeypatch, **{name: value})


def test_the_access_log_format_leaves_out_query_string_referer_and_agent(monkeypatch):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    fmt = _gunicorn_conf(monkeypatch)["access_log_format"]
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "i)s"):
        assert atom not in fmt
    cfg = Config()
    cfg.set("access_log_format", fmt)
    logger = Logger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/households/?q=%EB%B9%84%EB%B0%80",
        "PATH_INFO": "/households/",
        "QUERY_STRING": "q=%EB%B9%84%EB%B0%80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": "https://nanum.example.kr/search?q=secret",
        "HTTP_USER_AGENT": "Agent/1.0",
    }
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    request = SimpleNamespace(
        headers=[("REFERER", environ["HTTP_REFERER"]), ("USER-AGENT", "Agent/1.0")]
    )
    line = fmt % logger.atoms(response, request, environ, timedelta(milliseconds=12))
    assert '"GET /households/" 200 1234 12ms' in line
    for secret in ("q=", "%EB", "secret", "Agent", "203.0.113.9"):
        assert secret not in line


def test_the_error_log_leaves_out_query_strings(monkeypatch, tmp_path):
    from gunicorn.config import Config

    conf = _gunicorn_conf(monkeypatch)
    error_log = tmp_path / "error.log"
    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    cfg.set("errorlog", str(error_log))
    logger = cfg.logger_class(cfg)
    logger.setup(cfg)  # as on a reload: still one filter
    try:
        logger.exception("Error handling request %s %s", "GET", "/households/?q=비밀&page=2")
        logger.warning("Invalid request from ip=%s: %s", "203.0.113.9", "GET /?name=secret HTTP/9")
        logger.info("Worker booted; is the database up?")
        filters = len(logger.error_log.filters)
    finally:
        for handler in logger.error_log.handlers:
            handler.close()
        logger.error_log.filters.clear()
    text = error_log.read_text()
    assert "Error handling request GET /households/?…" in text
    assert "GET /?… HTTP/9" in text
    assert "is the database up?" in text
    assert "비밀" not in text and "secret" not in text and "page=" not in text
    assert filters == 1


# --- the real thing ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _get(port: int, path: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _wait_until_up(port: int, server: subprocess.Popen, errors: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {errors.read_text()[-3000:]}")
        try:
            _get(port, "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within 30 s: {errors.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.mark.postgres
def test_gunicorn_serves_the_production_configuration(transactional_db, tmp_path):
    port = _free_port()
    static_root = tmp_path / "static"
    access_log = tmp_path / "access.log"
    error_log = tmp_path / "error.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", *SERVING_VARIABLES}
        and not k.startswith(("SECURE_", "PYTEST_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(static_root),
        DATABASE_URL=_database_url(),
        DATABASE_POOL="1",
        DATABASE_POOL_MIN_SIZE="1",
        DATABASE_POOL_MAX_SIZE="2",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG=str(access_log),
        GUNICORN_ERROR_LOG=str(error_log),
    )
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collect.returncode == 0, collect.stderr[-3000:]
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(port, server, error_log)
        status, _headers, body = _get(port, "/healthz")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok"}

        status, headers, body = _get(port, "/")
        assert status == 200
        assert "나눔 교환" in body.decode()
        assert "Content-Security-Policy" in headers

        # htmx (as the page names it) and the site's style sheet come from this
        # site, hashed and compressed; so does Swagger UI below.
        page = body.decode()
        htmx = re.search(r'src="/static/(django_htmx/htmx[^"]*\.js)"', page).group(1)
        assert htmx in manifest.values()
        for hashed in (htmx, manifest["css/site.css"]):
            assert re.search(r"\.[0-9a-f]{12}\.(js|css)$", hashed), hashed
            source = hashed
            status, headers, body = _get(port, f"/static/{hashed}", {"Accept-Encoding": "gzip"})
            assert status == 200, source
            assert headers.get("Content-Encoding") == "gzip", source
            assert "max-age=315360000" in headers["Cache-Control"]
            assert "immutable" in headers["Cache-Control"]
            assert gzip.decompress(body) == (static_root / hashed).read_bytes()
        status, headers, _body = _get(port, "/api/v1/docs/")
        assert status == 200
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        bundle = manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"]
        assert f"/static/{bundle}".encode() in _body
        assert _get(port, f"/static/{bundle}")[0] == 200

        status, _headers, _body = _get(port, "/?q=" + quote("비밀"))
        assert status == 200
        deadline = time.monotonic() + 10
        while '"GET /" 200' not in access_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = access_log.read_text()
        assert '"GET /healthz" 200' in log
        assert '"GET /" 200' in log
        for secret in ("비밀", "%EB%B9%84", "q=", "?"):
            assert secret not in log, log

        # A database restart ends every pooled connection: the pool checks a
        # connection before handing it out, so the next requests still succeed.
        connection.ensure_connection()
        ours = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
                [ours],
            ).fetchone()[0]
        assert ended >= 1
        assert _get(port, "/")[0] == 200
        assert _get(port, "/healthz")[0] == 200
    finally:
        _stop(server)
    assert server.returncode is not None
