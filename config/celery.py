"""The Celery application: `celery -A config worker` and `celery -A config beat`.

Configured from Django's settings, every name with the CELERY_ prefix
(CELERY_BROKER_URL → broker_url; see the block "Background jobs" in
config/settings.py). The tasks are in config/tasks.py; code queues them with
config.jobs.run_job, never with apply_async directly, so that a job is queued
only once its transaction has committed and runs in the web process when no
broker is configured.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init
from django.core.signals import setting_changed
from django.dispatch import receiver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("nanum", include=["config.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")


@receiver(setting_changed)
def _follow_settings(*, setting: str, value: Any, **kwargs: Any) -> None:
    # override_settings (tests) changes a CELERY_ setting: the app reads it too.
    if setting.startswith("CELERY_"):
        app.conf[setting.removeprefix("CELERY_").lower()] = value


@worker_init.connect
@beat_init.connect
def _require_broker(**kwargs: Any) -> None:
    # Without a broker Celery would fall back to amqp://localhost, which is not
    # where the web processes queue their jobs.
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        # SystemExit, because Celery logs and ignores an exception of a signal handler.
        raise SystemExit("CELERY_BROKER_URL must be set to run a worker or beat.")
