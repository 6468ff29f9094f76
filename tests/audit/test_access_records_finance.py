"""Finance and administrators search and export the access records; the monthly
report finds bursts, out-of-hours access and access outside one's caseload; the
records are append-only in the database."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditLogChangeError, PersonalDataAccess
from audit.selectors import unusual_access
from marketplace.services import household_create
from people.models import Role

SEOUL = ZoneInfo("Asia/Seoul")


def _at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def records(people, household, dong):
    others = [household_create(by=people["cm"], dong=dong, size=1) for _ in range(2)]
    rows = [
        (people["cm"], household, "view", _at(2026, 11, 3, 10, 0)),
        (people["cm2"], household, "view", _at(2026, 11, 4, 11, 0)),
        (people["cm2"], others[0], "update", _at(2026, 11, 20, 9, 0)),
        (people["cm"], others[1], "list", _at(2026, 10, 30, 9, 0)),
    ]
    return PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=user,
            household=h,
            action=action,
            at=at,
            purpose="caseload" if h.case_manager_id == user.pk else "audit",
            outside_caseload=h.case_manager_id != user.pk,
        )
        for user, h, action, at in rows
    )


def _shown(response) -> set[int]:
    body = response.content.decode()
    return {r.pk for r in PersonalDataAccess.objects.all() if f'data-record="{r.pk}"' in body}


def test_finance_searches_by_user_household_dates_and_action(web, people, household, records):
    client = web(people["finance"])
    everything = client.get("/finance/access-records/")
    assert everything.status_code == 200
    assert _shown(everything) == {r.pk for r in records}
    assert _shown(client.get("/finance/access-records/", {"user": "cm_dong"})) == {
        records[1].pk,
        records[2].pk,
    }
    assert _shown(client.get("/finance/access-records/", {"household": household.code})) == {
        records[0].pk,
        records[1].pk,
    }
    in_november = client.get(
        "/finance/access-records/", {"date_from": "2026-11-01", "date_to": "2026-11-04"}
    )
    assert _shown(in_november) == {records[0].pk, records[1].pk}
    assert _shown(client.get("/finance/access-records/", {"action": "update"})) == {records[2].pk}
    # Searching is not a read of any household: nothing new is recorded.
    assert PersonalDataAccess.objects.count() == 4


def test_bad_search_input_is_a_clear_400(web, people, records):
    client = web(people["finance"])
    for query in (
        {"date_from": "2026-13-01"},
        {"date_from": "2026-11-05", "date_to": "2026-11-01"},
        {"action": "peek"},
    ):
        response = client.get("/finance/access-records/", query)
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert client.get("/finance/access-records/", {"page": "x"}).status_code == 200


def test_export_is_csv_and_is_itself_recorded(web, people, household, records):
    client = web(people["admin"])
    response = client.get(
        "/finance/access-records/", {"user": "cm_dong", "format": "csv"}, REMOTE_ADDR="10.0.0.5"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 3  # heading and the two records of cm_dong
    assert household.code in text and "cm_dong" in text and "cm_dd" not in text
    export = PersonalDataAccess.objects.latest("pk")
    assert (export.user, export.action, export.household) == (people["admin"], "export", None)
    assert (export.purpose, export.remote_addr) == ("audit", "10.0.0.5")
    assert "username=cm_dong" in export.purpose_detail


@pytest.mark.parametrize("who", ["cm", "cm2", "coord", "nobody"])
def test_only_finance_and_administrators_see_the_records(web, people, records, who):
    client = web(people[who])
    for url in (
        "/finance/access-records/",
        "/finance/access-records/?format=csv",
        "/finance/access-records/report/?month=2026-11",
    ):
        response = client.get(url)
        assert response.status_code == 403
        body = response.content.decode()
        assert "data-record" not in body and "data-burst" not in body
    assert PersonalDataAccess.objects.count() == 4


def test_signed_out_visitors_are_sent_to_sign_in(client, records):
    response = client.get("/finance/access-records/?format=csv")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert PersonalDataAccess.objects.count() == 4


@pytest.fixture
def month_of_access(people, dong):
    """November 2026: cm_dong reads 20 households in 9 minutes one Tuesday morning
    (a burst); cm_dd reads 19 in the same way (not one), then one at 22:10 and one on
    a Saturday (out of hours)."""
    households = [household_create(by=people["cm"], dong=dong, size=1) for _ in range(20)]
    rows = []
    start = _at(2026, 11, 10, 9, 0)
    for i, h in enumerate(households):
        rows.append((people["cm2"], h, start + datetime.timedelta(seconds=27 * i)))
    for i, h in enumerate(households[:19]):
        rows.append((people["cm"], h, start + datetime.timedelta(seconds=20 * i)))
    rows.append((people["cm"], households[0], _at(2026, 11, 11, 22, 10)))
    rows.append((people["cm"], households[1], _at(2026, 11, 14, 10, 0)))
    rows.append((people["cm"], households[2], _at(2026, 12, 1, 3, 0)))  # another month
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=user,
            household=h,
            action="view",
            at=at,
            purpose="audit" if user != people["cm"] else "caseload",
            outside_caseload=user != people["cm"],
        )
        for user, h, at in rows
    )
    return households


def test_report_finds_the_burst_and_the_out_of_hours_access(people, month_of_access):
    report = unusual_access(datetime.date(2026, 11, 1))
    assert report.records == 41
    [burst] = report.bursts
    assert (burst.user_id, burst.households) == (people["cm2"].pk, 20)
    assert set(report.out_of_hours) == {people["cm"].pk}
    assert report.out_of_hours[people["cm"].pk].records == 2
    assert set(report.outside_caseload) == {people["cm2"].pk}
    assert len(report.outside_caseload[people["cm2"].pk].households) == 20


def test_report_command_prints_the_month(people, month_of_access):
    out = io.StringIO()
    call_command("access_report", "--month", "2026-11", stdout=out)
    text = out.getvalue()
    assert "cm_dong: 20 households, 2026-11-10 09:00 - 2026-11-10 09:08" in text
    assert "cm_dd: 2 records, 2 households, 2026-11-11 22:10 - 2026-11-14 10:00" in text
    for bad in ("2026-13", "11/2026", "x"):
        with pytest.raises(CommandError):
            call_command("access_report", "--month", bad, stdout=io.StringIO())


def test_report_page_for_finance(web, people, month_of_access):
    client = web(people["finance"])
    response = client.get("/finance/access-records/report/", {"month": "2026-11"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-burst="cm_dong"' in body and 'data-burst="cm_dd"' not in body
    assert 'data-out-of-hours="cm_dd"' in body
    assert 'data-outside-caseload="cm_dong"' in body
    assert client.get("/finance/access-records/report/", {"month": "2026-99"}).status_code == 400
    assert client.get("/finance/access-records/report/").status_code == 200


def test_the_model_refuses_changes_and_deletion(records):
    record = records[0]
    record.purpose = "other"
    with pytest.raises(AuditLogChangeError):
        record.save()
    with pytest.raises(AuditLogChangeError):
        record.delete()
    with pytest.raises(AuditLogChangeError):
        PersonalDataAccess.objects.filter(pk=record.pk).update(purpose="other")
    with pytest.raises(AuditLogChangeError):
        PersonalDataAccess.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_personaldataaccess SET purpose = 'other'",
        "DELETE FROM audit_personaldataaccess",
    ],
)
def test_the_database_refuses_update_and_delete(records, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert PersonalDataAccess.objects.filter(purpose="other").count() == 0
    assert PersonalDataAccess.objects.count() == 4


@pytest.mark.postgres
def test_postgres_refuses_truncate(records):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Check the fixture's deferred foreign keys now; TRUNCATE refuses pending ones.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE audit_personaldataaccess CASCADE")
    assert PersonalDataAccess.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_committed_records_are_still_cleaned_up_between_tests(client, daejeon, make_member):
    """The test database is emptied past the triggers (tests/conftest.py), so tests that
    commit may write access records; this one commits one and leaves it for the flush."""
    dong = daejeon["대덕구"].children.order_by("code").first()
    manager = make_member(dong, Role.CASE_MANAGER, username="cm_tx")
    household = household_create(by=manager, dong=dong, size=1)
    client.force_login(manager)
    assert client.get(f"/households/{household.pk}/").status_code == 200
    assert PersonalDataAccess.objects.filter(household=household).count() == 1
