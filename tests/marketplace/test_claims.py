import datetime

import pytest
from django.core import mail
from django.utils import timezone

from audit.services import audit_history
from config.exceptions import NotAllowed
from exchange.models import Claim, ClaimState
from exchange.services import (
    claim_approve,
    claim_cancel,
    claim_expire_overdue,
    claim_fulfil,
    claim_reject,
    claim_request,
)
from ledger.exceptions import IdempotencyConflict, InsufficientPoints
from ledger.models import Purpose, Transaction
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for, system_account
from marketplace.exceptions import (
    DuplicateService,
    IllegalTransition,
    InsufficientQuantity,
    InvalidRequest,
    ListingNotPublished,
)
from marketplace.models import ListingState
from marketplace.services import household_create, listing_withdraw


def _wallet(daejeon, name):
    return account_balance(account_for(daejeon[name], Purpose.WALLET))


def test_cross_region_claim_holds_then_settles_the_received_part(
    daejeon, people, make_listing, household, grant, django_capture_on_commit_callbacks
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)  # 20 points a box
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)

    assert (claim.is_exchange, claim.points_per_unit, claim.cost_points) == (True, 20, 80)
    assert _wallet(daejeon, "대덕구") == 920
    assert account_balance(system_account(Purpose.HOLDS)) == 80
    listing.refresh_from_db()
    assert (listing.quantity_held, listing.quantity_available) == (4, 6)

    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=3)

    assert _wallet(daejeon, "대덕구") == 1000 - 60
    assert _wallet(daejeon, "서구") == 60
    assert account_balance(system_account(Purpose.HOLDS)) == 0
    listing.refresh_from_db()
    assert (listing.quantity_fulfilled, listing.quantity_held, listing.quantity_available) == (
        3,
        0,
        7,
    )
    assert listing.state == ListingState.PUBLISHED
    claim.refresh_from_db()
    assert (claim.state, claim.quantity_received) == (ClaimState.FULFILLED, 3)
    linked = Transaction.objects.filter(object_id=str(claim.pk), object_type__model="claim")
    assert set(linked.values_list("kind", flat=True)) == {"hold", "hold_settle", "claim_award"}
    assert ledger_verify().ok
    assert [t.transition for t in audit_history(claim)] == ["request", "approve", "fulfil"]


def test_local_handover_moves_no_points(daejeon, people, make_listing, categories):
    listing = make_listing()
    household = household_create(by=people["cm_seo"], dong=daejeon["관저2동"], size=2)
    claim = claim_request(by=people["cm_seo"], listing=listing, household=household, quantity=2)
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_seo"], quantity_received=2)

    assert claim.is_exchange is False
    assert claim.hold_id is None
    assert not Transaction.objects.exists()


def test_not_enough_points_says_how_many_are_missing_and_changes_nothing(
    daejeon, people, make_listing, household, grant
):
    grant(daejeon["대덕구"], 50)
    listing = make_listing()
    with pytest.raises(InsufficientPoints) as caught:
        claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)
    assert caught.value.shortfall == 30
    assert not Claim.objects.exists()
    listing.refresh_from_db()
    assert listing.quantity_held == 0
    assert _wallet(daejeon, "대덕구") == 50


def test_more_than_available_is_refused(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=3)
    with pytest.raises(InsufficientQuantity) as caught:
        claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)
    assert caught.value.extra["available"] == 3


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "3"])
def test_bad_quantity_is_refused(people, make_listing, household, quantity):
    with pytest.raises(InvalidRequest):
        claim_request(
            by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=quantity
        )


def test_draft_and_withdrawn_listings_cannot_be_claimed(people, make_listing, household):
    draft = make_listing(publish=False)
    with pytest.raises(ListingNotPublished):
        claim_request(by=people["cm_daedeok"], listing=draft, household=household, quantity=1)
    withdrawn = listing_withdraw(listing=make_listing(), by=people["coord_seo"])
    with pytest.raises(ListingNotPublished):
        claim_request(by=people["cm_daedeok"], listing=withdrawn, household=household, quantity=1)


def test_claim_for_a_household_outside_my_regions_is_refused(people, make_listing, household):
    with pytest.raises(NotAllowed):
        claim_request(by=people["cm_seo"], listing=make_listing(), household=household, quantity=1)
    assert not Claim.objects.exists()


def test_duplicate_service_needs_a_justification_and_is_flagged(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing()
    claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)
    with pytest.raises(DuplicateService) as caught:
        claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)
    assert caught.value.code == "duplicate_service"
    second = claim_request(
        by=people["cm_daedeok"],
        listing=listing,
        household=household,
        quantity=1,
        justification="가구원 증가로 추가 지원 필요",
    )
    assert second.duplicate_flag is True


