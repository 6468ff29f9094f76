"""Running background work after the transaction commits: `run_job(task, *args)`.

With CELERY_BROKER_URL set, the job is queued on the broker once the current
transaction commits (nothing is queued for a transaction that rolls back) and a
Celery worker runs it. Without a broker it runs in this process at the same
moment. Either way the committed work stands whatever the job does: a job that
fails, or a broker that cannot be reached, is logged; a job the broker refused
runs here instead, so it is not lost.

The arguments must be JSON values (strings, numbers, lists, dicts): a worker in
another process receives them. A task is a Celery task (config/tasks.py).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction

from config.celery import app

logger = logging.getLogger(__name__)


def run_job(task: Task, *args: Any) -> None:
    """Run `task(*args)` after the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: _start(task, args))


def _start(task: Task, args: tuple[Any, ...]) -> None:
    if settings.CELERY_BROKER_URL:
        try:
            # A connection of its own, from the settings in force now.
            with app.connection_for_write() as connection:
                task.apply_async(args, connection=connection)
            return
        except Exception:
            logger.exception("Could not queue %s; running it here instead", task.name)
    try:
        task(*args)
    except Exception:
        logger.exception("Job %s failed", task.name)
