"""Reads of claims and matches."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from exchange.models import ACTIVE_CLAIM_STATES, Claim
from marketplace.models import Household
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


def active_claims_in_category(household: Household, category_id: int, since: datetime.datetime):
    return Claim.objects.filter(
        household=household,
        listing__category_id=category_id,
        requested_at__gte=since,
    ).filter(Q(state__in=ACTIVE_CLAIM_STATES) | Q(state="fulfilled"))
