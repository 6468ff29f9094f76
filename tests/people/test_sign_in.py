"""Sign-in: lockout after wrong passwords, API tokens (issue, revoke, expiry,
password change), throttling of failed API authentication, idle sessions."""

from __future__ import annotations

import datetime
import hashlib
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.forms import SetPasswordForm
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from people.middleware import LAST_ACTIVITY

PASSWORD = "right-password-1"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def kim(db, django_user_model):
    return django_user_model.objects.create_user(username="kim", password=PASSWORD)


@pytest.fixture
def api():
    return APIClient()


def _login(client, password, address="10.0.0.1", username="kim"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout on the login page ------------------------------------------------


def test_five_wrong_passwords_lock_the_user_and_address_for_15_minutes(client, kim):
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200
    locked = _login(client, "wrong")
    assert locked.status_code == 429
    # Even the right password is refused while the lockout lasts, in Korean.
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert "로그인 실패가 너무 많습니다" in html
    assert "15분" in html
    assert not _signed_in(client)

    # The lockout is of this username from this address only.
    assert _login(client, PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()

    # After the cool-off the right password works again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _login(client, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_a_lockout_does_not_lock_other_users_at_the_same_address(client, kim, django_user_model):
    django_user_model.objects.create_user(username="lee", password=PASSWORD)
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, PASSWORD, username="lee").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, kim):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302


# --- the token endpoint --------------------------------------------------------


