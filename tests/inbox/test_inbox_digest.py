"""The daily digest (`manage.py send_digests`): one e-mail per user who chose
it, listing their unread notifications of the last day, never the same twice."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from config import tasks
from inbox.models import Kind, Notification
from inbox.services import digest_send, mark_read, notify, preference_update
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 2, 22, 0, tzinfo=datetime.UTC)


@pytest.fixture
def ann(db):
    user = factories.user("ann", email="ann@example.kr")
    preference_update(user=user, email_immediate=False, daily_digest=True)
    return user


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """digest_send(now=...) with its e-mail sent (after the commit, as in production)."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return digest_send(now=now)

    return run


def _note(user, title, kind=Kind.CLAIM_REQUESTED, hours_ago=1):
    [row] = notify([user], kind, title, f"{title} 내용", "/claims/")
    Notification.objects.filter(pk=row.pk).update(
        created_at=NOW - datetime.timedelta(hours=hours_ago)
    )
    return row


def test_the_digest_lists_the_unread_notifications_of_the_last_day(ann, send):
    _note(ann, "어제 알림", hours_ago=30)
    read = _note(ann, "읽은 알림")
    _note(ann, "첫째 알림", hours_ago=5)
    _note(ann, "둘째 알림", hours_ago=2)
    mark_read(ann, [read.pk])
    assert send(NOW) == 1
    [message] = mail.outbox
    assert message.to == ["ann@example.kr"]
    assert message.subject == "[나눔 교환] 읽지 않은 알림 2건"
    assert "- 첫째 알림\n  첫째 알림 내용\n- 둘째 알림" in message.body
    assert "어제 알림" not in message.body and "읽은 알림" not in message.body


def test_the_digest_is_sent_once(ann, send):
    _note(ann, "알림")
    assert send(NOW) == 1
    assert send(NOW + datetime.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1
    # The next day's digest holds only what came after.
    [row] = notify([ann], Kind.CLAIM_DECIDED, "다음 알림", "", "/claims/")
    Notification.objects.filter(pk=row.pk).update(created_at=NOW + datetime.timedelta(hours=5))
    assert send(NOW + datetime.timedelta(days=1)) == 1
    assert "다음 알림" in mail.outbox[-1].body and "- 알림\n" not in mail.outbox[-1].body


def test_no_digest_for_those_who_did_not_choose_it_or_have_nothing(ann, send):
    other = factories.user("bob", email="bob@example.kr")  # immediate e-mail: the default
    _note(other, "밥의 알림")
    mail.outbox.clear()
    assert send(NOW) == 0  # ann has nothing; bob did not choose the digest
    assert mail.outbox == []


def test_muted_kinds_stay_out_of_the_digest(ann, send):
    preference_update(
        user=ann, email_immediate=False, daily_digest=True, muted_kinds=[Kind.LISTING_EXPIRING]
    )
    _note(ann, "만료 예정", kind=Kind.LISTING_EXPIRING)
    assert send(NOW) == 0
    _note(ann, "새 신청")
    assert send(NOW) == 1
    assert "새 신청" in mail.outbox[0].body and "만료 예정" not in mail.outbox[0].body


def test_the_command_and_its_task(ann, django_capture_on_commit_callbacks):
    _note(ann, "알림", hours_ago=0)
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", stdout=out)
    assert out.getvalue().strip() == "Sent 1 digests."
    assert tasks.send_digests() == "Sent 0 digests."
    assert len(mail.outbox) == 1
