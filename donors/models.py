"""Design overview: donors and matching.

The donors app owns donor organisations and their representatives; pledges
and the matches that pay the private half of each cross-region claim (the
5:5 rule) build on them. A donor counts only once finance or an administrator
has verified it (`verified_at`).

Invariants:
- The business registration number (사업자등록번호) is ten digits with a valid
  check digit, stored without hyphens, unique.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from donors.validators import validate_brn


class DonorKind(models.TextChoices):
    SOCIAL_ENTERPRISE = "social_enterprise", _("Social enterprise")
    SOCIAL_COOPERATIVE = "social_cooperative", _("Social cooperative")
    WELFARE_CENTRE = "welfare_centre", _("Welfare centre")
    SELF_SUFFICIENCY = "self_sufficiency", _("Self-sufficiency centre")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other")


class Donor(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=DonorKind.choices)
    business_number = models.CharField(
        _("business registration number"), max_length=10, unique=True, validators=[validate_brn]
    )
    home_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("home region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class DonorMembership(models.Model):
    """A donor representative (후원기관 담당자) acting for a donor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="donor_memberships"
    )
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="memberships")
    starts_on = models.DateField(_("starts on"), auto_now_add=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("donor representative")
        verbose_name_plural = _("donor representatives")
        constraints = [
            models.UniqueConstraint(fields=["user", "donor"], name="donor_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.donor}"
