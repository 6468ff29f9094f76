"""Form errors in the browser, with DEBUG on (as under `make run`) and off (as
in production): an htmx form answered 422 shows its errors in place and leaves
the rest of the page alone (django-htmx's development helper used to replace
the whole page with any error answer), and an htmx request answered with an
error page shows its message in the page's error box, the page untouched."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from marketplace.models import Listing
from marketplace.services import categories_load_csv
from people.models import RegionMembership, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-browser-tests"


@pytest.fixture(params=[True, False], ids=["debug-on", "debug-off"])
def debug(request, settings):
    # pytest-django switches DEBUG off for the run (django_debug_mode); the live
    # server shares these settings, so with True this flow runs as `make run` does.
    settings.DEBUG = request.param
    return request.param


def log_in(page: Page, username: str) -> None:
    sign_in(page, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")


def _coordinator(daejeon, django_user_model):
    categories_load_csv()
    user = django_user_model.objects.create_user(
        username="coord_seo", password=PASSWORD, last_name="김서구"
    )
    RegionMembership.objects.create(user=user, region=daejeon["서구"], role=Role.COORDINATOR)
    return user


def _check_debug(page: Page, debug: bool) -> None:
    # DEBUG is really as asked inside the live server: an unknown URL gets
    # Django's technical 404 page only with DEBUG on.
    unknown = page.request.get("/no-such-page-for-debug-check/")
    assert unknown.status == 404
    assert ("URLconf" in unknown.text()) is debug


def test_listing_form_errors_stay_in_the_page(page, debug, daejeon, django_user_model, screenshot):
    _coordinator(daejeon, django_user_model)
    _check_debug(page, debug)

    log_in(page, "coord_seo")
    page.goto("/listings/new/")
    today = timezone.localdate()
    page.locator("#id_region").select_option(daejeon["서구"].code)
    page.locator("#id_kind").select_option("goods")
    page.locator("#id_category").select_option(label="밑반찬 지원")
    page.locator("#id_title").fill("밑반찬 세트")
    page.locator("#id_quantity").fill("10")
    page.locator("#id_unit").fill("상자")
    page.locator("#id_value_per_unit").fill("")
    page.locator("#id_available_from").fill(today.isoformat())
    page.locator("#id_available_until").fill((today - datetime.timedelta(days=1)).isoformat())
    with page.expect_response(lambda r: r.url.endswith("/listings/new/")) as answer:
        page.locator('[data-action="create-listing"]').click()
    assert answer.value.status == 422

    expect(page.locator("#id_value_per_unit-error")).to_have_text("환가액을 원 단위로 입력하세요.")
    expect(page.locator("#id_available_until-error")).to_have_text("시작일보다 빠른 날짜입니다.")
    # The rest of the page is still there: header, heading, what was typed.
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("새 자원 등록")
    expect(page.locator("#id_title")).to_have_value("밑반찬 세트")
    screenshot(f"form-errors-debug-{'on' if debug else 'off'}")

    # Corrected, it saves (the form's answer redirects the whole page).
    page.locator("#id_value_per_unit").fill("20000")
    page.locator("#id_available_until").fill("")
    page.locator('[data-action="create-listing"]').click()
    expect(page.locator("#listing-panel")).to_have_attribute("data-state", "draft")
    assert Listing.objects.count() == 1


def test_an_error_page_for_htmx_shows_its_message_and_keeps_the_page(
    page, debug, daejeon, django_user_model, screenshot
):
    _coordinator(daejeon, django_user_model)
    _check_debug(page, debug)
    log_in(page, "coord_seo")
    page.goto("/listings/new/")
    page.locator("#id_title").fill("밑반찬 세트")
    box = page.locator("#request-error")
    expect(box).to_be_empty()
    page.wait_for_function("() => typeof window.htmx !== 'undefined'")

    # As from a page left open while the claim went away: htmx posts to an
    # address that answers the 404 page, aimed at the form.
    with page.expect_response(lambda r: r.url.endswith("/claims/999999/approve/")) as answer:
        page.evaluate(
            "() => htmx.ajax('POST', '/claims/999999/approve/',"
            " {source: '#listing-form', target: '#listing-form', swap: 'outerHTML'})"
        )
    assert answer.value.status == 404
    if debug:
        # Django's technical page carries no message of ours: the general one.
        expect(box).to_have_text(
            "요청을 처리하지 못했습니다. 변경된 내용은 없습니다. 잠시 후 다시 시도해 주세요."
        )
    else:
        expect(box).to_have_text(
            "이 주소에는 내용이 없습니다. 옮겨졌거나 볼 권한이 없을 수 있습니다."
        )
    # The form is still there with what was typed; the page is still the page.
    expect(page.locator("#id_title")).to_have_value("밑반찬 세트")
    expect(page.get_by_role("heading", level=1)).to_have_text("새 자원 등록")
    expect(page.locator(".site-header")).to_have_count(1)
    screenshot(f"htmx-error-box-debug-{'on' if debug else 'off'}")

    # The next request clears the message.
    page.locator('[data-action="create-listing"]').click()
    expect(page.locator(".field-error").first).to_be_visible()
    expect(box).to_be_empty()
