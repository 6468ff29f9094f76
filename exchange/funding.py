"""What a claim costs and who pays it: the 5:5 rule and the matches.

A cross-region claim costs `points_per_unit(listing) × quantity`, fixed when it
is requested. The public share (ceil(cost × PUBLIC_SHARE)) is held from the
claiming exchange region's wallet; the private share is a match, paid by a
donor's pledge: committed automatically to the eligible pledge that expires
first when the claim is made, otherwise from the donor portal before its
deadline. Every function here runs inside the claim's locks (exchange/locks.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_transition
from donors.models import Pledge
from donors.services import pledge_hold, pledge_release, pledge_settle
from exchange.models import Claim, Match, MatchState
from ledger.models import Account
from marketplace.models import Listing
from marketplace.selectors import points_per_unit
from people.models import User


def split_cost(cost: int, share: Decimal | None = None) -> tuple[int, int]:
    """(public, private): public = ceil(cost × share), private = the rest; they sum to cost."""
    share = settings.PUBLIC_SHARE if share is None else share
    public = int((Decimal(cost) * share).to_integral_value(rounding=ROUND_CEILING))
    return public, cost - public


def claim_cost(listing: Listing, quantity: int) -> tuple[int, int]:
    """(points per unit, cost) of claiming `quantity` units of `listing` now."""
    ppu = points_per_unit(listing)
    return ppu, ppu * quantity


def eligible_pledges(match: Match) -> QuerySet[Pledge]:
    """Pledges that may take on the match's private share (the rule of
    `PledgeQuerySet.eligible`), expiring first, then oldest."""
    claim = match.claim
    category = claim.listing.category
    return (
        Pledge.objects.eligible(
            points=match.private_points,
            category=category.pk,
            category_parent=category.parent_id,
            district=claim.claimant_region_id,
        )
        .distinct()
        .order_by("valid_until", "created_at", "pk")
    )


def match_commit_with(
    match: Match,
    pledge_pk: int,
    by: User | None,
    also_lock: Sequence[Account] = (),
    reason: str = "",
    holds: Account | None = None,
) -> bool:
    """Try to commit `match` with one pledge (its points held, under its row
    lock); False when that pledge can no longer take it. `reason` is the donor's
    note, kept in the audit log; `holds` the holds account, if read already."""
    taken = pledge_hold(
        pledge_pk=pledge_pk,
        points=match.private_points,
        obj=match.claim,
        by=by,
        memo=_("Claim #%(pk)s private share") % {"pk": match.claim_id},
        also_lock=also_lock,
        holds=holds,
    )
    if taken is None:
        return False
    match.pledge, match.hold = taken
    source = match.state
    match.commit()  # permission checked by the caller for a person; the system needs none
    match.committed_at, match.committed_by = timezone.now(), by
    match.save()
    audit_transition(
        subject=match,
        transition="commit",
        source=source,
        target=match.state,
        by=by,
        reason=reason,
    )
    return True


def match_open(
    *,
    claim: Claim,
    by: User | None,
    also_lock: Sequence[Account] = (),
    holds: Account | None = None,
) -> Match:
    """Create the match of a cross-region claim and commit it automatically to the
    eligible pledge that expires first (then the oldest); otherwise it waits as
    pending for a donor to commit it from the portal.

    Runs inside the claim's creation, under its listing's lock. `also_lock` are
    accounts the caller posts to afterwards: they are locked with the pledge's
    accounts, so that the transaction takes its accounts in one step; `holds`
    the holds account, when the caller has read it."""
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
            if match_commit_with(match, pledge_pk, None, also_lock, holds=holds):
                return match
    return match


def match_settle(*, match: Match | None, claim: Claim, private_paid: int, by: User | None) -> None:
    """On fulfilment: pay `private_paid` from the pledge's hold; the rest returns."""
    if match is None:
        return
    source = match.state
    match.settle()
    match.save()
    audit_transition(subject=match, transition="settle", source=source, target=match.state, by=by)
    if match.hold_id is None:
        return
    pledge_settle(
        pledge_pk=match.pledge_id,
        hold_row=match.hold,
        held=match.private_points,
        paid=private_paid,
        by=by,
        memo=_("Claim #%(pk)s private share settled") % {"pk": claim.pk},
    )


def match_release(
    *, match: Match | None, claim: Claim, by: User | None, expired: bool = False
) -> None:
    """On reject, cancel or expiry: the private hold (if any) returns to the pledge."""
    if match is None or match.state not in (MatchState.PENDING, MatchState.COMMITTED):
        return
    source = match.state
    action = "expire" if expired and match.state == MatchState.PENDING else "release"
    getattr(match, action)()
    match.save()
    audit_transition(subject=match, transition=action, source=source, target=match.state, by=by)
    if match.hold_id is None:
        return
    pledge_release(
        pledge_pk=match.pledge_id,
        hold_row=match.hold,
        held=match.private_points,
        by=by,
        memo=_("Claim #%(pk)s private share returned") % {"pk": claim.pk},
    )
