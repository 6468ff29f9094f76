"""The monthly report pack of a district, in the layout welfare offices file
their case-management reports in: cases per case manager, the linkages made
(fulfilled claims) with their appraised value (환가액), the services by field
(top-level category) and the follow-ups.

Counts only: no household is named or coded anywhere in the pack. Every figure
is exact — whole numbers, and won as `Money` — and the pack costs the same
seven queries whatever the district's size.

A linkage (연계) is a claim for a household of the district fulfilled in the
month (Korean time); its value is the quantity received × the listing's value
per unit (`value_per_unit_krw`: a volunteer hour without a stated value is
worth VOLUNTEER_HOUR_KRW). Points moved are what the ledger settled on the
claim's holds: the district wallet's public share and the donor's private
share; a local handover moves none.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone
from djmoney.money import Money

from exchange.models import Claim, ClaimState
from marketplace.models import Category, FollowUp, Household
from marketplace.selectors import value_per_unit_krw
from people.models import RegionMembership, Role
from regions.models import Region

#: The months a report may be asked for.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def won(amount: Decimal | int = 0) -> Money:
    return Money(Decimal(amount), "KRW")


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """A calendar month in Korean time (TIME_ZONE) as [start, end) moments."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=tz)
    if month == 12:
        return start, datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    return start, datetime.datetime(year, month + 1, 1, tzinfo=tz)


@dataclass
class CaseManagerRow:
    """(a) One case manager's cases in the district."""

    user_id: int
    name: str
    office: str
    active: int = 0  # cases open at the end of the month
    opened: int = 0  # registered in the month
    closed: int = 0  # closed in the month
    fulfilled: int = 0  # claims of their cases fulfilled in the month


@dataclass
class Linkages:
    """(b) A number of linkages, their appraised value and the points they moved."""

    count: int = 0
    value: Money = field(default_factory=won)
    points: int = 0

    def add(self, value: Decimal, points: int) -> None:
        self.count += 1
        self.value = self.value + won(value)
        self.points += points


@dataclass
class FieldRow:
    """(c) The linkages of one top-level category."""

    category: Category
    linkages: Linkages = field(default_factory=Linkages)


@dataclass
class FollowUpFigures:
    """(d) Follow-ups of the district's households."""

    due: int  # due in the month
    due_recorded: int  # of those, recorded by now
    recorded: int  # recorded in the month (whenever due)
    overdue: int  # due before the month ended and not recorded by then


@dataclass
class MonthlyPack:
    district: Region
    year: int
    month: int
    case_managers: list[CaseManagerRow]
    local: Linkages
    exchange: Linkages
    provided: Linkages  # fulfilled for other districts' households from this district's listings
    by_field: list[FieldRow]
    follow_ups: FollowUpFigures

    @property
    def linkages(self) -> Linkages:
        """Local handovers and exchanges together."""
        return Linkages(
            count=self.local.count + self.exchange.count,
            value=self.local.value + self.exchange.value,
            points=self.local.points + self.exchange.points,
        )

    @property
    def case_total(self) -> CaseManagerRow:
        total = CaseManagerRow(user_id=0, name="", office="")
        for row in self.case_managers:
            total.active += row.active
            total.opened += row.opened
            total.closed += row.closed
            total.fulfilled += row.fulfilled
        return total

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def _fulfilled(start: datetime.datetime, end: datetime.datetime):
    return (
        Claim.objects.filter(state=ClaimState.FULFILLED, closed_at__gte=start, closed_at__lt=end)
        .select_related("listing", "listing__category", "hold", "household", "match__hold")
        .only(
            # The state machines read their state as each row is built.
            "pk",
            "state",
            "listing__state",
            "match__state",
            "is_exchange",
            "quantity",
            "quantity_received",
            "listing__kind",
            "listing__value_per_unit",
            "listing__value_per_unit_currency",
            "listing__category__parent_id",
            "hold__settled_amount",
            "household__case_manager_id",
            "match__hold__settled_amount",
        )
        .order_by("pk")
    )


