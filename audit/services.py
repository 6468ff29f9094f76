"""Writing the audit log."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from audit.models import TransitionLog
from people.models import User


def audit_transition(
    *,
    subject: models.Model,
    transition: str,
    source: str,
    target: str,
    by: User | None,
    reason: str = "",
) -> TransitionLog:
    """Record one transition of `subject`. Call it inside the transaction that saves it."""
    return TransitionLog.objects.create(
        object_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        object_id=str(subject.pk),
        transition=transition,
        source=str(source),
        target=str(target),
        by=by,
        reason=reason or "",
    )


def audit_history(subject: models.Model):
    return TransitionLog.objects.filter(
        object_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        object_id=str(subject.pk),
    ).select_related("by")
