"""Writes for donors: pledges and the matches that pay the private half of claims.

Lock order, shared with the claim services: claim → listing → match → pledge →
ledger accounts (marketplace/locks.py takes them for a claim). A match is only
ever changed under its claim's lock, which is taken first.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm
from djmoney.money import Money

from audit.services import audit_transition
from config.conflicts import retry_on_conflict
from config.exceptions import NotAllowed
from donors.exceptions import DonorNotVerified, InvalidDonor, InvalidPledge, PledgeNotEligible
from donors.models import Donor, Match, MatchState, Pledge, PledgeState
from donors.permissions import donors_represented, represents
from ledger.exceptions import IdempotencyConflict
from ledger.models import Account, Purpose
from ledger.services import (
    account_for,
    accounts_lock,
    hold,
    ledger_post,
    release,
    settle,
    system_account,
)
from people.models import User
from people.permissions import is_finance


class Kind:
    PLEDGE_CONFIRM = "pledge_confirm"
    PLEDGE_RETURN = "pledge_return"


def split_cost(cost: int, share: Decimal | None = None) -> tuple[int, int]:
    """(public, private): public = ceil(cost × share), private = the rest; they sum to cost."""
    share = settings.PUBLIC_SHARE if share is None else share
    public = int((Decimal(cost) * share).to_integral_value(rounding=ROUND_CEILING))
    return public, cost - public


def _transition(obj, name: str, by: User | None, reason: str = "") -> None:
    from marketplace.services import _run_transition

    _run_transition(obj, name, by, reason)


# --- donors ---------------------------------------------------------------------


def donor_verify(*, donor: Donor, by: User) -> Donor:
    if not (is_finance(by) or by.is_superuser):
        raise NotAllowed(_("Only finance staff or an administrator may verify a donor."))
    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor.pk)
        if donor.verified_at is None:
            donor.verified_at, donor.verified_by = timezone.now(), by
            donor.save(update_fields=["verified_at", "verified_by"])
            audit_transition(
                subject=donor, transition="verify", source="unverified", target="verified", by=by
            )
    return donor


#: The fields of a donor its representatives keep; every other field is finance's.
CONTACT_FIELDS = ("contact_name", "contact_email")
#: The fields a registration or a change may set.
DONOR_FIELDS = (
    "name",
    "kind",
    "business_number",
    "home_region",
    "contact_name",
    "contact_email",
    "is_active",
)


def _registered_twice() -> InvalidDonor:
    return InvalidDonor(
        _("A donor with this business registration number is already registered."),
        fields={
            "business_number": [
                _("A donor with this business registration number is already registered.")
            ]
        },
    )


def donor_register(*, by: User, **fields: Any) -> Donor:
    """Finance registers a donor (validated fields: the business registration
    number normalised and its check digit correct). Audited as `register`."""
    if not is_finance(by):
        raise NotAllowed(_("Only finance staff may register a donor."))
    unknown = set(fields) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"not donor fields: {sorted(unknown)}")
    try:
        with transaction.atomic():
            donor = Donor.objects.create(**fields)
            audit_transition(
                subject=donor, transition="register", source="", target="registered", by=by
            )
    except IntegrityError:
        # Lost a race for the same number: answered as the check would answer.
        raise _registered_twice() from None
    return donor


def donor_update(*, donor: Donor, by: User, **fields: Any) -> Donor:
    """Change a donor: a representative its contact fields only, finance any field.
    Audited as `update`, naming the fields that changed (not their values)."""
    if not is_finance(by):
        if not represents(by, donor):
            raise NotAllowed(_("You do not represent this donor."))
        if set(fields) - set(CONTACT_FIELDS):
            raise NotAllowed(_("Only finance staff may change this."))
    unknown = set(fields) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"not donor fields: {sorted(unknown)}")
    try:
        with transaction.atomic():
            donor = Donor.objects.select_for_update().get(pk=donor.pk)
            changed = [name for name, value in fields.items() if getattr(donor, name) != value]
            if changed:
                for name in changed:
                    setattr(donor, name, fields[name])
                donor.save(update_fields=changed)
                audit_transition(
                    subject=donor,
                    transition="update",
                    source="",
                    target="",
                    by=by,
                    reason=", ".join(changed),
                )
    except IntegrityError:
        raise _registered_twice() from None
    return donor


# --- pledges ----------------------------------------------------------------------


def pledge_create(
    *,
    by: User,
    donor: Donor,
    amount: Money,
    valid_until: datetime.date,
    preferred_categories=(),
    preferred_districts=(),
    cap_per_claim: int | None = None,
    idempotency_key: str | None = None,
) -> Pledge:
    """A donor representative (or finance) records a pledge; it counts once confirmed."""
    if not (represents(by, donor) or is_finance(by)):
        raise NotAllowed(_("Only a representative of this donor may pledge for it."))
    krw = Decimal(getattr(amount, "amount", amount))
    per_point = settings.KRW_PER_POINT
    errors = {}
    if krw <= 0 or krw != krw.to_integral_value():
        errors["amount"] = [_("Enter a whole number of won above zero.")]
    elif krw % per_point:
        errors["amount"] = [
            _("The amount must be a multiple of %(n)s won (one point).") % {"n": f"{per_point:,}"}
        ]
    if valid_until < timezone.localdate():
        errors["valid_until"] = [_("This date has already passed.")]
    if cap_per_claim is not None and (type(cap_per_claim) is not int or cap_per_claim < 1):
        errors["cap_per_claim"] = [_("Enter a whole number of at least 1, or leave it empty.")]
    if any(d.level != "district" for d in preferred_districts):
        errors["preferred_districts"] = [_("Choose districts only.")]
    if errors:
        raise InvalidPledge(_("The pledge has errors."), fields=errors)
    content = (
        donor.pk,
        krw,
        valid_until,
        cap_per_claim,
        {c.pk for c in preferred_categories},
        {d.pk for d in preferred_districts},
    )
    if idempotency_key and (existing := _pledge_replay(idempotency_key, content)):
        return existing
    try:
        with transaction.atomic():
            pledge = Pledge.objects.create(
                donor=donor,
                amount=Money(krw, "KRW"),
                points=int(krw) // per_point,
                valid_until=valid_until,
                cap_per_claim=cap_per_claim,
                created_by=by,
                idempotency_key=idempotency_key or None,
            )
            pledge.preferred_categories.set(preferred_categories)
            pledge.preferred_districts.set(preferred_districts)
            audit_transition(
                subject=pledge, transition="create", source="", target=pledge.state, by=by
            )
    except IntegrityError:
        # The loser of a race on the same key: answered as a replay would be.
        if idempotency_key and (existing := _pledge_replay(idempotency_key, content)):
            return existing
        raise
    return pledge


def _pledge_replay(key: str, content: tuple) -> Pledge | None:
    existing = Pledge.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if (
        existing.donor_id,
        existing.amount.amount,
        existing.valid_until,
        existing.cap_per_claim,
        set(existing.preferred_categories.values_list("pk", flat=True)),
        set(existing.preferred_districts.values_list("pk", flat=True)),
    ) != content:
        raise IdempotencyConflict()
    return existing


def _locked_pledge(pk: int) -> Pledge:
    """The pledge's row only (not its donor's: the donor is read, not locked)."""
    return Pledge.objects.select_for_update(of=("self",)).select_related("donor").get(pk=pk)


@retry_on_conflict
def pledge_confirm(*, pledge: Pledge, by: User) -> Pledge:
    """Finance confirms the money was received: Dr system:issued / Cr donor:D:match."""
    with transaction.atomic():
        pledge = _locked_pledge(pledge.pk)
        if not pledge.donor.is_verified:
            raise DonorNotVerified()
        if pledge.valid_until < timezone.localdate():
            raise InvalidPledge(
                _("This pledge's validity has already ended; it cannot be confirmed."),
                fields={"valid_until": [_("This date has already passed.")]},
            )
        _transition(pledge, "confirm", by)
        ledger_post(
            entries=[
                (system_account(Purpose.ISSUED), -pledge.points),
                (account_for(pledge.donor, Purpose.MATCH), pledge.points),
            ],
            kind=Kind.PLEDGE_CONFIRM,
            memo=_("Pledge #%(pk)s confirmed") % {"pk": pledge.pk},
            obj=pledge,
            by=by,
        )
        Pledge.objects.filter(pk=pledge.pk).update(confirmed_at=timezone.now(), confirmed_by=by)
    return pledge


def _return_points(pledge: Pledge, points: int, by: User | None, memo: str) -> None:
    """Give points of a closed pledge back to the issuer (the donor keeps no claim on them)."""
    if points <= 0:
        return
    ledger_post(
        entries=[
            (account_for(pledge.donor, Purpose.MATCH), -points),
            (system_account(Purpose.ISSUED), points),
        ],
        kind=Kind.PLEDGE_RETURN,
        memo=memo,
        obj=pledge,
        by=by,
    )
    pledge.points_returned += points


def _close(pledge: Pledge, action: str, by: User | None, reason: str) -> Pledge:
    was_confirmed = pledge.state != PledgeState.AWAITING
    _transition(pledge, action, by, reason)
    if was_confirmed:
        _return_points(
            pledge,
            pledge.points_remaining,
            by,
            _("Pledge #%(pk)s closed: unheld points returned") % {"pk": pledge.pk},
        )
    else:
        pledge.points_returned = pledge.points - pledge.points_held - pledge.points_used
    Pledge.objects.filter(pk=pledge.pk).update(points_returned=pledge.points_returned)
    return pledge


@retry_on_conflict
def pledge_withdraw(*, pledge: Pledge, by: User, reason: str = "") -> Pledge:
    """Withdrawing returns only the part not held; held points settle or return later."""
    with transaction.atomic():
        pledge = _locked_pledge(pledge.pk)
        return _close(pledge, "withdraw", by, reason)


def pledge_expire_overdue(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    count = 0
    for pk in Pledge.objects.filter(
        state__in=[PledgeState.ACTIVE, PledgeState.EXHAUSTED], valid_until__lt=today
    ).values_list("pk", flat=True):
        count += _pledge_expire_one(pk)
    return count


@retry_on_conflict
def _pledge_expire_one(pk: int) -> int:
    with transaction.atomic():
        pledge = _locked_pledge(pk)
        if pledge.state not in (PledgeState.ACTIVE, PledgeState.EXHAUSTED):
            return 0
        _close(pledge, "expire", None, _("Validity ended"))
    return 1


def _after_points_change(pledge: Pledge) -> None:
    Pledge.objects.filter(pk=pledge.pk).update(
        points_held=pledge.points_held,
        points_used=pledge.points_used,
        points_returned=pledge.points_returned,
    )
    if pledge.state == PledgeState.ACTIVE and pledge.points_remaining == 0:
        _transition(pledge, "exhaust", None)
    elif pledge.state == PledgeState.EXHAUSTED and pledge.points_remaining > 0:
        _transition(pledge, "replenish", None)


# --- matches ------------------------------------------------------------------------


def eligible_pledges(match: Match) -> QuerySet[Pledge]:
    """Active pledges of verified, active donors, valid today, with enough left, a cap
    that allows the private share, and preferences (if any) that include the claim's
    category and the claiming district. Expiring first, then oldest."""
    claim = match.claim
    category = claim.listing.category
    today = timezone.localdate()
    pledges = Pledge.objects.filter(
        state=PledgeState.ACTIVE,
        donor__is_active=True,
        donor__verified_at__isnull=False,
        valid_until__gte=today,
    ).filter(Q(cap_per_claim__isnull=True) | Q(cap_per_claim__gte=match.private_points))
    pledges = pledges.alias(
        left=F("points") - F("points_held") - F("points_used") - F("points_returned")
    ).filter(left__gte=match.private_points)
    pledges = pledges.filter(
        Q(preferred_categories__isnull=True)
        | Q(preferred_categories=category)
        | Q(preferred_categories=category.parent_id)
    ).filter(Q(preferred_districts__isnull=True) | Q(preferred_districts=claim.claimant_region_id))
    return pledges.distinct().order_by("valid_until", "created_at", "pk")


def _commit_with(
    match: Match, pledge_pk: int, by: User | None, also_lock: Sequence[Account] = ()
) -> bool:
    """Try to commit `match` with one pledge, under the pledge's row lock; then
    the accounts the caller's transaction posts to (`also_lock` and the hold's
    own) are locked together, in primary-key order."""
    pledge = _locked_pledge(pledge_pk)
    if pledge.state != PledgeState.ACTIVE or pledge.points_remaining < match.private_points:
        return False
    accounts_lock(
        [account_for(pledge.donor, Purpose.MATCH), system_account(Purpose.HOLDS), *also_lock]
    )
    match.hold = hold(
        source=account_for(pledge.donor, Purpose.MATCH),
        amount=match.private_points,
        memo=_("Claim #%(pk)s private share") % {"pk": match.claim_id},
        obj=match.claim,
        by=by,
    )
    match.pledge = pledge
    pledge.points_held += match.private_points
    source = match.state
    match.commit()  # permission checked by the caller for a person; the system needs none
    match.committed_at, match.committed_by = timezone.now(), by
    match.save()
    audit_transition(subject=match, transition="commit", source=source, target=match.state, by=by)
    _after_points_change(pledge)
    return True


def match_open(*, claim, by: User | None, also_lock: Sequence[Account] = ()) -> Match:
    """Create the match of a cross-region claim and commit it automatically to the
    eligible pledge that expires first (then the oldest); otherwise it waits as
    pending for a donor to commit it from the portal.

    Runs inside the claim's creation, under its listing's lock. `also_lock` are
    accounts the caller posts to afterwards: they are locked with the pledge's
    accounts, so that the transaction takes its accounts in one step."""
    public, private = split_cost(claim.cost_points)
    match = Match.objects.create(
        claim=claim,
        public_points=public,
        private_points=private,
        deadline=timezone.now() + datetime.timedelta(days=settings.MATCH_DEADLINE_DAYS),
    )
    audit_transition(subject=match, transition="open", source="", target=match.state, by=by)
    if private == 0:
        source = match.state
        match.commit()
        match.committed_at = timezone.now()
        match.save()
        audit_transition(
            subject=match,
            transition="commit",
            source=source,
            target=match.state,
            by=None,
            reason=_("No private share"),
        )
        return match
    for pledge_pk in eligible_pledges(match).values_list("pk", flat=True):
        with transaction.atomic():
            if _commit_with(match, pledge_pk, None, also_lock):
                return match
    return match


@retry_on_conflict
def match_commit(*, match: Match, by: User, pledge: Pledge | None = None) -> Match:
    """A donor representative commits a pending match from the portal, with one of
    their donor's eligible pledges (the one expiring first, unless chosen).

    Locks like every claim service: the claim first, then its listing and this
    match (marketplace/locks.py), then the pledge and its accounts."""
    from marketplace.locks import claim_locks
    from marketplace.models import Claim
    from marketplace.services import claim_expire_overdue

    claim_id = Match.objects.filter(pk=match.pk).values_list("claim_id", flat=True).first()
    if claim_id is None:
        raise Match.DoesNotExist()
    # A claim (or its match) past its deadline expires first and is never committed.
    claim_expire_overdue(claims=Claim.objects.filter(pk=claim_id))
    with transaction.atomic():
        match = claim_locks(claim_id, accounts=False).match
        if match.state != MatchState.PENDING:
            from marketplace.exceptions import IllegalTransition

            raise IllegalTransition(_("This match is no longer waiting for a donor."))
        if match.claim.state not in ("requested", "approved"):
            from marketplace.exceptions import IllegalTransition

            raise IllegalTransition(_("This claim is no longer active."))
        if not has_transition_perm(match.commit, by):
            raise NotAllowed(_("Only a donor representative may commit a match."))
        candidates = eligible_pledges(match).filter(donor__in=donors_represented(by))
        if pledge is not None:
            candidates = candidates.filter(pk=pledge.pk)
        for pledge_pk in candidates.values_list("pk", flat=True):
            if _commit_with(match, pledge_pk, by):
                return match
        raise PledgeNotEligible()


def _match_for(claim) -> Match | None:
    # Already locked by the caller (claim_locks); taken again, it costs nothing
    # and keeps this function safe on its own.
    try:
        return Match.objects.select_for_update(of=("self",)).get(claim=claim)
    except Match.DoesNotExist:
        return None


def match_settle(*, claim, private_paid: int, by: User | None) -> None:
    """On fulfilment: pay `private_paid` from the pledge's hold; the rest returns."""
    match = _match_for(claim)
    if match is None:
        return
    source = match.state
    match.settle()
    match.save()
    audit_transition(subject=match, transition="settle", source=source, target=match.state, by=by)
    if match.hold_id is None:
        return
    pledge = _locked_pledge(match.pledge_id)
    settle(
        match.hold,
        private_paid,
        by=by,
        memo=_("Claim #%(pk)s private share settled") % {"pk": claim.pk},
    )
    pledge.points_held -= match.private_points
    pledge.points_used += private_paid
    if pledge.state == PledgeState.CLOSED:
        _return_points(
            pledge,
            match.private_points - private_paid,
            by,
            _("Pledge #%(pk)s closed: unused points returned") % {"pk": pledge.pk},
        )
    _after_points_change(pledge)


def match_release(*, claim, by: User | None, expired: bool = False) -> None:
    """On reject, cancel or expiry: the private hold (if any) returns to the pledge."""
    match = _match_for(claim)
    if match is None or match.state not in (MatchState.PENDING, MatchState.COMMITTED):
        return
    source = match.state
    action = "expire" if expired and match.state == MatchState.PENDING else "release"
    getattr(match, action)()
    match.save()
    audit_transition(subject=match, transition=action, source=source, target=match.state, by=by)
    if match.hold_id is None:
        return
    pledge = _locked_pledge(match.pledge_id)
    release(match.hold, by=by, memo=_("Claim #%(pk)s private share returned") % {"pk": claim.pk})
    pledge.points_held -= match.private_points
    if pledge.state == PledgeState.CLOSED:
        _return_points(
            pledge,
            match.private_points,
            by,
            _("Pledge #%(pk)s closed: returned points go back") % {"pk": pledge.pk},
        )
    _after_points_change(pledge)


def match_expire_overdue(*, now: datetime.datetime | None = None) -> int:
    """Pending matches past MATCH_DEADLINE_DAYS expire, and their claims with them."""
    from marketplace.models import Claim
    from marketplace.services import claim_expire_overdue

    now = now or timezone.now()
    claim_ids = list(
        Match.objects.filter(state=MatchState.PENDING, deadline__lte=now).values_list(
            "claim_id", flat=True
        )
    )
    if not claim_ids:
        return 0
    return claim_expire_overdue(now=now, claims=Claim.objects.filter(pk__in=claim_ids))
