"""Reads of the marketplace: points, visibility of households, catalogue queries."""

from __future__ import annotations

import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from marketplace.models import (
    Category,
    FollowUp,
    Household,
    Listing,
    ListingState,
    ResourceKind,
)
from marketplace.search import text_search
from people.models import Role
from people.permissions import may_act, regions_for
from regions.models import Level, Region


def value_per_unit_krw(listing: Listing) -> Decimal:
    """The appraised value of one unit in KRW; an hour of volunteering without a
    stated value is worth VOLUNTEER_HOUR_KRW."""
    if listing.value_per_unit is not None:
        return Decimal(listing.value_per_unit.amount)
    if listing.kind == ResourceKind.VOLUNTEER_HOURS:
        return Decimal(settings.VOLUNTEER_HOUR_KRW)
    return Decimal(0)


def points_for_krw(krw: Decimal | int) -> int:
    """KRW ÷ KRW_PER_POINT, rounded half up to a whole point."""
    return int((Decimal(krw) / Decimal(settings.KRW_PER_POINT)).quantize(Decimal(1), ROUND_HALF_UP))


def min_krw_per_unit() -> int:
    """The smallest whole-won value worth one point after rounding (half up)."""
    return int((Decimal(settings.KRW_PER_POINT) / 2).to_integral_value(ROUND_CEILING))


def points_per_unit(listing: Listing) -> int:
    return points_for_krw(value_per_unit_krw(listing))


def catalogue(
    *,
    text: str = "",
    kind: str = "",
    category: str = "",
    district: str = "",
    dong: str = "",
    available_on: datetime.date | None = None,
    ordering: str = "newest",
) -> QuerySet[Listing]:
    """Published listings for the public catalogue (reserved ones are full, so not shown)."""
    listings = Listing.objects.filter(state=ListingState.PUBLISHED).select_related(
        "region", "category", "donor"
    )
    if text:
        # icontains, with the bigram index's pre-filter for two-character words.
        listings = listings.filter(text_search(text))
    if kind:
        listings = listings.filter(kind=kind)
    # Category and region are read first as lists of ids from their small tables:
    # given constants, PostgreSQL reads the newest listings in the order of the
    # partial index listing_published_idx and stops after a page, where a join on
    # the code misestimates how many rows match and sorts them all.
    if category:
        categories = Category.objects.filter(Q(code=category) | Q(parent__code=category))
        listings = listings.filter(category_id__in=list(categories.values_list("pk", flat=True)))
    if dong:
        regions = Region.objects.filter(code=dong)
    elif district:
        # A region's path holds every code above it, its own included.
        regions = Region.objects.filter(path__contains=f"/{district}/")
    if dong or district:
        listings = listings.filter(region_id__in=list(regions.values_list("pk", flat=True)))
    if available_on is not None:
        listings = listings.filter(available_from__lte=available_on).filter(
            Q(available_until__isnull=True) | Q(available_until__gte=available_on)
        )
    # Each order has a partial index over published listings in exactly this
    # order (migrations 0002 and 0003), so a first page is read, not sorted.
    order = {
        "newest": ["-published_at", "-pk"],
        "ending": [F("available_until").asc(nulls_last=True), "-pk"],
        "title": ["title", "-pk"],
        "value": [F("value_per_unit").desc(nulls_last=True), "-pk"],
    }.get(ordering, ["-published_at", "-pk"])
    return listings.order_by(*order)


def households_visible_to(user) -> QuerySet[Household]:
    """Households a case manager of their region may see (code and notes included)."""
    regions = regions_for(user, Role.CASE_MANAGER)
    return Household.objects.filter(dong__in=regions).select_related("dong", "case_manager")


def may_see_household(user, household: Household) -> bool:
    return may_act(user, Role.CASE_MANAGER, household.dong)


class Viewer:
    """Who is looking: what one request's user may see, read once per request
    (pages and API alike), so that a page of rows costs the same number of
    queries whatever its size."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def case_region_ids(self) -> set[int]:
        return set(regions_for(self.user, Role.CASE_MANAGER).values_list("pk", flat=True))

    @cached_property
    def districts(self) -> dict[str, Region]:
        return {r.code: r for r in Region.objects.filter(level=Level.DISTRICT)}

    def sees_household(self, household: Household) -> bool:
        """The answer of `may_see_household` (a case manager of the household's
        dong or of a region above it), from one query per request instead of one
        per row: `regions_for` lists exactly the regions such a post covers."""
        return household.dong_id in self.case_region_ids

    def district_of(self, region: Region) -> Region | None:
        for code in region.ancestor_codes:
            if code in self.districts:
                return self.districts[code]
        return None

    def district_name(self, region: Region) -> str | None:
        district = self.district_of(region)
        return district.name if district is not None else None


def follow_ups_due(user, *, on: datetime.date | None = None) -> QuerySet[FollowUp]:
    day = on or timezone.localdate()
    return (
        FollowUp.objects.filter(
            household__in=households_visible_to(user),
            recorded_at__isnull=True,
            due_on__lte=day + datetime.timedelta(days=14),
        )
        .select_related("household", "household__dong")
        .order_by("due_on")
    )