def _value_and_points(claim: Claim) -> tuple[Decimal, int]:
    received = claim.quantity if claim.quantity_received is None else claim.quantity_received
    value = value_per_unit_krw(claim.listing) * received
    points = claim.hold.settled_amount if claim.hold is not None else 0
    match = getattr(claim, "match", None)
    if match is not None and match.hold is not None:
        points += match.hold.settled_amount
    return value, points


def _person(user) -> str:
    return user.get_full_name() or user.username


def monthly_pack(district: Region, year: int, month: int) -> MonthlyPack:
    """The district's figures for the calendar month `year`-`month`."""
    start, end = month_bounds(year, month)
    first_day = start.date()
    last_day = datetime.date(year, month, calendar.monthrange(year, month)[1])
    inside = Q(household__dong__path__startswith=district.path)

    # (a) cases per case manager: one aggregate over the district's households.
    cases = (
        Household.objects.filter(dong__path__startswith=district.path)
        .values("case_manager_id")
        .annotate(
            active=Count(
                "pk",
                filter=Q(created_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end)),
            ),
            opened=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        )
        .order_by()
    )
    figures: dict[int, dict[str, int]] = {row["case_manager_id"]: row for row in cases}

    # (b), (c): every linkage of the month, read once.
    local, exchange = Linkages(), Linkages()
    by_top: dict[int, Linkages] = defaultdict(Linkages)
    fulfilled_by: dict[int, int] = defaultdict(int)
    for claim in _fulfilled(start, end).filter(inside).iterator(chunk_size=1000):
        value, points = _value_and_points(claim)
        (exchange if claim.is_exchange else local).add(value, points)
        category = claim.listing.category
        by_top[category.parent_id or category.pk].add(value, points)
        fulfilled_by[claim.household.case_manager_id] += 1

    provided = Linkages()
    others = _fulfilled(start, end).filter(
        listing__region__path__startswith=district.path, is_exchange=True
    )
    for claim in others.exclude(inside).iterator(chunk_size=1000):
        provided.add(*_value_and_points(claim))

    # Case managers: those posted in the district during the month, and those
    # (posted elsewhere now) whose cases the district's households still are.
    posted = (
        RegionMembership.objects.filter(
            role=Role.CASE_MANAGER,
            region__path__startswith=district.path,
            starts_on__lte=last_day,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first_day))
        .values_list("user_id", flat=True)
    )
    counted = ("active", "opened", "closed")
    ids = set(posted) | {pk for pk, row in figures.items() if any(row[k] for k in counted)}
    ids |= set(fulfilled_by)
    ids.discard(None)
    users = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .only("pk", "username", "first_name", "last_name", "office")
    )
    rows = []
    for user in users:
        row = figures.get(user.pk, {})
        rows.append(
            CaseManagerRow(
                user_id=user.pk,
                name=_person(user),
                office=user.office,
                active=row.get("active", 0),
                opened=row.get("opened", 0),
                closed=row.get("closed", 0),
                fulfilled=fulfilled_by.get(user.pk, 0),
            )
        )
    rows.sort(key=lambda r: (r.office, r.name, r.user_id))

    # (c) every top-level category, the ones without a linkage too.
    tops = Category.objects.filter(parent__isnull=True).order_by("code")
    by_field = [FieldRow(category=top, linkages=by_top.get(top.pk, Linkages())) for top in tops]

    # (d) follow-ups, one aggregate.
    follow = FollowUp.objects.filter(household__dong__path__startswith=district.path).aggregate(
        due=Count("pk", filter=Q(due_on__gte=first_day, due_on__lte=last_day)),
        due_recorded=Count(
            "pk",
            filter=Q(due_on__gte=first_day, due_on__lte=last_day, recorded_at__isnull=False),
        ),
        recorded=Count("pk", filter=Q(recorded_at__gte=start, recorded_at__lt=end)),
        overdue=Count(
            "pk",
            filter=Q(due_on__lte=last_day)
            & (Q(recorded_at__isnull=True) | Q(recorded_at__gte=end)),
        ),
    )
    return MonthlyPack(
        district=district,
        year=year,
        month=month,
        case_managers=rows,
        local=local,
        exchange=exchange,
        provided=provided,
        by_field=by_field,
        follow_ups=FollowUpFigures(**follow),
    )
