"""inbox.services: notify (bulk, deduplicated), mark_read, unread_count, and
the e-mail each user's preference asks for."""

import pytest
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.exceptions import InvalidPreference
from inbox.models import Kind, Notification, NotificationPreference
from inbox.services import ALL, mark_read, notify, preference_update, unread_count
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return factories.user("ann", email="ann@example.kr")


@pytest.fixture
def bob(db):
    return factories.user("bob", email="bob@example.kr")


def _notify(users, key=None, kind=Kind.CLAIM_REQUESTED):
    return notify(users, kind, "새 신청 #1", "대덕구의 한 가구가 신청했습니다.", "/claims/1/", key)


def test_notify_writes_one_row_per_user(ann, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = _notify([ann, bob, ann])
    assert len(rows) == 2
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["ann", "bob"]
    assert unread_count(ann) == 1 and unread_count(bob) == 1
    # Both want an e-mail for each notification (the default): one message to both.
    assert [sorted(m.to) for m in mail.outbox] == [["ann@example.kr", "bob@example.kr"]]
    assert mail.outbox[0].subject == "[나눔 교환] 새 신청 #1"


def test_a_dedupe_key_writes_nothing_twice(ann, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert len(_notify([ann], key="claim:1")) == 1
        assert len(_notify([ann, bob], key="claim:1")) == 1  # only bob is new
        assert _notify([ann, bob], key="claim:1") == []
    assert Notification.objects.filter(dedupe_key="claim:1").count() == 2
    # Nobody is mailed twice about the same thing.
    assert [m.to for m in mail.outbox] == [["ann@example.kr"], ["bob@example.kr"]]


def test_without_a_key_every_call_notifies(ann):
    _notify([ann])
    _notify([ann])
    assert unread_count(ann) == 2


def test_inactive_users_are_not_notified(ann):
    ann.is_active = False
    ann.save()
    assert _notify([ann]) == []


def test_notify_refuses_a_link_to_another_site(ann):
    from django.core.exceptions import ValidationError

    for url in ("https://evil.example/", "//evil.example/", "claims/1/"):
        with pytest.raises(ValidationError):
            notify([ann], Kind.CLAIM_REQUESTED, "t", "b", url)
    assert not Notification.objects.exists()


def test_particles_are_resolved_in_stored_text(ann):
    [row] = notify([ann], Kind.CLAIM_DECIDED, "약정 #3을(를) 확인", "4상자을(를) 받았습니다", "/")
    assert row.title == "약정 #3을 확인"
    assert row.body == "4상자를 받았습니다"


def test_mark_read_touches_only_the_users_own(ann, bob):
    mine = _notify([ann])[0]
    theirs = _notify([bob])[0]
    assert mark_read(ann, [mine.pk, theirs.pk]) == 1
    assert unread_count(ann) == 0 and unread_count(bob) == 1
    _notify([bob])
    assert mark_read(bob, ALL) == 2
    assert unread_count(bob) == 0
    assert mark_read(bob, ALL) == 0


def test_unread_count_of_someone_signed_out_is_zero_without_a_query(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        assert unread_count(AnonymousUser()) == 0


@pytest.mark.parametrize(
    ("immediate", "digest", "muted", "mailed"),
    [
        (True, False, [], True),
        (False, False, [], False),
        (False, True, [], False),  # the digest replaces the immediate e-mail
        (True, False, [Kind.CLAIM_REQUESTED], False),
        (True, False, [Kind.CLAIM_DECIDED], True),
    ],
)
def test_the_preference_decides_the_immediate_email(
    ann, bob, immediate, digest, muted, mailed, django_capture_on_commit_callbacks
):
    preference_update(user=ann, email_immediate=immediate, daily_digest=digest, muted_kinds=muted)
    with django_capture_on_commit_callbacks(execute=True):
        _notify([ann, bob])
    recipients = [address for message in mail.outbox for address in message.to]
    assert ("ann@example.kr" in recipients) is mailed
    assert "bob@example.kr" in recipients  # bob keeps the default
    assert unread_count(ann) == 1  # the inbox gets it whatever the e-mail choice


def test_a_user_without_an_address_gets_no_email(django_capture_on_commit_callbacks):
    nomail = factories.user("nomail")
    with django_capture_on_commit_callbacks(execute=True):
        _notify([nomail])
    assert mail.outbox == []
    assert unread_count(nomail) == 1


def test_no_email_before_the_commit(ann, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        _notify([ann])
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1


def test_immediate_and_digest_together_are_refused(ann):
    with pytest.raises(InvalidPreference) as refused:
        preference_update(user=ann, email_immediate=True, daily_digest=True)
    assert "email" in refused.value.extra["fields"]
    assert not NotificationPreference.objects.exists()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(Kind.values), max_size=3),
    st.text(max_size=40).filter(lambda text: text not in Kind.values),
)
def test_unknown_muted_kinds_are_refused_and_nothing_saved(ann, known, unknown):
    kinds = [*known, unknown]
    with pytest.raises(InvalidPreference):
        preference_update(user=ann, email_immediate=True, daily_digest=False, muted_kinds=kinds)
    assert not NotificationPreference.objects.filter(user=ann).exists()
