"""Reads of claims and matches."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from donors.permissions import donors_represented
from exchange.models import ACTIVE_CLAIM_STATES, Claim
from marketplace.models import PUBLIC_LISTING_STATES, Household, Listing, ListingState
from people.models import Role
from people.permissions import regions_for


def claims_visible_to(user) -> QuerySet[Claim]:
    """Claims for households a case manager covers, or on listings a coordinator covers."""
    case_regions = regions_for(user, Role.CASE_MANAGER)
    coord_regions = regions_for(user, Role.COORDINATOR)
    return Claim.objects.filter(
        Q(household__dong__in=case_regions) | Q(listing__region__in=coord_regions)
    ).select_related(
        "listing",
        "listing__region",
        "listing__category",
        "household",
        "household__dong",
        "claimant_region",
        "provider_region",
    )


def listings_visible_to(user) -> QuerySet[Listing]:
    """The one rule of who may see a listing, for its page and the API alike:
    everyone the published, reserved and completed ones; a coordinator every
    listing of their regions; a donor's representative the drafts of that
    donor's gifts (to follow them until a coordinator publishes them), nothing
    more; anyone the listings of the claims they may see."""
    condition = Q(state__in=PUBLIC_LISTING_STATES)
    if user.is_authenticated:
        condition |= (
            Q(region__in=regions_for(user, Role.COORDINATOR))
            | Q(state=ListingState.DRAFT, donor__in=donors_represented(user))
            | Q(pk__in=claims_visible_to(user).values("listing_id"))
        )
    return Listing.objects.filter(condition).select_related("region", "category", "donor")


def active_claims_in_category(household: Household, category_id: int, since: datetime.datetime):
    return Claim.objects.filter(
        household=household,
        listing__category_id=category_id,
        requested_at__gte=since,
    ).filter(Q(state__in=ACTIVE_CLAIM_STATES) | Q(state="fulfilled"))
