import re

import pytest

from people.models import Role
from people.services import finance_group


def test_home_page_is_public_and_in_korean(client, daejeon):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert "나눔 교환" in html
    assert "대전광역시" in html
    assert "서구" in html


def test_home_page_loads_htmx_from_this_site_and_sends_csrf(client, daejeon):
    html = client.get("/").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert any("htmx" in s for s in scripts), scripts
    assert all(s.startswith("/static/") for s in scripts), scripts
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_dashboard_needs_a_login(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_with_a_wrong_password_says_so_in_korean(client, db, django_user_model):
    django_user_model.objects.create_user(username="kim", password="right-password-1")
    response = client.post("/accounts/login/", {"username": "kim", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    # Our own message: Django's Korean can only write "사용자 이름와/과 비밀번호".
    assert "사용자 이름과 비밀번호를 정확히 입력하세요." in html
    assert "와/과" not in html


def test_dashboard_lists_my_posts_and_the_header_shows_my_roles(client, daejeon, make_member):
    user = make_member(daejeon["관저2동"], Role.CASE_MANAGER)
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    assert "내 대시보드" in html
    assert "관저2동 · 사례관리사" in html  # header
    assert "서구" in html  # exchange region of the post


def test_dashboard_shows_finance_staff_their_role(client, db, django_user_model):
    user = django_user_model.objects.create_user(username="fin", password="pw-for-tests-only")
    user.groups.add(finance_group())
    client.force_login(user)
    assert "재무" in client.get("/dashboard/").content.decode()


def test_language_switch_turns_pages_to_english(client, daejeon, make_member):
    user = make_member(daejeon["서구"], Role.COORDINATOR)
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    assert response.status_code == 302
    html = client.get("/dashboard/").content.decode()
    assert '<html lang="en">' in html
    assert "My dashboard" in html
    assert "Seo-gu · Coordinator" in html


@pytest.mark.parametrize(
    "url", ["/", "/accounts/login/", "/dashboard/", "/api/v1/docs/", "/admin/login/", "/healthz"]
)
def test_pages_answer_without_error(client, daejeon, url, make_member):
    client.force_login(make_member(daejeon["서구"], Role.COORDINATOR))
    assert client.get(url).status_code in {200, 302}


def test_logout_is_a_post(client, daejeon, make_member):
    client.force_login(make_member(daejeon["서구"], Role.COORDINATOR))
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302
