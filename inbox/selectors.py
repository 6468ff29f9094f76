"""Reading notifications: only ever the user's own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from inbox.models import Notification, NotificationPreference


def notifications_of(user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first (none for someone not signed in)."""
    if not (user and user.is_authenticated):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def preference_of(user: Any) -> NotificationPreference:
    """The user's saved e-mail choice, or the defaults (not saved: a GET writes nothing)."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )
