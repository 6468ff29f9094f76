"""Reads for donors: what a representative's portal shows, the yearly donation
receipt (기부금 영수증), and finance's view of matching.

Nothing here ever reads a household: a donor sees the category of what was
claimed, the claiming district and the points, and no more.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from donors.models import POINTS_REMAINING, Donor, Pledge, PledgeState
from donors.permissions import donors_represented
from exchange.funding import eligible_pledges
from exchange.models import Claim, ClaimState, Match, MatchState
from marketplace.models import Listing, ListingState
from marketplace.selectors import value_per_unit_krw
from people.models import Role
from people.permissions import is_finance, regions_for
from regions.models import Region

KRW = "KRW"


def krw(amount: Decimal | int) -> Money:
    return Money(Decimal(amount), KRW)


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """A calendar year in Korean time (TIME_ZONE) as [start, end) moments."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    return start, datetime.datetime(year + 1, 1, 1, tzinfo=tz)


# --- pledges and matches -------------------------------------------------------------


def pledges_of(donor: Donor) -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(donor=donor)
        .prefetch_related("preferred_categories", "preferred_districts")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class PledgeTotals:
    points: int
    remaining: int
    held: int
    used: int
    returned: int


def pledge_totals(donor: Donor) -> PledgeTotals:
    """Sums over the donor's pledges that count: confirmed ones (a pledge awaiting
    confirmation has issued no points yet). Remaining counts open pledges only;
    a closed pledge gave its rest back. One query."""
    counted = ~Q(state=PledgeState.AWAITING)
    # The sums are named apart from the fields: an aggregate may not share a
    # name with a field another aggregate reads.
    sums = Pledge.objects.filter(donor=donor).aggregate(
        sum_points=Sum("points", filter=counted),
        sum_remaining=Sum(
            POINTS_REMAINING,
            filter=Q(state__in=(PledgeState.ACTIVE, PledgeState.EXHAUSTED)),
        ),
        sum_held=Sum("points_held", filter=counted),
        sum_used=Sum("points_used", filter=counted),
        sum_returned=Sum("points_returned", filter=counted),
    )
    return PledgeTotals(**{name[4:]: value or 0 for name, value in sums.items()})


def _fundable_by(donors: QuerySet[Donor]) -> QuerySet[Pledge]:
    """Pledges of `donors` that could take on the match of the outer query: the
    rule of `PledgeQuerySet.eligible` (enough points left included), as one
    subquery so that a page of matches costs one query however many rows it has."""
    return Pledge.objects.filter(donor__in=donors).eligible(
        points=OuterRef("private_points"),
        category=OuterRef("claim__listing__category_id"),
        category_parent=OuterRef("claim__listing__category__parent_id"),
        district=OuterRef("claim__claimant_region_id"),
    )


def _with_claim() -> QuerySet[Match]:
    # Only what a donor may see of a claim: its listing and category, and the
    # claiming district. The household is never joined.
    return Match.objects.select_related(
        "claim__listing__category__parent",
        "claim__claimant_region",
        "pledge__donor",
        "hold",
    )


def fundable_pending_matches(donors: QuerySet[Donor]) -> QuerySet[Match]:
    """Pending matches, still open for a commit, that a pledge of `donors` could fund."""
    now = timezone.now()
    return (
        _with_claim()
        .filter(
            state=MatchState.PENDING,
            deadline__gt=now,
            claim__state=ClaimState.REQUESTED,
            claim__approve_by__gt=now,
        )
        .filter(Exists(_fundable_by(donors)))
        .order_by("deadline", "pk")
    )


def fundable_pledges(match: Match, donor: Donor) -> QuerySet[Pledge]:
    """The donor's pledges that can take on `match` (eligible, enough points
    left included), expiring first."""
    return eligible_pledges(match).filter(donor=donor)


def matches_visible_to(user) -> QuerySet[Match]:
    """Finance: every match. A donor representative: the matches of their donors'
    pledges and the pending matches those pledges could fund. Anyone else: none."""
    if is_finance(user):
        return _with_claim().order_by("-created_at", "-pk")
    donors = donors_represented(user)
    return (
        _with_claim()
        .filter(
            Q(pledge__donor__in=donors)
            | Q(pk__in=fundable_pending_matches(donors).order_by().values("pk"))
        )
        .order_by("-created_at", "-pk")
    )


def funded_history(donor: Donor) -> QuerySet[Match]:
    """Settled matches of the donor's pledges, newest first."""
    return (
        _with_claim()
        .filter(state=MatchState.SETTLED, pledge__donor=donor)
        .order_by("-claim__closed_at", "-pk")
    )


