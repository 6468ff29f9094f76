"""The households API writes access records and asks for a purpose for someone else's case."""

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import PersonalDataAccess
from marketplace.services import household_create

from .conftest import MARKER


def _records():
    return list(PersonalDataAccess.objects.order_by("pk"))


def test_own_household_detail_records_a_view(api, people, household):
    response = api(people["cm"]).get(f"/api/v1/households/{household.pk}/", REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    assert response.json()["notes"].endswith(MARKER)
    [record] = _records()
    assert (record.user, record.household, record.action) == (people["cm"], household, "view")
    assert (record.purpose, record.remote_addr) == ("caseload", "10.9.8.7")


def test_someone_elses_household_needs_a_purpose(api, people, household):
    client = api(people["cm2"])
    url = f"/api/v1/households/{household.pk}/"
    refused = client.get(url)
    assert refused.status_code == 400
    assert refused.json()["code"] == "purpose_required"
    assert "purpose" in refused.json()["detail"]
    assert MARKER not in refused.content.decode() and household.code not in refused.content.decode()
    bad = client.get(url, {"purpose": "because"})
    assert (bad.status_code, bad.json()["code"]) == (400, "purpose_required")
    assert "purpose" in bad.json()["fields"]
    too_long = client.get(url, {"purpose": "other", "purpose_detail": "가" * 201})
    assert too_long.status_code == 400
    assert not _records()

    shown = client.get(url, {"purpose": "audit", "purpose_detail": "정기 점검"})
    assert shown.status_code == 200 and shown.json()["notes"].endswith(MARKER)
    by_header = client.get(
        url,
        HTTP_X_ACCESS_PURPOSE="other",
        HTTP_X_ACCESS_PURPOSE_DETAIL=quote("야간 긴급 연락"),
    )
    assert by_header.status_code == 200
    first, second = _records()
    assert (first.purpose, first.purpose_detail, first.outside_caseload) == (
        "audit",
        "정기 점검",
        True,
    )
    assert (second.purpose, second.purpose_detail) == ("other", "야간 긴급 연락")


def test_changes_to_someone_elses_household_need_a_purpose(api, people, household):
    client = api(people["cm2"])
    url = f"/api/v1/households/{household.pk}/"
    for response in (
        client.patch(url, {"size": 6}, format="json"),
        client.post(f"{url}close/"),
    ):
        assert (response.status_code, response.json()["code"]) == (400, "purpose_required")
    household.refresh_from_db()
    assert (household.size, household.status) == (3, "active")
    assert not _records()
    done = client.patch(f"{url}?purpose=handover", {"size": 6}, format="json")
    assert done.status_code == 200
    [record] = _records()
    assert (record.action, record.purpose) == ("update", "handover")


def test_list_records_each_household_in_one_insert_and_withholds_others_notes(
    api, people, household, dong
):
    mine = [
        household_create(by=people["cm2"], dong=dong, size=1, notes="내 메모") for _ in range(2)
    ]
    client = api(people["cm2"])
    with CaptureQueriesContext(connection) as queries:
        listed = client.get("/api/v1/households/")
    assert listed.status_code == 200
    inserts = [q for q in queries if 'INSERT INTO "audit_personaldataaccess"' in q["sql"]]
    assert len(inserts) == 1
    rows = {row["id"]: row for row in listed.json()["results"]}
    assert rows[household.pk]["notes"] is None
    assert MARKER not in listed.content.decode()
    assert all(rows[h.pk]["notes"] == "내 메모" for h in mine)
    records = _records()
    assert sorted(r.household_id for r in records) == sorted([household.pk, *(h.pk for h in mine)])
    assert {r.action for r in records} == {"list"}
    assert {(r.household_id, r.purpose) for r in records if r.outside_caseload} == {
        (household.pk, "region")
    }

    with_purpose = client.get("/api/v1/households/", {"purpose": "audit"})
    assert MARKER in with_purpose.content.decode()
    assert PersonalDataAccess.objects.filter(purpose="audit").count() == 3


def test_create_records_the_registration(api, people, dong):
    response = api(people["cm"]).post(
        "/api/v1/households/", {"dong": dong.code, "size": 2, "notes": "새 가구"}, format="json"
    )
    assert response.status_code == 201
    [record] = _records()
    assert (record.action, record.household_id) == ("create", response.json()["id"])


@pytest.mark.parametrize("who", [None, "cm_seo", "coord", "nobody", "finance"])
def test_refusals_record_nothing_and_show_nothing(api, people, household, who):
    client = api(people[who] if who else None)
    url = f"/api/v1/households/{household.pk}/"
    for response in (
        client.get(url),
        client.get(url, {"purpose": "audit"}),
        client.patch(f"{url}?purpose=audit", {"size": 2}, format="json"),
        client.get("/api/v1/households/99999/"),
    ):
        assert response.status_code in (401, 404)
        assert MARKER not in response.content.decode()
    listed = client.get("/api/v1/households/")
    assert household.code not in listed.content.decode()
    assert not _records()
