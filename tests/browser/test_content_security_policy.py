"""Every role's main pages, Swagger UI and htmx error swaps work under the
Content-Security-Policy: the `page` fixture fails a test on any violation."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from exchange.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo(settings):
    # DEBUG on, as `make run` has it: the pages must work the same way.
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def _login(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("사용자 이름").fill(username)
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def _visit(page, url):
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    header = response.headers["content-security-policy"]
    assert "default-src 'self'" in header
    assert "unsafe-eval" not in header
    assert "unsafe-inline" not in header


ROLE_PAGES = {
    "demo_coord_seogu": ["/", "/dashboard/", "/listings/new/", "/review/duplicates/"],
    "demo_cm_seogu": ["/dashboard/", "/households/", "/households/new/"],
    "demo_finance": [
        "/finance/",
        "/finance/proposals/",
        "/finance/trial-balance/",
        "/finance/chart/",
        "/finance/matching/",
    ],
    "demo_donor_rep": ["/donors/"],
    "demo_admin": ["/admin/", "/admin/people/user/", "/admin/people/user/add/"],
}


def test_each_roles_main_pages_and_an_htmx_error_keep_the_policy(page, demo, outside_requests):
    # One test for every role: the demo data is loaded once.
    for username, urls in ROLE_PAGES.items():
        page.context.clear_cookies()
        _login(page, username)
        for url in urls:
            _visit(page, url)
            page.wait_for_load_state("networkidle")

    # An invalid htmx form: the 400 answer (the form with its errors) is
    # swapped into the form by the site's script, and the page stays.
    page.context.clear_cookies()
    _login(page, "demo_coord_seogu")
    _visit(page, "/listings/new/")
    page.locator('[data-action="create-listing"]').click()
    expect(page.locator(".field-error").first).to_be_visible()
    assert page.url.endswith("/listings/new/")
    expect(page.get_by_role("banner")).to_be_visible()
    assert outside_requests == []


def test_swagger_ui_renders_under_the_policy(page, db, settings, outside_requests):
    settings.DEBUG = True
    _visit(page, "/api/v1/docs/")
    # The first schema of a process is generated cold: give it time on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Nanum Exchange API", timeout=60_000
    )
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/auth/token/").first
    expect(operation).to_be_visible()
    operation.click()
    expect(page.get_by_text("Exchange a username and password").first).to_be_visible()
    assert outside_requests == []
