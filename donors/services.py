"""Writes for donors: donors, pledges, and the points a pledge holds for others.

Lock order, shared with the claim services: claim → listing → match → pledge →
ledger accounts (exchange/locks.py takes them for a claim). The matches that
pay the private half of claims are the exchange app's (exchange/funding.py);
they use `pledge_hold`, `pledge_settle` and `pledge_release`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from audit.services import audit_transition, run_transition
from config.conflicts import retry_on_conflict
from config.exceptions import NotAllowed
from donors.exceptions import DonorNotVerified, InvalidDonor, InvalidPledge
from donors.models import Donor, Pledge, PledgeState
from donors.permissions import represents
from ledger.exceptions import IdempotencyConflict
from ledger.models import Account, Hold, Purpose
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


def _transition(obj, name: str, by: User | None, reason: str = "") -> None:
    run_transition(obj, name, by, reason)


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
    "address",
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


# --- points held for others ------------------------------------------------------------
#
# Primitives for the claim workflow (exchange/funding.py): a pledge holds,
# pays or gives back points for an object it knows nothing else about. The
# caller holds the locks that come before the pledge's (exchange/locks.py).


def pledge_hold(
    *,
    pledge_pk: int,
    points: int,
    obj: Any,
    by: User | None,
    memo: str,
    also_lock: Sequence[Account] = (),
    holds: Account | None = None,
) -> tuple[Pledge, Hold] | None:
    """Hold `points` of an active pledge for `obj`, under the pledge's row lock;
    None when the pledge is no longer active or has fewer points left. The
    donor's match account, the holds account and `also_lock` (accounts the
    caller's transaction posts to afterwards) are locked together, in
    primary-key order. `holds`: the holds account, if the caller has read it."""
    pledge = _locked_pledge(pledge_pk)
    if pledge.state != PledgeState.ACTIVE or pledge.points_remaining < points:
        return None
    # Each account read once, for the lock and the posting.
    source = account_for(pledge.donor, Purpose.MATCH)
    holds = holds or system_account(Purpose.HOLDS)
    accounts_lock([source, holds, *also_lock])
    held = hold(source=source, amount=points, obj=obj, by=by, memo=memo, holds=holds)
    pledge.points_held += points
    _after_points_change(pledge)
    return pledge, held


def pledge_settle(
    *, pledge_pk: int, hold_row: Hold, held: int, paid: int, by: User | None, memo: str
) -> Pledge:
    """Pay `paid` of the `held` points the pledge holds in `hold_row`; the rest
    returns to the pledge (or, if it has closed meanwhile, to the issuer)."""
    pledge = _locked_pledge(pledge_pk)
    settle(hold_row, paid, by=by, memo=memo)
    pledge.points_held -= held
    pledge.points_used += paid
    if pledge.state == PledgeState.CLOSED:
        _return_points(
            pledge,
            held - paid,
            by,
            _("Pledge #%(pk)s closed: unused points returned") % {"pk": pledge.pk},
        )
    _after_points_change(pledge)
    return pledge


def pledge_release(
    *, pledge_pk: int, hold_row: Hold, held: int, by: User | None, memo: str
) -> Pledge:
    """Give the `held` points of `hold_row` back to the pledge (or, if it has
    closed meanwhile, to the issuer)."""
    pledge = _locked_pledge(pledge_pk)
    release(hold_row, by=by, memo=memo)
    pledge.points_held -= held
    if pledge.state == PledgeState.CLOSED:
        _return_points(
            pledge,
            held,
            by,
            _("Pledge #%(pk)s closed: returned points go back") % {"pk": pledge.pk},
        )
    _after_points_change(pledge)
    return pledge
