"""Writing notifications and preferences, and the e-mail that goes with them.

- `notify(users, kind, title, body, url, dedupe_key=None)`: one notification
  per user (a bulk insert); with a `dedupe_key`, users who already have one
  with that key get nothing new, so a scan can run again and again. Those of
  the new recipients who want e-mail now get it after the commit.
- `mark_read(user, ids)`: ids, or `ALL`; only the user's own notifications.
- `preference_update(user=, ...)`: the user's e-mail choice.
- `digest_send()`: the daily digest to everyone who chose it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config import tasks
from config.jobs import run_job
from config.korean import particles
from inbox.exceptions import InvalidPreference
from inbox.models import Kind, Notification, NotificationPreference, validate_site_path

#: `mark_read(user, ALL)` marks every unread notification of the user.
ALL = "all"
#: A digest looks back at most this far.
DIGEST_WINDOW = datetime.timedelta(days=1)
TITLE_LENGTH = Notification._meta.get_field("title").max_length


def _preference(user: Any) -> NotificationPreference:
    """The user's saved preference, or the defaults (unsaved)."""
    try:
        return NotificationPreference.objects.get(user=user)
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def _wants_email_now(preference: NotificationPreference, kind: str) -> bool:
    return (
        preference.email_immediate and not preference.daily_digest and preference.emails_kind(kind)
    )


def _email_now(users: list[Any], kind: str, title: str, body: str) -> None:
    saved = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=users)}
    recipients = sorted(
        {
            user.email
            for user in users
            if user.email
            and _wants_email_now(saved.get(user.pk) or NotificationPreference(user=user), kind)
        }
    )
    if not recipients:
        return
    with translation.override("ko"):
        subject = _("[Nanum Exchange] %(title)s") % {"title": title}
    # After the commit; a mail server outage never undoes what was committed.
    run_job(tasks.send_mail, subject, body, recipients)


def notify(
    users: Iterable[Any],
    kind: str,
    title: str,
    body: str,
    url: str,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Notify each active user of `users` once; returns the notifications written.

    `title` and `body` are finished Korean text (their particles are resolved
    here); `url` a path inside the site."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    validate_site_path(url)
    recipients = {user.pk: user for user in users if user.is_active}
    if not recipients:
        return []
    title = particles(title)[:TITLE_LENGTH]
    body = particles(body)
    with transaction.atomic():
        if dedupe_key is not None:
            have = set(
                Notification.objects.filter(
                    user__in=list(recipients), dedupe_key=dedupe_key
                ).values_list("user_id", flat=True)
            )
            recipients = {pk: user for pk, user in recipients.items() if pk not in have}
        now = timezone.now()
        rows = [
            Notification(
                user=user,
                kind=kind,
                title=title,
                body=body,
                url=url,
                created_at=now,
                dedupe_key=dedupe_key,
            )
            for _pk, user in sorted(recipients.items())
        ]
        # A concurrent run that wrote the same key first wins; this one skips it.
        Notification.objects.bulk_create(rows, ignore_conflicts=dedupe_key is not None)
        if rows:
            _email_now([row.user for row in rows], kind, title, body)
    return rows


def mark_read(user: Any, ids: Iterable[int] | str) -> int:
    """Mark the user's unread notifications `ids` (or `ALL`) read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids != ALL:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def unread_count(user: Any) -> int:
    """One query; 0 for someone not signed in."""
    if not (user and user.is_authenticated):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preference_update(
    *,
    user: Any,
    email_immediate: bool,
    daily_digest: bool,
    muted_kinds: Iterable[str] = (),
) -> NotificationPreference:
    """Save the user's e-mail choice: each notification at once, a daily digest, or none."""
    muted = sorted(set(muted_kinds))
    errors: dict[str, list[str]] = {}
    if email_immediate and daily_digest:
        errors["email"] = [_("Choose either an e-mail for each notification or a daily digest.")]
    unknown = [kind for kind in muted if kind not in Kind.values]
    if unknown:
        errors["muted_kinds"] = [_("Unknown kind of notification.")]
    if errors:
        raise InvalidPreference(fields=errors)
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "email_immediate": email_immediate,
            "daily_digest": daily_digest,
            "muted_kinds": muted,
        },
    )
    return preference


def _digest_text(notifications: list[Notification]) -> tuple[str, str]:
    with translation.override("ko"):
        subject = _("[Nanum Exchange] %(count)s unread notifications") % {
            "count": f"{len(notifications):,}"
        }
        lines = [_("Your unread notifications of the last day:"), ""]
        for notification in notifications:
            lines.append(f"- {notification.title}")
            if notification.body:
                lines.append(f"  {notification.body}")
        lines += ["", _("Open your inbox to read them: /inbox/")]
    return subject, "\n".join(lines)


def digest_send(*, now: datetime.datetime | None = None) -> int:
    """Send each user who chose the daily digest one e-mail listing their unread
    notifications since their last digest (at most a day back), leaving out
    kinds they muted. Nothing for someone with nothing new or no address.
    Returns the number of e-mails queued. Running it twice sends nothing twice."""
    now = now or timezone.now()
    sent = 0
    preferences = (
        NotificationPreference.objects.filter(daily_digest=True, user__is_active=True)
        .exclude(Q(user__email="") | Q(user__email__isnull=True))
        .select_related("user")
        .order_by("pk")
    )
    for preference in preferences:
        since = now - DIGEST_WINDOW
        if preference.digest_sent_at and preference.digest_sent_at > since:
            since = preference.digest_sent_at
        notifications = list(
            Notification.objects.filter(
                user=preference.user,
                read_at__isnull=True,
                created_at__gt=since,
                created_at__lte=now,
            )
            .exclude(kind__in=preference.muted_kinds or [])
            .order_by("created_at", "pk")
        )
        if not notifications:
            continue
        subject, body = _digest_text(notifications)
        with transaction.atomic():
            NotificationPreference.objects.filter(pk=preference.pk).update(digest_sent_at=now)
            run_job(tasks.send_mail, subject, body, [preference.user.email])
        sent += 1
    return sent
