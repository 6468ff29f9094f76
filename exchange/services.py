"""The claim workflow: claims and their matches.

Each service checks permission, runs in one database transaction, locks what
it changes in the one order of exchange/locks.py (claim → listing → match →
pledge → ledger accounts, so two services never wait on each other in a
circle), writes the audit log, and sends e-mail only after the commit. A
deadlock or serialization failure that still happens is retried a few times,
then refused as `conflict` (config/conflicts.py).

Expiry is a write: `expire_due` runs `claim_expire_overdue`, and every write
service first expires its own claim if it is overdue. Reads never do; they
show an overdue claim as expired through `Claim.objects.with_effective_state()`.
"""

from __future__ import annotations

import datetime
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from audit.services import audit_transition, run_transition
from config.conflicts import retry_on_conflict
from config.exceptions import IllegalTransition, InvalidRequest, NotAllowed
from config.personal_numbers import RRN, personal_numbers, refuse_personal_numbers
from donors.exceptions import NotMatched, PledgeNotEligible
from donors.models import Pledge
from donors.permissions import donors_represented
from exchange import notifications
from exchange.funding import (
    claim_cost,
    eligible_pledges,
    match_commit_with,
    match_open,
    match_release,
    match_settle,
    split_cost,
)
from exchange.locks import ClaimLocks, claim_locks
from exchange.models import (
    MESSAGE_MAX_LENGTH,
    Claim,
    ClaimMessage,
    ClaimState,
    Match,
    MatchState,
    is_funded,
)
from exchange.selectors import active_claims_in_category, claim_message_side
from ledger.exceptions import IdempotencyConflict
from ledger.models import Purpose
from ledger.services import account_for, hold, ledger_post, release, settle, system_account
from marketplace.exceptions import DuplicateService, InsufficientQuantity, ListingNotPublished
from marketplace.models import Household, HouseholdStatus, Listing, ListingState
from marketplace.services import listing_fulfil_units, listing_hold_units, listing_release_units
from people.models import Role, User
from people.permissions import may_act
from people.phones import office_phone_normalise
from regions.selectors import exchange_region


class Kind:
    """Ledger transaction kinds posted for claims."""

    CLAIM_AWARD = "claim_award"


# --- claims -------------------------------------------------------------------


# --- claims -------------------------------------------------------------------


@retry_on_conflict
def claim_request(
    *,
    by: User,
    listing: Listing,
    household: Household,
    quantity: int,
    justification: str = "",
    idempotency_key: str | None = None,
) -> Claim:
    """A case manager claims `quantity` units of a published listing for a household.

    Refused with a clear code when: the user is not a case manager of the
    household's region (403), the listing is not published, the quantity is
    more than available, the household already had this category within
    DUPLICATE_WINDOW_DAYS and no justification is given (`duplicate_service`),
    or the claiming region's wallet cannot pay (`insufficient_points`).
    A cross-region claim holds its cost from the claiming exchange region's
    wallet; a local handover moves no points.
    """
    if idempotency_key and (
        found := _claim_replay(idempotency_key, by, listing, household, quantity)
    ):
        return found
    if type(quantity) is not int or quantity < 1:
        raise InvalidRequest(
            _("Claim at least one unit."),
            fields={"quantity": [_("Enter a whole number of at least 1.")]},
        )
    if not may_act(by, Role.CASE_MANAGER, household.dong):
        raise NotAllowed(_("You can claim only for households in your own regions."))
    refuse_personal_numbers(text=justification, field="justification")
    if household.status != HouseholdStatus.ACTIVE:
        raise IllegalTransition(_("This household's case is closed."))
    # The listing's page shows the units of claims past their deadline as free:
    # they are freed (those claims expired) before they are counted.
    claim_expire_overdue(claims=Claim.objects.filter(listing_id=listing.pk))
    # Read before the listing's lock, which every claim on the listing queues
    # for: the household's exchange region does not depend on the listing.
    claimant = exchange_region(household.dong)
    try:
        with transaction.atomic():
            return _claim_request_locked(
                by, listing, household, quantity, justification, idempotency_key, claimant
            )
    except IntegrityError:
        if idempotency_key and (
            found := _claim_replay(idempotency_key, by, listing, household, quantity)
        ):
            return found
        raise


def _claim_replay(key, by, listing, household, quantity) -> Claim | None:
    existing = Claim.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if (
        existing.requested_by_id,
        existing.listing_id,
        existing.household_id,
        existing.quantity,
    ) != (by.pk, listing.pk, household.pk, quantity):
        raise IdempotencyConflict()
    return existing


