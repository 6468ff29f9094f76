from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from exchange.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def test_demo_coordinator_logs_in_sees_korean_dashboard_then_english(
    page, demo, screenshot, outside_requests
):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.get_by_role("link", name="로그인").click()

    page.get_by_label("사용자 이름").fill("demo_coord_seogu")
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")
    expect(page.get_by_role("list", name="내 역할")).to_contain_text("서구 · 코디네이터")
    screenshot("dashboard-ko")

    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("list", name="My roles")).to_contain_text("Seo-gu · Coordinator")
    screenshot("dashboard-en")

    page.get_by_role("button", name="한국어").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")
    assert outside_requests == []


def test_wrong_password_is_refused_in_korean_next_to_the_form(page, demo):
    page.goto("/accounts/login/")
    page.get_by_label("사용자 이름").fill("demo_coord_seogu")
    page.get_by_label("비밀번호").fill("not-the-password")
    page.get_by_role("button", name="로그인").click()

    expect(page.get_by_role("alert")).to_contain_text("사용자 이름과 비밀번호를 정확히 입력하세요.")
    assert "/accounts/login/" in page.url


def test_swagger_ui_renders_without_internet(page, demo, screenshot, outside_requests):
    page.goto("/api/v1/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Nanum Exchange API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.get_by_text("/api/v1/regions/", exact=True).first).to_be_visible()
    screenshot("api-docs")
    assert outside_requests == []
