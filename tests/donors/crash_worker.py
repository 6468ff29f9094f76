"""The claim flow in an endless loop, for tests/donors/test_crash.py.

Run as a child process (`python tests/donors/crash_worker.py`) against the
test database named by DATABASE_URL; the ids it works with come as JSON in
CRASH_SETUP. It sets Django up once, prints "ready", and then for each line
"run SEED" on stdin forks a worker, prints the worker's pid, waits for it and
prints "exit STATUS". The test kills the worker with SIGKILL at a random
moment (forking saves Django's start-up on every kill). The worker requests
claims, commits their matches, approves, fulfils, cancels, rejects and
expires them, pledges and withdraws, until it is killed. A refusal (a domain
error) is part of the flow; anything else ends the worker with the error on
stderr and a non-zero status, which the test reports.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import random
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402
from djmoney.money import Money  # noqa: E402

from config.exceptions import DomainError  # noqa: E402
from donors.models import Donor, Pledge, PledgeState  # noqa: E402
from donors.services import pledge_confirm, pledge_create, pledge_withdraw  # noqa: E402
from exchange.models import Claim, Match, MatchState  # noqa: E402
from exchange.services import (  # noqa: E402
    claim_approve,
    claim_cancel,
    claim_expire_overdue,
    claim_fulfil,
    claim_reject,
    claim_request,
    match_commit,
)
from marketplace.models import Household, Listing  # noqa: E402
from people.models import User  # noqa: E402


def main() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        seed = int(line.split()[1])
        pid = os.fork()
        if pid == 0:  # the worker: its own database connection, opened on first use
            try:
                work(seed)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            os._exit(1)
        print(pid, flush=True)
        _pid, status = os.waitpid(pid, 0)
        print(f"exit {status}", flush=True)


def work(seed: int) -> None:
    setup = json.loads(os.environ["CRASH_SETUP"])
    rng = random.Random(seed)
    users = {name: User.objects.get(pk=pk) for name, pk in setup["users"].items()}
    donor = Donor.objects.get(pk=setup["donor"])
    listings = list(Listing.objects.filter(pk__in=setup["listings"]))
    households = list(Household.objects.filter(pk__in=setup["households"]))
    while True:
        with contextlib.suppress(DomainError):
            step(rng, users, donor, listings, households)


def step(rng, users, donor, listings, households) -> None:
    roll = rng.random()
    if roll < 0.05:
        # Everything active past its deadline, as `expire_due` a month from now would find it.
        claim_expire_overdue(now=timezone.now() + datetime.timedelta(days=40))
        return
    if roll < 0.10:
        pledge = pledge_create(
            by=users["rep"],
            donor=donor,
            amount=Money(rng.choice([20_000, 60_000, 200_000]), "KRW"),
            valid_until=timezone.localdate() + datetime.timedelta(days=30),
        )
        pledge_confirm(pledge=pledge, by=users["finance"])
        return
    if roll < 0.13:
        live = Pledge.objects.filter(state__in=[PledgeState.ACTIVE, PledgeState.EXHAUSTED])
        if pledge := live.order_by("?").first():
            pledge_withdraw(pledge=pledge, by=users["rep"], reason="crash test")
        return
    claim = claim_request(
        by=users["cm"],
        listing=rng.choice(listings),
        household=rng.choice(households),
        quantity=rng.randint(1, 3),
        justification="반복 지원 필요",
    )
    match = Match.objects.filter(claim=claim).first()
    if match is not None and match.state == MatchState.PENDING:
        match_commit(match=match, by=users["rep"])
    end = rng.random()
    if end < 0.15:
        claim_cancel(claim=claim, by=users["cm"], reason="crash test")
        return
    if end < 0.25:
        claim_reject(claim=claim, by=users["coord"], reason="crash test")
        return
    if end < 0.30:
        return  # left active: later expired, or still open when killed
    claim_approve(claim=claim, by=users["coord"])
    claim = Claim.objects.get(pk=claim.pk)
    if rng.random() < 0.2:
        claim_cancel(claim=claim, by=users["cm"], reason="crash test")
    else:
        claim_fulfil(claim=claim, by=users["cm"], quantity_received=rng.randint(0, claim.quantity))


if __name__ == "__main__":
    main()
