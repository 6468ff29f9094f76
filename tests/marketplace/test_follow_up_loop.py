"""Follow-ups that close the loop: an outcome with each record, overdue ones
escalated to the district's coordinators, reopening a closed case with its
history, and the completion rate per district."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import TransitionLog
from audit.services import audit_history
from config.exceptions import IllegalTransition, InvalidRequest, NotAllowed
from exchange.account_views import DASHBOARD_ROWS
from exchange.models import Claim
from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.exceptions import DuplicateService
from marketplace.models import FollowUp, FollowUpOutcome, Household, HouseholdStatus
from marketplace.selectors import (
    Viewer,
    decorate_escalated,
    follow_up_completion,
    follow_ups_due,
    follow_ups_escalated,
    household_history,
    percent_text,
)
from marketplace.services import follow_up_record, household_close, household_reopen
from people.models import RegionMembership, Role
from regions.models import Region
from tests import factories
from tests.helpers import HTMX


def _closed(people, daejeon, district="대덕구", cm="cm_daedeok") -> Household:
    household = factories.household(
        by=people[cm], dong=factories.first_dong(daejeon[district]), size=2
    )
    return household_close(household=household, by=people[cm])


def _due(follow_up: FollowUp, days_ago: int) -> FollowUp:
    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=days_ago)
    )
    follow_up.refresh_from_db()
    return follow_up


# --- the outcome ------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["", "fine", "STABLE", " stable", None])
def test_a_follow_up_without_a_known_outcome_is_refused(people, daejeon, outcome):
    household = _closed(people, daejeon)
    follow_up = household.follow_ups.first()
    with pytest.raises(InvalidRequest) as caught:
        follow_up_record(
            follow_up=follow_up, by=people["cm_daedeok"], note="안부 확인", outcome=outcome
        )
    assert "outcome" in caught.value.extra["fields"]
    follow_up.refresh_from_db()
    assert follow_up.recorded_at is None and follow_up.outcome == ""


@pytest.mark.parametrize("outcome", FollowUpOutcome.values)
def test_each_outcome_is_stored_with_the_record(people, daejeon, outcome):
    household = _closed(people, daejeon)
    follow_up = follow_up_record(
        follow_up=household.follow_ups.first(),
        by=people["cm_daedeok"],
        note="방문 상담",
        outcome=outcome,
    )
    stored = FollowUp.objects.get(pk=follow_up.pk)
    assert stored.outcome == outcome and stored.recorded_at is not None


def test_the_page_wants_an_outcome_next_to_the_field_in_korean(client, people, daejeon):
    household = _closed(people, daejeon)
    first = household.follow_ups.order_by("due_on").first()
    client.force_login(people["cm_daedeok"])
    for outcome in ("", "excellent"):
        response = client.post(
            f"/follow-ups/{first.pk}/record/",
            {f"fu{first.pk}-note": "식사 잘 하심", f"fu{first.pk}-outcome": outcome},
            headers=HTMX,
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert f'id="id_fu{first.pk}-outcome-error"' in html
        assert "사후관리 결과를 안정, 재발, 위기 중에서 고르세요." in html
    first.refresh_from_db()
    assert first.recorded_at is None


def test_a_crisis_on_a_closed_case_offers_to_reopen_it(client, people, daejeon):
    household = _closed(people, daejeon)
    first, second = household.follow_ups.order_by("due_on")
    client.force_login(people["cm_daedeok"])
    stable = client.post(
        f"/follow-ups/{first.pk}/record/",
        {f"fu{first.pk}-note": "안정적", f"fu{first.pk}-outcome": "stable"},
        headers=HTMX,
    )
    assert stable.status_code == 200
    assert 'data-action="go-reopen"' not in stable.content.decode()
    crisis = client.post(
        f"/follow-ups/{second.pk}/record/",
        {f"fu{second.pk}-note": "단전 위기", f"fu{second.pk}-outcome": "crisis"},
        headers=HTMX,
    )
    html = crisis.content.decode()
    assert crisis.status_code == 200
    assert (
        'data-action="go-reopen"' in html and f"/households/{household.pk}/?reopen=1#reopen" in html
    )
    assert "위기" in html
    page = client.get(f"/households/{household.pk}/").content.decode()
    assert '<details class="panel" id="reopen" open>' in page


# --- escalation -------------------------------------------------------------------------------


def test_a_follow_up_is_escalated_from_the_day_the_setting_says(people, daejeon, settings):
    settings.FOLLOW_UP_ESCALATE_DAYS = 14
    household = _closed(people, daejeon)
    first, second = household.follow_ups.order_by("due_on")
    coordinator = people["coord_daedeok"]

    _due(first, 13)
    _due(second, 13)
    assert list(follow_ups_escalated(coordinator)) == []
    _due(first, 14)
    assert list(follow_ups_escalated(coordinator)) == [first]
    _due(second, 15)
    assert list(follow_ups_escalated(coordinator)) == [second, first]

    # The same on a given day: the boundary moves with it.
    today = timezone.localdate()
    assert list(follow_ups_escalated(coordinator, on=today - datetime.timedelta(days=1))) == [
        second
    ]
    rows = decorate_escalated(follow_ups_escalated(coordinator), Viewer(coordinator))
    assert [r.days_overdue for r in rows] == [15, 14]
    assert {r.district_name for r in rows} == {"대덕구"}
    assert not any(r.shows_code for r in rows)

    follow_up_record(follow_up=second, by=people["cm_daedeok"], note="통화", outcome="relapse")
    assert list(follow_ups_escalated(coordinator)) == [first]
    settings.FOLLOW_UP_ESCALATE_DAYS = 30
    assert list(follow_ups_escalated(coordinator)) == []


def test_escalation_is_for_the_district_coordinators_only(people, daejeon, make_member):
    household = _closed(people, daejeon)
    for follow_up in household.follow_ups.all():
        _due(follow_up, 40)
    dong_coordinator = make_member(household.dong, Role.COORDINATOR, username="coord_dong")
    other_dong = daejeon["대덕구"].children.order_by("-code").first()
    elsewhere = make_member(other_dong, Role.COORDINATOR, username="coord_other_dong")
    assert follow_ups_escalated(people["coord_daedeok"]).count() == 2
    assert follow_ups_escalated(dong_coordinator).count() == 2
    assert follow_ups_escalated(people["coord_seo"]).count() == 0
    assert follow_ups_escalated(elsewhere).count() == 0
    assert follow_ups_escalated(people["cm_daedeok"]).count() == 0


def test_coordinator_dashboard_shows_overdue_follow_ups_without_the_household(
    client, people, daejeon, settings
):
    settings.FOLLOW_UP_ESCALATE_DAYS = 14
    cm = people["cm_daedeok"]
    cm.first_name, cm.last_name, cm.office = "민지", "김", "대덕구청 복지정책과"
    cm.save()
    household = _closed(people, daejeon)
    first, second = household.follow_ups.order_by("due_on")
    first = _due(first, 20)
    _due(second, 3)
    counts = (FollowUp.objects.count(), TransitionLog.objects.count())

    client.force_login(people["coord_daedeok"])
    response = client.get("/dashboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "기한 지난 사후관리" in html
    assert f'data-follow-up="{first.pk}"' in html and f'data-follow-up="{second.pk}"' not in html
    assert f"대덕구 {household.dong.name}" in html
    assert first.due_on.isoformat() in html
    assert "20일" in html
    assert "민지" in html and "대덕구청 복지정책과" in html
    assert f"{household.dong.name}의 한 가구" in html
    assert household.code not in html
    assert (FollowUp.objects.count(), TransitionLog.objects.count()) == counts

    client.force_login(people["coord_seo"])
    other = client.get("/dashboard/").content.decode()
    assert "기한 지난 사후관리" in other
    assert f'data-follow-up="{first.pk}"' not in other and household.dong.name not in other


def test_a_coordinator_who_is_also_its_case_manager_sees_the_code(
    client, people, daejeon, make_member
):
    household = _closed(people, daejeon)
    first = _due(household.follow_ups.order_by("due_on").first(), 30)
    both = make_member(daejeon["대덕구"], Role.COORDINATOR, username="both")
    RegionMembership.objects.create(user=both, region=daejeon["대덕구"], role=Role.CASE_MANAGER)
    client.force_login(both)
    html = client.get("/dashboard/").content.decode()
    row = html[html.index(f'data-follow-up="{first.pk}"') :]
    assert household.code in row[: row.index("</tr>")]


# --- reopening --------------------------------------------------------------------------------


def test_reopening_needs_a_reason_and_changes_nothing_without_one(people, daejeon):
    household = _closed(people, daejeon)
    for reason in ("", "   \n"):
        with pytest.raises(InvalidRequest) as caught:
            household_reopen(household=household, by=people["cm_daedeok"], reason=reason)
        assert "reason" in caught.value.extra["fields"]
    with pytest.raises(InvalidRequest):
        household_reopen(
            household=household, by=people["cm_daedeok"], reason="연락처 010-1234-5678"
        )
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED
    assert not household.follow_ups.filter(held_at__isnull=False).exists()
    assert [e.transition for e in audit_history(household)] == ["close"]


def test_reopening_keeps_the_history_and_holds_the_follow_ups(people, daejeon):
    cm = people["cm_daedeok"]
    household = _closed(people, daejeon)
    closed_at = household.closed_at
    first, second = household.follow_ups.order_by("due_on")
    follow_up_record(follow_up=first, by=cm, note="단전 위기", outcome=FollowUpOutcome.CRISIS)

    household_reopen(household=household, by=cm, reason="위기 사후관리로 재개")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE and household.closed_at == closed_at
    second.refresh_from_db()
    assert second.held_at is not None and second.recorded_at is None
    first.refresh_from_db()
    assert first.held_at is None and first.outcome == "crisis"
    assert second not in follow_ups_due(cm, on=second.due_on)
    with pytest.raises(IllegalTransition):
        follow_up_record(follow_up=second, by=cm, note="x", outcome="stable")
    with pytest.raises(IllegalTransition):
        household_reopen(household=household, by=cm, reason="두 번")

    log = list(audit_history(household))
    assert [(e.transition, e.source, e.target) for e in log] == [
        ("close", "active", "closed"),
        ("reopen", "closed", "active"),
    ]
    assert log[1].by == cm and log[1].reason == "위기 사후관리로 재개"
    assert [e.kind for e in household_history(household)] == [
        "close",
        "follow_up",
        "reopen",
        "held",
    ]

    # Closing again schedules new follow-ups; the held one stays held.
    household_close(household=household, by=cm)
    assert household.follow_ups.count() == 4
    assert household.follow_ups.filter(held_at__isnull=False).count() == 1
    assert [e.kind for e in household_history(household)][-1] == "close"


def test_only_case_managers_of_the_region_may_reopen(people, daejeon):
    household = _closed(people, daejeon)
    for user in (people["cm_seo"], people["coord_daedeok"], people["coord_seo"]):
        with pytest.raises(NotAllowed):
            household_reopen(household=household, by=user, reason="재개")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED


def test_the_duplicate_service_window_still_applies_after_reopening(
    people, daejeon, make_listing, grant, settings
):
    """Side dishes claimed and received 20 days ago, then the case closed and
    reopened: a new claim for side dishes is a repeated service within 30 days."""
    settings.DUPLICATE_WINDOW_DAYS = 30
    cm = people["cm_daedeok"]
    now = timezone.now()
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000, available_from=datetime.date(2020, 1, 1))
    household = factories.household(by=cm, dong=factories.first_dong(daejeon["대덕구"]))
    first = claim_request(by=cm, listing=listing, household=household, quantity=1)
    claim_approve(claim=first, by=people["coord_seo"])
    claim_fulfil(claim=first, by=cm, quantity_received=1)
    Claim.objects.filter(pk=first.pk).update(requested_at=now - datetime.timedelta(days=20))
    household_close(household=household, by=cm)
    household.refresh_from_db()
    with pytest.raises(IllegalTransition):
        claim_request(by=cm, listing=listing, household=household, quantity=1)

    household_reopen(household=household, by=cm, reason="재발")
    household.refresh_from_db()
    with pytest.raises(DuplicateService):
        claim_request(by=cm, listing=listing, household=household, quantity=1)
    # Outside a shorter window the same claim is no repeat: the check counts days.
    settings.DUPLICATE_WINDOW_DAYS = 15
    again = claim_request(by=cm, listing=listing, household=household, quantity=1)
    assert again.household_id == household.pk and not again.justification


def test_the_household_page_reopens_with_a_reason_and_shows_the_history(client, people, daejeon):
    household = _closed(people, daejeon)
    first = household.follow_ups.order_by("due_on").first()
    follow_up_record(follow_up=first, by=people["cm_daedeok"], note="위기", outcome="crisis")
    client.force_login(people["cm_daedeok"])
    url = f"/households/{household.pk}/reopen/"

    missing = client.post(url, {"reason": ""}, headers=HTMX)
    assert missing.status_code == 422
    assert 'id="id_reason-error"' in missing.content.decode()
    assert "사례를 재개하려면 사유를 적어야 합니다." in missing.content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED

    response = client.post(url, {"reason": "위기 가구 재개입"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="active"' in html
    assert "사례 이력" in html
    for text in ("사례 종결", "사례 재개", "위기 가구 재개입", "재개로 보류", "위기"):
        assert text in html, text
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE

    again = client.post(url, {"reason": "두 번째"}, headers=HTMX)
    assert again.status_code == 409
    assert TransitionLog.objects.filter(transition="reopen").count() == 1


def test_others_cannot_reopen_through_the_page(client, people, daejeon, make_member):
    household = _closed(people, daejeon)
    url = f"/households/{household.pk}/reopen/"
    assert client.post(url, {"reason": "x"}).status_code == 302  # to the login page
    for user in (people["cm_seo"], people["coord_daedeok"]):
        client.force_login(user)
        response = client.post(url, {"reason": "재개"})
        assert response.status_code == 403
        assert household.code not in response.content.decode()
    client.force_login(people["cm_daedeok"])
    assert client.get(url).status_code == 405
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CLOSED


# --- completion rate --------------------------------------------------------------------------


def _record_as(follow_up, by, outcome):
    follow_up_record(follow_up=follow_up, by=by, note="기록", outcome=outcome)


@pytest.fixture
def completion_world(people, daejeon):
    """대덕구: 4 due in the period (3 recorded: stable, stable, crisis; 1 not), 1 held
    (not counted), 1 due before the period. 서구: 2 due (1 relapse, 1 not)."""
    today = timezone.localdate()
    cm_dd, cm_seo = people["cm_daedeok"], people["cm_seo"]
    follow_ups = []
    for _ in range(3):
        follow_ups += list(_closed(people, daejeon).follow_ups.order_by("due_on"))
    for days, follow_up in zip([10, 20, 30, 40, 50, 400], follow_ups, strict=True):
        _due(follow_up, days)
    a, b, c, _d, e, old = follow_ups
    _record_as(a, cm_dd, "stable")
    _record_as(b, cm_dd, "stable")
    _record_as(c, cm_dd, "crisis")
    _record_as(old, cm_dd, "relapse")
    # e and old are one household's: its case is reopened before e is recorded.
    household_reopen(household=e.household, by=cm_dd, reason="재개")
    seo = list(_closed(people, daejeon, "서구", "cm_seo").follow_ups.order_by("due_on"))
    _due(seo[0], 5)
    _due(seo[1], 6)
    _record_as(seo[0], cm_seo, "relapse")
    return {"start": today - datetime.timedelta(days=364), "end": today}


def test_completion_rate_per_district_on_a_hand_built_fixture(completion_world, daejeon):
    rows, total = follow_up_completion(regions=None, **completion_world)
    by_name = {row.district.name: row for row in rows}
    assert set(by_name) == {"대덕구", "서구"}
    dd, seo = by_name["대덕구"], by_name["서구"]
    assert (dd.due, dd.recorded, dd.rate) == (4, 3, "75.0%")
    assert dd.outcomes == {"stable": 2, "relapse": 0, "crisis": 1}
    assert (seo.due, seo.recorded, seo.rate) == (2, 1, "50.0%")
    assert seo.outcomes == {"stable": 0, "relapse": 1, "crisis": 0}
    assert (total.due, total.recorded, total.rate) == (6, 4, "66.7%")

    only_seo, seo_total = follow_up_completion(
        regions=Region.objects.filter(path__startswith=daejeon["서구"].path),
        **completion_world,
    )
    assert [r.district.name for r in only_seo] == ["서구"] and seo_total.due == 2


@given(part=st.integers(min_value=0, max_value=10**6), extra=st.integers(0, 10**6))
@hypothesis_settings(max_examples=200, deadline=None)
def test_percentages_are_exact_text(part, extra):
    whole = part + extra
    text = percent_text(part, whole)
    if whole == 0:
        assert text == "—"
        return
    assert text.endswith("%")
    number = text[:-1]
    integer, decimals = number.split(".")
    assert len(decimals) == 1
    # Within half a tenth of the exact value, computed with integers only.
    tenths = int(integer) * 10 + int(decimals)
    assert abs(tenths * whole - part * 1000) * 2 <= whole


def test_report_page_for_finance_and_coordinators(client, completion_world, people, finance):
    client.force_login(finance)
    html = client.get("/follow-ups/report/").content.decode()
    assert "사후관리 완료율" in html
    assert "대덕구" in html and "서구" in html
    assert "75.0%" in html and "50.0%" in html and "66.7%" in html

    client.force_login(people["coord_seo"])
    html = client.get("/follow-ups/report/").content.decode()
    assert "50.0%" in html and "75.0%" not in html and "대덕구" not in html

    client.force_login(people["cm_daedeok"])
    assert client.get("/follow-ups/report/").status_code == 403


def test_report_period_filter(client, completion_world, finance):
    client.force_login(finance)
    today = timezone.localdate()
    narrow = client.get(
        "/follow-ups/report/",
        {"start": (today - datetime.timedelta(days=25)).isoformat(), "end": today.isoformat()},
    )
    html = narrow.content.decode()
    assert narrow.status_code == 200
    # 대덕구 due 10 and 20 days ago (both stable), 서구 5 and 6 days ago.
    assert "100.0%" in html and "50.0%" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-13-01"}, "start", "날짜를 YYYY-MM-DD 형식으로 입력하세요."),
        ({"end": "yesterday"}, "end", "날짜를 YYYY-MM-DD 형식으로 입력하세요."),
        ({"start": "1900-01-01"}, "start", "2000-01-01부터 2100-12-31 사이의"),
        ({"start": "2026-06-01", "end": "2026-05-01"}, "end", "종료일이 시작일보다 앞섭니다."),
        ({"start": "2099-01-01"}, "end", "종료일이 시작일보다 앞섭니다."),
    ],
)
def test_bad_report_periods_are_422_next_to_the_field(client, finance, query, field, message):
    client.force_login(finance)
    response = client.get("/follow-ups/report/", query, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_{field}-error"' in html
    error = html[html.index(f'id="id_{field}-error"') :]
    assert message in error[: error.index("</div>")]
    assert 'data-figure="rate"' not in html


_query_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(start=_query_text, end=_query_text)
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_report_never_fails_on_odd_dates(finance, start, end):
    from django.test import Client

    client = Client()
    client.force_login(finance)
    response = client.get("/follow-ups/report/", {"start": start, "end": end})
    # A NUL is refused before any view (config/middleware.py) with 400.
    assert response.status_code in ((400,) if "\x00" in start + end else (200, 422))


# --- query counts -----------------------------------------------------------------------------


def _overdue_rows(people, daejeon, n: int) -> None:
    cm = people["cm_daedeok"]
    dongs = list(daejeon["대덕구"].children.order_by("code"))
    for i in range((n + 1) // 2):
        household = factories.household(by=cm, dong=dongs[i % len(dongs)], size=1)
        household_close(household=household, by=cm)
    ids = list(
        FollowUp.objects.filter(household__case_manager=cm)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    FollowUp.objects.filter(pk__in=ids[:n]).update(
        due_on=timezone.localdate() - datetime.timedelta(days=60)
    )


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_escalation_and_completion_read_a_fixed_number_of_queries(people, daejeon):
    coordinator = people["coord_daedeok"]

    def read():
        viewer = Viewer(coordinator)
        rows = decorate_escalated(follow_ups_escalated(coordinator), viewer)
        follow_up_completion(
            regions=None,
            start=timezone.localdate() - datetime.timedelta(days=365),
            end=timezone.localdate(),
        )
        return rows

    _overdue_rows(people, daejeon, 5)
    few = _queries(read)
    assert len(read()) == 5
    _overdue_rows(people, daejeon, 50)
    many = _queries(read)
    assert len(read()) == 50
    assert few == many


def test_coordinator_dashboard_and_report_pages_read_a_fixed_number_of_queries(
    client, people, daejeon, finance
):
    def pages():
        client.force_login(people["coord_daedeok"])
        dashboard = client.get("/dashboard/")
        assert dashboard.status_code == 200
        client.force_login(finance)
        report = client.get("/follow-ups/report/")
        assert report.status_code == 200
        html = dashboard.content.decode()
        count = re.search(r'class="count" data-count="(\d+)"', html)[1]
        return html.count("data-follow-up="), count

    _overdue_rows(people, daejeon, 5)
    pages()  # sessions and caches warm
    few = _queries(pages)
    assert pages() == (5, "5")
    _overdue_rows(people, daejeon, 50)
    many = _queries(pages)
    # The dashboard shows the first DASHBOARD_ROWS, with the count of them all.
    assert pages() == (DASHBOARD_ROWS, "50")
    assert few == many
