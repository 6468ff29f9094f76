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
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from exchange.models import Claim
from marketplace.services import household_create
from tests.invariants import consistency_problems

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
BUDGET_SECONDS = 60  # the whole test, set-up included, stays within it


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _start(setup: dict) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "PUBLIC_SHARE": "0.5",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "CRASH_SETUP": json.dumps(setup),
    }
    # Errors go to a file, not a pipe: a worker that logs a lot never blocks on it.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the process)
    child = subprocess.Popen(
        [sys.executable, str(WORKER)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    child.log = log
    child.pending = b""
    return child


def _log_of(child: subprocess.Popen) -> str:
    child.log.seek(0)
    return child.log.read().decode(errors="replace")[-3000:]


def _line(child: subprocess.Popen, timeout: float) -> str | None:
    """The next line the process printed, or None if none came within `timeout`."""
    until = time.monotonic() + timeout
    while b"\n" not in child.pending:
        left = until - time.monotonic()
        if left <= 0 or not select.select([child.stdout], [], [], left)[0]:
            return None
        chunk = os.read(child.stdout.fileno(), 4096)
        if not chunk:
            return None
        child.pending += chunk
    line, child.pending = child.pending.split(b"\n", 1)
    return line.decode()


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
    claims_seen: list[int] = []
    deadline = started + BUDGET_SECONDS - 5
    parent = _start(setup)
    try:
        assert _line(parent, 30) == "ready", f"the worker did not start: {_log_of(parent)}"
        while kills < KILLS and time.monotonic() < deadline:
            parent.stdin.write(f"run {seed + kills}\n".encode())
            parent.stdin.flush()
            pid = int(_line(parent, 10) or 0)
            assert pid, f"no worker forked after {kills} kills: {_log_of(parent)}"
            # Killed at a random moment, mostly in the middle of some service.
            early = _line(parent, rng.uniform(0.2, 1.0))
            assert early is None, (
                f"worker {seed + kills} stopped by itself ({early}) after {kills} kills: "
                f"{_log_of(parent)}"
            )
            os.kill(pid, signal.SIGKILL)
            status = _line(parent, 10)
            assert status == f"exit {int(signal.SIGKILL)}", f"worker {seed + kills}: {status}"
            kills += 1
            claims_seen.append(Claim.objects.count())
            problems = consistency_problems()
            assert not problems, f"after kill {kills} (seed {seed + kills - 1}): {problems}"
    finally:
        parent.stdin.close()  # the parent process ends at the end of its input
        try:
            parent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            parent.kill()
            parent.wait()
        parent.stdout.close()
        parent.log.close()

    elapsed = time.monotonic() - started
    print(f"crash test: {kills} kills survived, claims after each {claims_seen}, {elapsed:.1f} s")
    assert kills >= 10, f"only {kills} kills in {elapsed:.1f} s (claims after each {claims_seen})"
    assert claims_seen[-1] > 0, "the worker never got as far as a claim"
