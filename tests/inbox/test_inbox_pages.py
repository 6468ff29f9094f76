"""The inbox pages: one's own notifications only, opening one marks it read,
"모두 읽음", the e-mail settings form (422 on bad input), and the header's
unread count at one query per page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.models import Kind, Notification, NotificationPreference
from inbox.services import notify, unread_count
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return factories.user("ann", email="ann@example.kr")


@pytest.fixture
def bob(db):
    return factories.user("bob")


@pytest.fixture
def ann_client(client, ann):
    client.force_login(ann)
    return client


def _note(user, title="“김장 김치”에 새 신청 #7", url="/claims/7/"):
    return notify([user], Kind.CLAIM_REQUESTED, title, "대덕구의 한 가구가 신청했습니다.", url)[0]


def _page(response) -> str:
    return response.content.decode()


def _unpathed(response) -> str:
    """The page without the address asked for (the language switch repeats it) and
    without its CSRF tokens (masked anew for every answer)."""
    page = re.sub(r"/inbox/[0-9]+/open/", "/inbox/N/open/", _page(response))
    page = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", page)
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1", page)


def test_the_inbox_lists_ones_own_notifications_newest_first(ann_client, ann, bob):
    _note(ann, title="첫 알림")
    read = _note(ann, title="읽은 알림")
    _note(ann, title="새 알림")
    _note(bob, title="밥의 알림")
    Notification.objects.filter(pk=read.pk).update(read_at="2026-12-01T00:00:00Z")
    page = _page(ann_client.get("/inbox/"))
    assert page.index("새 알림") < page.index("읽은 알림") < page.index("첫 알림")
    assert "밥의 알림" not in page
    assert page.count('class="notification unread"') == 2
    assert "모두 읽음" in page
    assert "대덕구의 한 가구가 신청했습니다." in page


def test_the_inbox_is_paged(ann_client, ann):
    for n in range(25):
        _note(ann, title=f"알림 {n:02d}")
    first = _page(ann_client.get("/inbox/"))
    assert "알림 24" in first and "알림 04" not in first
    second = ann_client.get("/inbox/?page=2", HTTP_HX_REQUEST="true")
    assert "알림 04" in _page(second) and "<html" not in _page(second)
    assert 'id="inbox-list"' in _page(second)


def test_an_empty_inbox_says_so(ann_client):
    assert "아직 알림이 없습니다." in _page(ann_client.get("/inbox/"))


def test_opening_a_notification_marks_it_read_and_follows_its_link(ann_client, ann):
    note = _note(ann)
    response = ann_client.post(f"/inbox/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/claims/7/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert unread_count(ann) == 0


def test_another_users_notification_is_not_found(ann_client, bob):
    theirs = _note(bob)
    response = ann_client.post(f"/inbox/{theirs.pk}/open/")
    unknown = ann_client.post(f"/inbox/{theirs.pk + 1000}/open/")
    assert response.status_code == unknown.status_code == 404
    # The answer names nothing of it: the same bare page as for a number nobody has.
    assert "김장 김치" not in _page(response)
    assert _unpathed(response) == _unpathed(unknown)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_number_too_long_for_the_database_is_simply_not_found(ann_client):
    assert ann_client.post("/inbox/" + "9" * 19 + "/open/").status_code == 404


def test_opening_is_a_post(ann_client, ann):
    note = _note(ann)
    assert ann_client.get(f"/inbox/{note.pk}/open/").status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_signed_out_visitors_are_sent_to_log_in(client, ann):
    note = _note(ann)
    for response in (client.get("/inbox/"), client.post(f"/inbox/{note.pk}/open/")):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_mark_all_read_marks_only_ones_own(ann_client, ann, bob):
    _note(ann)
    _note(ann)
    _note(bob)
    response = ann_client.post("/inbox/read-all/", follow=True)
    assert "알림 2건을 읽음으로 표시했습니다." in _page(response)
    assert unread_count(ann) == 0 and unread_count(bob) == 1


def test_the_header_shows_the_unread_count(ann_client, ann):
    page = _page(ann_client.get("/dashboard/"))
    assert 'data-unread="0"' in page and "unread-count" not in page
    for _ in range(3):
        _note(ann)
    page = _page(ann_client.get("/dashboard/"))
    assert 'data-unread="3"' in page
    assert '<span class="badge unread-count" aria-hidden="true">3</span>' in page
    assert "(읽지 않은 알림 3건)" in page


def _header_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum('"inbox_notification"' in q["sql"] for q in ctx.captured_queries)


def test_the_header_count_is_one_query_whatever_the_count(ann_client, ann):
    assert _header_queries(ann_client, "/accounts/profile/") == 1
    for _ in range(30):
        _note(ann)
    assert _header_queries(ann_client, "/accounts/profile/") == 1


def test_no_count_query_for_someone_signed_out(client):
    assert _header_queries(client, "/") == 0


def test_the_profile_links_to_the_notification_settings(ann_client):
    assert 'href="/inbox/preferences/"' in _page(ann_client.get("/accounts/profile/"))


def test_the_settings_form_shows_the_defaults_and_writes_nothing_on_get(ann_client, ann):
    page = _page(ann_client.get("/inbox/preferences/"))
    assert '<option value="immediate" selected>' in page
    assert "이메일을 받지 않을 알림" in page
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize(
    ("choice", "immediate", "digest"),
    [("immediate", True, False), ("digest", False, True), ("none", False, False)],
)
def test_the_settings_form_saves_the_email_choice(ann_client, ann, choice, immediate, digest):
    response = ann_client.post(
        "/inbox/preferences/", {"email": choice, "muted_kinds": [Kind.LISTING_EXPIRING]}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=ann)
    assert (preference.email_immediate, preference.daily_digest) == (immediate, digest)
    assert preference.muted_kinds == [Kind.LISTING_EXPIRING]
    page = _page(ann_client.get("/inbox/preferences/"))
    assert f'<option value="{choice}" selected>' in page


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "hourly"},
        {"email": "digest", "muted_kinds": ["no_such_kind"]},
        {"email": "\u00e9" * 500},
    ],
)
def test_bad_settings_are_refused_next_to_the_field_and_change_nothing(ann_client, ann, data):
    response = ann_client.post("/inbox/preferences/", data)
    assert response.status_code == 422
    assert 'class="field-error"' in _page(response)
    assert not NotificationPreference.objects.exists()
