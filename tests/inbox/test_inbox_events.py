"""Each claim event writes inbox notifications for exactly the users it
concerns, and e-mails those who want it now."""

from decimal import Decimal

import pytest
from django.core import mail

from exchange.services import claim_approve, claim_fulfil, claim_reject, claim_request
from inbox.models import Kind, Notification
from inbox.services import preference_update


@pytest.fixture
def listing(make_listing, daejeon, grant, settings):
    settings.PUBLIC_SHARE = Decimal(1)  # no donor needed: the claim can be approved
    grant(daejeon["대덕구"], 1000)
    return make_listing(quantity=10, krw=20_000)


def _who(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_a_request_notifies_the_listings_coordinators_only(
    people, listing, household, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_request(
            by=people["cm_daedeok"], listing=listing, household=household, quantity=3
        )
    assert _who(Kind.CLAIM_REQUESTED) == ["coord_seo"]
    [row] = Notification.objects.filter(kind=Kind.CLAIM_REQUESTED)
    assert row.url == f"/claims/{claim.pk}/"
    assert row.title == f"“밑반찬 세트”에 새 신청 #{claim.pk}"
    assert "대덕구의 한 가구가" in row.body and "3상자를 신청했습니다" in row.body
    assert household.code not in row.title + row.body
    assert household.dong.name_ko not in row.body  # the district only
    assert [m.to for m in mail.outbox] == [["coord.seo@example.kr"]]


def test_a_decision_notifies_the_requesting_case_manager_only(
    people, listing, household, django_capture_on_commit_callbacks
):
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        claim_reject(claim=claim, by=people["coord_seo"], reason="재고 부족")
    assert _who(Kind.CLAIM_DECIDED) == ["cm_dd"]
    [row] = Notification.objects.filter(kind=Kind.CLAIM_DECIDED)
    assert "반려" in row.title or "거절" in row.title
    assert "재고 부족" in row.body
    assert mail.outbox[-1].to == ["cm.dd@example.kr"]


def test_fulfilment_notifies_both_sides(
    people, listing, household, django_capture_on_commit_callbacks
):
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=2)
    claim_approve(claim=claim, by=people["coord_seo"])
    assert _who(Kind.CLAIM_DECIDED) == ["cm_dd"]
    with django_capture_on_commit_callbacks(execute=True):
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)
    assert _who(Kind.CLAIM_FULFILLED) == ["cm_dd", "coord_seo"]
    body = Notification.objects.filter(kind=Kind.CLAIM_FULFILLED).first().body
    assert body == "“밑반찬 세트” 2상자 중 1상자를 받았습니다."
    assert sorted(mail.outbox[-1].to) == ["cm.dd@example.kr", "coord.seo@example.kr"]
    # Nobody outside the claim heard of it.
    assert not Notification.objects.filter(
        user__in=[people["cm_seo"], people["coord_daedeok"]]
    ).exists()


def test_a_coordinator_who_chose_the_digest_gets_the_notification_but_no_mail(
    people, listing, household, django_capture_on_commit_callbacks
):
    preference_update(user=people["coord_seo"], email_immediate=False, daily_digest=True)
    with django_capture_on_commit_callbacks(execute=True):
        claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)
    assert _who(Kind.CLAIM_REQUESTED) == ["coord_seo"]
    assert mail.outbox == []


def test_a_rolled_back_request_leaves_no_notification(people, listing, household):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)
        raise RuntimeError
    assert not Notification.objects.exists()
