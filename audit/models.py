"""Design overview: the audit log of state transitions.

Every lifecycle transition of a listing, claim, match or pledge is written
here in the same database transaction as the change itself: which object,
which transition, from which state to which, who, when and why. The log is
append-only: `save()` refuses to change a row, `delete()` refuses, and
database triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogChangeError(Exception):
    """The audit log is append-only."""


class _AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogChangeError("the audit log is append-only")

    def delete(self):
        raise AuditLogChangeError("the audit log is append-only")


class TransitionLog(models.Model):
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("object_type", "object_id")
    transition = models.CharField(_("transition"), max_length=40)
    source = models.CharField(_("from"), max_length=30)
    target = models.CharField(_("to"), max_length=30)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("transition log entry")
        verbose_name_plural = _("transition log")
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.object_type.model}#{self.object_id} {self.source}→{self.target}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditLogChangeError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogChangeError("the audit log is append-only")


class AccessAction(models.TextChoices):
    VIEW = "view", _("View")
    LIST = "list", _("List")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    EXPORT = "export", _("Export")


class AccessPurpose(models.TextChoices):
    """업무 목적. A household of one's own caseload is opened for its case work;
    anyone else's needs one of the others, chosen before it is shown. A list of
    the region's households (no notes of anyone else's) is recorded as the
    region's case list."""

    CASELOAD = "caseload", _("Own caseload")
    REGION = "region", _("Region's case list")
    HANDOVER = "handover", _("Case handover")
    EMERGENCY = "emergency", _("Emergency support")
    AUDIT = "audit", _("Audit")
    OTHER = "other", _("Other")


class PersonalDataAccess(models.Model):
    """개인정보 접속기록: one row per household record read, changed or exported.

    Korea's personal-information safety standard (개인정보의 안전성 확보조치
    기준) requires who, when, which record, what action, from which address
    and for what purpose, kept at least two years. The project's rule "a GET
    never writes" has this one deliberate exception: reading a household writes
    its access record, because the law asks for exactly that. Rows are never
    changed or deleted, by any code path: `save()` refuses to change a row,
    `delete()` refuses, and database triggers refuse UPDATE and DELETE (and
    TRUNCATE on PostgreSQL); there is no purge, records are kept for good.

    `household` is empty only for an export of the access records themselves.
    `outside_caseload` is true when the household's responsible case manager
    was someone else at the time of the access.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    household = models.ForeignKey(
        "marketplace.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    purpose = models.CharField(_("business purpose"), max_length=10, choices=AccessPurpose.choices)
    purpose_detail = models.CharField(_("purpose in detail"), max_length=200, blank=True)
    outside_caseload = models.BooleanField(_("outside own caseload"), default=False)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=200, blank=True)

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("personal-data access record")
        verbose_name_plural = _("personal-data access records")
        indexes = [
            models.Index(fields=["user", "at"]),
            models.Index(fields=["household", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.household_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditLogChangeError("the access records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogChangeError("the access records are append-only")