def private_points_paid(match: Match) -> int:
    """What the pledge actually paid for a settled match: the settled part of its
    hold (the ledger's record, so a later change of PUBLIC_SHARE does not restate it)."""
    return match.hold.settled_amount if match.hold_id else 0


# --- in-kind gifts ---------------------------------------------------------------------


def gifts_of(donor: Donor) -> QuerySet[Listing]:
    return (
        Listing.objects.filter(donor=donor)
        .select_related("region", "category")
        .order_by("-created_at", "-pk")
    )


def donor_drafts_for_review(user) -> QuerySet[Listing]:
    """Drafts of in-kind gifts (listings with a donor) in the regions `user` coordinates."""
    return (
        Listing.objects.filter(
            state=ListingState.DRAFT,
            donor__isnull=False,
            region__in=regions_for(user, Role.COORDINATOR),
        )
        .select_related("region", "category", "donor", "posted_by")
        .order_by("created_at", "pk")
    )


# --- the donation receipt -----------------------------------------------------------


def confirmed_gift_claims(donor: Donor) -> QuerySet[Claim]:
    """Claims of the donor's in-kind gifts that the donor itself offered: the
    listing was drafted by one of its representatives (`listing_create` refuses
    anyone else). A listing that names the donor without that — from before the
    rule, or written to the database by hand — never reaches its receipt."""
    return Claim.objects.filter(
        listing__donor=donor,
        listing__posted_by__donor_memberships__donor=donor,
    )


@dataclass(frozen=True)
class ReceiptItem:
    kind: str  # "pledge" (money through a pledge) or "in_kind" (goods, services, hours)
    day: datetime.date
    description: str
    district: str
    quantity: int
    unit: str
    unit_value: Money
    amount: Money


@dataclass
class Receipt:
    donor: Donor
    year: int
    pledge_items: list[ReceiptItem] = field(default_factory=list)
    in_kind_items: list[ReceiptItem] = field(default_factory=list)

    @property
    def pledge_total(self) -> Money:
        return sum((item.amount for item in self.pledge_items), krw(0))

    @property
    def in_kind_total(self) -> Money:
        return sum((item.amount for item in self.in_kind_items), krw(0))

    @property
    def total(self) -> Money:
        return self.pledge_total + self.in_kind_total

    @property
    def items(self) -> list[ReceiptItem]:
        return [*self.pledge_items, *self.in_kind_items]


def krw_per_point_of(pledge: Pledge) -> Decimal:
    """Won per point of this pledge: its amount over its points, which is
    KRW_PER_POINT as it was when the pledge was made (a later change of the
    setting does not change what the donor gave)."""
    return Decimal(pledge.amount.amount) / Decimal(pledge.points)


def receipt_pledges(donor: Donor, year: int) -> QuerySet[Pledge]:
    """The donor's pledges whose money was paid in `year` (Korean time): finance
    confirmed its receipt then. What a pledge gives counts in the year it was
    paid, whenever claims use it."""
    start, end = year_bounds(year)
    return Pledge.objects.filter(
        donor=donor, confirmed_at__gte=start, confirmed_at__lt=end, points_used__gt=0
    ).order_by("confirmed_at", "pk")


def donation_receipt(donor: Donor, year: int) -> Receipt:
    """The donor's gifts of one calendar year (Korean time). Money (금전) is
    dated by the day it was paid — the day finance confirmed the pledge — and
    counts what claims have used of it so far, at the pledge's won per point, so
    a December pledge used in January belongs to December's year. Goods (현물)
    are dated by the day they were handed over (the claim's fulfilment) at their
    appraised value (환가액) per unit times the quantity received. Two queries."""
    start, end = year_bounds(year)
    receipt = Receipt(donor=donor, year=year)
    for pledge in receipt_pledges(donor, year):
        rate = krw_per_point_of(pledge)
        receipt.pledge_items.append(
            ReceiptItem(
                kind="pledge",
                day=timezone.localtime(pledge.confirmed_at).date(),
                description=_("Matching fund, pledge #%(pk)s") % {"pk": pledge.pk},
                district="",
                quantity=pledge.points_used,
                unit=str(_("points")),
                unit_value=krw(rate.quantize(Decimal(1), ROUND_HALF_UP)),
                amount=krw((rate * pledge.points_used).quantize(Decimal(1), ROUND_HALF_UP)),
            )
        )
    fulfilled = (
        confirmed_gift_claims(donor)
        .filter(
            state=ClaimState.FULFILLED,
            quantity_received__gt=0,
            closed_at__gte=start,
            closed_at__lt=end,
        )
        .select_related("listing__category", "claimant_region")
        .order_by("closed_at", "pk")
    )
    for claim in fulfilled:
        value = value_per_unit_krw(claim.listing)
        receipt.in_kind_items.append(
            ReceiptItem(
                kind="in_kind",
                day=timezone.localtime(claim.closed_at).date(),
                description=claim.listing.title,
                district=claim.claimant_region.name,
                quantity=claim.quantity_received,
                unit=claim.listing.unit,
                unit_value=krw(value),
                amount=krw(value * claim.quantity_received),
            )
        )
    return receipt