def test_a_token_is_issued_for_the_right_password_and_works(api, kim):
    response = api.post(TOKEN_URL, {"username": "kim", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["token"] == Token.objects.get(user=kim).key
    assert body["expires_at"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get("/api/v1/regions/").status_code == 200


def test_a_wrong_password_gets_no_token_and_a_clear_error(api, kim):
    response = api.post(TOKEN_URL, {"username": "kim", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_credentials",
        "detail": "사용자 이름 또는 비밀번호가 올바르지 않습니다.",
    }
    assert not Token.objects.exists()
    missing = api.post(TOKEN_URL, {"username": "kim"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid"


def test_the_token_endpoint_locks_out_like_the_login_page(api, kim):
    for _ in range(5):
        api.post(TOKEN_URL, {"username": "kim", "password": "wrong"}, format="json")
    response = api.post(TOKEN_URL, {"username": "kim", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "로그인 실패가 너무 많습니다" in response.json()["detail"]
    assert not Token.objects.exists()


def test_the_token_endpoint_is_throttled_per_address(api, kim):
    for _ in range(10):
        api.post(TOKEN_URL, {"username": "nobody", "password": "x"}, format="json")
    response = api.post(TOKEN_URL, {"username": "kim", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["detail"].startswith("로그인 시도가 너무 많습니다.")
    assert "Retry-After" in response
    other = api.post(
        TOKEN_URL,
        {"username": "kim", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.9.9.9",
    )
    assert other.status_code == 200


def test_delete_revokes_the_token_used(api, kim):
    token = Token.objects.create(user=kim)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=kim).exists()
    response = api.get("/api/v1/ledger/accounts/")
    assert response.status_code == 401


def test_delete_without_a_token_is_refused(api, db):
    response = api.delete(TOKEN_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_token_endpoints_are_in_the_openapi_schema(api, db):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operations = schema["paths"]["/api/v1/auth/token/"]
    assert set(operations) == {"post", "delete"}
    # Signing in needs no authentication; revoking needs the token.
    assert operations["post"].get("security", [{}]) == [{}]
    assert {"tokenAuth": []} in operations["delete"]["security"]
    assert operations["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenRequest"
    }
    assert {"200", "400", "429"} <= set(operations["post"]["responses"])
    assert "204" in operations["delete"]["responses"]


# --- expiry ---------------------------------------------------------------------


def _age(token: Token, days: float) -> None:
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=days))


def test_a_token_older_than_the_ttl_is_refused_without_being_deleted(api, kim, settings):
    assert settings.API_TOKEN_TTL_DAYS == 30
    token = Token.objects.create(user=kim)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    _age(token, 29)
    assert api.get("/api/v1/ledger/accounts/").status_code != 401
    _age(token, 31)
    response = api.get("/api/v1/ledger/accounts/")
    assert response.status_code == 401
    assert response.json() == {
        "code": "token_expired",
        "detail": "토큰이 만료되었습니다. 새 토큰을 발급받으세요.",
    }
    # A GET writes nothing: the expired token is still there ...
    assert Token.objects.filter(pk=token.pk).exists()
    # ... until its owner asks for a new one, which replaces it.
    api.credentials()
    fresh = api.post(TOKEN_URL, {"username": "kim", "password": PASSWORD}, format="json")
    assert fresh.status_code == 200
    assert fresh.json()["token"] != token.key
    assert list(Token.objects.filter(user=kim).values_list("key", flat=True)) == [
        fresh.json()["token"]
    ]


def test_the_ttl_comes_from_the_setting(api, kim, settings):
    settings.API_TOKEN_TTL_DAYS = 1
    token = Token.objects.create(user=kim)
    _age(token, 2)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/regions/").json()["code"] == "token_expired"


# --- a password change revokes tokens -------------------------------------------


def test_a_new_password_revokes_the_token(kim):
    Token.objects.create(user=kim)
    kim.set_password("another-password-2")
    kim.save()
    assert not Token.objects.filter(user=kim).exists()


def test_a_password_set_through_the_form_revokes_the_token(kim):
    Token.objects.create(user=kim)
    form = SetPasswordForm(
        kim, {"new_password1": "Another-password-2", "new_password2": "Another-password-2"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert not Token.objects.filter(user=kim).exists()


def test_saving_a_user_without_a_new_password_keeps_the_token(kim):
    token = Token.objects.create(user=kim)
    kim.first_name = "Minjun"
    kim.save()
    assert Token.objects.filter(pk=token.pk).exists()


def test_a_hash_upgrade_at_sign_in_keeps_the_token(kim):
    # A short salt makes Django re-hash the same password at sign-in.
    kim.password = "md5$ab$" + hashlib.md5(b"ab" + PASSWORD.encode()).hexdigest()  # noqa: S324
    kim.save()
    token = Token.objects.create(user=kim)
    assert kim.check_password(PASSWORD)
    kim.refresh_from_db()
    assert not kim.password.startswith("md5$ab$")
    assert Token.objects.filter(pk=token.pk).exists()


# --- failed token authentication is throttled -----------------------------------


def test_wrong_tokens_from_one_address_are_throttled(api, kim):
    good = Token.objects.create(user=kim)
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for _ in range(20):
        assert api.get("/api/v1/regions/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {good.key}")
    response = api.get("/api/v1/regions/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response.json()["detail"].startswith("로그인 시도가 너무 많습니다.")
    # Another address, and requests without a token, are not affected.
    assert api.get("/api/v1/regions/", REMOTE_ADDR="10.1.2.3").status_code == 200
    api.credentials()
    assert api.get("/api/v1/regions/").status_code == 200


def test_a_forwarded_header_does_not_escape_the_throttle(api, kim):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for i in range(20):
        api.get("/api/v1/regions/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert api.get("/api/v1/regions/", HTTP_X_FORWARDED_FOR="10.0.1.1").status_code == 429


# --- idle sessions ---------------------------------------------------------------


def _set_last_activity(client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_idle_for_31_minutes_is_signed_out(client, kim):
    client.force_login(kim)
    _set_last_activity(client, 31 * 60)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _signed_in(client)
    page = client.get(response["Location"])
    assert "30분 동안 활동이 없어 로그아웃되었습니다." in page.content.decode()


def test_an_active_session_stays_signed_in(client, kim):
    client.force_login(kim)
    _set_last_activity(client, 29 * 60)
    assert client.get("/dashboard/").status_code == 200
    # The request counted as activity: 29 more minutes are fine again.
    assert time.time() - client.session[LAST_ACTIVITY] < 5
    assert client.get("/dashboard/").status_code == 200


def test_the_idle_limit_comes_from_the_setting(client, kim, settings):
    settings.SESSION_IDLE_MINUTES = 5
    client.force_login(kim)
    _set_last_activity(client, 6 * 60)
    assert client.get("/dashboard/").status_code == 302


def test_requests_within_a_minute_do_not_rewrite_the_session(client, kim):
    client.force_login(kim)
    _set_last_activity(client, 10)
    stamp = client.session[LAST_ACTIVITY]
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert client.session[LAST_ACTIVITY] == stamp
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "kim"},
        {"username": "kim\x00", "password": PASSWORD},
        {"username": "k" * 151, "password": PASSWORD},
        {"username": ["kim"], "password": PASSWORD},
        {"username": "kim", "password": {"x": 1}},
    ],
)
def test_malformed_sign_in_requests_get_a_clear_error_and_no_token(api, kim, body):
    response = api.post(TOKEN_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"]
    assert not Token.objects.exists()


def test_a_sign_in_by_form_post_works_too(api, kim):
    response = api.post(TOKEN_URL, {"username": "kim", "password": PASSWORD})
    assert response.status_code == 200


def test_get_on_the_token_endpoint_is_not_allowed_and_writes_nothing(api, kim):
    token = Token.objects.create(user=kim)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get(TOKEN_URL)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Token.objects.filter(pk=token.pk).exists()


def test_withdrawing_the_password_revokes_the_token(kim):
    Token.objects.create(user=kim)
    kim.set_unusable_password()
    kim.save()
    assert not Token.objects.filter(user=kim).exists()
