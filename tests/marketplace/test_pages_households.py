"""Households and follow-ups through the pages, and who may open them."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from marketplace.models import FollowUp, Household, HouseholdStatus
from marketplace.services import household_close
from tests.helpers import HTMX

# --- households ------------------------------------------------------------------------------


def test_case_manager_registers_closes_and_follows_up_a_household(
    client, people, daejeon, categories
):
    client.force_login(people["cm_daedeok"])
    page = client.get("/households/new/").content.decode()
    dong_select = re.search(r'<select name="dong".*?</select>', page, re.S).group(0)
    dong = daejeon["대덕구"].children.order_by("code").first()
    assert dong.code in dong_select and daejeon["관저2동"].code not in dong_select

    response = client.post(
        "/households/new/",
        {
            "dong": dong.code,
            "size": "2",
            "needs": ["daily_living.side_dishes", "health.checkup"],
            "notes": "거동 불편",
        },
    )
    household = Household.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/households/{household.pk}/"
    assert household.case_manager == people["cm_daedeok"]
    assert set(household.needs.values_list("code", flat=True)) == {
        "daily_living.side_dishes",
        "health.checkup",
    }
    assert household.code in client.get("/households/").content.decode()

    response = client.post(
        f"/households/{household.pk}/edit/",
        {"size": "3", "needs": [], "notes": "거동 불편, 보행기 사용"},
        headers=HTMX,
    )
    assert response.status_code == 200
    household.refresh_from_db()
    assert household.size == 3 and household.notes == "거동 불편, 보행기 사용"

    response = client.post(f"/households/{household.pk}/close/", {"reason": "자립"}, headers=HTMX)
    assert response.status_code == 200
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED
    follow_ups = list(household.follow_ups.all())
    assert len(follow_ups) == 2
    assert client.post(f"/households/{household.pk}/close/", {"reason": "자립"}).status_code == 409

    first = follow_ups[0]
    response = client.post(
        f"/follow-ups/{first.pk}/record/", {f"fu{first.pk}-note": ""}, headers=HTMX
    )
    assert response.status_code == 422
    response = client.post(
        f"/follow-ups/{first.pk}/record/",
        {f"fu{first.pk}-note": "식사 잘 하고 계심", f"fu{first.pk}-outcome": "stable"},
        headers=HTMX,
    )
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.note == "식사 잘 하고 계심" and first.recorded_by == people["cm_daedeok"]
    response = client.post(
        f"/follow-ups/{first.pk}/record/",
        {f"fu{first.pk}-note": "다시", f"fu{first.pk}-outcome": "stable"},
        headers=HTMX,
    )
    assert response.status_code == 409


def test_follow_ups_due_are_on_the_dashboard_with_a_form(client, people, household):
    household_close(household=household, by=people["cm_daedeok"])
    FollowUp.objects.filter(household=household).update(due_on=timezone.localdate())
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert 'data-action="record-follow-up"' in html
    follow_up = FollowUp.objects.filter(household=household).first()
    response = client.post(
        f"/follow-ups/{follow_up.pk}/record/",
        {
            f"fu{follow_up.pk}-note": "안부 확인",
            f"fu{follow_up.pk}-outcome": "stable",
            "next": "/dashboard/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


@pytest.mark.parametrize(
    "changes",
    [
        {"size": "0"},
        {"size": "21"},
        {"size": "abc"},
        {"size": "9" * 40},
        {"dong": "3017059700"},  # a dong of another district
        {"dong": "3023000000"},  # a district, not a dong
        {"needs": ["nope"]},
        {"notes": "연락처 010-1234-5678"},
        {"notes": "주민번호 900101-1234567"},
    ],
)
def test_household_form_refuses_bad_input(client, people, daejeon, categories, changes):
    client.force_login(people["cm_daedeok"])
    dong = daejeon["대덕구"].children.order_by("code").first()
    data = {"dong": dong.code, "size": "2", "notes": "", **changes}
    response = client.post("/households/new/", data)
    assert response.status_code == 422
    assert not Household.objects.exists()


def test_household_pages_are_for_its_regions_case_managers(client, people, household, nobody):
    assert client.get("/households/").status_code == 302
    for user in (people["coord_seo"], people["coord_daedeok"], nobody):
        client.force_login(user)
        assert client.get("/households/").status_code == 403
        assert client.get("/households/new/").status_code == 403
        assert client.get(f"/households/{household.pk}/").status_code == 403
    client.force_login(people["cm_seo"])
    assert client.get(f"/households/{household.pk}/").status_code == 403
    assert client.post(f"/households/{household.pk}/close/", {"reason": "자립"}).status_code == 403
    assert household.code not in client.get("/households/").content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE
    client.force_login(people["cm_daedeok"])
    assert client.get("/households/999999/").status_code == 404
