"""The API of households and follow-ups, and who sees a household through it."""

import datetime

import pytest

from exchange.services import claim_request
from marketplace.models import FollowUp, Household
from marketplace.selectors import Viewer, may_see_household
from marketplace.services import (
    household_close,
    household_create,
)
from people.models import Role
from tests.helpers import api_client, result_ids

# --- households ------------------------------------------------------------------------


def test_case_manager_registers_updates_closes_and_follows_up_a_household(
    people, daejeon, categories
):
    client = api_client(people["cm_daedeok"])
    dong = daejeon["대덕구"].children.order_by("code").first()
    created = client.post(
        "/api/v1/households/",
        {"dong": dong.code, "size": 2, "needs": ["daily_living.side_dishes"], "notes": "거동 불편"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["code"].startswith("HH-")
    assert (body["district_name"], body["case_manager"], body["status"]) == (
        "대덕구",
        "cm_dd",
        "active",
    )
    url = f"/api/v1/households/{body['id']}/"

    updated = client.patch(url, {"size": 3, "needs": []}, format="json")
    assert updated.status_code == 200, updated.json()
    assert (updated.json()["size"], updated.json()["needs"], updated.json()["notes"]) == (
        3,
        [],
        "거동 불편",
    )
    assert result_ids(client.get("/api/v1/households/")) == {body["id"]}

    closed = client.post(f"{url}close/")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    follow_ups = closed.json()["follow_ups"]
    assert len(follow_ups) == 2
    again = client.post(f"{url}close/")
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")

    first = follow_ups[0]["id"]
    recorded = client.post(
        f"{url}record-follow-up/", {"follow_up": first, "note": "안정적", "outcome": "stable"}
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["follow_ups"][0]["recorded_by"] == "cm_dd"
    twice = client.post(
        f"{url}record-follow-up/", {"follow_up": first, "note": "다시", "outcome": "crisis"}
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")
    assert FollowUp.objects.get(pk=first).note == "안정적"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"follow_up": 10**30, "note": "x", "outcome": "stable"}, "follow_up"),
        ({"follow_up": "abc", "note": "x", "outcome": "stable"}, "follow_up"),
        ({"follow_up": 1.5, "note": "x", "outcome": "stable"}, "follow_up"),
        ({"note": "x", "outcome": "stable"}, "follow_up"),
        # another household's follow-up
        ({"follow_up": "OTHER", "note": "x", "outcome": "stable"}, "follow_up"),
        ({"follow_up": "MINE", "note": "", "outcome": "stable"}, "note"),
        ({"follow_up": "MINE", "outcome": "stable"}, "note"),
        ({"follow_up": "MINE", "note": "x"}, "outcome"),
        ({"follow_up": "MINE", "note": "x", "outcome": ""}, "outcome"),
        ({"follow_up": "MINE", "note": "x", "outcome": "fine"}, "outcome"),
        ({"follow_up": "MINE", "note": "x", "outcome": ["crisis"]}, "outcome"),
    ],
)
def test_bad_follow_up_records_get_400(people, daejeon, household, body, field):
    household_close(household=household, by=people["cm_daedeok"])
    other = household_create(by=people["cm_daedeok"], dong=household.dong, size=1)
    household_close(household=other, by=people["cm_daedeok"])
    ids = {
        "MINE": household.follow_ups.first().pk,
        "OTHER": other.follow_ups.first().pk,
    }
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = api_client(people["cm_daedeok"]).post(
        f"/api/v1/households/{household.pk}/record-follow-up/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not FollowUp.objects.filter(recorded_at__isnull=False).exists()


def test_households_do_not_exist_for_anyone_but_their_case_managers(
    people, household, nobody, daejeon, make_member
):
    url = f"/api/v1/households/{household.pk}/"
    assert api_client().get("/api/v1/households/").status_code == 401
    assert api_client().get(url).status_code == 401
    for user in (nobody, people["coord_daedeok"], people["coord_seo"], people["cm_seo"]):
        client = api_client(user)
        listed = client.get("/api/v1/households/")
        assert (listed.status_code, listed.json()["count"]) == (200, 0)
        for response in (
            client.get(url),
            client.patch(url, {"notes": "x"}),
            client.post(f"{url}close/"),
        ):
            assert response.status_code == 404
    household.refresh_from_db()
    assert (household.notes, household.status) == ("독거 어르신 동거", "active")

    # A case manager of the dong alone sees it too; one of another dong does not.
    dong_cm = make_member(household.dong, Role.CASE_MANAGER)
    assert result_ids(api_client(dong_cm).get("/api/v1/households/")) == {household.pk}
    next_dong = daejeon["대덕구"].children.order_by("code")[1]
    assert (
        result_ids(api_client(make_member(next_dong, Role.CASE_MANAGER)).get("/api/v1/households/"))
        == set()
    )


def test_only_case_managers_register_households_and_only_in_their_dongs(people, daejeon, nobody):
    dong = daejeon["대덕구"].children.order_by("code").first()
    payload = {"dong": dong.code, "size": 2}
    assert api_client().post("/api/v1/households/", payload).status_code == 401
    for user in (nobody, people["coord_daedeok"]):
        response = api_client(user).post("/api/v1/households/", payload)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    # Refused before the body is read: a bad body is still 403, not 400.
    assert api_client(nobody).post("/api/v1/households/", {"size": "x"}).status_code == 403
    response = api_client(people["cm_seo"]).post("/api/v1/households/", payload)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"size": 0}, "size"),
        ({"size": 21}, "size"),
        ({"size": 2.5}, "size"),
        ({"size": "two"}, "size"),
        ({"size": 10**30}, "size"),
        ({"dong": "9999999999"}, "dong"),
        ({"dong": "3023000000"}, "dong"),  # a district, not a dong
        ({"needs": ["no.such"]}, "needs"),
        ({"needs": "daily_living"}, "needs"),
        ({"notes": ["x"]}, "notes"),
    ],
)
def test_bad_households_get_400_naming_the_field(people, daejeon, change, field):
    dong = daejeon["대덕구"].children.order_by("code").first()
    response = api_client(people["cm_daedeok"]).post(
        "/api/v1/households/", {"dong": dong.code, "size": 2, **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Household.objects.exists()


# --- who sees a household --------------------------------------------------------------


def test_household_codes_and_notes_reach_no_one_but_their_case_managers(
    people, make_listing, household, grant, daejeon, nobody
):
    grant(daejeon["대덕구"], 1_000)
    # One claim on a 서구 listing and one on a 대덕구 listing, so that the
    # coordinators of both regions see a claim for the household.
    cross = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=1
    )
    local_listing = make_listing(region_name="대덕구", category="economy.donated_goods")
    local = claim_request(
        by=people["cm_daedeok"], listing=local_listing, household=household, quantity=1
    )
    secret_code, secret_notes = household.code.encode(), household.notes.encode()

    urls = [
        "/api/v1/listings/",
        f"/api/v1/listings/{local_listing.pk}/",
        "/api/v1/claims/",
        f"/api/v1/claims/{cross.pk}/",
        f"/api/v1/claims/{local.pk}/",
        "/api/v1/households/",
        f"/api/v1/households/{household.pk}/",
    ]
    onlookers = {
        "anonymous": None,
        "no role": nobody,
        "coordinator of the listing's region": people["coord_seo"],
        "coordinator of the household's region": people["coord_daedeok"],
        "case manager of another region": people["cm_seo"],
    }
    for who, user in onlookers.items():
        client = api_client(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 401, 404), (who, url)
            assert secret_code not in response.content, (who, url)
            assert secret_notes not in response.content, (who, url)

    # The coordinators see where the household lives, and act on the claims
    # without ever being shown who it is.
    seen = api_client(people["coord_seo"]).get(f"/api/v1/claims/{cross.pk}/").json()
    assert (seen["household"], seen["household_district"]) == (None, "대덕구")
    for user, claim in ((people["coord_seo"], cross), (people["coord_daedeok"], local)):
        response = api_client(user).post(f"/api/v1/claims/{claim.pk}/approve/")
        assert response.status_code == 200
        assert secret_code not in response.content
        assert secret_notes not in response.content

    # The household's own case manager sees the code (and the notes on the household).
    client = api_client(people["cm_daedeok"])
    assert secret_code in client.get(f"/api/v1/claims/{cross.pk}/").content
    assert secret_notes in client.get(f"/api/v1/households/{household.pk}/").content


def test_the_api_decides_who_sees_a_household_as_may_see_household_does(
    people, daejeon, household, nobody, make_member
):
    others = [
        household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=1),
        household,
    ]
    users = [
        *people.values(),
        nobody,
        make_member(household.dong, Role.CASE_MANAGER),
        make_member(
            daejeon["관저2동"],
            Role.CASE_MANAGER,
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2025, 12, 31),
        ),
    ]
    for user in users:
        viewer = Viewer(user)
        for h in others:
            assert viewer.sees_household(h) == may_see_household(user, h), (user, h)
