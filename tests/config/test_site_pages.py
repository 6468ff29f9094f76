"""The site's identity on every page (city, skip link, main landmark, footer
with 개인정보처리방침, 이용약관 and the contact), the privacy and terms pages
in Korean, and form fields with errors marked for screen readers."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template import Context, Template
from django.test import override_settings

from config import context_processors

pytestmark = pytest.mark.django_db

REAL_CONTACT = {
    "office": "세종특별자치시 복지정책과",
    "phone": "044-300-1234",
    "email": "nanum@sejong.example.kr",
    "controller": "세종특별자치시장",
    "privacy_officer": "세종특별자치시 정보보호담당관",
}


def test_every_page_has_the_city_a_skip_link_first_main_and_the_footer_links(client):
    for url in ("/", "/accounts/login/", "/privacy/", "/terms/"):
        html = client.get(url).content.decode()
        body = html.split("<body", 1)[1]
        # The skip link is the first link or control of the page and leads to <main id="main">.
        first = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group(0)
        assert 'class="skip-link"' in first and 'href="#main"' in first, url
        assert "본문 바로가기" in body
        assert re.search(r'<main [^>]*id="main"', body), url
        assert '<span class="brand-city">대전광역시</span>' in body
        footer = body.split('<footer class="site-footer">', 1)[1]
        assert 'href="/privacy/"' in footer and "개인정보처리방침" in footer
        assert 'href="/terms/"' in footer and "이용약관" in footer
        assert "문의: 대전광역시 복지정책과" in footer and "042-000-0000" in footer
        # The default contact is demo data and says so.
        assert "데모 연락처" in footer


def test_privacy_page_says_what_is_kept_how_long_and_who_the_controller_is(client):
    html = client.get("/privacy/").content.decode()
    assert "<h1>개인정보처리방침</h1>" in html
    for words in ("직원 계정", "가명 코드", "열람 기록", "최소 2년", "정보주체의 권리"):
        assert words in html
    # The particle after the controller's name follows its last syllable.
    assert "대전광역시장은 「개인정보 보호법」" in html
    assert "이 연락처는 데모 값입니다" in html


def test_contact_and_controller_come_from_settings_without_the_demo_label(client):
    city = "세종특별자치시"
    with override_settings(SITE_CONTACT=REAL_CONTACT, SITE_CONTACT_IS_DEMO=False, SITE_CITY=city):
        privacy = client.get("/privacy/").content.decode()
        terms = client.get("/terms/").content.decode()
    assert "세종특별자치시장은 「개인정보 보호법」" in privacy
    assert "세종특별자치시 정보보호담당관" in privacy
    assert 'href="mailto:nanum@sejong.example.kr"' in privacy
    assert "데모" not in privacy and "데모" not in terms
    assert "<h1>이용약관</h1>" in terms
    assert "세종특별자치시의 자치구와 행정동" in terms
    assert "문의는 세종특별자치시 복지정책과로 해 주십시오." in terms


def test_contact_is_demo_until_every_variable_is_set(monkeypatch):
    import importlib

    from config import settings as settings_module

    names = [
        "CONTACT_OFFICE",
        "CONTACT_PHONE",
        "CONTACT_EMAIL",
        "PRIVACY_CONTROLLER",
        "PRIVACY_OFFICER",
    ]
    for name in names:
        monkeypatch.setenv(name, "x")
    monkeypatch.delenv("PRIVACY_OFFICER")
    monkeypatch.setenv("DEBUG", "1")
    try:
        assert importlib.reload(settings_module).SITE_CONTACT_IS_DEMO is True
        monkeypatch.setenv("PRIVACY_OFFICER", "대전광역시 정보보호담당관")
        reloaded = importlib.reload(settings_module)
        assert reloaded.SITE_CONTACT_IS_DEMO is False
        assert reloaded.SITE_CONTACT["privacy_officer"] == "대전광역시 정보보호담당관"
    finally:
        for name in names:
            monkeypatch.delenv(name, raising=False)
        importlib.reload(settings_module)


def test_context_processor_needs_no_database(rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        context = context_processors.site(rf.get("/"))
    assert context["site_city"] == "대전광역시"


class _Form(forms.Form):
    amount = forms.IntegerField(label="금액", help_text="원 단위")
    memo = forms.CharField(label="메모", required=False)


FIELD = Template('{% for field in form %}{% include "components/field.html" %}{% endfor %}')


def test_a_field_with_errors_is_invalid_and_described_by_its_error():
    html = FIELD.render(Context({"form": _Form(data={"amount": "많이", "memo": ""})}))
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in amount
    assert 'aria-describedby="id_amount-help id_amount-error"' in amount
    error = r'<div class="field-error" id="id_amount-error" role="alert"><p>[^<]+</p>'
    assert re.search(error, html)
    memo = re.search(r'<input[^>]*name="memo"[^>]*>', html).group(0)
    assert "aria-invalid" not in memo and "aria-describedby" not in memo


def test_a_field_without_errors_is_not_marked_invalid():
    html = FIELD.render(Context({"form": _Form()}))
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', html).group(0)
    assert "aria-invalid" not in amount
    assert 'aria-describedby="id_amount-help"' in amount


@pytest.mark.parametrize("name", ["400.html", "413.html", "503.html"])
def test_stand_alone_error_pages_have_main_and_the_footer_links(name):
    from django.template.loader import render_to_string

    html = render_to_string(name)
    assert '<main id="main">' in html
    footer = html.split("<footer>", 1)[1]
    assert '<a href="/privacy/">개인정보처리방침</a>' in footer
    assert '<a href="/terms/">이용약관</a>' in footer
