"""Reads of the marketplace: points, visibility of households, catalogue queries."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from audit.services import audit_history
from marketplace.catalogue_cache import catalogue_version
from marketplace.models import (
    Category,
    FollowUp,
    FollowUpOutcome,
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


def listing_state_counts(paths: Iterable[str]) -> dict[str, int]:
    """How many listings each state has in the regions under `paths` (region
    paths: each region and every region below it), for the coordinator's
    dashboard. A district can have tens of thousands of listings, and the counts
    are read far more often than they change: they are kept in the cache under
    the catalogue version, which rises when any transaction that writes a
    listing commits (marketplace/catalogue_cache.py: every writer, bulk updates
    and the claim services included). So a state change shows on the next read,
    in every process, and a read costs one short query (the version) instead of
    counting the district's listings. States without listings are absent."""
    paths = sorted(set(paths))
    if not paths:
        return {}
    digest = hashlib.sha256("|".join(paths).encode()).hexdigest()
    key = f"listing-state-counts:{catalogue_version()}:{digest}"
    counts = cache.get(key)
    if counts is None:
        condition = Q()
        for path in paths:
            condition |= Q(path__startswith=path)
        counts = dict(
            Listing.objects.filter(region__in=Region.objects.filter(condition))
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        cache.set(key, counts, timeout=settings.CATALOGUE_CACHE_SECONDS)
    return counts


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
            held_at__isnull=True,
            due_on__lte=day + datetime.timedelta(days=14),
        )
        .select_related("household", "household__dong")
        .order_by("due_on")
    )


# --- follow-ups: escalation and completion ---------------------------------------------


def escalation_cutoff(on: datetime.date | None = None) -> datetime.date:
    """Follow-ups due on or before this day and not recorded are escalated."""
    day = on or timezone.localdate()
    return day - datetime.timedelta(days=settings.FOLLOW_UP_ESCALATE_DAYS)


def follow_ups_escalated(user, *, on: datetime.date | None = None) -> QuerySet[FollowUp]:
    """Follow-ups of the regions `user` coordinates that are still not recorded
    FOLLOW_UP_ESCALATE_DAYS days after they were due (on hold ones are not due),
    oldest first. Computed when read: nothing is written when one becomes
    escalated. One query, with the household's dong and responsible case manager.

    The rows are household records: show the code only where
    `Viewer.sees_household` says so; to anyone else, "a household in <dong>"."""
    regions = regions_for(user, Role.COORDINATOR)
    return (
        FollowUp.objects.filter(
            household__dong__in=regions,
            recorded_at__isnull=True,
            held_at__isnull=True,
            due_on__lte=escalation_cutoff(on),
        )
        .select_related("household__dong", "household__case_manager")
        .order_by("due_on", "pk")
    )


def decorate_escalated(
    follow_ups, viewer: Viewer, *, on: datetime.date | None = None
) -> list[FollowUp]:
    """Each follow-up with `days_overdue`, `district_name` and `shows_code` (the
    viewer is a case manager of its dong); no query per row."""
    day = on or timezone.localdate()
    rows = list(follow_ups)
    for follow_up in rows:
        dong = follow_up.household.dong
        follow_up.days_overdue = (day - follow_up.due_on).days
        follow_up.district_name = viewer.district_name(dong)
        follow_up.shows_code = viewer.sees_household(follow_up.household)
    return rows


def percent_text(part: int, whole: int) -> str:
    """part / whole as a percentage with one decimal, rounded half up ("66.7%");
    "—" when nothing was due. Decimal arithmetic: no floats."""
    if whole == 0:
        return "—"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value}%"


@dataclass
class CompletionRow:
    """The follow-ups of one district due in a period."""

    district: Region | None
    due: int = 0
    recorded: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(FollowUpOutcome.values, 0)
    )

    @property
    def rate(self) -> str:
        return percent_text(self.recorded, self.due)

    @property
    def outcome_counts(self) -> list[tuple[str, str, int]]:
        """(value, label, count) in the outcomes' order."""
        return [(value, label, self.outcomes[value]) for value, label in FollowUpOutcome.choices]


def follow_up_completion(
    *, regions: QuerySet[Region] | None, start: datetime.date, end: datetime.date
) -> tuple[list[CompletionRow], CompletionRow]:
    """Follow-ups due from `start` to `end` (both included) in `regions` (None:
    everywhere): per district, how many were due, how many are recorded (at any
    time), and the recorded ones by outcome; with the total. Follow-ups put on
    hold by a reopened case are no longer due and are not counted.

    One grouped query by dong, folded into districts with the regions' paths
    (one more query for the districts), whatever the number of rows."""
    follow_ups = FollowUp.objects.filter(due_on__gte=start, due_on__lte=end, held_at__isnull=True)
    if regions is not None:
        follow_ups = follow_ups.filter(household__dong__in=regions)
    grouped = (
        follow_ups.values("household__dong__path", "outcome")
        .annotate(
            due=Count("pk"),
            recorded=Count("pk", filter=Q(recorded_at__isnull=False)),
        )
        .order_by()
    )
    districts = {r.code: r for r in Region.objects.filter(level=Level.DISTRICT)}
    rows: dict[str | None, CompletionRow] = {}
    total = CompletionRow(district=None)
    for group in grouped:
        codes = [c for c in group["household__dong__path"].split("/") if c]
        district = next((districts[c] for c in codes if c in districts), None)
        key = district.code if district else None
        row = rows.setdefault(key, CompletionRow(district=district))
        for target in (row, total):
            target.due += group["due"]
            target.recorded += group["recorded"]
            if group["recorded"] and group["outcome"] in target.outcomes:
                target.outcomes[group["outcome"]] += group["recorded"]
    ordered = sorted(rows.values(), key=lambda r: r.district.code if r.district else "")
    return ordered, total


@dataclass
class HistoryEvent:
    """One line of a household's history."""

    kind: str  # "close", "reopen", "follow_up" (recorded) or "held" (put on hold)
    at: datetime.datetime
    by: object = None
    reason: str = ""
    follow_up: FollowUp | None = None


def household_history(household: Household) -> list[HistoryEvent]:
    """The case's closes and reopenings (from the audit log, with who and why)
    and its follow-ups recorded (with their outcome) or put on hold, oldest first.
    Two queries."""
    events = [
        HistoryEvent(kind=entry.transition, at=entry.at, by=entry.by, reason=entry.reason)
        for entry in audit_history(household)
        if entry.transition in ("close", "reopen")
    ]
    for follow_up in household.follow_ups.select_related("recorded_by"):
        if follow_up.recorded_at is not None:
            events.append(
                HistoryEvent(
                    kind="follow_up",
                    at=follow_up.recorded_at,
                    by=follow_up.recorded_by,
                    follow_up=follow_up,
                )
            )
        elif follow_up.held_at is not None:
            events.append(HistoryEvent(kind="held", at=follow_up.held_at, follow_up=follow_up))
    return sorted(events, key=lambda e: e.at)
