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
