"""Keyboard and phone use in the browser: the skip link is the first stop of
the Tab key and moves to the main content, focus is visible, a field refused
by the server is marked invalid and read with its error, and below 640 px a
table's rows are cards whose cells show their column's heading."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from people.models import RegionMembership, Role
from tests.browser.axe import axe_violations
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def case_manager(daejeon, django_user_model):
    user = django_user_model.objects.create_user(username="cm_seo", first_name="김사례")
    RegionMembership.objects.create(user=user, region=daejeon["서구"], role=Role.CASE_MANAGER)
    return user


def _outline(page: Page) -> tuple[str, float]:
    return page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )


def test_skip_link_is_the_first_tab_stop_and_focus_is_visible(page: Page, db):
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("본문 바로가기")
    expect(focused).to_be_visible()  # shown while focused, off-screen otherwise
    style, width = _outline(page)
    assert style != "none" and width >= 2
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab stop is inside the main content, past the header's links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    style, width = _outline(page)
    assert style != "none" and width >= 2
    # Without focus the skip link is out of sight.
    page.locator("#id_username").focus()
    box = page.locator(".skip-link").bounding_box()
    assert box is None or box["y"] + box["height"] <= 0


def test_a_refused_field_is_invalid_and_described_by_its_error(page: Page, case_manager):
    sign_in(page, "cm_seo")
    page.goto("/accounts/profile/")
    phone = page.get_by_label("업무용 전화")
    expect(phone).not_to_have_attribute("aria-invalid", "true")
    phone.fill("010-1234-5678")
    page.get_by_role("button", name="저장").click()
    # The answer is a new page, hidden until its load event (conftest.py).
    expect(page.locator(".field-error")).to_be_visible()
    phone = page.get_by_label("업무용 전화")
    expect(phone).to_have_attribute("aria-invalid", "true")
    described = phone.get_attribute("aria-describedby").split()
    errors = [page.locator(f"#{name}").text_content() for name in described]
    assert any("휴대전화 번호가 아닌" in text for text in errors), errors
    # The name field was accepted and is not marked.
    expect(page.get_by_label("이름")).not_to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []


def test_tables_become_cards_with_their_headings_below_640_px(page: Page, case_manager):
    sign_in(page, "cm_seo")
    page.goto("/dashboard/")
    table = page.locator("main table").first
    expect(table).to_be_visible()
    headings = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    cell = table.locator("tbody tr").first.locator("td, th").first
    assert cell.evaluate("c => getComputedStyle(c).display") == "table-cell"

    page.set_viewport_size({"width": 390, "height": 844})
    assert cell.evaluate("c => getComputedStyle(c).display") == "block"
    row = table.locator("tbody tr").first
    labels = row.locator("td, th").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels[: len(headings)] == [f'"{h}"' for h in headings if h][: len(labels)]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Back at a desktop width the table is a table again.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert cell.evaluate("c => getComputedStyle(c).display") == "table-cell"


def test_a_table_htmx_swaps_in_is_labelled_for_cards_too(page: Page, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    sign_in(page, "demo_finance")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/finance/")
    page.wait_for_load_state("load")
    before = page.locator("#account-results").element_handle()
    with page.expect_response(lambda r: "/finance/?" in r.url):
        page.locator("#id_q").fill("서구")
    expect(page.locator("#account-results tbody tr").first).to_be_visible()
    # The results are a new element (swapped by htmx), and their cells are labelled.
    assert not before.evaluate("e => e.isConnected")
    first = page.locator("#account-results tbody tr").first.locator("td").first
    expect(first).to_have_attribute("data-label", "계정")
    assert first.evaluate("c => getComputedStyle(c, '::before').content") == '"계정"'
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
