"""Pages for signed-in people."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from audit.models import AccessAction
from audit.services import access_record
from config.web import attach_error, form_status, render_fragment
from donors.models import DonorMembership
from donors.permissions import donors_represented
from exchange.models import ACTIVE_CLAIM_STATES, Claim
from exchange.views import (
    claim_groups,
    claim_state_counts,
    claims_link,
    decorate_claims,
    listing_actions,
    my_claims,
    short_claim_queryset,
    with_listings_and_households,
)
from ledger.models import Account, Purpose
from marketplace.forms import CompletionPeriodForm, FollowUpForm
from marketplace.models import HouseholdStatus, Listing, ListingState
from marketplace.selectors import (
    Viewer,
    decorate_escalated,
    follow_up_completion,
    follow_ups_due,
    follow_ups_escalated,
    households_visible_to,
    listing_state_counts,
)
from people.context_processors import share_with_header
from people.exceptions import InvalidProfile
from people.forms import ProfileForm
from people.models import RegionMembership, Role
from people.permissions import active_memberships, is_finance, posts_read_once, regions_for
from people.services import PROFILE_FIELDS, user_profile_update
from regions.models import Region
from regions.selectors import exchange_region

#: The most rows each dashboard list shows, most urgent first: a dashboard is
#: what needs its reader now. Each list shows its total and links to the full
#: list (claims, households) or to its download (listings, follow-ups).
DASHBOARD_ROWS = 10
#: In the order the dashboard shows them, which is also their values' sort order.
ACTIVE_LISTING_STATES = (ListingState.DRAFT, ListingState.PUBLISHED, ListingState.RESERVED)
assert list(ACTIVE_LISTING_STATES) == sorted(ACTIVE_LISTING_STATES)


def _state_rank(states: list[str]) -> Case:
    return Case(
        *(When(state=state, then=Value(i)) for i, state in enumerate(states)),
        default=Value(len(states)),
        output_field=IntegerField(),
    )


def current_listings(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """The first DASHBOARD_ROWS active listings of `listings`: drafts first, then
    published, then reserved, newest first in each. The states' stored values
    sort in that order, so the partial index `listing_active_recent_idx` serves
    the ordering and the rows are read without sorting every active listing."""
    return (
        listings.filter(state__in=ACTIVE_LISTING_STATES)
        .select_related("region", "category")
        .order_by("state", "-created_at", "-pk")[:DASHBOARD_ROWS]
    )


def _wallets(regions: list[Region]) -> list[dict[str, Any]]:
    """Balances of the posts' exchange regions (one query); a wallet not opened yet holds 0."""
    balances = dict(
        Account.objects.filter(region__in=regions, purpose=Purpose.WALLET).values_list(
            "region_id", "balance"
        )
    )
    return [{"region": region, "balance": balances.get(region.pk, 0)} for region in regions]


def _coordinator_context(user: Any, viewer: Viewer, paths: list[str]) -> dict[str, Any]:
    """`paths`: the regions of the user's coordinator posts, which key the
    cached listing counts."""
    regions = regions_for(user, Role.COORDINATOR)
    listings = Listing.objects.filter(region__in=regions)
    counts = listing_state_counts(paths)
    by_state = [
        {"state": state, "label": state.label, "count": counts.get(state, 0)}
        for state in ListingState
    ]
    current = list(current_listings(listings))
    listing_actions(current, user)
    in_regions = {"listing__region__in": regions, "effective_state__in": ACTIVE_CLAIM_STATES}
    claim_counts = claim_state_counts(Claim.objects.with_effective_state().filter(**in_regions))
    [decisions] = with_listings_and_households(
        short_claim_queryset()
        .filter(**in_regions)
        .order_by(_state_rank(list(ACTIVE_CLAIM_STATES)), "approve_by", "pk")[:DASHBOARD_ROWS]
    )
    decisions = decorate_claims(decisions, viewer)
    # Follow-ups of the coordinator's regions left unrecorded too long, and the
    # regions' completion rate over the report's default period.
    escalated = follow_ups_escalated(user)
    start, end = CompletionPeriodForm.default_period(timezone.localdate())
    _rows, completion = follow_up_completion(regions=regions, start=start, end=end)
    return {
        "listing_counts": by_state,
        "listings": current,
        "active_listing_count": sum(counts.get(state, 0) for state in ACTIVE_LISTING_STATES),
        "decisions": decisions,
        "decision_groups": claim_groups(decisions, claim_counts, ACTIVE_CLAIM_STATES),
        "decision_count": sum(claim_counts.values()),
        "decisions_href": claims_link(),
        "escalated": decorate_escalated(escalated[:DASHBOARD_ROWS], viewer),
        "escalated_count": escalated.count(),
        "completion": completion,
    }