def receipt_years(donor: Donor) -> list[int]:
    """Years with a gift of the donor, newest first; the current year always."""
    tz = timezone.get_default_timezone()
    years = {timezone.localdate().year}
    for moment in (
        Pledge.objects.filter(donor=donor, confirmed_at__isnull=False, points_used__gt=0)
        .datetimes("confirmed_at", "year", tzinfo=tz)
        .order_by()
    ):
        years.add(moment.year)
    for moment in (
        confirmed_gift_claims(donor)
        .filter(state=ClaimState.FULFILLED)
        .datetimes("closed_at", "year", tzinfo=tz)
        .order_by()
    ):
        years.add(moment.year)
    return sorted(years, reverse=True)


# --- finance: matching by district and month -------------------------------------------


@dataclass(frozen=True)
class Split:
    public: int
    private: int

    @property
    def total(self) -> int:
        return self.public + self.private

    @property
    def public_percent(self) -> Decimal | None:
        if not self.total:
            return None
        return (Decimal(self.public * 100) / self.total).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def private_percent(self) -> Decimal | None:
        percent = self.public_percent
        return None if percent is None else Decimal(100) - percent

    @property
    def ratio(self) -> str:
        """The achieved public:private ratio on the scale of the 5:5 rule: "5:5"
        when exact, else one decimal ("5.3:4.7")."""
        percent = self.public_percent
        if percent is None:
            return "—"
        public = (percent / 10).quantize(Decimal("0.1"), ROUND_HALF_UP)
        private = Decimal(10) - public
        if public == public.to_integral_value():
            return f"{public:.0f}:{private:.0f}"
        return f"{public}:{private}"


@dataclass(frozen=True)
class MatchingRow:
    district: Region
    month: datetime.date  # the first day of the month
    split: Split


@dataclass
class MatchingReport:
    year: int
    rows: list[MatchingRow]
    by_district: list[tuple[Region, Split]]
    total: Split


def matching_by_district(year: int) -> MatchingReport:
    """Points paid for fulfilled exchange claims in `year`, per claiming district
    and month (Korean time): the public part from the district's wallet and the
    private part from donors' pledges. The parts are the amounts the ledger
    settled on the two holds — split_cost of the paid cost at the PUBLIC_SHARE
    in force when each claim was fulfilled. One query for the claims, one for
    the district names."""
    start, end = year_bounds(year)
    claims = (
        Claim.objects.filter(
            state=ClaimState.FULFILLED,
            is_exchange=True,
            closed_at__gte=start,
            closed_at__lt=end,
        )
        .order_by()
        .values_list(
            "claimant_region_id", "closed_at", "hold__settled_amount", "match__hold__settled_amount"
        )
    )
    cells: dict[tuple[int, datetime.date], list[int]] = defaultdict(lambda: [0, 0])
    for region_id, closed_at, public, private in claims.iterator(chunk_size=2000):
        month = timezone.localtime(closed_at).date().replace(day=1)
        cell = cells[(region_id, month)]
        cell[0] += public or 0
        cell[1] += private or 0
    regions = Region.objects.in_bulk({region_id for region_id, _month in cells})
    rows = [
        MatchingRow(district=regions[region_id], month=month, split=Split(*values))
        for (region_id, month), values in sorted(
            cells.items(), key=lambda item: (regions[item[0][0]].code, item[0][1])
        )
    ]
    per_district: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        per_district[row.district.pk][0] += row.split.public
        per_district[row.district.pk][1] += row.split.private
    by_district = [
        (regions[region_id], Split(*values))
        for region_id, values in sorted(per_district.items(), key=lambda i: regions[i[0]].code)
    ]
    return MatchingReport(
        year=year,
        rows=rows,
        by_district=by_district,
        total=Split(
            sum(split.public for _region, split in by_district),
            sum(split.private for _region, split in by_district),
        ),
    )


def pledges_awaiting_confirmation() -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(state=PledgeState.AWAITING)
        .select_related("donor", "created_by")
        .order_by("created_at", "pk")
    )


def unverified_donors() -> QuerySet[Donor]:
    return (
        Donor.objects.filter(verified_at__isnull=True, is_active=True)
        .select_related("home_region")
        .order_by("created_at", "pk")
    )
