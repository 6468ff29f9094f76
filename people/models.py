"""Design overview: people and the roles they hold.

The people app owns the user model and region memberships. A user acts as a
coordinator (지역 코디네이터) or case manager (사례관리사) of a region through a
`RegionMembership`; a membership covers its region and every region below it.
People rotate posts often, so a membership is never edited away: it ends
(`ends_on`, the last day it is valid) and a new one starts, and the history
stays. Finance staff (재무 감사) are the members of the `finance` group.
Donor representatives get their link to a donor in the donors app.

Invariants:
- `ends_on`, when set, is not before `starts_on` (a database constraint).
- A membership grants its role only on the days from `starts_on` to
  `ends_on` inclusive; the checks live in `people.permissions`.
- A new password revokes the user's API token (`User.save`), whichever way it
  was set: the password forms, the admin, `manage.py changepassword`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.phones import validate_office_phone

FINANCE_GROUP = "finance"


class User(AbstractUser):
    """The project's user; a custom model from the start so it can grow."""

    office = models.CharField(
        _("office"),
        max_length=100,
        blank=True,
        help_text=_("Your organisation and department, e.g. 서구청 복지정책과."),
    )
    office_phone = models.CharField(
        _("office phone"),
        max_length=20,
        blank=True,
        validators=[validate_office_phone],
        help_text=_("The office's number, shown to other regions; never a mobile number."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_withdrawn = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # `set_password` leaves the raw password in `_password` until the next
        # save, and every way of changing a password goes through it; a hash
        # upgrade at sign-in clears it first, so it revokes nothing. A token
        # must not outlive the password that obtained it.
        password_changed = self.pk is not None and (
            self._password is not None or getattr(self, "_password_withdrawn", False)
        )
        with transaction.atomic():
            super().save(*args, **kwargs)
            if password_changed:
                # Imported here: authtoken's model refers to this one.
                from rest_framework.authtoken.models import Token

                Token.objects.filter(user=self).delete()
        self._password_withdrawn = False


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASE_MANAGER = "case_manager", _("Case manager")


class MembershipQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> MembershipQuerySet:
        day = on or timezone.localdate()
        return self.filter(starts_on__lte=day).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day)
        )


class RegionMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="region_memberships",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
        help_text=_("The last day of the post; empty while it lasts."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["region__code", "role", "-starts_on"]
        verbose_name = _("region membership")
        verbose_name_plural = _("region memberships")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="membership_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.region} · {self.get_role_display()}"

    def is_active(self, on: datetime.date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)