def _case_manager_context(user: Any, viewer: Viewer) -> dict[str, Any]:
    households = households_visible_to(user).filter(status=HouseholdStatus.ACTIVE)
    due = follow_ups_due(user)
    follow_ups = list(due[:DASHBOARD_ROWS])
    for follow_up in follow_ups:
        follow_up.form = FollowUpForm(prefix=f"fu{follow_up.pk}")
    return {
        "households": households.prefetch_related("needs")[:DASHBOARD_ROWS],
        "household_count": households.count(),
        **my_claims(user, viewer),
        "follow_ups": follow_ups,
        "follow_up_count": due.count(),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in person's start page: their posts, and for each role what
    waits for them — decisions for coordinators, claims and follow-ups for case
    managers — with the wallet of each region they trade through."""
    user = request.user
    memberships = list(active_memberships(user))
    posts = [
        {"membership": membership, "exchange_region": exchange_region(membership.region)}
        for membership in memberships
    ]
    exchange_regions = list(
        {
            post["exchange_region"].pk: post["exchange_region"]
            for post in posts
            if post["exchange_region"]
        }.values()
    )
    wallets = _wallets(exchange_regions)
    if request.htmx and request.GET.get("part") == "wallets":
        return render_fragment(
            request, "marketplace/partials/dashboard_wallets.html", {"wallets": wallets}
        )
    roles = {membership.role for membership in memberships}
    finance = is_finance(user)
    viewer = Viewer(user)
    context: dict[str, Any] = {
        "posts": posts,
        "is_finance": finance,
        "is_coordinator": Role.COORDINATOR in roles,
        "is_case_manager": Role.CASE_MANAGER in roles,
        "wallets": wallets,
        "here": request.path,
        "my_donors": list(donors_represented(user).order_by("name")),
    }
    share_with_header(
        request,
        memberships=memberships,
        is_finance=finance,
        is_donor_rep=bool(context["my_donors"]),
    )
    # The role sections ask for the user's regions and permissions many times:
    # from the posts read above, not a query each time.
    with posts_read_once(user, memberships):
        if Role.COORDINATOR in roles:
            paths = [m.region.path for m in memberships if m.role == Role.COORDINATOR]
            context.update(_coordinator_context(user, viewer, paths))
        if Role.CASE_MANAGER in roles:
            context.update(_case_manager_context(user, viewer))
            # The households table and the follow-ups due show household records: each
            # one shown gets its personal-data access record (one INSERT for them all).
            context["households"] = list(context["households"])
            shown = {h.pk: h for h in context["households"]}
            shown.update({f.household_id: f.household for f in context["follow_ups"]})
            access_record(request=request, households=shown.values(), action=AccessAction.LIST)
        return render(request, "people/dashboard.html", context)


def _profile_context(request: HttpRequest, form: ProfileForm) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    memberships = list(
        RegionMembership.objects.filter(user=user)
        .select_related("region")
        .order_by("-starts_on", "region__code", "pk")
    )
    for membership in memberships:
        membership.ended = membership.ends_on is not None and membership.ends_on < today
        membership.upcoming = membership.starts_on > today
    donor_links = list(
        DonorMembership.objects.filter(user=user)
        .select_related("donor")
        .order_by("donor__name", "pk")
    )
    for link in donor_links:
        link.ended = link.ends_on is not None and link.ends_on < today
    return {
        "form": form,
        "memberships": memberships,
        "donor_links": donor_links,
        "is_finance": is_finance(user),
    }


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own details and the posts they hold and held."""
    user = request.user
    if request.method == "GET":
        form = ProfileForm(initial={name: getattr(user, name) for name in PROFILE_FIELDS})
        return render(request, "people/profile.html", _profile_context(request, form))
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return render(request, "people/profile.html", _profile_context(request, form), status=422)
    try:
        user_profile_update(user=user, by=user, **form.cleaned_data)
    except InvalidProfile as error:
        attach_error(form, error)
        return render(
            request,
            "people/profile.html",
            _profile_context(request, form),
            status=form_status(error),
        )
    messages.success(request, _("Your profile has been saved."))
    return redirect("profile")
