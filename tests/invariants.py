"""Whole-database invariants of claims, matches, pledges, holds and the ledger.

Used after races and crashes: each returns a list of problems (empty when the
books are consistent), so a failing assertion names every one of them.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from donors.models import Pledge
from exchange.models import ACTIVE_CLAIM_STATES, Claim, Match, MatchState
from ledger.models import Hold, HoldStatus, Purpose
from ledger.selectors import account_balance, ledger_verify
from ledger.services import system_account
from marketplace.models import Listing

LIVE_MATCH_STATES = (MatchState.PENDING, MatchState.COMMITTED)


def consistency_problems() -> list[str]:
    problems: list[str] = []
    report = ledger_verify()
    if not report.ok:
        problems.extend(f"ledger_verify: {p}" for p in report.problems)

    claims = {c.pk: c for c in Claim.objects.all()}
    matches = {m.claim_id: m for m in Match.objects.all()}
    open_holds = {h.pk: h for h in Hold.objects.filter(status=HoldStatus.OPEN)}

    # Every open hold belongs to an active claim, directly or through its match.
    owners: dict[int, str] = {}
    for claim in claims.values():
        active = claim.state in ACTIVE_CLAIM_STATES
        if claim.hold_id:
            owners[claim.hold_id] = f"claim #{claim.pk}"
            if active and claim.hold_id not in open_holds:
                problems.append(f"active claim #{claim.pk} ({claim.state}) has no open hold")
            if not active and claim.hold_id in open_holds:
                problems.append(f"closed claim #{claim.pk} ({claim.state}) left its hold open")
        match = matches.get(claim.pk)
        if match is None:
            continue
        if not active and match.state in LIVE_MATCH_STATES:
            problems.append(f"closed claim #{claim.pk} ({claim.state}) has a {match.state} match")
        if match.hold_id:
            owners[match.hold_id] = f"match of claim #{claim.pk}"
            live = active and match.state == MatchState.COMMITTED
            if live != (match.hold_id in open_holds):
                problems.append(
                    f"match of claim #{claim.pk} ({claim.state}/{match.state}): hold open "
                    f"{match.hold_id in open_holds}"
                )
        elif match.state == MatchState.COMMITTED and match.private_points:
            problems.append(f"committed match of claim #{claim.pk} holds nothing")
    for pk in open_holds:
        if pk not in owners:
            problems.append(f"open hold #{pk} belongs to no claim or match")

    held = sum(h.amount for h in open_holds.values())
    holds_balance = account_balance(system_account(Purpose.HOLDS))
    if holds_balance != held:
        problems.append(f"system:holds is {holds_balance}, open holds sum to {held}")

    # Listing quantities follow their active claims.
    active_units = defaultdict(int)
    for claim in claims.values():
        if claim.state in ACTIVE_CLAIM_STATES:
            active_units[claim.listing_id] += claim.quantity
    fulfilled_units = defaultdict(int)
    for row in (
        Claim.objects.filter(state="fulfilled")
        .values("listing_id")
        .annotate(n=Sum("quantity_received"))
    ):
        fulfilled_units[row["listing_id"]] = row["n"] or 0
    for listing in Listing.objects.all():
        if listing.quantity_held != active_units[listing.pk]:
            problems.append(
                f"listing #{listing.pk} holds {listing.quantity_held}, active claims "
                f"{active_units[listing.pk]}"
            )
        if listing.quantity_fulfilled != fulfilled_units[listing.pk]:
            problems.append(
                f"listing #{listing.pk} fulfilled {listing.quantity_fulfilled}, claims received "
                f"{fulfilled_units[listing.pk]}"
            )

    # A pledge's held points are the private shares of its live committed matches.
    pledge_held = defaultdict(int)
    for match in matches.values():
        if match.pledge_id and match.hold_id in open_holds:
            pledge_held[match.pledge_id] += match.private_points
    for pledge in Pledge.objects.all():
        if pledge.points_held != pledge_held[pledge.pk]:
            problems.append(
                f"pledge #{pledge.pk} says {pledge.points_held} held, matches hold "
                f"{pledge_held[pledge.pk]}"
            )
    return problems
