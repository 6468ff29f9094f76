"""Settings come from the environment; production refuses unsafe defaults.

These run `manage.py` in a child process so each sees its own environment.
"""

import os
import re
import secrets
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_decimal, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_with_only_the_explained_warning():
    result = _manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="nanum.example.kr",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = sorted(set(re.findall(r"\(([a-z_.]+\.[WE]\d+)\)", output)))
    # W021 (HSTS preload) is left off on purpose; the README explains why.
    assert warnings == ["security.W021"], output


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0", ALLOWED_HOSTS="nanum.example.kr")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_malformed_setting_stops_start_up_naming_the_variable():
    result = _manage("check", DEBUG="1", KRW_PER_POINT="a thousand")
    assert result.returncode != 0
    assert "KRW_PER_POINT must be a whole number" in result.stderr


def test_healthz_answers_503_with_a_database_that_does_not_answer():
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "print(Client().get('/healthz').status_code)\n"
    )
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base.update(
        DEBUG="1",
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nowhere?connect_timeout=2",
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().splitlines()[-1] == "503", result.stderr


def test_env_helpers_read_typed_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", " 42 ")
    monkeypatch.setenv("X_DEC", "0.5")
    monkeypatch.setenv("X_LIST", "a.kr, b.kr,,")
    monkeypatch.setenv("X_CHOICE", "district")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 0) == 42
    assert env_decimal("X_DEC", "0") == Decimal("0.5")
    assert env_list("X_LIST") == ["a.kr", "b.kr"]
    assert env_choice("X_CHOICE", "city", ("city", "district")) == "district"
    assert env_int("X_MISSING", 7) == 7


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("X_BOOL", "maybe", lambda: env_bool("X_BOOL")),
        ("X_INT", "1.5", lambda: env_int("X_INT", 0)),
        ("X_INT", "-1", lambda: env_int("X_INT", 0, minimum=0)),
        ("X_DEC", "1.5", lambda: env_decimal("X_DEC", "0", maximum=Decimal(1))),
        ("X_DEC", "NaN", lambda: env_decimal("X_DEC", "0")),
        ("X_CHOICE", "province", lambda: env_choice("X_CHOICE", "city", ("city", "district"))),
    ],
)
def test_env_helpers_refuse_bad_values(monkeypatch, name, value, read):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        read()


def test_exchange_settings_have_the_documented_defaults(settings):
    assert settings.EXCHANGE_LEVEL == "district"
    assert settings.KRW_PER_POINT == 1000
    assert settings.VOLUNTEER_HOUR_KRW == 10320
    assert Decimal("0.5") == settings.PUBLIC_SHARE
    assert settings.TIME_ZONE == "Asia/Seoul"
    assert settings.LANGUAGE_CODE == "ko"


def test_sign_in_settings_have_the_documented_defaults(settings):
    assert settings.API_TOKEN_TTL_DAYS == 30
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_a_malformed_token_lifetime_stops_start_up():
    result = _manage("check", DEBUG="1", API_TOKEN_TTL_DAYS="0")
    assert result.returncode != 0
    assert "API_TOKEN_TTL_DAYS must be at least 1" in result.stderr


_SHOW_SERVING = (
    "from django.conf import settings; from django.template import engines; "
    "print(type(engines['django'].engine.template_loaders[0]).__module__); "
    "print(settings.CACHES['default']['BACKEND']); print(settings.CATALOGUE_CACHE_SECONDS)"
)


def test_production_caches_templates_and_uses_redis_when_configured():
    production = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "nanum.example.kr",
    }
    local = {"REDIS_URL": "", "CACHE_URL": ""}
    result = _manage("shell", "-v", "0", "-c", _SHOW_SERVING, **local, **production)
    assert result.returncode == 0, result.stderr
    loader, backend, seconds = result.stdout.split()
    assert loader == "django.template.loaders.cached"
    assert backend == "django.core.cache.backends.locmem.LocMemCache"
    assert int(seconds) == 300

    redis = {"REDIS_URL": "redis://127.0.0.1:6379/3", "CACHE_URL": ""}
    result = _manage("shell", "-v", "0", "-c", _SHOW_SERVING, **redis, **production)
    assert result.returncode == 0, result.stderr
    _, backend, seconds = result.stdout.split()
    assert backend == "django.core.cache.backends.redis.RedisCache"
    assert int(seconds) == 300


def test_a_cache_url_that_is_not_redis_stops_start_up():
    result = _manage("check", DEBUG="1", CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0
    assert "CACHE_URL / REDIS_URL must be a Redis URL" in result.stderr


_SHOW_SESSIONS = "from django.conf import settings; print(settings.SESSION_ENGINE)"


def test_sessions_are_cached_only_in_a_cache_every_worker_shares():
    # In one process's memory a sign-out in another worker would not reach the
    # cached copy: sessions stay in the database alone.
    local = {"DEBUG": "1", "REDIS_URL": "", "CACHE_URL": ""}
    result = _manage("shell", "-v", "0", "-c", _SHOW_SESSIONS, **local)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.sessions.backends.db"]
    redis = {"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/3", "CACHE_URL": ""}
    result = _manage("shell", "-v", "0", "-c", _SHOW_SESSIONS, **redis)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.sessions.backends.cached_db"]
