"""Design overview: the marketplace.

The marketplace app owns resource categories, listings (what a region has
spare), households (pseudonymous records of who needs help) and claims (a
case manager asking for part of a listing for one household).

Invariants:
- A listing's `quantity_held` is the sum of the quantities of its active
  (requested or approved) claims and `quantity_fulfilled` the sum received on
  fulfilled claims; held + fulfilled never exceeds the quantity (a database
  constraint), so available = quantity − held − fulfilled is never negative.
  Both are changed only by the claim services, under a row lock on the listing.
- Listing and claim states are django-fsm protected fields; every transition
  goes through a service that checks permission and writes the audit log in
  the same database transaction.
- A household record is pseudonymous: a generated code, its dong, size,
  needs and free-text notes; never a name, resident registration number or
  phone number. Only case managers of its region see the code and notes.
- A bulk import of listings (`ListingImport`) is written once per preview:
  its key is unique.
- A claim records its cost when it is made (points per unit × quantity), so a
  later change of KRW_PER_POINT does not change what was agreed.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from djmoney.models.fields import MoneyField

from marketplace.catalogue_cache import bump_catalogue_version
from people.models import Role
from people.permissions import may_act


class ResourceKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    SERVICE = "service", _("Service")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")


class Category(models.Model):
    code = models.CharField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name_ko = models.CharField(_("Korean name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    usual_kind = models.CharField(_("usual kind"), max_length=20, choices=ResourceKind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_ko

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "ko").startswith("en") else self.name_ko


class ListingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RESERVED = "reserved", _("Reserved")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


def _is_listing_coordinator(listing: Listing, user) -> bool:
    return may_act(user, Role.COORDINATOR, listing.region)


def _availability_open(listing: Listing) -> bool:
    return not listing.availability_ended


def _has_no_active_claim(listing: Listing) -> bool:
    return listing.quantity_held == 0


#: The states everyone may see (reserved listings are full, completed ones done).
PUBLIC_LISTING_STATES = (ListingState.PUBLISHED, ListingState.RESERVED, ListingState.COMPLETED)


class CatalogueVersion(models.Model):
    """One row: the version of the public catalogue, raised after every commit
    that changed a listing. The anonymous catalogue page is cached under it
    (marketplace/catalogue_cache.py); kept in the database so that every
    process, and every management command, sees a change at once."""

    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("catalogue version")

    def __str__(self) -> str:
        return str(self.version)


class ListingQuerySet(models.QuerySet):
    """Writes in bulk bypass the save signals: these put the catalogue's cached
    pages out of date themselves (marketplace/catalogue_cache.py; `save` and
    `delete` do it through the signals connected in apps.py)."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if rows:
            bump_catalogue_version()
        return rows

    def bulk_update(self, objs, fields, batch_size=None):
        rows = super().bulk_update(objs, fields, batch_size=batch_size)
        if rows:
            bump_catalogue_version()
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            bump_catalogue_version()
        return created


class Listing(ConcurrentTransitionMixin, models.Model):
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="listings",
    )
    donor = models.ForeignKey(
        "donors.Donor",
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="listings",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ResourceKind.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="listings"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(1_000_000)]
    )
    unit = models.CharField(_("unit"), max_length=20)
    value_per_unit = MoneyField(
        _("appraised value per unit"),
        max_digits=14,
        decimal_places=0,
        default_currency="KRW",
        currency_choices=[("KRW", "KRW")],
        null=True,
        blank=True,
    )
    available_from = models.DateField(_("available from"))
    available_until = models.DateField(_("available until"), null=True, blank=True)
    pickup_notes = models.TextField(_("pickup or delivery notes"), blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = FSMField(
        _("state"),
        default=ListingState.DRAFT,
        choices=ListingState.choices,
        protected=True,
        db_index=True,
    )
    quantity_held = models.PositiveIntegerField(_("held by active claims"), default=0)
    quantity_fulfilled = models.PositiveIntegerField(_("fulfilled"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    quantity__gte=models.F("quantity_held") + models.F("quantity_fulfilled")
                ),
                name="listing_quantity_covers_claims",
            ),
            models.CheckConstraint(
                condition=models.Q(available_until__isnull=True)
                | models.Q(available_until__gte=models.F("available_from")),
                name="listing_dates_in_order",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-published_at"], name="listing_catalogue_idx"),
            models.Index(fields=["state", "category"], name="listing_state_category_idx"),
            models.Index(fields=["state", "region"], name="listing_state_region_idx"),
            # The public catalogue: published listings, newest first, with the
            # columns its filters read, so that a first page is read in index
            # order and a capped count from the index alone. (On SQLite the
            # INCLUDE columns are left out; the partial index remains.)
            models.Index(
                fields=["-published_at", "-id"],
                include=["kind", "category", "region", "available_from", "available_until"],
                condition=models.Q(state="published"),
                name="listing_published_idx",
            ),
            # The API's public list: published, reserved and completed listings.
            models.Index(
                fields=["-published_at", "-id"],
                include=[
                    "state",
                    "kind",
                    "category",
                    "region",
                    "available_from",
                    "available_until",
                ],
                condition=models.Q(state__in=PUBLIC_LISTING_STATES),
                name="listing_public_idx",
            ),
            # A coordinator's current listings (exchange.account_views): drafts,
            # published, reserved, by state then newest first, read in index order
            # and stopped after the dashboard's rows instead of sorting them all.
            models.Index(
                fields=["state", "-created_at", "-id"],
                condition=models.Q(state__in=["draft", "published", "reserved"]),
                name="listing_active_recent_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def quantity_available(self) -> int:
        return self.quantity - self.quantity_held - self.quantity_fulfilled

    @property
    def availability_ended(self) -> bool:
        """The last day it is available has passed (in Korea's calendar)."""
        return self.available_until is not None and self.available_until < timezone.localdate()

    @transition(
        field=state,
        source=ListingState.DRAFT,
        target=ListingState.PUBLISHED,
        permission=_is_listing_coordinator,
        conditions=[_availability_open],
    )
    def publish(self) -> None:
        """A coordinator of the listing's region makes it visible in the catalogue."""

    @transition(
        field=state,
        source=[ListingState.DRAFT, ListingState.PUBLISHED],
        target=ListingState.WITHDRAWN,
        conditions=[_has_no_active_claim],
        permission=_is_listing_coordinator,
    )
    def withdraw(self) -> None:
        """Taken back by a coordinator; only with no active claim."""

    @transition(
        field=state,
        source=ListingState.PUBLISHED,
        target=ListingState.EXPIRED,
        conditions=[_has_no_active_claim],
    )
    def expire(self) -> None:
        """available_until has passed and no claim is active (expire_due)."""

    @transition(field=state, source=ListingState.PUBLISHED, target=ListingState.RESERVED)
    def reserve(self) -> None:
        """Every remaining unit is held by active claims."""

    @transition(field=state, source=ListingState.RESERVED, target=ListingState.PUBLISHED)
    def reopen(self) -> None:
        """A cancelled, rejected, expired or partly received claim freed units."""

    @transition(
        field=state,
        source=[ListingState.PUBLISHED, ListingState.RESERVED],
        target=ListingState.COMPLETED,
    )
    def complete(self) -> None:
        """Every unit has been received."""


def _household_code() -> str:
    return "HH-" + secrets.token_hex(4).upper()


class ListingImport(models.Model):
    """One bulk import of listings (marketplace/imports.py): who imported how
    many rows of which file, when. Its key is the preview's token, unique, so
    a preview is imported at most once even when its confirmation is sent
    twice at the same moment."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    rows = models.PositiveIntegerField(_("rows"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("listing import")
        verbose_name_plural = _("listing imports")

    def __str__(self) -> str:
        return f"{self.file_name or self.key} ({self.rows})"


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Household(models.Model):
    code = models.CharField(
        _("household code"), max_length=16, unique=True, default=_household_code, editable=False
    )
    dong = models.ForeignKey(
        "regions.Region",
        verbose_name=_("dong"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    size = models.PositiveSmallIntegerField(
        _("household size"), validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    needs = models.ManyToManyField(Category, verbose_name=_("needs"), blank=True)
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible case manager"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.ACTIVE,
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
        help_text=_(
            "Visible only to case managers of the household's region. "
            "Never write names, resident registration numbers or phone numbers."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gte=1, size__lte=20), name="household_size_range"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class FollowUpOutcome(models.TextChoices):
    """What a follow-up found, recorded with it."""

    STABLE = "stable", _("Stable")
    RELAPSE = "relapse", _("Relapse")
    CRISIS = "crisis", _("Crisis")


class FollowUp(models.Model):
    """사후관리: scheduled when a case closes, shown until recorded.

    A recorded follow-up has an outcome. Reopening the case puts the follow-ups
    not yet recorded on hold (`held_at`): they stay in the household's history
    marked as held, but are no longer due, escalated or counted in the completion
    rate, and cannot be recorded; closing the case again schedules new ones."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="follow_ups")
    due_on = models.DateField(_("due on"))
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=FollowUpOutcome.choices, blank=True
    )
    held_at = models.DateTimeField(_("put on hold at"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recorded_at__isnull=True) | models.Q(held_at__isnull=True),
                name="follow_up_recorded_or_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.due_on}"
