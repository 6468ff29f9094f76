"""The marketplace pages: the public catalogue and listing pages, the
coordinator's listing forms, claims and their decisions, households and
follow-ups, a region's wallet statement and the review of repeated services.

The catalogue and the listing pages are public; everything else needs a
login, and a user without the role gets 403. Every action posts to its own
URL and calls one service; htmx gets the updated fragment back, a plain form
post a redirect. A service's refusal (DomainError) is shown next to the field
it concerns, or at the top of the form, with its HTTP status — except a
permission refusal, which is the bare 403 page: an error never shows an object
to someone who may not act on it. Claims are found through the API's
visibility rule, so a claim the user may not see is not found (404).

Household codes and notes appear only to case managers of the household's
region; everyone else sees "a household in <district>".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Prefetch,
    QuerySet,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_fsm import ConcurrentTransition

from audit.forms import PurposeForm
from audit.models import AccessAction, AccessPurpose
from audit.services import access_record, audit_history
from config.exceptions import DomainError, NotAllowed
from config.exports import export_format, export_response
from config.htmx import go_to, wants_fragment
from config.pagination import CappedPaginator, KnownCountPaginator
from config.reasons import (
    ReasonForm,
    RequiredReasonForm,
    confirm_dialog_id,
    reason_refusal,
)
from config.routers import replica_reads
from config.web import (
    attach_error,
    form_status,
    render_fragment,
    render_page,
    requires,
)
from donors.exceptions import NotMatched
from exchange.exports import (
    CHUNK,
    export_purpose,
    households_sheet,
    listings_sheet,
    wallet_sheet,
)
from exchange.funding import split_cost
from exchange.models import ACTIVE_CLAIM_STATES, Claim, ClaimState, is_funded
from exchange.selectors import claims_visible_to, listings_visible_to
from exchange.services import (
    claim_approve,
    claim_cancel,
    claim_fulfil,
    claim_reject,
    claim_request,
)
from ledger.exceptions import InsufficientPoints
from ledger.labels import kind_label
from ledger.models import Account, Purpose
from ledger.selectors import account_statement
from marketplace import stats
from marketplace.catalogue_cache import cached_page
from marketplace.exceptions import (
    DuplicateService,
    IllegalTransition,
    InsufficientQuantity,
    ListingNotPublished,
)
from marketplace.forms import (
    MAX_QUANTITY,
    CatalogueFilterForm,
    ClaimForm,
    FollowUpForm,
    FulfilForm,
    HouseholdForm,
    ListingForm,
    ReopenForm,
)
from marketplace.models import (
    PUBLIC_LISTING_STATES,
    FollowUp,
    FollowUpOutcome,
    Household,
    HouseholdStatus,
    Listing,
    ListingState,
)
from marketplace.selectors import (
    Viewer,
    catalogue,
    household_history,
    households_visible_to,
    points_per_unit,
    value_per_unit_krw,
)
from marketplace.services import (
    follow_up_record,
    household_close,
    household_create,
    household_reopen,
    household_update,
    listing_create,
    listing_publish,
    listing_update,
    listing_withdraw,
)
from people.models import Role
from people.permissions import (
    active_memberships,
    is_finance,
    may_act,
    posts_read_once,
    regions_for,
)
from regions.models import Level, Region
from regions.selectors import exchange_region

PER_PAGE = 20
ENTRIES_PER_PAGE = 50
CLAIM_ACTIONS = ("approve", "reject", "cancel", "fulfil")
LISTING_ACTIONS = ("publish", "withdraw")
#: Listings anyone may open; the others only the region's coordinators and
#: the people with a claim on them.

# --- helpers shared by the pages ---------------------------------------------------------


def has_role(user: Any, role: str) -> bool:
    return active_memberships(user).filter(role=role).exists()


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def claim_queryset() -> QuerySet[Claim]:
    """Claims for the pages, each with `effective_state` (an overdue claim shows
    as expired before `expire_due` expires it: a page never writes)."""
    return Claim.objects.with_effective_state().select_related(
        "listing__region", "listing__category", "household__dong", "match"
    )


def short_claim_queryset() -> QuerySet[Claim]:
    """Claims for a short list (a dashboard's first rows), each with
    `effective_state` and its match; their listings and households come after,
    from `with_listings_and_households`. At 200,000 listings PostgreSQL spent
    4-5 ms planning `claim_queryset`'s eight-table join for a 0.3 ms run; this
    query and the two that follow plan in under 1 ms together."""
    return Claim.objects.with_effective_state().select_related("match")


def with_listings_and_households(*lists: Iterable[Claim]) -> list[list[Claim]]:
    """Each list of claims (querysets are read) with its listings (with region
    and category) and households (with dong): one query each for all the lists."""
    rows = [list(claims) for claims in lists]
    prefetch_related_objects(
        [claim for claims in rows for claim in claims],
        Prefetch("listing", queryset=Listing.objects.select_related("region", "category")),
        Prefetch("household", queryset=Household.objects.select_related("dong")),
    )
    return rows


def may_press(obj: Any, action: str, user: Any) -> bool:
    """Whether `user` holds the permission of the FSM transition `action` in any
    source state. The state decides only whether the action is possible now (a
    conflict, shown on the object); the permission decides whether this user may
    see the object's answer at all."""
    meta = getattr(type(obj), action)._django_fsm
    return any(t.has_perm(obj, user) for t in meta.transitions.values())


def decorate_claims(
    claims: Iterable[Claim], viewer: Viewer, *, anonymous: bool = False
) -> list[Claim]:
    """Mark each claim with what this user may see of its household and which
    actions they may take. The permission of a transition depends only on the
    claim's state and its two regions, so it is asked once per combination."""
    with posts_read_once(viewer.user):
        return _decorate_claims(claims, viewer, anonymous=anonymous)


def _decorate_claims(claims: Iterable[Claim], viewer: Viewer, *, anonymous: bool) -> list[Claim]:
    allowed: dict[tuple[str, int, int, bool], set[str]] = {}
    rows = []
    for claim in claims:
        effective = getattr(claim, "effective_state", claim.state)
        if effective != claim.state:
            # Shown as it will be once `expire_due` runs: expired, with no
            # action. Set on this copy for display only (the field is protected
            # against changes that would be saved), and never saved.
            claim.__dict__["state"] = effective
        funded = is_funded(claim)
        key = (claim.state, claim.household.dong_id, claim.listing.region_id, funded)
        if key not in allowed:
            names = {t.name for t in claim.get_available_user_state_transitions(viewer.user)}
            allowed[key] = names & set(CLAIM_ACTIONS)
        claim.waiting_for_match = claim.state == ClaimState.REQUESTED and not funded
        claim.actions = set(allowed[key])
        claim.household_visible = not anonymous and viewer.sees_household(claim.household)
        claim.household_district = viewer.district_of(claim.household.dong)
        # The notice, error or form of an action just taken, shown on the card.
        claim.card = {
            "claim_notice": "",
            "claim_error": "",
            "fulfil_form": None,
            "confirm_failed": None,
        }
        rows.append(claim)
    return rows


def listing_actions(listings: Iterable[Listing], user: Any) -> None:
    """Set `actions` on each listing: the publish/withdraw buttons this user may press."""
    allowed: dict[tuple[str, int, bool, bool], set[str]] = {}
    with posts_read_once(user):
        for listing in listings:
            key = (
                listing.state,
                listing.region_id,
                listing.quantity_held == 0,
                listing.availability_ended,
            )
            if key not in allowed:
                names = {t.name for t in listing.get_available_user_state_transitions(user)}
                allowed[key] = names & set(LISTING_ACTIONS)
            listing.actions = allowed[key]


# --- the public catalogue ------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@replica_reads
def catalogue_view(request: HttpRequest) -> HttpResponse:
    """The public catalogue; anonymous visitors get it from the cache
    (marketplace/catalogue_cache.py). `?format=csv|xlsx` downloads every
    listing the filters find (public data: published listings only)."""
    if export_format(request):
        filters = CatalogueFilterForm(request.GET).filters()
        stamp = timezone.localdate().isoformat()
        sheet = listings_sheet(catalogue(**filters), Viewer(request.user))
        return export_response(request, sheet, f"catalogue_{stamp}")
    fragment = wants_fragment(request)
    return cached_page(request, fragment, lambda extra: _catalogue(request, fragment, extra))


def _catalogue(request: HttpRequest, fragment: bool, extra: dict[str, Any]) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.filters()
    listings = catalogue(**filters)
    page = CappedPaginator(listings, PER_PAGE).get_page(request.GET.get("page"))
    viewer = Viewer(request.user)
    for listing in page.object_list:
        listing.points = points_per_unit(listing)
        listing.district = viewer.district_of(listing.region)
    context = {"form": form, "page": page, "district": filters["district"], **extra}
    if fragment:
        # The dong list follows the district: it is sent again only when the
        # district changed, so the select the user is using is not replaced.
        district = form.data.get("district", "")
        context["dongs_stale"] = form.data.get("dongs_for", "") != district
    else:
        # The page's own figures, which the fragment does not show.
        context.update(
            {
                "listings_available": stats.listings_available(),
                "points_this_month": stats.points_exchanged_in_month(),
                "city": Region.objects.filter(level=Level.CITY).order_by("code").first(),
            }
        )
    return render_page(
        request,
        "marketplace/catalogue.html",
        context,
        fragment="marketplace/partials/catalogue_results.html",
    )


# --- a listing -----------------------------------------------------------------------------


def _listing(pk: int) -> Listing:
    return get_object_or_404(
        Listing.objects.select_related("region", "category", "category__parent", "donor"), pk=pk
    )


def _may_open(listing: Listing, user: Any) -> bool:
    """`listings_visible_to`, asked without a query for a public listing."""
    if listing.state in PUBLIC_LISTING_STATES:
        return True
    return listings_visible_to(user).filter(pk=listing.pk).exists()


def claim_split(listing: Listing, quantity: int) -> dict[str, int]:
    """What a cross-region claim of `quantity` units costs and who pays it, by
    the 5:5 rule of donors.services.split_cost: the claiming region's wallet
    pays the public share, a donor the rest."""
    points = points_per_unit(listing)
    unit_wallet, unit_donor = split_cost(points)
    wallet, donor = split_cost(points * quantity)
    return {
        "quantity": quantity,
        "points": points,
        "unit_wallet": unit_wallet,
        "unit_donor": unit_donor,
        "cost": points * quantity,
        "wallet": wallet,
        "donor": donor,
    }


def _split_quantity(value: Any) -> int:
    """The quantity typed into the claim form, if it is one; otherwise 1."""
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return quantity if 1 <= quantity <= MAX_QUANTITY else 1


def _render_listing(
    request: HttpRequest,
    listing: Listing,
    *,
    claim_form: ClaimForm | None = None,
    edit_form: ListingForm | None = None,
    manage_form: ReasonForm | None = None,
    confirm_failed: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    viewer = Viewer(user)
    is_coordinator = may_act(user, Role.COORDINATOR, listing.region)
    if not _may_open(listing, user):
        raise Http404
    listing_actions([listing], user)
    # Units held by claims past their deadline are shown free, as they will be
    # once `expire_due` expires those claims (the page itself writes nothing; a
    # new claim expires them first). The buttons above count them still held.
    overdue = Claim.objects.filter(listing=listing).overdue().aggregate(units=Sum("quantity"))
    listing.quantity_held -= overdue["units"] or 0
    is_case_manager = user.is_authenticated and has_role(user, Role.CASE_MANAGER)
    households = None
    if is_case_manager:
        households = households_visible_to(user).filter(status=HouseholdStatus.ACTIVE)
        if claim_form is None:
            claim_form = ClaimForm(households=households, initial={"quantity": 1})
    claims: list[Claim] = []
    if user.is_authenticated:
        shown = claim_queryset().filter(pk__in=claims_visible_to(user).filter(listing=listing))
        claims = decorate_claims(shown.order_by("-requested_at", "-pk")[:50], viewer)
    # A gift's terms are its donor's (they make its receipt): its coordinator
    # publishes or withdraws it but does not edit it.
    may_edit = is_coordinator and listing.state == ListingState.DRAFT and listing.donor_id is None
    if may_edit and edit_form is None:
        edit_form = ListingForm(initial=ListingForm.initial_from(listing))
    context = {
        "listing": listing,
        "district": viewer.district_of(listing.region),
        "points": points_per_unit(listing),
        "krw": value_per_unit_krw(listing),
        "is_coordinator": is_coordinator,
        "is_case_manager": is_case_manager,
        "claim_form": claim_form,
        "split": claim_split(
            listing,
            _split_quantity(claim_form["quantity"].value() if claim_form is not None else 1),
        ),
        "has_households": households is not None and households.exists(),
        "edit_form": edit_form if may_edit else None,
        "manage_form": manage_form or ReasonForm(),
        "confirm_failed": confirm_failed,
        "claims": claims,
        "notice": notice,
        "here": reverse("marketplace:listing", args=[listing.pk]),
    }
    return render_page(
        request,
        "marketplace/listing_detail.html",
        context,
        fragment="marketplace/partials/listing_panel.html",
        status=status,
    )


@require_GET
@vary_on_headers("HX-Request")
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if wants_fragment(request) and request.GET.get("part") == "split":
        # The claim form's cost for the quantity being typed (read only).
        listing = _listing(pk)
        user = request.user
        if not _may_open(listing, user):
            raise Http404
        split = claim_split(listing, _split_quantity(request.GET.get("quantity")))
        context = {"listing": listing, "split": split}
        return render_fragment(request, "marketplace/partials/claim_split.html", context)
    return _render_listing(request, _listing(pk))


def _after_listing_change(request: HttpRequest, listing: Listing, notice: str) -> HttpResponse:
    if wants_fragment(request):
        return _render_listing(request, _listing(listing.pk), notice=notice)
    messages.success(request, notice)
    return redirect("marketplace:listing", pk=listing.pk)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def listing_claim(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _listing(pk)
    if not has_role(request.user, Role.CASE_MANAGER):
        raise PermissionDenied
    households = households_visible_to(request.user).filter(status=HouseholdStatus.ACTIVE)
    form = ClaimForm(request.POST, households=households)
    if not form.is_valid():
        return _render_listing(request, listing, claim_form=form, status=422)
    data = form.cleaned_data
    try:
        claim = claim_request(
            by=request.user,
            listing=listing,
            household=data["household"],
            quantity=data["quantity"],
            justification=data["justification"],
            idempotency_key=data["idempotency_key"] or None,
        )
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        _claim_error(form, error)
        return _render_listing(request, _listing(pk), claim_form=form, status=form_status(error))
    notice = _("Claim #%(number)s sent; the coordinator of %(region)s decides on it.") % {
        "number": claim.pk,
        "region": listing.region.name,
    }
    return _after_listing_change(request, listing, notice)


def _claim_error(form: ClaimForm, error: DomainError) -> None:
    if isinstance(error, InsufficientPoints):
        form.add_error(
            "quantity",
            _(
                "Your region's wallet is %(shortfall)s points short for this claim. "
                "Claim fewer units or ask finance for a grant."
            )
            % {"shortfall": f"{error.shortfall:,}"},
        )
        form.shortfall = error.shortfall
    elif isinstance(error, DuplicateService):
        form.show_justification = True
        attach_error(form, error, "justification")
    elif isinstance(error, InsufficientQuantity):
        attach_error(form, error, "quantity")
    elif isinstance(error, NotAllowed | IllegalTransition):
        attach_error(form, error, "household")
    elif isinstance(error, ListingNotPublished):
        attach_error(form, error)
    else:
        attach_error(form, error)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def listing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _listing(pk)
    if not may_act(request.user, Role.COORDINATOR, listing.region):
        raise PermissionDenied
    form = ListingForm(request.POST)
    if not form.is_valid():
        return _render_listing(request, listing, edit_form=form, status=422)
    try:
        listing = listing_update(listing=listing, by=request.user, **form.service_fields())
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        attach_error(form, error)
        return _render_listing(request, _listing(pk), edit_form=form, status=form_status(error))
    return _after_listing_change(request, listing, _("The draft is saved."))


@require_POST
@login_required
@vary_on_headers("HX-Request")
def listing_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    listing = _listing(pk)
    if not may_act(request.user, Role.COORDINATOR, listing.region):
        raise PermissionDenied
    # Withdrawing cannot be undone: it says why. Publishing needs no reason.
    form = RequiredReasonForm(request.POST) if action == "withdraw" else ReasonForm(request.POST)
    if not form.is_valid():
        return _render_listing(
            request, listing, confirm_failed=reason_refusal(form, action, listing.pk), status=422
        )
    try:
        if action == "publish":
            listing = listing_publish(listing=listing, by=request.user)
            notice = _("The listing is published in the catalogue.")
        else:
            listing = listing_withdraw(
                listing=listing, by=request.user, reason=form.cleaned_data["reason"]
            )
            notice = _("The listing is withdrawn.")
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        attach_error(form, error)
        return _render_listing(
            request,
            _listing(pk),
            manage_form=form,
            confirm_failed=(
                reason_refusal(form, action, listing.pk) if form.errors.get("reason") else None
            ),
            status=form_status(error),
        )
    return _after_listing_change(request, listing, notice)


@require_http_methods(["GET", "POST"])
@requires(Role.COORDINATOR)
@vary_on_headers("HX-Request")
def listing_new(request: HttpRequest) -> HttpResponse:
    regions = regions_for(request.user, Role.COORDINATOR)
    form = ListingForm(request.POST or None, regions=regions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                listing = listing_create(
                    by=request.user,
                    region=form.cleaned_data["region"],
                    **form.service_fields(),
                )
            except DomainError as error:
                attach_error(form, error)
                status = form_status(error)
            else:
                messages.success(
                    request, _("Draft saved. Check it, then publish it to the catalogue.")
                )
                url = reverse("marketplace:listing", args=[listing.pk])
                return go_to(request, url)
        else:
            status = 422
    return render_page(
        request,
        "marketplace/listing_new.html",
        {"form": form},
        fragment="marketplace/partials/listing_form.html",
        status=status,
    )


# --- claims --------------------------------------------------------------------------------


#: The case manager's claim lists on the dashboard. A claim action sent from
#: there targets the whole section, so that a claim that changes state moves to
#: its group (a fulfilled claim leaves "approved") instead of changing in place.
MY_CLAIMS_TARGET = "my-claims"
#: A dashboard shows what needs its reader now: the first rows of each list,
#: most urgent first, with the list's total and a link to the full list.
MY_CLAIMS_ROWS = 10
RECENT_CLOSED_CLAIMS = 10


def _state_rank(states: list[str]) -> Case:
    return Case(
        *(When(state=state, then=Value(i)) for i, state in enumerate(states)),
        default=Value(len(states)),
        output_field=IntegerField(),
    )


def claim_state_counts(claims: QuerySet[Claim]) -> dict[str, int]:
    """How many of `claims` are in each state as the pages show it (an overdue
    claim counts as expired): one grouped query. States without claims are absent."""
    return dict(
        claims.values_list("effective_state").annotate(n=Count("pk")).order_by("effective_state")
    )


def claims_link(state: str = "") -> str:
    """The claims list, filtered by `state` when given."""
    url = reverse("marketplace:claims")
    return f"{url}?{urlencode({'state': state})}" if state else url


def claim_groups(
    claims: list[Claim], counts: dict[str, int], states: Iterable[str]
) -> list[dict[str, Any]]:
    """`claims` (the rows shown) under each of `states` that has claims at all:
    its label, its total (`counts`), the rows shown and the link to all of them."""
    groups = []
    for state in states:
        if not counts.get(state):
            continue
        groups.append(
            {
                "state": state,
                "label": ClaimState(state).label,
                "count": counts[state],
                "claims": [claim for claim in claims if claim.state == state],
                "href": claims_link(state),
            }
        )
    return groups


def my_claims(user: Any, viewer: Viewer) -> dict[str, Any]:
    """The claims for the households of a case manager's regions: the first
    active ones by state, and the recently closed ones; with their totals per
    state (one grouped query) for the headings and the links to the full list."""
    regions = regions_for(user, Role.CASE_MANAGER)
    claims = short_claim_queryset().filter(household__dong__in=regions)
    counts = claim_state_counts(
        Claim.objects.with_effective_state().filter(household__dong__in=regions)
    )
    active, closed = with_listings_and_households(
        claims.filter(effective_state__in=ACTIVE_CLAIM_STATES).order_by(
            _state_rank(list(ACTIVE_CLAIM_STATES)), "-requested_at", "-pk"
        )[:MY_CLAIMS_ROWS],
        # An overdue claim not expired yet has no closing time: it sorts first.
        claims.exclude(effective_state__in=ACTIVE_CLAIM_STATES).order_by(
            F("closed_at").desc(nulls_first=True), "-pk"
        )[:RECENT_CLOSED_CLAIMS],
    )
    active = decorate_claims(active, viewer)
    closed = decorate_claims(closed, viewer)
    return {
        "my_claims": active,
        "my_claim_groups": claim_groups(active, counts, ACTIVE_CLAIM_STATES),
        "closed_claims": closed,
        "closed_count": sum(n for state, n in counts.items() if state not in ACTIVE_CLAIM_STATES),
        "all_claims_href": claims_link(),
    }


def _render_my_claims(
    request: HttpRequest, claim: Claim, *, status: int, **card: Any
) -> HttpResponse:
    """The dashboard's claim section with `card` (notice, error, form) on `claim`."""
    context: dict[str, Any] = my_claims(request.user, Viewer(request.user))
    for shown in (*context["my_claims"], *context["closed_claims"]):
        if shown.pk == claim.pk:
            shown.card = card
    context["here"] = safe_next(request, reverse("dashboard"))
    return render_fragment(
        request, "marketplace/partials/dashboard_my_claims.html", context, status=status
    )


def render_claim(
    request: HttpRequest,
    claim: Claim,
    *,
    error: str = "",
    notice: str = "",
    status: int = 200,
    fulfil_form: FulfilForm | None = None,
    confirm_failed: dict[str, str] | None = None,
) -> HttpResponse:
    if wants_fragment(request) and request.htmx.target == MY_CLAIMS_TARGET:
        response = _render_my_claims(
            request,
            claim,
            status=status,
            claim_error=error,
            claim_notice=notice,
            fulfil_form=fulfil_form,
            confirm_failed=confirm_failed,
        )
    else:
        claim = claim_queryset().get(pk=claim.pk)
        [claim] = decorate_claims([claim], Viewer(request.user))
        context = {
            "claim": claim,
            "claim_error": error,
            "claim_notice": notice,
            "fulfil_form": fulfil_form,
            "confirm_failed": confirm_failed,
            "here": safe_next(request, reverse("dashboard")),
        }
        response = render_page(
            request,
            "marketplace/claim.html",
            context,
            fragment="marketplace/partials/claim.html",
            status=status,
        )
    if status == 200 and wants_fragment(request):
        # Balances and quantities shown elsewhere on the page have changed.
        response["HX-Trigger"] = "claims-changed"
    return response


#: Claim actions behind a confirmation with a required reason.
CONFIRMED_CLAIM_ACTIONS = ("reject", "cancel")


@require_POST
@login_required
@vary_on_headers("HX-Request")
def claim_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    # The API's rule: a claim this user may not see does not exist for them (404).
    visible = claims_visible_to(request.user).values("pk")
    claim = get_object_or_404(claim_queryset().filter(pk__in=visible), pk=pk)
    if not may_press(claim, action, request.user):
        # Refused before the form is read, and with the bare 403 page: an error
        # response never carries the claim card.
        raise PermissionDenied
    # Rejecting and cancelling cannot be undone: they say why (the confirmation's
    # required reason). Approving may add a note.
    form: ReasonForm | RequiredReasonForm | FulfilForm
    if action == "fulfil":
        form = FulfilForm(request.POST)
    elif action in CONFIRMED_CLAIM_ACTIONS:
        form = RequiredReasonForm(request.POST)
    else:
        form = ReasonForm(request.POST)
    if not form.is_valid():
        if action in CONFIRMED_CLAIM_ACTIONS:
            return render_claim(
                request, claim, status=422, confirm_failed=reason_refusal(form, action, claim.pk)
            )
        message = " ".join(e for errors in form.errors.values() for e in errors)
        return render_claim(
            request,
            claim,
            error=message,
            status=422,
            fulfil_form=form if action == "fulfil" else None,
        )
    data = form.cleaned_data
    try:
        if action == "approve":
            claim_approve(claim=claim, by=request.user, reason=data["reason"])
            notice = _("Approved. The case manager confirms receipt once it is handed over.")
        elif action == "reject":
            claim_reject(claim=claim, by=request.user, reason=data["reason"])
            # A local handover held no points: there is nothing to return.
            if claim.is_exchange:
                notice = _("Rejected. Any points held return to the claiming region.")
            else:
                notice = _("Rejected.")
        elif action == "cancel":
            claim_cancel(claim=claim, by=request.user, reason=data["reason"])
            if claim.is_exchange:
                notice = _("Cancelled. Any points held return to the claiming region.")
            else:
                notice = _("Cancelled.")
        else:
            claim_fulfil(claim=claim, by=request.user, quantity_received=data["quantity_received"])
            notice = _("Receipt confirmed; the points for what was received are paid.")
    except NotMatched as error:
        return render_claim(request, claim, error=error.message, status=form_status(error))
    except NotAllowed:
        # A post that ended between the check above and the service's own.
        raise PermissionDenied from None
    except ConcurrentTransition:
        return render_claim(
            request,
            claim,
            error=_("Someone changed this claim at the same moment. Look at it again."),
            status=409,
        )
    except DomainError as error:
        message = error.message
        per_field = error.extra.get("fields")
        if (
            action in CONFIRMED_CLAIM_ACTIONS
            and isinstance(per_field, dict)
            and per_field.get("reason")
        ):
            failed = {
                "dialog": confirm_dialog_id(action, claim.pk),
                "error": " ".join(str(m) for m in per_field["reason"]),
                "reason": data["reason"],
            }
            return render_claim(request, claim, status=form_status(error), confirm_failed=failed)
        if isinstance(per_field, dict) and per_field.get("quantity_received"):
            message = " ".join(str(m) for m in per_field["quantity_received"])
        return render_claim(
            request,
            claim,
            error=message,
            status=form_status(error),
            fulfil_form=form if action == "fulfil" else None,
        )
    if wants_fragment(request):
        return render_claim(request, claim, notice=notice)
    messages.success(request, notice)
    return redirect(safe_next(request, reverse("dashboard")))


# --- households ----------------------------------------------------------------------------
#
# Every read of a household record, and every change, writes a personal-data
# access record (audit.PersonalDataAccess): the one deliberate exception to "a
# GET never writes", which the law requires. A household outside one's own
# caseload (its responsible case manager is someone else) is shown only after
# a purpose is stated on a form; the purpose then travels with the page's forms.


def _household(request: HttpRequest, pk: int) -> Household:
    household = get_object_or_404(Household.objects.select_related("dong"), pk=pk)
    if not Viewer(request.user).sees_household(household):
        raise PermissionDenied
    return household


class _Purpose:
    """The purpose of one access: own caseload, or the one stated on the form."""

    def __init__(self, purpose: str, detail: str = "", *, stated: bool = False) -> None:
        self.purpose, self.detail, self.stated = purpose, detail, stated

    @property
    def fields(self) -> dict[str, str]:
        """What the page's forms and links carry along (nothing for one's own caseload)."""
        if not self.stated:
            return {}
        return {"purpose": self.purpose, "purpose_detail": self.detail}


def _access_purpose(request: HttpRequest, household: Household) -> _Purpose | HttpResponse:
    """The purpose of this access, or the page asking for it (nothing of the household
    on it). Asked only when the household is someone else's case."""
    if household.case_manager_id == request.user.pk:
        return _Purpose(AccessPurpose.CASELOAD)
    data = request.POST if request.method == "POST" else request.GET
    form = PurposeForm(data if "purpose" in data else None)
    if form.is_valid():
        return _Purpose(
            form.cleaned_data["purpose"], form.cleaned_data["purpose_detail"], stated=True
        )
    status = 400 if form.is_bound or request.method == "POST" else 200
    context = {"form": form, "action": reverse("marketplace:household", args=[household.pk])}
    return render(request, "marketplace/household_purpose.html", context, status=status)


def _household_access(
    view: Callable[[HttpRequest, Household, _Purpose], HttpResponse],
) -> Callable[..., HttpResponse]:
    """The opening of every household page and action: the household of the URL
    as the user may reach it (else 404), and the purpose of this access — or,
    instead of the view, the page asking for it."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, pk: int) -> HttpResponse:
        household = _household(request, pk)
        purpose = _access_purpose(request, household)
        if isinstance(purpose, HttpResponse):
            return purpose
        return view(request, household, purpose)

    return wrapped


def _record(request: HttpRequest, household: Household, action: str, purpose: _Purpose) -> None:
    access_record(
        request=request,
        households=[household],
        action=action,
        purpose=purpose.purpose,
        purpose_detail=purpose.detail,
    )


@require_GET
@requires(Role.CASE_MANAGER)
@vary_on_headers("HX-Request")
def household_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    households = (
        households_visible_to(request.user)
        .prefetch_related("needs")
        .annotate(claim_count=Count("claims"))
        .order_by("status", "-created_at", "-pk")
    )
    if status in HouseholdStatus.values:
        households = households.filter(status=status)
    if export_format(request):
        return _households_export(request, households)
    page = Paginator(households, PER_PAGE).get_page(request.GET.get("page"))
    # The list shows code, dong, size and needs (never notes): one record per row shown.
    access_record(request=request, households=page.object_list, action=AccessAction.LIST)
    context = {"page": page, "status": status, "statuses": HouseholdStatus.choices}
    return render_page(
        request,
        "marketplace/households.html",
        context,
        fragment="marketplace/partials/household_results.html",
    )


def _households_export(request: HttpRequest, households: QuerySet[Household]) -> HttpResponse:
    """The list as a file, of the user's own caseload only (the households they
    are the case manager of): a download leaves the application, so it carries
    no one else's cases. The export's access records come first, one per
    household in it, in one INSERT, saying what was exported and how many."""
    rows = list(households.filter(case_manager=request.user).iterator(chunk_size=CHUNK))
    access_record(
        request=request,
        households=rows,
        action=AccessAction.EXPORT,
        purpose=AccessPurpose.CASELOAD,
        purpose_detail=export_purpose(_("households list"), export_format(request), len(rows)),
    )
    stamp = timezone.localdate().isoformat()
    sheet = households_sheet(rows, Viewer(request.user))
    return export_response(request, sheet, f"households_{stamp}")


@require_http_methods(["GET", "POST"])
@requires(Role.CASE_MANAGER)
@vary_on_headers("HX-Request")
def household_new(request: HttpRequest) -> HttpResponse:
    dongs = regions_for(request.user, Role.CASE_MANAGER)
    form = HouseholdForm(request.POST or None, dongs=dongs)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                household = household_create(
                    by=request.user,
                    dong=data["dong"],
                    size=data["size"],
                    needs=data["needs"],
                    notes=data["notes"],
                )
            except DomainError as error:
                attach_error(form, error)
                status = form_status(error)
            else:
                _record(request, household, AccessAction.CREATE, _Purpose(AccessPurpose.CASELOAD))
                messages.success(
                    request, _("Household %(code)s registered.") % {"code": household.code}
                )
                url = reverse("marketplace:household", args=[household.pk])
                return go_to(request, url)
        else:
            status = 422
    return render_page(
        request,
        "marketplace/household_new.html",
        {"form": form},
        fragment="marketplace/partials/household_form.html",
        status=status,
    )


def _close_reason(household: Household) -> str:
    """Why the case was closed: the reason of its last closing in the audit log."""
    if household.status != HouseholdStatus.CLOSED:
        return ""
    last = audit_history(household).filter(transition="close").order_by("-pk").first()
    return last.reason if last is not None else ""


def _render_household(
    request: HttpRequest,
    household: Household,
    *,
    purpose: _Purpose,
    form: HouseholdForm | None = None,
    follow_up_forms: dict[int, FollowUpForm] | None = None,
    reopen_form: ReopenForm | None = None,
    confirm_failed: dict[str, str] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    household = (
        Household.objects.select_related("dong").prefetch_related("needs").get(pk=household.pk)
    )
    if form is None:
        form = HouseholdForm(
            initial={
                "size": household.size,
                "needs": [c.code for c in household.needs.all()],
                "notes": household.notes,
            }
        )
    follow_up_forms = follow_up_forms or {}
    follow_ups = list(household.follow_ups.select_related("recorded_by"))
    for follow_up in follow_ups:
        follow_up.form = follow_up_forms.get(follow_up.pk) or FollowUpForm(
            prefix=f"fu{follow_up.pk}"
        )
    shown = claim_queryset().filter(household=household)
    claims = decorate_claims(shown.order_by("-requested_at", "-pk")[:50], Viewer(request.user))
    here = reverse("marketplace:household", args=[household.pk])
    if purpose.fields:
        here = f"{here}?{urlencode(purpose.fields)}"
    context = {
        "household": household,
        "form": form,
        "follow_ups": follow_ups,
        "history": household_history(household),
        "reopen_form": reopen_form or ReopenForm(),
        # A crisis found since the case closed, or the follow-up's prompt
        # (?reopen=1) that led here: the reopening form opens by itself.
        "suggest_reopen": household.status == HouseholdStatus.CLOSED
        and (
            request.GET.get("reopen") == "1"
            or any(f.outcome == FollowUpOutcome.CRISIS and f.held_at is None for f in follow_ups)
        ),
        "claims": claims,
        "close_reason": _close_reason(household),
        "confirm_failed": confirm_failed,
        "error": error,
        "notice": notice,
        "here": here,
        "access_purpose": purpose,
    }
    return render_page(
        request,
        "marketplace/household_detail.html",
        context,
        fragment="marketplace/partials/household_panel.html",
        status=status,
    )


@require_GET
@requires(Role.CASE_MANAGER)
@vary_on_headers("HX-Request")
@_household_access
def household_detail(request: HttpRequest, household: Household, purpose: _Purpose) -> HttpResponse:
    _record(request, household, AccessAction.VIEW, purpose)
    return _render_household(request, household, purpose=purpose)


def _after_household_change(
    request: HttpRequest, household: Household, notice: str, purpose: _Purpose
) -> HttpResponse:
    if wants_fragment(request):
        return _render_household(request, household, purpose=purpose, notice=notice)
    messages.success(request, notice)
    url = reverse("marketplace:household", args=[household.pk])
    if purpose.fields:
        url = f"{url}?{urlencode(purpose.fields)}"
    return redirect(url)


@require_POST
@requires(Role.CASE_MANAGER)
@vary_on_headers("HX-Request")
@_household_access
def household_edit(request: HttpRequest, household: Household, purpose: _Purpose) -> HttpResponse:
    form = HouseholdForm(request.POST)
    if not form.is_valid():
        _record(request, household, AccessAction.VIEW, purpose)
        return _render_household(request, household, purpose=purpose, form=form, status=422)
    data = form.cleaned_data
    try:
        household_update(
            household=household,
            by=request.user,
            size=data["size"],
            needs=data["needs"],
            notes=data["notes"],
        )
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        attach_error(form, error)
        _record(request, household, AccessAction.VIEW, purpose)
        return _render_household(
            request, household, purpose=purpose, form=form, status=form_status(error)
        )
    _record(request, household, AccessAction.UPDATE, purpose)
    return _after_household_change(request, household, _("The household record is saved."), purpose)


@require_POST
@requires(Role.CASE_MANAGER)
@vary_on_headers("HX-Request")
@_household_access
def household_close_view(
    request: HttpRequest, household: Household, purpose: _Purpose
) -> HttpResponse:
    # Closing a case cannot be undone: it says why (kept in the audit log).
    form = RequiredReasonForm(request.POST)
    if not form.is_valid():
        _record(request, household, AccessAction.VIEW, purpose)
        return _render_household(
            request,
            household,
            purpose=purpose,
            confirm_failed=reason_refusal(form, "close-case", household.pk),
            status=422,
        )
    try:
        household_close(household=household, by=request.user, reason=form.cleaned_data["reason"])
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        _record(request, household, AccessAction.VIEW, purpose)
        return _render_household(
            request, household, purpose=purpose, error=error.message, status=form_status(error)
        )
    _record(request, household, AccessAction.UPDATE, purpose)
    return _after_household_change(
        request, household, _("The case is closed; follow-ups are scheduled."), purpose
    )


@require_POST
@requires(Role.CASE_MANAGER)
@vary_on_headers("HX-Request")
@_household_access
def household_reopen_view(
    request: HttpRequest, household: Household, purpose: _Purpose
) -> HttpResponse:
    form = ReopenForm(request.POST)
    if not form.is_valid():
        _record(request, household, AccessAction.VIEW, purpose)
        return _render_household(request, household, purpose=purpose, reopen_form=form, status=422)
    try:
        household_reopen(household=household, by=request.user, reason=form.cleaned_data["reason"])
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        attach_error(form, error)
        _record(request, household, AccessAction.VIEW, purpose)
        return _render_household(
            request, household, purpose=purpose, reopen_form=form, status=form_status(error)
        )
    _record(request, household, AccessAction.UPDATE, purpose)
    return _after_household_change(
        request,
        household,
        _("The case is reopened; its follow-ups not yet recorded are on hold."),
        purpose,
    )


@require_POST
@requires(Role.CASE_MANAGER)
@vary_on_headers("HX-Request")
def follow_up_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(
        FollowUp.objects.select_related("household__dong", "recorded_by"), pk=pk
    )
    if not Viewer(request.user).sees_household(follow_up.household):
        raise PermissionDenied
    form = FollowUpForm(request.POST, prefix=f"fu{follow_up.pk}")
    status, notice = 200, ""
    if not form.is_valid():
        status = 422
    else:
        try:
            follow_up = follow_up_record(
                follow_up=follow_up,
                by=request.user,
                note=form.cleaned_data["note"],
                outcome=form.cleaned_data["outcome"],
            )
        except NotAllowed:
            raise PermissionDenied from None
        except DomainError as error:
            attach_error(form, error)
            status = form_status(error)
        else:
            # A follow-up is recorded from the dashboard or the household's page; the
            # latter carries the purpose stated when it was opened.
            stated = PurposeForm(request.POST if "purpose" in request.POST else None)
            access_record(
                request=request,
                households=[follow_up.household],
                action=AccessAction.UPDATE,
                purpose=stated.cleaned_data["purpose"] if stated.is_valid() else "",
                purpose_detail=stated.cleaned_data["purpose_detail"] if stated.is_valid() else "",
            )
            notice = _("Follow-up recorded.")
            if not wants_fragment(request):
                messages.success(request, notice)
                return redirect(safe_next(request, reverse("dashboard")))
    follow_up.form = form if status != 200 else None
    # A crisis found after the case was closed calls for the case again: the
    # recorded follow-up links to the household's reopening form.
    follow_up.suggest_reopen = (
        follow_up.outcome == FollowUpOutcome.CRISIS
        and follow_up.household.status == HouseholdStatus.CLOSED
    )
    context = {
        "follow_up": follow_up,
        "follow_up_notice": notice,
        "here": safe_next(request, ""),
    }
    return render_page(
        request,
        "marketplace/follow_up.html",
        context,
        fragment="marketplace/partials/follow_up.html",
        status=status,
    )


# --- the wallet statement ------------------------------------------------------------------


def may_see_wallet(user: Any, region: Region) -> bool:
    """Finance, and coordinators and case managers whose post trades through `region`."""
    if is_finance(user):
        return True
    return any(exchange_region(m.region) == region for m in active_memberships(user))


@require_GET
@login_required
@vary_on_headers("HX-Request")
def wallet_statement(request: HttpRequest, code: str) -> HttpResponse:
    region = get_object_or_404(Region, code=code)
    if exchange_region(region) != region:
        raise Http404
    if not may_see_wallet(request.user, region):
        raise PermissionDenied
    # A wallet opens with its first posting; until then there is nothing to show.
    account = Account.objects.filter(region=region, purpose=Purpose.WALLET).first()
    if export_format(request):
        entries = account_statement(account).entries if account is not None else None
        stamp = timezone.localdate().isoformat()
        return export_response(request, wallet_sheet(region, entries), f"wallet_{code}_{stamp}")
    page, rows, balance = None, [], 0
    if account is not None:
        statement = account_statement(account)
        balance = statement.closing
        # Newest first; each row still carries its own running balance.
        # The account's sequence is the count of its entries: no COUNT(*) over them.
        page = KnownCountPaginator(
            statement.entries.order_by("-sequence"), ENTRIES_PER_PAGE, count=account.sequence
        ).get_page(request.GET.get("page"))
        for entry in page.object_list:
            entry.kind_label = kind_label(entry.transaction.kind)
            rows.append(entry)
    context = {"region": region, "balance": balance, "page": page, "rows": rows}
    return render_page(
        request,
        "marketplace/wallet.html",
        context,
        fragment="marketplace/partials/wallet_entries.html",
    )


# --- the review of repeated services -------------------------------------------------------


@require_GET
@requires(Role.COORDINATOR, finance=True)
@vary_on_headers("HX-Request")
def duplicate_review(request: HttpRequest) -> HttpResponse:
    claims = claim_queryset().filter(duplicate_flag=True)
    if not is_finance(request.user):
        claims = claims.filter(listing__region__in=regions_for(request.user, Role.COORDINATOR))
    page = Paginator(claims.order_by("-requested_at", "-pk"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Reviewers judge the reason, not the family: the household is never named here.
    rows = decorate_claims(page.object_list, Viewer(request.user), anonymous=True)
    context = {"page": page, "claims": rows}
    return render_page(
        request,
        "marketplace/review_duplicates.html",
        context,
        fragment="marketplace/partials/review_results.html",
    )
