"""The background tasks. Queue them with config.jobs.run_job.

- send_mail: one e-mail; a refusal or an unreachable mail server is retried
  with exponential backoff (MAIL_RETRY_* settings) by the worker.
- expire_due: `manage.py expire_due` (claims, listings, pledges past their
  deadlines), every 5 minutes from celery beat (CELERY_BEAT_SCHEDULE). It is
  idempotent, so a run redelivered after a worker died does no harm.

- notify_due: `manage.py notify_due` (the day's to-do notifications), every
  morning at 06:00 from celery beat; idempotent.
- send_digests: `manage.py send_digests` (the daily digest e-mails), every
  morning at 07:00, after the to-do notifications; sends nothing twice.
"""

from __future__ import annotations

import smtplib
from io import StringIO

from django.conf import settings
from django.core import mail
from django.core.management import call_command

from config.celery import app


@app.task(
    name="config.tasks.send_mail",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=settings.MAIL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.MAIL_RETRY_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.MAIL_RETRIES,
)
def send_mail(subject: str, body: str, recipients: list[str]) -> None:
    """Send one plain-text e-mail from DEFAULT_FROM_EMAIL."""
    mail.send_mail(subject, body, None, recipients)


@app.task(name="config.tasks.expire_due", acks_late=True)
def expire_due() -> str:
    """Run the expire_due command; returns what it printed."""
    out = StringIO()
    call_command("expire_due", stdout=out)
    return out.getvalue().strip()


@app.task(name="config.tasks.notify_due", acks_late=True)
def notify_due() -> str:
    """Run the notify_due command; returns what it printed."""
    out = StringIO()
    call_command("notify_due", stdout=out)
    return out.getvalue().strip()


@app.task(name="config.tasks.send_digests", acks_late=True)
def send_digests() -> str:
    """Run the send_digests command; returns what it printed."""
    out = StringIO()
    call_command("send_digests", stdout=out)
    return out.getvalue().strip()
