"""The sign-in form's refusal in correct Korean (Django's own message can only
write "사용자 이름와/과 비밀번호")."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_wrong_password_is_refused_in_correct_korean(client, django_user_model):
    django_user_model.objects.create_user(username="kim", password="right-password-1")
    response = client.post(
        "/accounts/login/", {"username": "kim", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "사용자 이름과 비밀번호를 정확히 입력하세요." in html
    assert "와/과" not in html
