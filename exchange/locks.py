"""The one order in which claim-related rows are locked.

Every service that changes a claim, its listing, its match, a pledge or a
ledger account locks them in this order, never backwards:

    claim → listing → match → pledge → ledger accounts (all of them at once,
    in primary-key order) → the claim's and the match's holds

so two services never wait on each other in a circle. `claim_locks` takes the
first four for one claim; `ledger.services.accounts_lock` takes the accounts.
A service that posts more than once in one transaction locks every account it
may touch up front, because the postings would otherwise lock them piecemeal
(and two transactions could take the shared system accounts in different
orders). A hold row belongs to one claim or match, whose lock already
serialises everything done to it.

Each lock names only its own row (`select_for_update(of=("self",))`): a join
under FOR UPDATE would lock the joined rows too — regions, households,
donors — out of this order. Services that create a claim (`claim_request`)
start at the listing, as there is no claim to lock yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from donors.models import Pledge
from exchange.models import Claim, Match
from ledger.models import Account, Purpose
from ledger.services import account_for, accounts_lock, system_account
from marketplace.models import Listing


class LockOutsideTransaction(RuntimeError):
    """Row locks end with the statement unless a transaction holds them."""


@dataclass
class ClaimLocks:
    claim: Claim
    listing: Listing
    match: Match | None
    pledge: Pledge | None


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise LockOutsideTransaction("claim locks are taken inside transaction.atomic()")


def claim_locks(claim_pk: int, *, accounts: bool = True) -> ClaimLocks:
    """Lock one claim's rows in the documented order and return them fresh.

    Claim (with its household and dong read, not locked), listing, match (if
    any), the match's pledge (if any), then — with `accounts` — every ledger
    account the claim may post to: the claiming and providing wallets, the
    pledge's donor account and the three system accounts, in primary-key order.
    Refuses to run outside `transaction.atomic()`.
    """
    _require_transaction()
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("household__dong")
        .get(pk=claim_pk)
    )
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("region", "category")
        .get(pk=claim.listing_id)
    )
    claim.listing = listing
    match = Match.objects.select_for_update(of=("self",)).filter(claim_id=claim.pk).first()
    pledge = None
    if match is not None:
        match.claim = claim
        if match.pledge_id is not None:
            pledge = (
                Pledge.objects.select_for_update(of=("self",))
                .select_related("donor")
                .get(pk=match.pledge_id)
            )
            match.pledge = pledge
    if accounts and claim.is_exchange:
        accounts_lock(claim_accounts(claim, pledge))
    return ClaimLocks(claim=claim, listing=listing, match=match, pledge=pledge)


def claim_accounts(claim: Claim, pledge: Pledge | None) -> list[Account]:
    """Every account a cross-region claim's services may post to."""
    found = [
        account_for(claim.claimant_region, Purpose.WALLET),
        account_for(claim.provider_region, Purpose.WALLET),
        system_account(Purpose.ISSUED),
        system_account(Purpose.HOLDS),
        system_account(Purpose.REDEEMED),
    ]
    if pledge is not None:
        found.append(account_for(pledge.donor, Purpose.MATCH))
    return found
