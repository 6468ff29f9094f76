"""Changing one's password, and setting a new one through an e-mailed link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from rest_framework.authtoken.models import Token

from people.services import token_issue

OLD = "old-pass-for-tests-1"
NEW = "a-new-pass-2026-xyz"


@pytest.fixture
def kim(db, django_user_model):
    return django_user_model.objects.create_user(
        username="kim", password=OLD, email="kim@seogu.example.kr"
    )


def test_the_password_pages_need_a_login(client, db) -> None:
    for url in ("/accounts/password/", "/accounts/password/done/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_change_page_is_korean(client, kim) -> None:
    client.force_login(kim)
    html = client.get("/accounts/password/").content.decode()
    assert "<h1>비밀번호 변경</h1>" in html
    assert "API 토큰도 폐기됩니다" in html


def test_a_password_changed_on_the_page_revokes_the_api_token(client, kim) -> None:
    token_issue(user=kim)
    client.force_login(kim)
    response = client.post(
        "/accounts/password/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    assert not Token.objects.filter(user=kim).exists()
    kim.refresh_from_db()
    assert kim.check_password(NEW)
    # Still signed in: Django keeps the session of the person who changed it.
    done = client.get("/accounts/password/done/")
    assert "비밀번호를 변경했습니다." in done.content.decode()


def test_a_wrong_old_password_changes_nothing(client, kim) -> None:
    token = token_issue(user=kim)
    client.force_login(kim)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    kim.refresh_from_db()
    assert kim.check_password(OLD)
    assert Token.objects.filter(key=token.key).exists()


def _reset(client, email: str):
    return client.post("/accounts/password/reset/", {"email": email})


def test_the_reset_answers_the_same_whether_or_not_the_address_is_known(client, kim) -> None:
    known = _reset(client, "kim@seogu.example.kr")
    assert len(mail.outbox) == 1
    unknown = _reset(client, "nobody@seogu.example.kr")
    assert len(mail.outbox) == 1
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == "/accounts/password/reset/sent/"
    page = client.get(known["Location"]).content.decode()
    assert "이 이메일 주소로 등록된 계정이 있으면" in page
    # The page's CSRF tokens are random letters and digits, which can spell
    # "kim" by chance; the page is read without them.
    assert "kim" not in re.sub(r"[A-Za-z0-9]{32,}", "", page)


def test_the_reset_mail_is_korean_and_its_link_sets_a_new_password(client, kim) -> None:
    token_issue(user=kim)
    _reset(client, "kim@seogu.example.kr")
    message = mail.outbox[0]
    assert message.to == ["kim@seogu.example.kr"]
    assert message.subject == "나눔 교환: 새 비밀번호 설정"
    assert "나눔 교환 계정 kim의 새 비밀번호 설정을 요청받았습니다." in message.body
    assert "요청하지 않으셨다면 이 이메일을 무시하세요." in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", message.body)
    assert link, message.body
    form = client.get(link.group(1), follow=True)
    assert "새 비밀번호 설정" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert "새 비밀번호를 설정했습니다." in done.content.decode()
    kim.refresh_from_db()
    assert kim.check_password(NEW)
    assert not Token.objects.filter(user=kim).exists()
    # The link works once.
    again = client.get(link.group(1), follow=True).content.decode()
    assert "이미 사용했거나 기한이 지난 링크입니다." in again


def test_a_made_up_link_sets_nothing(client, kim) -> None:
    response = client.post(
        "/accounts/password/reset/MQ/set-password/", {"new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200
    assert "이미 사용했거나 기한이 지난 링크입니다." in response.content.decode()
    kim.refresh_from_db()
    assert kim.check_password(OLD)


def test_the_login_page_links_to_the_reset(client, db) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in html
    assert "비밀번호를 잊으셨나요?" in html
