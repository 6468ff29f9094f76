"""Household pages write a personal-data access record for every read and change,
ask for a purpose before showing someone else's case, and write nothing on refusal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import PersonalDataAccess
from marketplace.services import household_create

from .conftest import MARKER


def _records():
    return list(PersonalDataAccess.objects.order_by("pk"))


def test_own_household_page_records_a_view(web, people, household):
    response = web(people["cm"]).get(f"/households/{household.pk}/", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert MARKER in response.content.decode()
    [record] = _records()
    assert (record.user, record.household, record.action) == (people["cm"], household, "view")
    assert (record.purpose, record.outside_caseload) == ("caseload", False)
    assert record.remote_addr == "10.1.2.3"
    assert record.path == f"/households/{household.pk}/"


def test_list_records_each_household_shown_with_one_insert(web, people, dong):
    for _ in range(23):
        household_create(by=people["cm"], dong=dong, size=1)
    client = web(people["cm"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/households/")
    assert response.status_code == 200
    inserts = [q for q in queries if 'INSERT INTO "audit_personaldataaccess"' in q["sql"]]
    assert len(inserts) == 1
    records = _records()
    assert len(records) == 20  # one page
    assert {r.action for r in records} == {"list"}
    assert len({r.household_id for r in records}) == 20
    client.get("/households/?page=2")
    assert PersonalDataAccess.objects.count() == 23


def test_someone_elses_household_asks_for_a_purpose_first(web, people, household):
    client = web(people["cm2"])
    url = f"/households/{household.pk}/"
    asked = client.get(url)
    body = asked.content.decode()
    assert asked.status_code == 200
    assert 'name="purpose"' in body and "사례 인계" in body and "긴급 지원" in body
    assert MARKER not in body and household.code not in body
    assert not _records()

    # "Other" without words is not a purpose.
    refused = client.get(url, {"purpose": "other", "purpose_detail": " "})
    assert refused.status_code == 400
    assert MARKER not in refused.content.decode()
    refused = client.get(url, {"purpose": "curiosity"})
    assert refused.status_code == 400
    assert not _records()

    shown = client.get(url, {"purpose": "other", "purpose_detail": "가정 방문  일정\n확인"})
    assert shown.status_code == 200
    assert MARKER in shown.content.decode()
    # The page's forms carry the purpose on.
    assert 'name="purpose" value="other"' in shown.content.decode()
    [record] = _records()
    assert (record.user, record.action, record.purpose) == (people["cm2"], "view", "other")
    assert record.purpose_detail == "가정 방문 일정 확인"
    assert record.outside_caseload is True


def test_changing_someone_elses_household_needs_the_purpose_too(web, people, household):
    client = web(people["cm2"])
    url = f"/households/{household.pk}/edit/"
    refused = client.post(url, {"size": 5, "notes": "바뀜"})
    assert refused.status_code == 400
    assert MARKER not in refused.content.decode()
    household.refresh_from_db()
    assert household.size == 3 and MARKER in household.notes
    assert not _records()

    done = client.post(url, {"size": 5, "notes": "바뀜", "purpose": "emergency"})
    assert done.status_code == 302
    assert "purpose=emergency" in done["Location"]
    household.refresh_from_db()
    assert household.size == 5
    [record] = _records()
    assert (record.action, record.purpose, record.outside_caseload) == ("update", "emergency", True)

    closed = client.post(
        f"/households/{household.pk}/close/", {"purpose": "handover", "reason": "인계 후 종결"}
    )
    assert closed.status_code == 302
    assert _records()[-1].action == "update"


def test_own_household_edit_records_an_update(web, people, household):
    client = web(people["cm"])
    response = client.post(
        f"/households/{household.pk}/edit/", {"size": 4, "notes": "n"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    [record] = _records()
    assert (record.action, record.purpose) == ("update", "caseload")


@pytest.mark.parametrize("who", ["cm_seo", "coord", "nobody", "finance", "admin"])
def test_refusals_show_nothing_and_record_nothing(web, people, household, who):
    client = web(people[who])
    for response in (
        client.get(f"/households/{household.pk}/"),
        client.get(f"/households/{household.pk}/", {"purpose": "audit"}),
        client.post(f"/households/{household.pk}/edit/", {"size": 2, "purpose": "audit"}),
        client.get("/households/999999/"),
    ):
        assert response.status_code in (403, 404), (who, response.status_code)
        body = response.content.decode()
        assert MARKER not in body and household.code not in body
    # A case manager of another district has a list of their own, empty here.
    listed = client.get("/households/")
    assert listed.status_code == (200 if who == "cm_seo" else 403)
    assert household.code not in listed.content.decode()
    assert not _records()


def test_signed_out_visitors_record_nothing(client, household):
    assert client.get(f"/households/{household.pk}/").status_code == 302
    assert client.get("/households/").status_code == 302
    assert not _records()


def test_pages_without_household_data_record_nothing(web, people, household):
    client = web(people["cm"])
    assert client.get("/").status_code == 200
    assert client.get("/households/new/").status_code == 200
    assert not _records()


def test_proxy_address_is_trusted_only_when_configured(web, people, household, settings):
    client = web(people["cm"])
    url = f"/households/{household.pk}/"
    client.get(url, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.ACCESS_PROXY_COUNT = 1
    client.get(url, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    client.get(url, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="not-an-address")
    assert [r.remote_addr for r in _records()] == ["10.0.0.9", "203.0.113.7", None]


def test_the_case_managers_dashboard_records_the_households_it_shows(web, people, household):
    other = household_create(by=people["cm2"], dong=household.dong, size=2)
    with CaptureQueriesContext(connection) as queries:
        response = web(people["cm"]).get("/dashboard/")
    assert response.status_code == 200 and household.code in response.content.decode()
    inserts = [q for q in queries if 'INSERT INTO "audit_personaldataaccess"' in q["sql"]]
    assert len(inserts) == 1
    records = _records()
    assert {(r.household_id, r.action) for r in records} == {
        (household.pk, "list"),
        (other.pk, "list"),
    }
    assert {r.household_id: r.purpose for r in records} == {
        household.pk: "caseload",
        other.pk: "region",
    }


def test_dashboards_without_households_record_nothing(web, people, household):
    for who in ("coord", "finance", "nobody"):
        assert web(people[who]).get("/dashboard/").status_code == 200
    assert not _records()
