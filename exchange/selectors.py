"""Reads of claims and matches."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery

from donors.models import Donor, Pledge
from donors.permissions import donors_represented
from exchange.models import ACTIVE_CLAIM_STATES, Claim, ClaimMessage, MessageSide
from marketplace.models import PUBLIC_LISTING_STATES, Household, Listing, ListingState
from people.models import Role
from people.permissions import is_finance, may_act, regions_for


def claims_visible_to(user) -> QuerySet[Claim]:
    """Claims for households a case manager covers, on listings a coordinator
    covers, or funded by a donor its representatives speak for (the donor of
    the claim's match; they never see the household: `Viewer.sees_household`);
    finance staff see every claim, read-only and without the household."""
    claims = Claim.objects.select_related(
        "listing",
        "listing__region",
        "listing__category",
        "household",
        "household__dong",
        "claimant_region",
        "provider_region",
    )
    if is_finance(user):
        return claims
    case_regions = regions_for(user, Role.CASE_MANAGER)
    coord_regions = regions_for(user, Role.COORDINATOR)
    return claims.filter(
        Q(household__dong__in=case_regions)
        | Q(listing__region__in=coord_regions)
        | Q(match__pledge__donor__in=donors_represented(user).values("pk"))
    )


def claim_message_side(claim: Claim, user) -> str | None:
    """The side `user` speaks for in `claim`'s message thread, or None when they
    take no part in it: a case manager covering the household's dong (the
    claiming office), a coordinator covering the listing's region (the
    providing office), a representative of the donor of the claim's match.
    Finance staff see the claim but not its thread."""
    if may_act(user, Role.CASE_MANAGER, claim.household.dong):
        return MessageSide.CLAIMANT
    if may_act(user, Role.COORDINATOR, claim.listing.region):
        return MessageSide.PROVIDER
    match = getattr(claim, "match", None)
    if (
        match is not None
        and match.pledge_id is not None
        and Pledge.objects.filter(
            pk=match.pledge_id, donor__in=donors_represented(user).values("pk")
        ).exists()
    ):
        return MessageSide.DONOR
    return None


def claim_thread(claim: Claim) -> QuerySet[ClaimMessage]:
    """The claim's messages, oldest first."""
    return ClaimMessage.objects.filter(claim=claim).order_by("created_at", "pk")


def claim_contacts(claim: Claim) -> dict[str, Any]:
    """The offices to call about `claim`: the claiming office (the requesting
    case manager's profile), the providing office (the listing poster's) and,
    where a donor's pledge funds the match, the donor. Never the household."""
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=[claim.requested_by_id, claim.listing.posted_by_id])
        .only("pk", "office", "office_phone")
    }
    requester, poster = users.get(claim.requested_by_id), users.get(claim.listing.posted_by_id)
    match = getattr(claim, "match", None)
    donor = None
    if match is not None and match.pledge_id is not None:
        donor = Donor.objects.filter(pledges__pk=match.pledge_id).only("name").first()
    return {
        "claimant": {"office": requester.office, "office_phone": requester.office_phone}
        if requester
        else None,
        "provider": {"office": poster.office, "office_phone": poster.office_phone}
        if poster
        else None,
        "donor": donor.name if donor is not None else None,
    }


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


def active_claims_in_category(
    household: Household, category_id: int, since: datetime.datetime
) -> QuerySet[Claim]:
    """The household's claims since `since`, active or fulfilled, on listings of
    `category_id` (the duplicate-service check).

    The category is compared through a subquery per claim, not a join: a join
    under `.exists()` (LIMIT 1) let PostgreSQL walk the listings' primary key
    from the start up to the claimed listing (a merge join that expects to stop
    early), 90–100 ms at 200,000 listings for a recent listing, whatever the
    household had. The subquery cannot become a join, so the query reads the
    household's claims (its index) and looks each one's listing up by key."""
    category_of_listing = (
        Listing.objects.filter(pk=OuterRef("listing_id")).order_by().values("category_id")
    )
    return (
        Claim.objects.filter(household=household, requested_at__gte=since)
        .filter(Q(state__in=ACTIVE_CLAIM_STATES) | Q(state="fulfilled"))
        .annotate(listing_category_id=Subquery(category_of_listing))
        .filter(listing_category_id=category_id)
    )