def _claim_request_locked(
    by, listing, household, quantity, justification, idempotency_key, claimant
):
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("region", "category")
        .get(pk=listing.pk)
    )
    # A request with the same key that got here first has committed by now (it
    # held this lock until then): answer with its claim, as a replay would, not
    # with the refusals its units, points or category would now cause.
    if idempotency_key and (
        found := _claim_replay(idempotency_key, by, listing, household, quantity)
    ):
        return found
    today = timezone.localdate()
    if (
        listing.state not in (ListingState.PUBLISHED, ListingState.RESERVED)
        or (listing.available_until and listing.available_until < today)
        or listing.available_from > today
    ):
        raise ListingNotPublished()
    if quantity > listing.quantity_available or listing.state == ListingState.RESERVED:
        raise InsufficientQuantity(
            _("Only %(available)s %(unit)s available; you asked for %(quantity)s.")
            % {"available": listing.quantity_available, "unit": listing.unit, "quantity": quantity},
            fields={
                "quantity": [
                    _("At most %(available)s.") % {"available": listing.quantity_available}
                ]
            },
            available=listing.quantity_available,
        )
    now = timezone.now()
    window = now - datetime.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    duplicate = active_claims_in_category(household, listing.category_id, window).exists()
    if duplicate and not justification.strip():
        raise DuplicateService(
            _(
                "This household already received or claimed “%(category)s” in the last %(days)s "
                "days. Give a written justification to claim again."
            )
            % {"category": listing.category.name, "days": settings.DUPLICATE_WINDOW_DAYS},
            fields={"justification": [_("A justification is required for a repeated service.")]},
        )
    provider = exchange_region(listing.region)
    ppu, cost = claim_cost(listing, quantity)
    claim = Claim.objects.create(
        listing=listing,
        household=household,
        quantity=quantity,
        points_per_unit=ppu,
        cost_points=cost,
        is_exchange=claimant != provider,
        claimant_region=claimant,
        provider_region=provider,
        requested_by=by,
        justification=justification.strip(),
        duplicate_flag=duplicate,
        approve_by=now + datetime.timedelta(days=settings.CLAIM_APPROVAL_DAYS),
        idempotency_key=idempotency_key or None,
    )
    if claim.is_exchange and claim.cost_points:
        # The private half first (it locks a pledge), then the public half from the
        # wallet: pledges are always locked before ledger accounts, and the wallet
        # is locked with the pledge's accounts, all at once.
        # The claiming region's wallet and the holds account, each read once
        # for the locks and both holds.
        wallet = account_for(claimant, Purpose.WALLET)
        holds = system_account(Purpose.HOLDS)
        match_open(claim=claim, by=by, also_lock=[wallet], holds=holds)
        public, _private = split_cost(claim.cost_points)
        if public:
            claim.hold = hold(
                source=wallet,
                amount=public,
                memo=_("Claim #%(pk)s: %(title)s") % {"pk": claim.pk, "title": listing.title},
                obj=claim,
                by=by,
                holds=holds,
            )
            claim.save(update_fields=["hold"])
    listing_hold_units(listing, quantity)
    audit_transition(
        subject=claim,
        transition="request",
        source="",
        target=claim.state,
        by=by,
        reason=claim.justification,
    )
    notifications.claim_requested(claim)
    # What `Claim.objects.with_effective_state()` would read: a claim just made
    # is not overdue (its deadlines lie ahead). A replay's claim, read from the
    # database, has no `effective_state`.
    claim.effective_state = claim.state
    return claim


@retry_on_conflict
def claim_approve(*, claim: Claim, by: User, reason: str = "") -> Claim:
    _expire_first(claim)
    with transaction.atomic():
        claim = claim_locks(claim.pk, accounts=False).claim
        # The transition's condition (exchange.models.is_funded) refuses an
        # unfunded approval; said as `not_matched` once the approval would
        # otherwise be allowed, so that an illegal or unauthorised one still
        # says so first.
        approve = claim.approve._django_fsm
        if (
            not is_funded(claim)
            and approve.has_transition(claim.state)
            and approve.has_transition_perm(claim, claim.state, by)
        ):
            raise NotMatched()
        run_transition(claim, "approve", by, reason)
        now = timezone.now()
        Claim.objects.filter(pk=claim.pk).update(
            approved_at=now,
            decided_by=by,
            decision_reason=reason,
            fulfil_by=now + datetime.timedelta(days=settings.CLAIM_FULFIL_DAYS),
        )
        claim.refresh_from_db()
        notifications.claim_decided(claim)
    return claim


def _close_claim(locks: ClaimLocks, action: str, by: User | None, reason: str) -> Claim:
    """Reject, cancel or expire: the units come back, the hold returns."""
    claim, listing = locks.claim, locks.listing
    run_transition(claim, action, by, reason)
    match_release(match=locks.match, claim=claim, by=by, expired=action == "expire")
    if claim.hold_id:
        release(
            claim.hold,
            by=by,
            memo=_("Claim #%(pk)s %(state)s")
            % {"pk": claim.pk, "state": claim.get_state_display()},
        )
    listing_release_units(listing, claim.quantity)
    fields = {"closed_at": timezone.now(), "decision_reason": reason}
    if action == "reject":
        fields["decided_by"] = by
    Claim.objects.filter(pk=claim.pk).update(**fields)
    # The notifications read the reason from the claim returned.
    for name, value in fields.items():
        setattr(claim, name, value)
    return claim


