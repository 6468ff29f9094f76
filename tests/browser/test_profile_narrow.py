"""The profile and password pages on a 390 px phone screen: reached from the
header, usable without sideways scrolling, errors in Korean."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from people.models import RegionMembership, Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-browser-tests"


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide"


def test_profile_and_password_pages_at_390_px(page: Page, daejeon, django_user_model, screenshot):
    user = django_user_model.objects.create_user(
        username="cm_daedeok", password=PASSWORD, first_name="박사례"
    )
    today = timezone.localdate()
    RegionMembership.objects.create(
        user=user,
        region=daejeon["대덕구"],
        role=Role.CASE_MANAGER,
        starts_on=today - datetime.timedelta(days=100),
        ends_on=today - datetime.timedelta(days=1),
    )
    RegionMembership.objects.create(user=user, region=daejeon["서구"], role=Role.CASE_MANAGER)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/accounts/login/")
    fits(page)
    page.get_by_label("사용자 이름").fill("cm_daedeok")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("내 대시보드")

    page.locator("header a.who").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("내 프로필")
    expect(page.locator("tr.ended")).to_contain_text("대덕구")
    fits(page)

    page.get_by_label("소속 기관/부서").fill("서구청 복지정책과")
    page.get_by_label("업무용 전화").fill("010-1234-5678")
    page.get_by_role("button", name="저장").click()
    expect(page.locator(".field-error")).to_contain_text("휴대전화 번호가 아닌")
    fits(page)
    screenshot("profile-390-mobile-refused")

    page.get_by_label("업무용 전화").fill("042 123 4567")
    page.get_by_role("button", name="저장").click()
    expect(page.locator(".messages")).to_contain_text("프로필을 저장했습니다.")
    expect(page.get_by_label("업무용 전화")).to_have_value("042-123-4567")
    fits(page)
    screenshot("profile-390")

    page.get_by_role("link", name="비밀번호 변경").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("비밀번호 변경")
    fits(page)

    page.context.clear_cookies()
    page.goto("/accounts/password/reset/")
    expect(page.get_by_role("heading", level=1)).to_have_text("비밀번호 재설정")
    fits(page)
