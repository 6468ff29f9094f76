"""Background jobs on a real Celery worker, started by the test, on Redis.

The worker is a subprocess (`celery -A config worker --pool=solo`) on the test's
own PostgreSQL database (DATABASE_URL names it) and on Redis 127.0.0.1:6379,
database 13, under a key prefix of this test's own: only those keys are
deleted afterwards. The data is committed (transactional test) so the worker
sees it. PostgreSQL only: SQLite's test database lives in the test's memory,
where no other process can read it. Every wait is bounded and the worker is
always stopped.

Without a broker the same jobs run in the web process after the commit
(tests/config/test_jobs.py).
"""

from __future__ import annotations

import datetime
import email
import os
import subprocess
import sys
import tempfile
import time
import uuid
from email.header import decode_header, make_header
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from django.utils import timezone

from config import tasks
from config.jobs import run_job
from exchange.models import Claim, ClaimState
from exchange.services import claim_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"
WAIT_SECONDS = 90


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def broker(settings):
    """This test's Redis key prefix, set for the test process; its keys are
    deleted afterwards (and only those)."""
    prefix = f"nanum-test-{uuid.uuid4().hex}:"
    settings.CELERY_BROKER_URL = REDIS_URL
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis does not answer on 127.0.0.1:6379 (the worker tests need it)")
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def worker(broker, tmp_path):
    """A Celery worker in a subprocess; yields the folder its e-mails go to."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_BROKER_KEY_PREFIX": broker,
        "EMAIL_BACKEND": "tests.marketplace.flaky_mail.FirstAttemptFails",
        "EMAIL_FILE_PATH": str(outbox),
        "MAIL_RETRY_BACKOFF_SECONDS": "1",
        "MAIL_RETRY_MAX_SECONDS": "2",
    }
    env.pop("REQUIRE_POSTGRES", None)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    child.outbox = outbox

    def log_text() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")[-6000:]

    child.log_text = log_text
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=15)
        log.close()


def _wait_for(what, worker, *, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = what()
        if result:
            return result
        if worker.poll() is not None:
            pytest.fail(f"the worker stopped ({worker.returncode}):\n{worker.log_text()}")
        time.sleep(0.25)
    pytest.fail(f"nothing after {seconds} s; the worker's log:\n{worker.log_text()}")


def _mails(outbox: Path) -> list[email.message.Message]:
    # The file-based backend ends each message with a line of 79 dashes; two
    # messages may share a file (its name is the time and the backend's id).
    return [
        email.message_from_bytes(part)
        for path in sorted(outbox.glob("*.log"))
        for part in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n")
        if part.strip()
    ]


def _subject(message: email.message.Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_the_worker_expires_an_overdue_claim_and_sends_its_mail_with_a_retry(
    worker, people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    # Queued after the commit; the worker sends the coordinator's mail.
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    Claim.objects.filter(pk=claim.pk).update(approve_by=timezone.now() - datetime.timedelta(1))

    run_job(tasks.expire_due)

    def expired() -> bool:
        return Claim.objects.get(pk=claim.pk).state == ClaimState.EXPIRED

    _wait_for(expired, worker)
    # The expiry's own mail is queued by the worker, for the worker.
    mails = _wait_for(lambda: len(_mails(worker.outbox)) == 2 and _mails(worker.outbox), worker)
    sent = sorted((message["To"], _subject(message)) for message in mails)
    assert sent == [
        ("cm.dd@example.kr", f"[나눔 교환] 신청 #{claim.pk}: 만료"),
        ("coord.seo@example.kr", f"[나눔 교환] “밑반찬 세트”에 새 신청 #{claim.pk}"),
    ]
    # Each mail failed once at the mail server and went out on the retry.
    attempts = sorted(worker.outbox.glob("attempts-*.txt"))
    assert len(attempts) == 2
    assert all(len(path.read_text().splitlines()) == 2 for path in attempts)
    assert "Retry in" in worker.log_text()
    assert "Expired 1 claims, 0 listings and 0 pledges." in worker.log_text()


def test_a_task_that_fails_in_the_worker_leaves_the_committed_claim(
    worker, people, make_listing, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=1
    )
    # Recipients that are not a list: a TypeError, which is not retried, so the
    # task fails in the worker for good; the worker goes on with the next one.
    run_job(tasks.send_mail, "제목", "본문", "not-a-list")
    run_job(tasks.send_mail, "마지막", "본문", ["last@example.kr"])
    _wait_for(
        lambda: any(_subject(m) == "마지막" for m in _mails(worker.outbox)), worker, seconds=60
    )
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REQUESTED
