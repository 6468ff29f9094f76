"""Design overview: the notification inbox.

The inbox app owns each user's notifications (what happened or waits for
them: a claim to decide, a match to fund, a proposal to approve ...) and each
user's choice of e-mail: every notification immediately, one digest a day,
or none, with kinds they want no e-mail about.

Invariants:
- A notification belongs to one user and is shown to that user only.
- `dedupe_key` is unique per user: a periodic scan that finds the same thing
  again writes nothing new (a database constraint, so two runs at once cannot
  both write it). Notifications without a key are never deduplicated.
- `url` is a path inside the site ("/claims/7/"), never another host.
- Titles and bodies are written in Korean when the event happens and name a
  household only as "a household in <district>" — never its code.
- Nothing here sends mail by itself: `inbox.services.notify` queues e-mail
  after the commit (config.jobs.run_job) for those who want it now, and
  `manage.py send_digests` writes the daily digest.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CLAIM_REQUESTED = "claim_requested", _("New claim")
    CLAIM_DECIDED = "claim_decided", _("Claim decided")
    CLAIM_FULFILLED = "claim_fulfilled", _("Claim received")
    #: For messages written on a claim (exchange.notifications._deliver).
    CLAIM_MESSAGE = "claim_message", _("Message about a claim")
    MATCH_PENDING = "match_pending", _("Match awaiting a donor")
    PROPOSAL_PENDING = "proposal_pending", _("Proposal awaiting approval")
    PLEDGE_AWAITING = "pledge_awaiting", _("Pledge awaiting confirmation")
    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Follow-up overdue")
    LISTING_EXPIRING = "listing_expiring", _("Listing about to expire")


def validate_site_path(value: str) -> None:
    """A path inside this site: starts with one "/" (not "//host"), no scheme."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        raise ValidationError(_("Enter a path inside this site."), code="invalid")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, validators=[validate_site_path])
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # NULL, not "": a notification without a key is never a duplicate (NULLs are
    # distinct in the unique constraint below, on SQLite and PostgreSQL alike).
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="inbox_dedupe_per_user"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="inbox_user_recent_idx"),
            # The header's count reads only this index.
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="inbox_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """A user's e-mail choice. No row means the defaults: immediate e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_immediate = models.BooleanField(_("e-mail each notification"), default=True)
    daily_digest = models.BooleanField(_("daily digest e-mail"), default=False)
    #: Kinds (Kind values) the user wants no e-mail about; they still reach the inbox.
    muted_kinds = models.JSONField(_("no e-mail about"), default=list, blank=True)
    #: When the last digest was sent: the next one starts there (at most a day back).
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            # A digest replaces the immediate e-mail: never both.
            models.CheckConstraint(
                condition=~models.Q(email_immediate=True, daily_digest=True),
                name="inbox_preference_one_email_mode",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: immediate={self.email_immediate} digest={self.daily_digest}"

    def emails_kind(self, kind: str) -> bool:
        return kind not in (self.muted_kinds or [])