@retry_on_conflict
def claim_reject(*, claim: Claim, by: User, reason: str = "") -> Claim:
    _expire_first(claim)
    with transaction.atomic():
        claim = _close_claim(claim_locks(claim.pk), "reject", by, reason)
        notifications.claim_decided(claim)
    return claim


@retry_on_conflict
def claim_cancel(*, claim: Claim, by: User, reason: str = "") -> Claim:
    _expire_first(claim)
    with transaction.atomic():
        claim = _close_claim(claim_locks(claim.pk), "cancel", by, reason)
    return claim


@retry_on_conflict
def claim_fulfil(*, claim: Claim, by: User, quantity_received: int) -> Claim:
    """The case manager confirms receipt of `quantity_received` (≤ claimed). The
    received part is paid (hold settled, the rest returns) and the providing
    exchange region is awarded the same points; unreceived units return to the
    listing."""
    _expire_first(claim)
    with transaction.atomic():
        locks = claim_locks(claim.pk)
        claim, listing = locks.claim, locks.listing
        if type(quantity_received) is not int or not 0 <= quantity_received <= claim.quantity:
            raise InvalidRequest(
                _("Received quantity must be between 0 and %(quantity)s.")
                % {"quantity": claim.quantity},
                fields={
                    "quantity_received": [
                        _("Enter a whole number from 0 to %(quantity)s.")
                        % {"quantity": claim.quantity}
                    ]
                },
            )
        run_transition(claim, "fulfil", by)
        paid = claim.points_per_unit * quantity_received
        public_paid, private_paid = split_cost(paid)
        match_settle(match=locks.match, claim=claim, private_paid=private_paid, by=by)
        if claim.hold_id:
            settle(
                claim.hold,
                public_paid,
                by=by,
                memo=_("Claim #%(pk)s received %(n)s") % {"pk": claim.pk, "n": quantity_received},
            )
        if claim.is_exchange and paid:
            ledger_post(
                entries=[
                    (system_account(Purpose.ISSUED), -paid),
                    (account_for(claim.provider_region, Purpose.WALLET), paid),
                ],
                kind=Kind.CLAIM_AWARD,
                memo=_("Claim #%(pk)s: %(title)s") % {"pk": claim.pk, "title": listing.title},
                obj=claim,
                by=by,
            )
        listing_fulfil_units(listing, claim.quantity, quantity_received)
        Claim.objects.filter(pk=claim.pk).update(
            quantity_received=quantity_received, closed_at=timezone.now()
        )
        claim.quantity_received = quantity_received
        notifications.claim_fulfilled(claim)
    return claim


def _expire_first(claim: Claim) -> None:
    """A stale claim never acts alive: before any action, a claim past its
    deadline is expired in its own transaction (so the expiry stands even when
    the action is then refused as illegal on an expired claim)."""
    claim_expire_overdue(claims=Claim.objects.filter(pk=claim.pk))


def claim_expire_overdue(*, now: datetime.datetime | None = None, claims=None) -> int:
    """Expire every active claim past its deadline; returns how many. Idempotent."""
    now = now or timezone.now()
    queryset = claims if claims is not None else Claim.objects.all()
    due = queryset.overdue(now).order_by("pk").values_list("pk", flat=True)
    return sum(_expire_one(pk, now) for pk in list(due))


@retry_on_conflict
def _expire_one(pk: int, now: datetime.datetime) -> int:
    """Expire one claim if it is still overdue under its locks; 1 if it was."""
    with transaction.atomic():
        locks = claim_locks(pk)
        if not locks.claim.is_overdue(now):
            return 0
        claim = _close_claim(locks, "expire", None, _("Deadline passed"))
        notifications.claim_decided(claim)
    return 1


# --- matches ------------------------------------------------------------------


@retry_on_conflict
def match_commit(
    *, match: Match, by: User, pledge: Pledge | None = None, reason: str = ""
) -> Match:
    """A donor representative commits a pending match from the portal, with one of
    their donor's eligible pledges (the one expiring first, unless chosen), and an
    optional note kept with the commit in the audit log.

    Locks like every claim service: the claim first, then its listing and this
    match (exchange/locks.py), then the pledge and its accounts."""
    refuse_personal_numbers(text=reason, field="reason")
    claim_id = Match.objects.filter(pk=match.pk).values_list("claim_id", flat=True).first()
    if claim_id is None:
        raise Match.DoesNotExist()
    # A claim (or its match) past its deadline expires first and is never committed.
    claim_expire_overdue(claims=Claim.objects.filter(pk=claim_id))
    with transaction.atomic():
        match = claim_locks(claim_id, accounts=False).match
        if match.state != MatchState.PENDING:
            raise IllegalTransition(_("This match is no longer waiting for a donor."))
        if match.claim.state not in ("requested", "approved"):
            raise IllegalTransition(_("This claim is no longer active."))
        if not has_transition_perm(match.commit, by):
            raise NotAllowed(_("Only a donor representative may commit a match."))
        candidates = eligible_pledges(match).filter(donor__in=donors_represented(by))
        if pledge is not None:
            candidates = candidates.filter(pk=pledge.pk)
        for pledge_pk in candidates.values_list("pk", flat=True):
            if match_commit_with(match, pledge_pk, by, reason=reason):
                return match
        raise PledgeNotEligible()


def match_expire_overdue(*, now: datetime.datetime | None = None) -> int:
    """Pending matches past MATCH_DEADLINE_DAYS expire, and their claims with them."""
    now = now or timezone.now()
    claim_ids = list(
        Match.objects.filter(state=MatchState.PENDING, deadline__lte=now).values_list(
            "claim_id", flat=True
        )
    )
    if not claim_ids:
        return 0
    return claim_expire_overdue(now=now, claims=Claim.objects.filter(pk__in=claim_ids))


# --- the claim's message thread ------------------------------------------------


#: States in which a claim's thread takes no new message: the claim is over
#: without a handover. A fulfilled claim still does (follow-up talk).
MESSAGES_CLOSED_STATES = (ClaimState.REJECTED, ClaimState.CANCELLED, ClaimState.EXPIRED)


def _refuse_household_data(text: str) -> None:
    """A message is read by other offices: no registration number and no
    phone number except an office's (what people/phones.py accepts on a
    profile); a mobile number is a person's own."""
    for kind, digits in personal_numbers(text):
        if kind == RRN:
            message = _(
                "Do not write a household's personal data: this looks like a resident "
                "registration number."
            )
        else:
            try:
                office_phone_normalise(digits)
                continue
            except ValidationError:
                message = _(
                    "Do not write a household's personal data: this looks like a personal "
                    "or mobile phone number. Only office numbers may be written here."
                )
        raise InvalidRequest(message, fields={"body": [message]})


def _is_control(char: str) -> bool:
    """A control character (NUL among them: no database stores it in text) or
    a lone surrogate; line breaks and tabs are text."""
    return char not in "\n\r\t" and unicodedata.category(char) in ("Cc", "Cs")


@retry_on_conflict
def claim_message_post(claim: Claim, user: User, body: str) -> ClaimMessage:
    """`user` writes `body` into `claim`'s message thread, from their side:
    the claiming office (a case manager covering the household's dong), the
    providing office (a coordinator covering the listing's region) or the
    donor of the claim's match (its representatives). Anyone else: 403
    (pages and API answer 404 first when the claim is not theirs to see).

    The body is stripped, not empty, at most MESSAGE_MAX_LENGTH characters,
    without control characters, and holds no registration number and no phone number other than an
    office's (400 `invalid` at `body`). Messages are taken while the claim is
    requested or approved and, for follow-up talk, once it is fulfilled;
    a rejected, cancelled or expired claim's thread is closed (409
    `illegal_transition`). An overdue claim is expired first, as by every
    claim service. The message keeps the author's office and office phone as
    they are now; the other sides are told by e-mail after the commit.
    """
    side = claim_message_side(claim, user)
    if side is None:
        raise NotAllowed(_("Only the offices of this claim and its donor may write here."))
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        message = _("Write a message.")
        raise InvalidRequest(message, fields={"body": [message]})
    if len(text) > MESSAGE_MAX_LENGTH:
        message = _("Write at most %(limit)s characters (this message has %(length)s).") % {
            "limit": f"{MESSAGE_MAX_LENGTH:,}",
            "length": f"{len(text):,}",
        }
        raise InvalidRequest(message, fields={"body": [message]})
    if any(_is_control(char) for char in text):
        message = _("Remove the control characters from the message.")
        raise InvalidRequest(message, fields={"body": [message]})
    _refuse_household_data(text)
    _expire_first(claim)
    with transaction.atomic():
        locked = claim_locks(claim.pk, accounts=False).claim
        if locked.state in MESSAGES_CLOSED_STATES:
            raise IllegalTransition(
                _("This claim is %(state)s: its thread takes no new message.")
                % {"state": locked.get_state_display()}
            )
        message = ClaimMessage.objects.create(
            claim=locked,
            author=user,
            side=side,
            office=user.office,
            office_phone=user.office_phone,
            body=text,
        )
        notifications.claim_message_posted(message)
    return message
