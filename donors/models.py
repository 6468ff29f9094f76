"""Design overview: donors and matching.

The donors app owns donor organisations and their representatives; pledges
and the matches that pay the private half of each cross-region claim (the
5:5 rule) build on them. A donor counts only once finance or an administrator
has verified it (`verified_at`).

Invariants:
- The business registration number (사업자등록번호) is ten digits with a valid
  check digit, stored without hyphens, unique.
- A donation receipt, once issued, never changes: `ReceiptIssue` keeps its
  serial and a snapshot of what it showed. Serials run per year without gaps
  (`ReceiptCounter`, one row per year, locked while a serial is taken); a
  reissue supersedes the earlier issue of the same donor and year.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from djmoney.models.fields import MoneyField

from donors.validators import validate_brn
from people.permissions import is_finance


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
    address = models.CharField(_("address"), max_length=200, blank=True)
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


class PledgeState(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting confirmation")
    ACTIVE = "active", _("Active")
    EXHAUSTED = "exhausted", _("Exhausted")
    CLOSED = "closed", _("Closed")


def _is_finance(pledge, user) -> bool:
    return is_finance(user)


def _is_donor_rep_or_finance(pledge, user) -> bool:
    # donors.permissions imports this module's Donor, so it is read when asked.
    from donors.permissions import represents

    return is_finance(user) or represents(user, pledge.donor)


#: Points a pledge still has to give: neither held by a match, used nor returned.
POINTS_REMAINING = (
    models.F("points")
    - models.F("points_held")
    - models.F("points_used")
    - models.F("points_returned")
)


class PledgeQuerySet(models.QuerySet):
    def eligible(
        self,
        *,
        points: Any,
        category: Any,
        category_parent: Any,
        district: Any,
        today: datetime.date | None = None,
    ) -> PledgeQuerySet:
        """The one rule of which pledges may take on `points` for a claim of a
        category (id, and its parent's id) from a claiming district (id): active
        pledges of verified, active donors, valid on `today`, with at least
        `points` remaining, a cap per claim (if any) of at least `points`, and
        preferences (if any) that include the category or its parent and the
        district. The arguments may be values or `OuterRef`s (one subquery for a
        page of matches). Not ordered and possibly repeated: add `.distinct()`
        and an order where rows are listed."""
        today = today or timezone.localdate()
        return (
            self.filter(
                state=PledgeState.ACTIVE,
                donor__is_active=True,
                donor__verified_at__isnull=False,
                valid_until__gte=today,
            )
            .filter(models.Q(cap_per_claim__isnull=True) | models.Q(cap_per_claim__gte=points))
            .alias(points_left=POINTS_REMAINING)
            .filter(points_left__gte=points)
            .filter(
                models.Q(preferred_categories__isnull=True)
                | models.Q(preferred_categories=category)
                | models.Q(preferred_categories=category_parent)
            )
            .filter(
                models.Q(preferred_districts__isnull=True) | models.Q(preferred_districts=district)
            )
        )


class Pledge(ConcurrentTransitionMixin, models.Model):
    """Matching money a donor promises: it counts once finance confirms receipt,
    which issues its points into the donor's match account."""

    donor = models.ForeignKey(
        Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="pledges"
    )
    amount = MoneyField(
        _("amount"),
        max_digits=14,
        decimal_places=0,
        default_currency="KRW",
        currency_choices=[("KRW", "KRW")],
    )
    points = models.PositiveBigIntegerField(_("points"))
    points_held = models.PositiveBigIntegerField(_("points held by matches"), default=0)
    points_used = models.PositiveBigIntegerField(_("points used"), default=0)
    points_returned = models.PositiveBigIntegerField(_("points returned"), default=0)
    preferred_categories = models.ManyToManyField(
        "marketplace.Category",
        verbose_name=_("preferred categories"),
        blank=True,
        related_name="+",
    )
    preferred_districts = models.ManyToManyField(
        "regions.Region", verbose_name=_("preferred districts"), blank=True, related_name="+"
    )
    cap_per_claim = models.PositiveBigIntegerField(
        _("cap per claim (points)"), null=True, blank=True
    )
    valid_until = models.DateField(_("valid until"))
    state = FSMField(
        _("state"),
        default=PledgeState.AWAITING,
        choices=PledgeState.choices,
        protected=True,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=128, unique=True, null=True, blank=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        ordering = ["valid_until", "created_at", "pk"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        constraints = [
            models.CheckConstraint(condition=models.Q(points__gt=0), name="pledge_points_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    points__gte=models.F("points_held")
                    + models.F("points_used")
                    + models.F("points_returned")
                ),
                name="pledge_never_below_zero",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} · {self.amount}"

    @property
    def points_remaining(self) -> int:
        """The value of POINTS_REMAINING for this row."""
        return self.points - self.points_held - self.points_used - self.points_returned

    @transition(
        field=state, source=PledgeState.AWAITING, target=PledgeState.ACTIVE, permission=_is_finance
    )
    def confirm(self) -> None:
        """Finance confirms the money arrived; its points are issued."""

    @transition(field=state, source=PledgeState.ACTIVE, target=PledgeState.EXHAUSTED)
    def exhaust(self) -> None:
        """Nothing left to commit."""

    @transition(field=state, source=PledgeState.EXHAUSTED, target=PledgeState.ACTIVE)
    def replenish(self) -> None:
        """A released match gave points back."""

    @transition(
        field=state,
        source=[PledgeState.AWAITING, PledgeState.ACTIVE, PledgeState.EXHAUSTED],
        target=PledgeState.CLOSED,
        permission=_is_donor_rep_or_finance,
    )
    def withdraw(self) -> None:
        """The donor takes back what is not held; held points still settle or return."""

    @transition(
        field=state, source=[PledgeState.ACTIVE, PledgeState.EXHAUSTED], target=PledgeState.CLOSED
    )
    def expire(self) -> None:
        """valid_until has passed."""


class ReceiptCounter(models.Model):
    """The last serial number of donation receipts issued for one year."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ReceiptIssue(models.Model):
    """One issued donation receipt (기부금 영수증 or 기부 내역 확인서) of a donor
    for a year: its serial and the snapshot of the document as issued, so that
    a reprint shows the same serial and figures whatever changed since."""

    donor = models.ForeignKey(
        Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="receipt_issues"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number in the year"))
    serial = models.CharField(_("serial number"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    total = MoneyField(
        _("total"),
        max_digits=14,
        decimal_places=0,
        default_currency="KRW",
        currency_choices=[("KRW", "KRW")],
    )
    is_legal_receipt = models.BooleanField(_("tax receipt"), default=False)
    snapshot = models.JSONField(_("document as issued"))
    superseded_by = models.OneToOneField(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("issued donation receipt")
        verbose_name_plural = _("issued donation receipts")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="receipt_issue_number_unique"),
            models.CheckConstraint(
                condition=models.Q(number__gt=0), name="receipt_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def is_superseded(self) -> bool:
        return self.superseded_by_id is not None
