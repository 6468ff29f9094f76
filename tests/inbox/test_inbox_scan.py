"""The daily to-do scan (exchange.reminders.inbox_scan, `manage.py notify_due`):
each kind reaches the right users and nobody else, and a second run writes nothing."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.celery import app
from exchange.reminders import inbox_scan
from exchange.services import claim_request
from inbox.models import Kind, Notification
from ledger.services import proposal_grant_create
from marketplace.models import FollowUp
from tests import factories


def _who(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


@pytest.fixture
def pending_claim(daejeon, people, make_listing, household, grant):
    """A claim of 2 boxes from 대덕구 for a 서구 listing; no pledge, so its match waits."""
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    return claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=2)


def test_a_pending_match_a_pledge_could_fund_reaches_the_donors_representatives(
    pending_claim, make_pledge, donor, people
):
    inbox_scan()
    assert _who(Kind.MATCH_PENDING) == []  # no pledge could fund it yet
    make_pledge(krw=1_000_000)
    created = inbox_scan()
    assert created[Kind.MATCH_PENDING] == 1
    assert _who(Kind.MATCH_PENDING) == ["rep"]
    row = Notification.objects.get(kind=Kind.MATCH_PENDING)
    assert row.url == f"/donors/{donor.pk}/"
    assert "대덕구" in row.body and "20포인트" in row.body
    assert pending_claim.household.code not in row.title + row.body
    assert pending_claim.household.dong.name_ko not in row.body


def test_a_representative_whose_post_ended_is_not_told(pending_claim, make_pledge, donor_rep):
    make_pledge(krw=1_000_000)
    donor_rep.donor_memberships.update(ends_on=timezone.localdate() - datetime.timedelta(days=1))
    inbox_scan()
    assert _who(Kind.MATCH_PENDING) == []


def test_a_proposal_waits_for_every_finance_user_but_its_proposer(daejeon, finance):
    second = factories.finance_officer("fin2")
    proposal_grant_create(region=daejeon["서구"], amount=2060, reason="기초 지급", by=finance)
    inbox_scan()
    assert _who(Kind.PROPOSAL_PENDING) == [second.username]
    row = Notification.objects.get(kind=Kind.PROPOSAL_PENDING)
    assert "2,060포인트" in row.body and "서구" in row.body
    assert row.url == "/finance/proposals/"


def test_a_pledge_awaiting_confirmation_reaches_finance(make_pledge, finance, people):
    factories.finance_officer("fin2")
    pledge = make_pledge(krw=1_500_000, confirm=False)
    inbox_scan()
    assert _who(Kind.PLEDGE_AWAITING) == ["fin", "fin2"]
    row = Notification.objects.filter(kind=Kind.PLEDGE_AWAITING).first()
    assert f"#{pledge.pk}" in row.title and "1,500,000원" in row.body
    assert row.url == "/finance/matching/"


def test_follow_ups_due_soon_then_overdue_reach_the_households_case_manager(household, people):
    today = timezone.localdate()
    soon = FollowUp.objects.create(household=household, due_on=today + datetime.timedelta(days=3))
    FollowUp.objects.create(household=household, due_on=today + datetime.timedelta(days=30))
    inbox_scan(today=today)
    assert _who(Kind.FOLLOW_UP_DUE) == ["cm_dd"]
    assert _who(Kind.FOLLOW_UP_OVERDUE) == []
    row = Notification.objects.get(kind=Kind.FOLLOW_UP_DUE)
    district = household.dong.parent.name_ko
    assert f"{district} {household.dong.name_ko} 한 가구" in row.title
    assert household.code not in row.title + row.body
    # Four days later it is overdue: a second, different notification.
    inbox_scan(today=today + datetime.timedelta(days=4))
    assert _who(Kind.FOLLOW_UP_OVERDUE) == ["cm_dd"]
    # Once recorded, nothing more.
    soon.recorded_at = timezone.now()
    soon.save()
    assert inbox_scan(today=today + datetime.timedelta(days=5)) == {}


def test_follow_ups_put_on_hold_by_a_reopened_case_send_nothing(household, people):
    today = timezone.localdate()
    FollowUp.objects.create(
        household=household, due_on=today - datetime.timedelta(days=2), held_at=timezone.now()
    )
    assert inbox_scan(today=today) == {}
    assert not Notification.objects.exists()


def test_listings_about_to_expire_reach_their_regions_coordinators(make_listing, people):
    today = timezone.localdate()
    soon = make_listing(available_until=today + datetime.timedelta(days=5))
    make_listing(available_until=today + datetime.timedelta(days=10))
    make_listing(available_until=today + datetime.timedelta(days=2), publish=False)
    make_listing(region_name="대덕구", available_until=today + datetime.timedelta(days=1))
    inbox_scan(today=today)
    assert _who(Kind.LISTING_EXPIRING) == ["coord_dd", "coord_seo"]
    row = Notification.objects.get(kind=Kind.LISTING_EXPIRING, user=people["coord_seo"])
    assert row.url == f"/listings/{soon.pk}/"
    assert "10상자" in row.body


def test_the_scan_is_idempotent(
    pending_claim, make_pledge, make_listing, household, daejeon, finance
):
    today = timezone.localdate()
    make_pledge(krw=1_000_000)
    make_pledge(krw=500_000, confirm=False)
    factories.finance_officer("fin2")
    proposal_grant_create(region=daejeon["서구"], amount=100, reason="기초", by=finance)
    FollowUp.objects.create(household=household, due_on=today - datetime.timedelta(days=1))
    make_listing(available_until=today + datetime.timedelta(days=1))
    first = inbox_scan(today=today)
    assert set(first) == {
        Kind.MATCH_PENDING,
        Kind.PROPOSAL_PENDING,
        Kind.PLEDGE_AWAITING,
        Kind.FOLLOW_UP_OVERDUE,
        Kind.LISTING_EXPIRING,
    }
    count = Notification.objects.count()
    assert inbox_scan(today=today) == {}
    assert Notification.objects.count() == count


def test_the_command_reports_what_it_wrote(household):
    FollowUp.objects.create(household=household, due_on=timezone.localdate())
    out = StringIO()
    call_command("notify_due", stdout=out)
    assert out.getvalue().strip() == "Wrote 1 notifications: follow_up_due 1."
    out = StringIO()
    call_command("notify_due", stdout=out)
    assert out.getvalue().strip() == "Wrote 0 notifications."


def test_beat_runs_the_scan_and_the_digests_daily():
    from celery.schedules import crontab

    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["config.tasks.notify_due"] == crontab(hour=6, minute=0)
    assert schedule["config.tasks.send_digests"] == crontab(hour=7, minute=0)
    assert {"config.tasks.notify_due", "config.tasks.send_digests"} <= set(app.tasks)
