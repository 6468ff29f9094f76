"""The profile page: one's own name, office, office phone and e-mail, and the
posts one holds and held."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.exceptions import NotAllowed
from donors.models import Donor, DonorKind, DonorMembership
from people.exceptions import InvalidProfile
from people.models import RegionMembership, Role, User
from people.phones import office_phone_normalise
from people.services import finance_group, user_profile_update


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("042-123-4567", "042-123-4567"),
        ("0421234567", "042-123-4567"),
        ("02-1234-5678", "02-1234-5678"),
        ("02 123 4567", "02-123-4567"),
        ("(042) 270-3114", "042-270-3114"),
        ("1588-1234", "1588-1234"),
        ("16001234", "1600-1234"),
        ("070-1234-5678", "070-1234-5678"),
        ("０４２－１２３－４５６７", "042-123-4567"),
        ("", ""),
    ],
)
def test_office_numbers_are_stored_in_their_written_form(typed: str, stored: str) -> None:
    assert office_phone_normalise(typed) == stored


@pytest.mark.parametrize("mobile", ["010-1234-5678", "01012345678", "011-123-4567", "019 123 4567"])
def test_a_mobile_number_is_refused_saying_why(mobile: str) -> None:
    with pytest.raises(ValidationError) as error:
        office_phone_normalise(mobile)
    assert error.value.code == "mobile"


@pytest.mark.parametrize(
    "bad",
    ["042-123", "1234-5678", "099-123-4567", "042-123-4567 내선 3", "+82 42 123 4567", "1588"],
)
def test_what_is_not_an_office_number_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        office_phone_normalise(bad)


def test_the_service_writes_ones_own_profile(db, django_user_model) -> None:
    user = django_user_model.objects.create_user(username="kim", password="pw-for-tests-only")
    user_profile_update(
        user=user,
        by=user,
        first_name=" 김복지 ",
        office="서구청 복지정책과",
        office_phone="0421234567",
        email="kim@seogu.example.kr",
    )
    user.refresh_from_db()
    assert (user.first_name, user.office, user.office_phone, user.email) == (
        "김복지",
        "서구청 복지정책과",
        "042-123-4567",
        "kim@seogu.example.kr",
    )


def test_the_service_refuses_someone_elses_profile_and_unknown_fields(db, django_user_model):
    user = django_user_model.objects.create_user(username="kim", password="pw-for-tests-only")
    other = django_user_model.objects.create_user(username="lee", password="pw-for-tests-only")
    with pytest.raises(NotAllowed):
        user_profile_update(user=user, by=other, office="남의 부서")
    with pytest.raises(InvalidProfile):
        user_profile_update(user=user, by=user, is_superuser=True)
    user.refresh_from_db()
    assert (user.office, user.is_superuser) == ("", False)


def test_one_bad_value_changes_nothing(db, django_user_model) -> None:
    user = django_user_model.objects.create_user(username="kim", password="pw-for-tests-only")
    with pytest.raises(InvalidProfile) as error:
        user_profile_update(user=user, by=user, office="서구청", office_phone="010-1234-5678")
    assert set(error.value.extra["fields"]) == {"office_phone"}
    assert User.objects.get(pk=user.pk).office == ""


def test_the_profile_page_needs_a_login(client, db) -> None:
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_header_and_the_dashboard_link_to_the_profile(client, daejeon, make_member) -> None:
    user = make_member(daejeon["서구"], Role.COORDINATOR)
    User.objects.filter(pk=user.pk).update(first_name="김복지")
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    assert re.search(r'<a class="who" href="/accounts/profile/"[^>]*>김복지</a>', html)
    assert html.count('href="/accounts/profile/"') >= 2


def test_the_page_saves_the_profile(client, db, django_user_model) -> None:
    user = django_user_model.objects.create_user(username="kim", password="pw-for-tests-only")
    client.force_login(user)
    response = client.post(
        "/accounts/profile/",
        {
            "first_name": "김복지",
            "office": "서구청 복지정책과",
            "office_phone": "042 123 4567",
            "email": "kim@seogu.example.kr",
        },
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "프로필을 저장했습니다." in html
    assert 'value="042-123-4567"' in html
    assert 'value="서구청 복지정책과"' in html
    user.refresh_from_db()
    assert user.office_phone == "042-123-4567"


def test_the_page_refuses_a_mobile_number_in_korean_and_saves_nothing(
    client, db, django_user_model
) -> None:
    user = django_user_model.objects.create_user(username="kim", password="pw-for-tests-only")
    client.force_login(user)
    response = client.post(
        "/accounts/profile/",
        {"first_name": "김복지", "office": "서구청", "office_phone": "010-1234-5678", "email": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "휴대전화 번호가 아닌 기관의 전화번호를 입력하세요." in html
    assert "기관 전화번호만 공개합니다." in html
    user.refresh_from_db()
    assert (user.first_name, user.office, user.office_phone) == ("", "", "")


def test_the_page_refuses_a_bad_email(client, db, django_user_model) -> None:
    user = django_user_model.objects.create_user(username="kim", password="pw-for-tests-only")
    client.force_login(user)
    response = client.post("/accounts/profile/", {"email": "not an address"})
    assert response.status_code == 422
    assert User.objects.get(pk=user.pk).email == ""


def test_the_page_lists_current_and_ended_posts_donors_and_finance(
    client, daejeon, make_member
) -> None:
    today = timezone.localdate()
    user = make_member(
        daejeon["대덕구"],
        Role.CASE_MANAGER,
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today - datetime.timedelta(days=30),
    )
    RegionMembership.objects.create(
        user=user,
        region=daejeon["서구"],
        role=Role.COORDINATOR,
        starts_on=today - datetime.timedelta(days=29),
    )
    user.groups.add(finance_group())
    donor = Donor.objects.create(
        name="함께나눔 사회적협동조합",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1248100998",
        home_region=daejeon["대덕구"],
    )
    DonorMembership.objects.create(user=user, donor=donor)
    client.force_login(user)
    html = client.get("/accounts/profile/").content.decode()
    rows = re.findall(r"<tr(?: class=\"ended\")?>.*?</tr>", html, re.S)
    ended = [row for row in rows if 'class="ended"' in row]
    assert len(ended) == 1 and "대덕구" in ended[0] and "사례관리사" in ended[0]
    assert "종료" in ended[0]
    assert (today - datetime.timedelta(days=30)).isoformat() in ended[0]
    current = [row for row in rows if "서구" in row and "코디네이터" in row]
    assert current and "현재" in current[0] and "근무 중" in current[0]
    assert any("재무" in row for row in rows)
    assert "함께나눔 사회적협동조합" in html
    assert "내가 대표하는 후원기관" in html


def test_the_page_shows_no_one_elses_posts(client, daejeon, make_member) -> None:
    me = make_member(daejeon["서구"], Role.COORDINATOR)
    make_member(daejeon["유성구"], Role.CASE_MANAGER)
    client.force_login(me)
    html = client.get("/accounts/profile/").content.decode()
    assert "유성구" not in html.split("<main", 1)[1]
