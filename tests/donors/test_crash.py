"""Kill a process running the claim flow at random moments: the books hold.

A child process (tests/donors/crash_worker.py) runs claims, matches, pledges
and expiries in a loop against the test database and is killed with SIGKILL
at a random moment, again and again. Whatever it was doing is rolled back by
PostgreSQL; after every kill the ledger verifies, every open hold belongs to
an active claim or its committed match (and system:holds equals their sum),
listings hold exactly their active claims' units, and pledges hold exactly
their live matches' shares (tests/invariants.py).
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from marketplace.models import Claim
from marketplace.services import household_create
from tests.invariants import consistency_problems

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]
KILLS = 12
BUDGET_SECONDS = 60  # the whole test, set-up included, stays within it


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _start(setup: dict, seed: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "PUBLIC_SHARE": "0.5",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "CRASH_SETUP": json.dumps(setup),
        "CRASH_SEED": str(seed),
    }
    return subprocess.Popen(
        [sys.executable, str(WORKER)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(child: subprocess.Popen, deadline: float) -> bool:
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([child.stdout], [], [], 0.1)
        if ready:
            return child.stdout.readline().strip() == "ready"
        if child.poll() is not None:
            return False
    return False


def test_killing_the_claim_flow_at_random_moments_leaves_consistent_books(
    daejeon, make_listing, grant, people, donor, donor_rep, finance, make_pledge
):
    started = time.monotonic()
    grant(daejeon["대덕구"], 10_000_000)
    make_pledge(krw=5_000_000)
    dong = daejeon["대덕구"].children.order_by("code").first()
    cm = people["cm_daedeok"]
    households = [household_create(by=cm, dong=dong, size=2) for _ in range(3)]
    listings = [make_listing(quantity=100_000, krw=20_000 + 2_000 * i) for i in range(4)]
    setup = {
        "users": {
            "cm": cm.pk,
            "coord": people["coord_seo"].pk,
            "rep": donor_rep.pk,
            "finance": finance.pk,
        },
        "donor": donor.pk,
        "listings": [listing.pk for listing in listings],
        "households": [household.pk for household in households],
    }
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    kills = 0
    claims_seen = []
    deadline = started + BUDGET_SECONDS - 5
    while kills < KILLS and time.monotonic() < deadline:
        child = _start(setup, seed + kills)
        try:
            assert _wait_ready(child, deadline), (
                f"worker did not start (after {kills} kills): {child.stderr.read()}"
            )
            time.sleep(rng.uniform(0.2, 1.2))
            assert child.poll() is None, (
                f"worker stopped by itself after {kills} kills (seed {seed + kills}): "
                f"{child.stderr.read()}"
            )
            os.kill(child.pid, signal.SIGKILL)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()
            child.stderr.close()
        kills += 1
        claims_seen.append(Claim.objects.count())
        problems = consistency_problems()
        assert not problems, f"after kill {kills} (seed {seed + kills - 1}): {problems}"

    elapsed = time.monotonic() - started
    print(f"crash test: {kills} kills survived, claims after each {claims_seen}, {elapsed:.1f} s")
    assert kills >= 10, f"only {kills} kills in {elapsed:.1f} s (claims after each {claims_seen})"
    assert claims_seen[-1] > 0, "the worker never got as far as a claim"
