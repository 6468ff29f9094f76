"""The daily to-do notifications (`inbox_scan`, run by `manage.py notify_due`
and by celery beat every morning):

- pending matches a donor's pledge could fund → that donor's representatives
- grant and correction proposals awaiting a second finance user → every
  finance user except the one who proposed it (four-eyes)
- pledges awaiting finance's confirmation → finance
- follow-ups due within FOLLOW_UP_NOTICE_DAYS, and overdue ones → the
  household's responsible case manager
- published listings whose availability ends within LISTING_NOTICE_DAYS → the
  coordinators of the listing's region

Each notification carries a `dedupe_key` naming the thing (and, where it can
change, its deadline), so running the scan again writes nothing new.
Messages name a household by its dong and district only.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from donors.models import Donor, DonorMembership
from exchange.donor_selectors import fundable_pending_matches, pledges_awaiting_confirmation
from exchange.notifications import coordinators
from inbox.models import Kind
from inbox.services import notify
from ledger.models import Proposal, ProposalKind, ProposalStatus
from marketplace.models import FollowUp, Listing, ListingState
from people.models import FINANCE_GROUP
from regions.models import Level, Region

FOLLOW_UP_NOTICE_DAYS = 7
LISTING_NOTICE_DAYS = 7


def _points(value: int) -> str:
    return _("%(points)s points") % {"points": f"{value:,}"}


def _place(dong: Region) -> str:
    """ "서구 관저2동": the district and the dong (a zone between them left out)."""
    district = dong.parent
    while district is not None and district.level not in (Level.DISTRICT, Level.CITY):
        district = district.parent
    if district is None or district.level != Level.DISTRICT:
        return dong.name_ko
    return f"{district.name_ko} {dong.name_ko}"


def _finance_users() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(groups__name=FINANCE_GROUP, is_active=True)
        .distinct()
        .order_by("pk")
    )


def _pending_matches(today: datetime.date) -> Counter:
    created: Counter = Counter()
    memberships = (
        DonorMembership.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("donor_id", "user_id")
    )
    reps: dict[int, list[Any]] = {}
    for membership in memberships:
        reps.setdefault(membership.donor_id, []).append(membership.user)
    for donor_id, users in reps.items():
        donor_url = reverse("donors:donor", kwargs={"pk": donor_id})
        for match in fundable_pending_matches(Donor.objects.filter(pk=donor_id)):
            claim = match.claim
            rows = notify(
                users,
                Kind.MATCH_PENDING,
                _("Claim #%(pk)s waits for matching funds") % {"pk": claim.pk},
                _(
                    "A claim from %(district)s for “%(title)s” needs %(points)s of matching "
                    "funds by %(deadline)s."
                )
                % {
                    "district": claim.claimant_region.name_ko,
                    "title": claim.listing.title,
                    "points": _points(match.private_points),
                    "deadline": timezone.localtime(match.deadline).strftime("%Y-%m-%d"),
                },
                donor_url,
                dedupe_key=f"match:{match.pk}:pending",
            )
            created[Kind.MATCH_PENDING] += len(rows)
    return created


def _proposals(finance: list[Any]) -> Counter:
    created: Counter = Counter()
    url = reverse("ledger:proposals")
    proposals = (
        Proposal.objects.filter(status=ProposalStatus.PROPOSED)
        .select_related("region", "target")
        .order_by("pk")
    )
    for proposal in proposals:
        if proposal.kind == ProposalKind.GRANT:
            body = _("An opening grant of %(points)s to %(region)s, proposed on %(date)s.") % {
                "points": _points(proposal.amount or 0),
                "region": proposal.region.name_ko if proposal.region else "",
                "date": timezone.localtime(proposal.proposed_at).strftime("%Y-%m-%d"),
            }
        else:
            body = _("A correction of transaction #%(tx)s, proposed on %(date)s.") % {
                "tx": proposal.target_id,
                "date": timezone.localtime(proposal.proposed_at).strftime("%Y-%m-%d"),
            }
        rows = notify(
            [user for user in finance if user.pk != proposal.proposed_by_id],
            Kind.PROPOSAL_PENDING,
            _("Proposal #%(pk)s awaits a second finance approval") % {"pk": proposal.pk},
            body,
            url,
            dedupe_key=f"proposal:{proposal.pk}:proposed",
        )
        created[Kind.PROPOSAL_PENDING] += len(rows)
    return created


def _pledges(finance: list[Any]) -> Counter:
    created: Counter = Counter()
    url = reverse("donors_finance:matching")
    for pledge in pledges_awaiting_confirmation():
        rows = notify(
            finance,
            Kind.PLEDGE_AWAITING,
            _("Pledge #%(pk)s of %(donor)s awaits confirmation")
            % {"pk": pledge.pk, "donor": pledge.donor.name},
            _("%(amount)s won pledged (%(points)s). Confirm it once the money has arrived.")
            % {"amount": f"{int(pledge.amount.amount):,}", "points": _points(pledge.points)},
            url,
            dedupe_key=f"pledge:{pledge.pk}:awaiting",
        )
        created[Kind.PLEDGE_AWAITING] += len(rows)
    return created


def _follow_ups(today: datetime.date) -> Counter:
    created: Counter = Counter()
    url = reverse("dashboard")
    due = (
        FollowUp.objects.filter(
            recorded_at__isnull=True,
            held_at__isnull=True,  # a reopened case's follow-ups wait for its next close
            due_on__lte=today + datetime.timedelta(days=FOLLOW_UP_NOTICE_DAYS),
        )
        .select_related("household__case_manager", "household__dong__parent__parent__parent")
        .order_by("due_on", "pk")
    )
    for follow_up in due:
        household = follow_up.household
        place = _place(household.dong)
        date = follow_up.due_on.strftime("%Y-%m-%d")
        if follow_up.due_on < today:
            kind = Kind.FOLLOW_UP_OVERDUE
            title = _("Overdue follow-up of a household in %(place)s") % {"place": place}
            body = _("The follow-up was due on %(date)s and is not recorded yet.") % {"date": date}
            key = f"follow_up:{follow_up.pk}:overdue"
        else:
            kind = Kind.FOLLOW_UP_DUE
            title = _("Follow-up of a household in %(place)s due on %(date)s") % {
                "place": place,
                "date": date,
            }
            body = _("Record it on your dashboard once it is done.")
            key = f"follow_up:{follow_up.pk}:due"
        rows = notify([household.case_manager], kind, title, body, url, dedupe_key=key)
        created[kind] += len(rows)
    return created


def _expiring_listings(today: datetime.date) -> Counter:
    created: Counter = Counter()
    listings = (
        Listing.objects.filter(
            state=ListingState.PUBLISHED,
            available_until__gte=today,
            available_until__lte=today + datetime.timedelta(days=LISTING_NOTICE_DAYS),
        )
        .select_related("region")
        .order_by("available_until", "pk")
    )
    by_region: dict[int, list[Any]] = {}
    for listing in listings:
        if listing.region_id not in by_region:
            by_region[listing.region_id] = coordinators(listing.region)
        date = listing.available_until.strftime("%Y-%m-%d")
        rows = notify(
            by_region[listing.region_id],
            Kind.LISTING_EXPIRING,
            _("“%(title)s” is available only until %(date)s")
            % {"title": listing.title, "date": date},
            _(
                "%(available)s %(unit)s are still unclaimed; a listing without an active "
                "claim expires after its last day."
            )
            % {"available": f"{listing.quantity_available:,}", "unit": listing.unit},
            reverse("marketplace:listing", kwargs={"pk": listing.pk}),
            dedupe_key=f"listing:{listing.pk}:expiring:{date}",
        )
        created[Kind.LISTING_EXPIRING] += len(rows)
    return created


def inbox_scan(*, today: datetime.date | None = None) -> Counter:
    """Write the to-do notifications of `today` (the local date); returns how
    many were written of each kind. Idempotent."""
    today = today or timezone.localdate()
    created: Counter = Counter()
    with translation.override("ko"):
        finance = _finance_users()
        created += _pending_matches(today)
        created += _proposals(finance)
        created += _pledges(finance)
        created += _follow_ups(today)
        created += _expiring_listings(today)
    return created
