"""GET /api/v1/notifications/ and POST /api/v1/notifications/read/: one's own only."""

import pytest
from rest_framework.test import APIClient

from inbox.models import Kind
from inbox.services import notify, unread_count
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return factories.user("ann")


@pytest.fixture
def bob(db):
    return factories.user("bob")


@pytest.fixture
def api(ann):
    client = APIClient()
    client.force_authenticate(ann)
    return client


def _note(user, title):
    return notify([user], Kind.CLAIM_DECIDED, title, "본문", "/claims/3/")[0]


def test_the_list_is_ones_own_newest_first(api, ann, bob):
    _note(ann, "첫째")
    _note(ann, "둘째")
    _note(bob, "밥의 알림")
    body = api.get("/api/v1/notifications/").json()
    assert body["count"] == 2
    assert [row["title"] for row in body["results"]] == ["둘째", "첫째"]
    assert body["results"][0]["unread"] is True and body["results"][0]["url"] == "/claims/3/"


def test_read_marks_ones_own_ids_and_ignores_others(api, ann, bob):
    mine = _note(ann, "내 알림")
    _note(ann, "다른 알림")
    theirs = _note(bob, "밥의 알림")
    response = api.post("/api/v1/notifications/read/", {"ids": [mine.pk, theirs.pk]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 1}
    assert unread_count(bob) == 1
    response = api.post("/api/v1/notifications/read/", {"all": True}, format="json")
    assert response.json() == {"marked": 1, "unread": 0}


@pytest.mark.parametrize(
    "data",
    [{}, {"ids": []}, {"ids": [1], "all": True}, {"ids": [0]}, {"ids": ["x"]}, {"ids": [2**63]}],
)
def test_bad_read_requests_are_400_and_change_nothing(api, ann, data):
    _note(ann, "알림")
    response = api.post("/api/v1/notifications/read/", data, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert unread_count(ann) == 1


def test_signed_out_callers_get_401():
    assert APIClient().get("/api/v1/notifications/").status_code == 401
    assert APIClient().post("/api/v1/notifications/read/", {"all": True}).status_code == 401
