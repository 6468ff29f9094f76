from unittest import mock

from django.db import OperationalError


def test_healthz_answers_200_after_a_database_round_trip(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_fails(client, db):
    from django.db import connection

    with mock.patch.object(connection, "cursor", side_effect=OperationalError("refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_healthz_is_never_cached(client, db):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_healthz_is_answered_before_the_other_middleware(client, db, settings):
    """No HTTPS redirect, no session, language or CSRF work: the probe costs one
    database round trip (config.middleware.HealthCheckMiddleware, before them)."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    vary = response.get("Vary", "")
    assert "Accept-Language" not in vary
    assert "Cookie" not in vary
    assert "Content-Language" not in response
    assert not response.cookies
    order = settings.MIDDLEWARE
    health = order.index("config.middleware.HealthCheckMiddleware")
    assert health < order.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert health < order.index("django.middleware.locale.LocaleMiddleware")


def test_healthz_refuses_other_methods_with_405(client, db):
    assert client.post("/healthz").status_code == 405