def test_illegal_transitions_are_refused_and_change_nothing(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing()
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=2)
    with pytest.raises(NotAllowed):
        claim_approve(claim=claim, by=people["coord_daedeok"])  # another region's coordinator
    with pytest.raises(NotAllowed):
        claim_approve(claim=claim, by=people["cm_daedeok"])
    with pytest.raises(IllegalTransition):
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)  # not approved
    claim_reject(claim=claim, by=people["coord_seo"], reason="재고 없음")
    with pytest.raises(IllegalTransition):
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)
    with pytest.raises(IllegalTransition):
        claim_approve(claim=claim, by=people["coord_seo"])
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED
    assert _wallet(daejeon, "대덕구") == 1000


def test_approving_a_fulfilled_claim_is_refused(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=1
    )
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)
    with pytest.raises(IllegalTransition):
        claim_approve(claim=claim, by=people["coord_seo"])
    with pytest.raises(IllegalTransition):
        claim_cancel(claim=claim, by=people["cm_daedeok"])


@pytest.mark.parametrize("action", ["reject", "cancel"])
def test_reject_and_cancel_return_the_hold_and_the_units(
    people, make_listing, household, grant, daejeon, action
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=4)
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)
    listing.refresh_from_db()
    assert listing.state == ListingState.RESERVED
    if action == "reject":
        claim_reject(claim=claim, by=people["coord_seo"])
    else:
        claim_cancel(claim=claim, by=people["cm_daedeok"])
    listing.refresh_from_db()
    assert (listing.state, listing.quantity_available) == (ListingState.PUBLISHED, 4)
    assert _wallet(daejeon, "대덕구") == 1000
    assert ledger_verify().ok


def test_all_units_received_completes_the_listing(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=2)
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=2)
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=2)
    listing.refresh_from_db()
    assert listing.state == ListingState.COMPLETED


def test_received_more_than_claimed_is_refused(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    claim_approve(claim=claim, by=people["coord_seo"])
    with pytest.raises(InvalidRequest):
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=3)
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


def test_withdrawing_a_listing_with_an_active_claim_is_refused(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing()
    claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)
    with pytest.raises(IllegalTransition):
        listing_withdraw(listing=listing, by=people["coord_seo"])


def test_expiry_returns_the_hold_and_twice_is_the_same_as_once(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    later = timezone.now() + datetime.timedelta(days=8)
    assert claim_expire_overdue(now=later) == 1
    assert claim_expire_overdue(now=later) == 0
    claim.refresh_from_db()
    assert claim.state == ClaimState.EXPIRED
    assert _wallet(daejeon, "대덕구") == 1000
    assert ledger_verify().ok


def test_an_overdue_claim_is_expired_before_any_action(
    people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    Claim.objects.filter(pk=claim.pk).update(approve_by=timezone.now() - datetime.timedelta(1))
    with pytest.raises(IllegalTransition):
        claim_approve(claim=claim, by=people["coord_seo"])
    claim.refresh_from_db()
    assert claim.state == ClaimState.EXPIRED
    assert _wallet(daejeon, "대덕구") == 1000


def test_claim_request_is_idempotent(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing()
    first = claim_request(
        by=people["cm_daedeok"],
        listing=listing,
        household=household,
        quantity=2,
        idempotency_key="k",
    )
    again = claim_request(
        by=people["cm_daedeok"],
        listing=listing,
        household=household,
        quantity=2,
        idempotency_key="k",
    )
    assert first.pk == again.pk
    assert _wallet(daejeon, "대덕구") == 960
    with pytest.raises(IdempotencyConflict):
        claim_request(
            by=people["cm_daedeok"],
            listing=listing,
            household=household,
            quantity=3,
            idempotency_key="k",
        )


def test_mail_goes_out_after_commit_and_never_names_the_household(
    people, make_listing, household, grant, daejeon, django_capture_on_commit_callbacks
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim = claim_request(
            by=people["cm_daedeok"], listing=listing, household=household, quantity=1
        )
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["coord.seo@example.kr"]]
    assert "대덕구" in mail.outbox[0].body
    assert household.code not in mail.outbox[0].body + mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=claim, by=people["coord_seo"])
    assert mail.outbox[-1].to == ["cm.dd@example.kr"]
    with django_capture_on_commit_callbacks(execute=True):
        claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=1)
    assert sorted(mail.outbox[-1].to) == ["cm.dd@example.kr", "coord.seo@example.kr"]
