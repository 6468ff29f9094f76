"""The sheets of the pages' downloads (config/exports.py writes them as CSV or XLSX).

Each builder takes the queryset its page shows — the same visibility function,
the same filters — and reads it in chunks (`.iterator(chunk_size=...)`), so an
export costs a fixed number of queries whatever its length. A household is
named by its code only where `Viewer.sees_household` allows, otherwise as "a
household in <district>"; notes never leave the application.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from djmoney.money import Money

from config.exports import Sheet
from exchange.donor_selectors import MatchingReport
from exchange.models import Claim, ClaimState
from exchange.reports import MonthlyPack
from ledger.labels import kind_label
from ledger.models import Entry
from marketplace.models import FollowUp, Household, HouseholdStatus, Listing, ListingState
from marketplace.selectors import Viewer, points_per_unit, value_per_unit_krw
from regions.models import Region

CHUNK = 1000


def export_purpose(what: str, file_format: str | None, households: int) -> str:
    """What an access record of an export says: which list, which format, how many households."""
    return _("Export of the %(what)s (%(format)s): %(count)s households") % {
        "what": what,
        "format": (file_format or "").upper(),
        "count": f"{households:,}",
    }


def place(viewer: Viewer, region: Region) -> str:
    """A region as offices write it: "서구 관저2동", or "서구" for the district itself."""
    district = viewer.district_of(region)
    if district is None or district.pk == region.pk:
        return region.name
    return f"{district.name} {region.name}"


def won(amount: Any) -> Money:
    return Money(int(amount), "KRW")


def person(user: Any) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.username
    return f"{name} ({user.office})" if getattr(user, "office", "") else name


# --- listings ------------------------------------------------------------------------------


def listings_sheet(listings: QuerySet[Listing], viewer: Viewer) -> Sheet:
    states = dict(ListingState.choices)

    def rows() -> Iterator[list[Any]]:
        for listing in listings.iterator(chunk_size=CHUNK):
            value = value_per_unit_krw(listing)
            yield [
                listing.pk,
                listing.title,
                listing.get_kind_display(),
                listing.category.name,
                place(viewer, listing.region),
                str(states.get(listing.state, listing.state)),
                listing.quantity,
                listing.quantity_available,
                listing.unit,
                won(value),
                points_per_unit(listing),
                listing.donor.name if listing.donor_id else "",
                listing.available_from,
                listing.available_until,
            ]

    return Sheet(
        title=_("Listings"),
        header=[
            _("Number"),
            _("Title"),
            _("Kind"),
            _("Category"),
            _("Region"),
            _("State"),
            _("Quantity"),
            _("Available"),
            _("Unit"),
            _("Value per unit (KRW)"),
            _("Points per unit"),
            _("Donor"),
            _("Available from"),
            _("Available until"),
        ],
        rows=rows(),
    )


# --- claims ------------------------------------------------------------------------------


def household_label(viewer: Viewer, household: Household) -> str:
    if viewer.sees_household(household):
        return household.code
    district = viewer.district_name(household.dong) or ""
    return _("a household in %(district)s") % {"district": district}


def claims_sheet(claims: QuerySet[Claim], viewer: Viewer) -> Sheet:
    states = dict(ClaimState.choices)

    def rows() -> Iterator[list[Any]]:
        for claim in claims.iterator(chunk_size=CHUNK):
            state = getattr(claim, "effective_state", claim.state)
            yield [
                claim.pk,
                claim.requested_at,
                str(states.get(state, state)),
                claim.listing.title,
                claim.listing.category.name,
                household_label(viewer, claim.household),
                place(viewer, claim.household.dong),
                place(viewer, claim.listing.region),
                _("Exchange") if claim.is_exchange else _("Local handover"),
                claim.quantity,
                claim.quantity_received,
                claim.listing.unit,
                claim.cost_points,
                claim.closed_at,
            ]

    return Sheet(
        title=_("Claims"),
        header=[
            _("Number"),
            _("Requested at"),
            _("State"),
            _("Listing"),
            _("Category"),
            _("Household"),
            _("Household's region"),
            _("Providing region"),
            _("Type"),
            _("Quantity"),
            _("Quantity received"),
            _("Unit"),
            _("Cost in points"),
            _("Closed at"),
        ],
        rows=rows(),
    )


def households_shown(claims: QuerySet[Claim], viewer: Viewer) -> QuerySet[Household]:
    """The households of `claims` whose code an export of them shows."""
    return Household.objects.filter(
        pk__in=claims.order_by().values("household_id"), dong_id__in=viewer.case_region_ids
    ).only("pk", "case_manager_id")


# --- households and follow-ups -------------------------------------------------------------


def households_sheet(households: Iterable[Household], viewer: Viewer) -> Sheet:
    statuses = dict(HouseholdStatus.choices)

    def rows() -> Iterator[list[Any]]:
        for household in households:
            yield [
                household.code,
                place(viewer, household.dong),
                household.size,
                ", ".join(category.name for category in household.needs.all()),
                str(statuses.get(household.status, household.status)),
                household.claim_count,
                household.created_at,
                household.closed_at,
            ]

    return Sheet(
        title=_("Household records"),
        header=[
            _("Code"),
            _("Dong"),
            _("Household size"),
            _("Needs"),
            _("Status"),
            _("Claims"),
            _("Registered at"),
            _("Closed at"),
        ],
        rows=rows(),
    )


def _follow_up_status(follow_up: FollowUp) -> str:
    if follow_up.recorded_at:
        return _("Recorded")
    if follow_up.held_at:
        return _("On hold: the case was reopened.")
    return _("Due")


def follow_ups_sheet(follow_ups: Iterable[FollowUp], viewer: Viewer) -> Sheet:
    def rows() -> Iterator[list[Any]]:
        for follow_up in follow_ups:
            yield [
                follow_up.household.code,
                place(viewer, follow_up.household.dong),
                follow_up.household.closed_at,
                follow_up.due_on,
                _follow_up_status(follow_up),
                follow_up.get_outcome_display() if follow_up.outcome else "",
                follow_up.recorded_at,
                person(follow_up.recorded_by),
            ]

    return Sheet(
        title=_("Follow-ups"),
        header=[
            _("Household"),
            _("Dong"),
            _("Case closed at"),
            _("Due on"),
            _("Status"),
            _("Outcome"),
            _("Recorded at"),
            _("Recorded by"),
        ],
        rows=rows(),
    )


# --- wallet statement and the matching report ----------------------------------------------


def wallet_sheet(region: Region, entries: QuerySet[Entry] | None) -> Sheet:
    """Every entry of the wallet, oldest first, each with its running balance."""

    def rows() -> Iterator[list[Any]]:
        if entries is None:
            return
        for entry in entries.iterator(chunk_size=CHUNK):
            txn = entry.transaction
            yield [
                entry.posted_at,
                txn.pk,
                kind_label(txn.kind),
                txn.memo,
                entry.amount,
                entry.balance_after,
            ]

    return Sheet(
        title=_("Wallet of %(region)s") % {"region": region.name},
        header=[
            _("Posted at"),
            _("Transaction"),
            _("Kind"),
            _("Memo"),
            _("Amount"),
            _("Balance"),
        ],
        rows=rows(),
    )


def matching_sheets(report: MatchingReport) -> list[Sheet]:
    header = [
        _("District"),
        _("Month"),
        _("Public (district wallets)"),
        _("Private (donor pledges)"),
        _("Total"),
        _("Public:private"),
    ]
    by_month = [
        [
            row.district.name,
            row.month.strftime("%Y-%m"),
            row.split.public,
            row.split.private,
            row.split.total,
            row.split.ratio,
        ]
        for row in report.rows
    ]
    by_district = [
        [region.name, str(report.year), split.public, split.private, split.total, split.ratio]
        for region, split in report.by_district
    ]
    total = report.total
    by_district.append(
        [_("Total"), str(report.year), total.public, total.private, total.total, total.ratio]
    )
    return [
        Sheet(title=_("By district"), header=header, rows=by_district),
        Sheet(title=_("By district and month"), header=header, rows=by_month),
    ]


# --- the monthly report pack ----------------------------------------------------------------


def monthly_sheets(pack: MonthlyPack) -> list[Sheet]:
    """The pack's four sheets, in the order offices file them."""
    total = pack.case_total
    cases = [
        [row.name, row.office, row.active, row.opened, row.closed, row.fulfilled]
        for row in pack.case_managers
    ]
    cases.append([_("Total"), "", total.active, total.opened, total.closed, total.fulfilled])
    linkage_rows = [
        (_("Local handovers"), pack.local),
        (_("Exchanges with other districts"), pack.exchange),
        (_("Total"), pack.linkages),
        (_("Provided to other districts"), pack.provided),
    ]
    linkages = [[label, n.count, n.value, n.points] for label, n in linkage_rows]
    fields = [[row.category.name, row.linkages.count, row.linkages.value] for row in pack.by_field]
    fields.append([_("Total"), pack.linkages.count, pack.linkages.value])
    follow = pack.follow_ups
    follow_ups = [
        [_("Due in the month"), follow.due],
        [_("Of those, recorded"), follow.due_recorded],
        [_("Recorded in the month"), follow.recorded],
        [_("Overdue at the end of the month"), follow.overdue],
    ]
    return [
        Sheet(
            title=_("Cases per case manager"),
            header=[
                _("Case manager"),
                _("Office"),
                _("Active households"),
                _("New this month"),
                _("Closed this month"),
                _("Claims fulfilled"),
            ],
            rows=cases,
        ),
        Sheet(
            title=_("Linkage results"),
            header=[_("Type"), _("Count"), _("Appraised value (KRW)"), _("Points moved")],
            rows=linkages,
        ),
        Sheet(
            title=_("Services by field"),
            header=[_("Field"), _("Linkages"), _("Appraised value (KRW)")],
            rows=fields,
        ),
        Sheet(title=_("Follow-up care"), header=[_("Follow-ups"), _("Count")], rows=follow_ups),
    ]
