"""A donor committing a match races every action on the same claim.

Both sides lock claim → listing → match → pledge → ledger accounts
(exchange/locks.py), so neither waits on the other in a circle: each race
ends with one clean outcome or a domain refusal, never a deadlock, and the
books stay consistent after every trial.
"""

import datetime
import threading
import time
from collections import Counter
from unittest import mock

import pytest
from django.utils import timezone
from djmoney.money import Money

from config.exceptions import DomainError
from donors.models import Pledge, PledgeState
from donors.services import pledge_confirm, pledge_create, pledge_withdraw
from exchange.models import Claim, Match, MatchState
from exchange.services import (
    claim_approve,
    claim_cancel,
    claim_expire_overdue,
    claim_fulfil,
    claim_reject,
    claim_request,
    match_commit,
)
from tests.helpers import run_parallel
from tests.invariants import consistency_problems

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIALS = 20


def _pledge(donor, donor_rep, finance, krw=10_000):
    pledge = pledge_create(
        by=donor_rep,
        donor=donor,
        amount=Money(krw, "KRW"),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    return pledge_confirm(pledge=pledge, by=finance)


def _outcome(result) -> str:
    if isinstance(result, DomainError):
        return f"refused:{result.code}"
    if isinstance(result, Exception):
        return f"ERROR:{type(result).__name__}:{result}"
    return "ok"


def test_match_commit_racing_an_action_on_the_same_claim_never_deadlocks(
    daejeon, make_listing, grant, people, household, donor, donor_rep, finance
):
    # One test for the four races: the regions, people and donor are set up once.
    grant(daejeon["대덕구"], 1_000_000)
    report = []
    for other in ("cancel", "reject", "expire", "fulfil"):
        outcomes = _race(other, make_listing, people, household, donor, donor_rep, finance)
        report.append(f"{other}: {TRIALS} trials, outcomes {dict(outcomes)}")
    print("\n".join(report))


def _race(other, make_listing, people, household, donor, donor_rep, finance) -> Counter:
    cm, coord = people["cm_daedeok"], people["coord_seo"]
    outcomes: Counter = Counter()
    for trial in range(TRIALS):
        listing = make_listing(quantity=1, krw=20_000)
        # No pledge left with points: the earlier trials' are withdrawn.
        for left in Pledge.objects.filter(state__in=[PledgeState.ACTIVE, PledgeState.EXHAUSTED]):
            pledge_withdraw(pledge=left, by=donor_rep)
        if other == "fulfil":
            _pledge(donor, donor_rep, finance)  # committed at once: the claim can be approved
        claim = claim_request(
            by=cm, listing=listing, household=household, quantity=1, justification="repeat"
        )
        match = Match.objects.get(claim=claim)
        if other == "fulfil":
            assert match.state == MatchState.COMMITTED
            claim_approve(claim=claim, by=coord)
        else:
            assert match.state == MatchState.PENDING
            _pledge(donor, donor_rep, finance)  # arrives after the claim, for the commit
        if other == "expire":
            Claim.objects.filter(pk=claim.pk).update(approve_by=timezone.now())

        actions = {
            "cancel": lambda c: claim_cancel(claim=c, by=cm, reason="race"),
            "reject": lambda c: claim_reject(claim=c, by=coord, reason="race"),
            "expire": lambda c: claim_expire_overdue(claims=Claim.objects.filter(pk=c.pk)),
            "fulfil": lambda c: claim_fulfil(claim=c, by=cm, quantity_received=1),
        }

        # A little head start for the commit now and then, so that both orders
        # of the race happen (the commit checks the claim's deadline first).
        delay = (trial % 4) * 0.02

        def race(i, match=match, claim=claim, act=actions[other], delay=delay):
            if i == 0:
                return match_commit(match=match, by=donor_rep)
            time.sleep(delay)
            return act(claim)

        results = run_parallel(2, race)
        outcomes.update(_outcome(r) for r in results)
        errors = [r for r in results if _outcome(r).startswith("ERROR")]
        assert not errors, (
            f"{other}, trial {trial + 1} of {TRIALS}: {errors}; so far {dict(outcomes)}"
        )
        problems = consistency_problems()
        assert not problems, f"{other}, trial {trial + 1} of {TRIALS}: {problems}"
    # Each race ends with one of the two done and the other refused (or both
    # done, when the commit wins a cancel, reject or expiry); never neither.
    assert sum(outcomes.values()) == 2 * TRIALS, dict(outcomes)
    assert outcomes["ok"] >= TRIALS, f"{other}: {dict(outcomes)}"
    assert set(outcomes) <= {"ok", "refused:illegal_transition"}, f"{other}: {dict(outcomes)}"
    return outcomes


def test_claim_locks_refuse_to_run_outside_a_transaction(
    daejeon, make_listing, grant, people, household
):
    from exchange.locks import LockOutsideTransaction, claim_locks

    grant(daejeon["대덕구"], 10_000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=1
    )
    with pytest.raises(LockOutsideTransaction):
        claim_locks(claim.pk)


def test_claim_locks_hold_only_the_claims_own_rows(
    daejeon, make_listing, grant, people, household, make_pledge, donor
):
    """The claim, listing, match and pledge are locked; the household, its dong,
    the listing's region and category and the donor — read with them — are not."""
    from django.db import DatabaseError, transaction

    from exchange.locks import claim_locks
    from marketplace.models import Household
    from regions.models import Region

    grant(daejeon["대덕구"], 10_000)
    make_pledge(krw=100_000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=1
    )
    listing = claim.listing
    pledge_pk = Match.objects.get(claim=claim).pledge_id
    locked, probed = threading.Event(), threading.Event()

    def hold_locks():
        with transaction.atomic():
            locks = claim_locks(claim.pk)
            assert locks.pledge is not None
            locked.set()
            probed.wait(30)
        return "held"

    def probe():
        try:
            return probe_rows()
        finally:
            probed.set()

    def probe_rows():
        locked.wait(30)
        free, busy = [], []
        for label, queryset, pk in [
            ("household", Household.objects, household.pk),
            ("dong", Region.objects, household.dong_id),
            ("listing region", Region.objects, listing.region_id),
            ("category", type(listing.category).objects, listing.category_id),
            ("donor", type(donor).objects, donor.pk),
            ("claim", Claim.objects, claim.pk),
            ("listing", type(listing).objects, listing.pk),
            ("match", Match.objects, Match.objects.get(claim=claim).pk),
            ("pledge", Pledge.objects, pledge_pk),
        ]:
            try:
                with transaction.atomic():
                    queryset.select_for_update(nowait=True).get(pk=pk)
                free.append(label)
            except DatabaseError:
                busy.append(label)
        return free, busy

    results = run_parallel(2, lambda i: hold_locks() if i == 0 else probe())
    assert results[0] == "held", results
    free, busy = results[1]
    assert busy == ["claim", "listing", "match", "pledge"], (free, busy)


def test_fulfilment_and_a_grant_to_the_claiming_wallet_never_deadlock(
    daejeon, make_listing, grant, people, household, donor, donor_rep, finance
):
    """Fulfilment posts several times: the donor's hold, the wallet's hold (the
    claiming wallet), then the award from system:issued. A grant to the
    claiming wallet posts to system:issued and that wallet. Here the grant
    arrives right after fulfilment has settled the wallet's hold: had
    fulfilment locked its accounts posting by posting, each would wait for the
    other. It locks all of them at once, in primary-key order, so the grant
    simply waits."""
    from ledger import services as ledger_services

    grant(daejeon["대덕구"], 1_000_000)
    cm, coord = people["cm_daedeok"], people["coord_seo"]
    real_post = ledger_services.ledger_post
    fulfilling = threading.local()

    def post_then_pause(**kwargs):
        txn = real_post(**kwargs)
        fulfilling.posts = getattr(fulfilling, "posts", 0) + 1
        if fulfilling.posts == 2 and getattr(fulfilling, "gate", None):
            fulfilling.gate.set()
            time.sleep(0.4)  # the grant runs now, inside fulfilment's transaction
        return txn

    outcomes: Counter = Counter()
    trials = 3
    for trial in range(trials):
        _pledge(donor, donor_rep, finance, krw=20_000)
        # Two units, one received: both holds are settled in part, the rest
        # returns, and the providing region is awarded the paid part.
        claim = claim_request(
            by=cm,
            listing=make_listing(quantity=2, krw=20_000),
            household=household,
            quantity=2,
            justification="repeat",
        )
        claim_approve(claim=claim, by=coord)
        settled = threading.Event()

        def race(i, claim=claim, settled=settled):
            if i == 0:
                fulfilling.posts, fulfilling.gate = 0, settled
                return claim_fulfil(claim=claim, by=cm, quantity_received=1)
            settled.wait(30)
            return grant(daejeon["대덕구"], 5)

        with mock.patch.object(ledger_services, "ledger_post", post_then_pause):
            results = run_parallel(2, race)
        outcomes.update(_outcome(r) for r in results)
        assert outcomes["ok"] == 2 * (trial + 1), f"trial {trial + 1} of {trials}: {results}"
        problems = consistency_problems()
        assert not problems, f"trial {trial + 1} of {trials}: {problems}"
    print(f"fulfil vs grant: {trials} trials, outcomes {dict(outcomes)}")
