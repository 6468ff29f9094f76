"""config.jobs.run_job without a broker (and with one that cannot be reached),
the tasks of config/tasks.py, and the beat schedule. A real worker on Redis:
tests/marketplace/test_jobs_worker.py."""

from __future__ import annotations

import logging
import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction

from config import tasks
from config.celery import app
from config.jobs import run_job

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.CELERY_BROKER_URL = ""


def test_a_job_runs_after_the_commit_not_before(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        run_job(tasks.send_mail, "제목", "본문", ["a@example.kr"])
        assert mail.outbox == []
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [(m.subject, m.to) for m in mail.outbox] == [("제목", ["a@example.kr"])]


def test_a_job_of_a_rolled_back_transaction_never_runs(
    transactional_db, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        run_job(tasks.send_mail, "제목", "본문", ["a@example.kr"])
        raise RuntimeError("the work failed")
    assert callbacks == []
    assert mail.outbox == []


def test_outside_a_transaction_a_job_runs_at_once(transactional_db):
    run_job(tasks.send_mail, "제목", "본문", ["a@example.kr"])
    assert len(mail.outbox) == 1


def test_a_failing_job_is_logged_and_raises_nothing(
    db, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr(mail, "send_mail", refuse)
    with (
        caplog.at_level(logging.ERROR, logger="config.jobs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_job(tasks.send_mail, "제목", "본문", ["a@example.kr"])
    assert "Job config.tasks.send_mail failed" in caplog.text
    assert "mail server down" in caplog.text


def test_a_broker_that_cannot_be_reached_runs_the_job_here(
    db, settings, django_capture_on_commit_callbacks, caplog
):
    # Nothing listens on port 1: queueing fails, and the mail is sent from here.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
    assert app.conf.broker_url == "redis://127.0.0.1:1/0"
    started = time.monotonic()
    with (
        caplog.at_level(logging.ERROR, logger="config.jobs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_job(tasks.send_mail, "제목", "본문", ["a@example.kr"])
    assert "Could not queue config.tasks.send_mail; running it here instead" in caplog.text
    assert [m.subject for m in mail.outbox] == ["제목"]
    assert time.monotonic() - started < 30


def test_the_app_follows_the_settings(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/9"
    assert app.conf.broker_url == "redis://127.0.0.1:6379/9"
    settings.CELERY_BROKER_URL = ""
    assert app.conf.broker_url == ""


def test_mail_is_retried_with_backoff_on_smtp_and_network_errors():
    task = app.tasks["config.tasks.send_mail"]
    assert set(task.autoretry_for) == {smtplib.SMTPException, OSError}
    assert task.retry_backoff == 30 and task.retry_backoff_max == 600
    assert task.retry_jitter is True and task.max_retries == 6


def test_beat_queues_expire_due_every_five_minutes():
    schedule = app.conf.beat_schedule
    entries = [entry for entry in schedule.values() if entry["task"] == "config.tasks.expire_due"]
    assert len(entries) == 1
    assert entries[0]["schedule"] == 300
    assert "config.tasks.expire_due" in app.tasks


def test_the_expire_due_task_runs_the_command(db):
    assert tasks.expire_due() == "Expired 0 claims, 0 listings and 0 pledges."


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_a_worker_or_beat_without_a_broker_refuses_to_start(program, tmp_path):
    # Celery's own default would be amqp://localhost, where no web process queues.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    options = ["--schedule", str(tmp_path / "schedule")] if program == "beat" else ["--pool=solo"]
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", program, *options],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "CELERY_BROKER_URL must be set to run a worker or beat." in result.stderr
