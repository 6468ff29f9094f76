"""The donor portal (후원기관), the review of donors' in-kind drafts by
coordinators, and finance's view of matching.

The portal is for donor representatives (a current DonorMembership): the
donor's profile, its pledges, the matches waiting for a commit that its
pledges could fund, what its pledges paid for, its in-kind gifts and its
yearly donation receipts. A donor they do not represent does not exist for
them (404); a signed-in person who represents no donor gets 403.

A donor never sees a household: a match shows the category of what was
claimed, the claiming district and the points.

Each view serves its full page and, to htmx, the fragment it swaps
(templates/donors/partials/). Every action posts to its own URL and calls one
service; a service's refusal is shown next to the field or row it concerns,
with its HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from config.exceptions import DomainError, NotAllowed
from config.exports import csv_response, export_format, export_response
from config.htmx import go_to, wants_fragment
from config.korean import business_number
from config.reasons import ReasonForm, RequiredReasonForm, reason_refusal
from config.web import (
    attach_error,
    error_message,
    form_status,
    render_fragment,
    render_page,
    requires,
)
from donors.charts import Bar, stacked_bar_chart_svg
from donors.exceptions import PledgeNotEligible
from donors.models import Donor, Pledge, ReceiptIssue
from donors.permissions import donors_represented
from donors.services import (
    donor_update,
    donor_verify,
    pledge_confirm,
    pledge_create,
    pledge_withdraw,
)
from exchange.donor_forms import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    DonorContactForm,
    GiftForm,
    PledgeForm,
    YearForm,
)
from exchange.donor_selectors import (
    donation_receipt,
    donor_drafts_for_review,
    fundable_pending_matches,
    fundable_pledges,
    funded_history,
    gifts_of,
    matching_by_district,
    pledge_totals,
    pledges_awaiting_confirmation,
    pledges_of,
    private_points_paid,
    receipt_years,
    unverified_donors,
)
from exchange.exports import matching_sheets
from exchange.models import Match
from exchange.receipts import (
    NothingToIssue,
    document_date,
    issues_of,
    receipt_document,
    receipt_issue,
    type_code_label,
)
from exchange.services import match_commit
from marketplace.models import Listing
from marketplace.services import listing_create, listing_publish
from people.models import Role
from people.permissions import is_finance, regions_for

PER_PAGE = 20
#: The most rows a list on the portal or the finance page shows at once.
ROWS = 50
PARTS = ("profile", "pledges", "matches", "history", "gifts")


# --- helpers -------------------------------------------------------------------------


def _represented(request: HttpRequest, pk: int) -> Donor:
    """One of the user's donors; any other donor is not found."""
    return get_object_or_404(
        donors_represented(request.user).select_related("home_region", "verified_by"), pk=pk
    )


def format_brn(number: str) -> str:
    """1248100998 → 124-81-00998, as the number is printed on a certificate."""
    return business_number(number)


def _transitions(obj: Any, user: Any, allowed: Iterable[str]) -> set[str]:
    return {t.name for t in obj.get_available_user_state_transitions(user)} & set(allowed)


# --- the portal ---------------------------------------------------------------------------


def _pledges_context(request: HttpRequest, donor: Donor) -> dict[str, Any]:
    page = Paginator(pledges_of(donor), PER_PAGE).get_page(request.GET.get("pledges_page"))
    # The withdraw permission depends on the user, the donor and the state only,
    # and every pledge here is the same donor's: asked once per state.
    by_state: dict[str, set[str]] = {}
    for pledge in page.object_list:
        if pledge.state not in by_state:
            by_state[pledge.state] = _transitions(pledge, request.user, ("withdraw",))
        pledge.actions = by_state[pledge.state]
    return {"pledges": page, "totals": pledge_totals(donor)}


def _matches_context(request: HttpRequest, donor: Donor) -> dict[str, Any]:
    matches = fundable_pending_matches(Donor.objects.filter(pk=donor.pk))
    rows = list(matches[:ROWS])
    may_commit = bool(rows) and "commit" in _transitions(rows[0], request.user, ("commit",))
    for match in rows:
        match.actions = {"commit"} if may_commit else set()
    return {"matches": rows, "match_count": matches.count() if len(rows) == ROWS else len(rows)}


def _history_context(request: HttpRequest, donor: Donor) -> dict[str, Any]:
    page = Paginator(funded_history(donor), PER_PAGE).get_page(request.GET.get("history_page"))
    for match in page.object_list:
        match.points_paid = private_points_paid(match)
    return {"history": page}


def _gifts_context(request: HttpRequest, donor: Donor) -> dict[str, Any]:
    return {"gifts": list(gifts_of(donor)[:ROWS])}


PART_CONTEXT: dict[str, Callable[[HttpRequest, Donor], dict[str, Any]]] = {
    "pledges": _pledges_context,
    "matches": _matches_context,
    "history": _history_context,
    "gifts": _gifts_context,
}


def render_part(
    request: HttpRequest, donor: Donor, part: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {"donor": donor, "brn": format_brn(donor.business_number)}
    if part == "profile":
        context["contact_form"] = DonorContactForm(instance=donor)
    else:
        context.update(PART_CONTEXT[part](request, donor))
    if part == "pledges":
        context["pledge_form"] = PledgeForm()
    context.update(extra)
    return render_fragment(request, f"donors/partials/{part}.html", context, status=status)


def render_portal(
    request: HttpRequest, donor: Donor, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {
        "donor": donor,
        "brn": format_brn(donor.business_number),
        "donors": list(donors_represented(request.user)),
        "contact_form": DonorContactForm(instance=donor),
        "pledge_form": PledgeForm(),
        "years": receipt_years(donor),
    }
    for build in PART_CONTEXT.values():
        context.update(build(request, donor))
    context.update(extra)
    return render(request, "donors/portal.html", context, status=status)


def _answer(
    request: HttpRequest, donor: Donor, part: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The updated section for htmx, or the whole portal (a form with errors)."""
    if wants_fragment(request):
        return render_part(request, donor, part, status=status, **extra)
    return render_portal(request, donor, status=status, **extra)


def _done(
    request: HttpRequest, donor: Donor, part: str, notice: str, trigger: str = ""
) -> HttpResponse:
    if wants_fragment(request):
        response = render_part(request, donor, part, notice=notice)
        if trigger:
            # Other sections show numbers this action changed; they reload themselves.
            response["HX-Trigger"] = trigger
        return response
    messages.success(request, notice)
    return redirect(reverse("donors:donor", args=[donor.pk]) + f"#{part}")


@require_GET
@requires(donor_rep=True)
@vary_on_headers("HX-Request")
def portal(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        donors = list(donors_represented(request.user).select_related("home_region"))
        if len(donors) > 1:
            return render(request, "donors/choose.html", {"donors": donors})
        donor = _represented(request, donors[0].pk)
    else:
        donor = _represented(request, pk)
    part = request.GET.get("part", "")
    if wants_fragment(request) and part in PARTS:
        return render_part(request, donor, part)
    return render_portal(request, donor)


@require_POST
@requires(donor_rep=True)
@vary_on_headers("HX-Request")
def profile_update(request: HttpRequest, pk: int) -> HttpResponse:
    donor = _represented(request, pk)
    form = DonorContactForm(request.POST, instance=donor)
    if not form.is_valid():
        return _answer(request, donor, "profile", status=422, contact_form=form)
    donor_update(donor=donor, by=request.user, **form.cleaned_data)
    return _done(request, donor, "profile", _("The contact details are saved."))


@require_POST
@requires(donor_rep=True)
@vary_on_headers("HX-Request")
def pledge_new(request: HttpRequest, pk: int) -> HttpResponse:
    donor = _represented(request, pk)
    form = PledgeForm(request.POST)
    if not form.is_valid():
        return _answer(request, donor, "pledges", status=422, pledge_form=form)
    data = form.cleaned_data
    try:
        pledge = pledge_create(
            by=request.user,
            donor=donor,
            amount=data["amount"],
            valid_until=data["valid_until"],
            preferred_categories=data["preferred_categories"],
            preferred_districts=data["preferred_districts"],
            cap_per_claim=data["cap_per_claim"],
            idempotency_key=data["idempotency_key"] or None,
        )
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        attach_error(form, error)
        return _answer(request, donor, "pledges", status=form_status(error), pledge_form=form)
    notice = _(
        "Pledge #%(number)s of %(points)s points is recorded. It counts once finance "
        "confirms that the money arrived."
    ) % {"number": pledge.pk, "points": f"{pledge.points:,}"}
    return _done(request, donor, "pledges", notice)


@require_POST
@requires(donor_rep=True)
@vary_on_headers("HX-Request")
def pledge_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = get_object_or_404(
        Pledge.objects.select_related("donor").filter(donor__in=donors_represented(request.user)),
        pk=pk,
    )
    donor = _represented(request, pledge.donor_id)
    # Withdrawing cannot be undone: it says why.
    form = RequiredReasonForm(request.POST)
    if not form.is_valid():
        failed = reason_refusal(form, "withdraw", pledge.pk)
        return _answer(request, donor, "pledges", status=422, confirm_failed=failed)
    try:
        pledge = pledge_withdraw(pledge=pledge, by=request.user, reason=form.cleaned_data["reason"])
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        return _answer(
            request,
            donor,
            "pledges",
            status=error.http_status,
            errors={pledge.pk: error_message(error)},
        )
    notice = _(
        "Pledge #%(number)s is withdrawn: %(returned)s points returned. %(held)s points held "
        "by claims still settle or return with those claims."
    ) % {
        "number": pledge.pk,
        "returned": f"{pledge.points_returned:,}",
        "held": f"{pledge.points_held:,}",
    }
    return _done(request, donor, "pledges", notice)


@require_POST
@requires(donor_rep=True)
@vary_on_headers("HX-Request")
def match_commit_view(request: HttpRequest, pk: int, match_pk: int) -> HttpResponse:
    donor = _represented(request, pk)
    match = fundable_pending_matches(Donor.objects.filter(pk=donor.pk)).filter(pk=match_pk).first()
    if match is None:
        # Committed with this donor's pledge meanwhile (another tab, another
        # representative): the portal shows it among the donor's own, so say so.
        # Anything else was never the donor's to see, or is no longer offered to
        # it: one 404 whether the match exists or not, so an id confirms nothing.
        mine = Match.objects.filter(pk=match_pk, pledge__donor=donor).exists()
        return _answer(
            request,
            donor,
            "matches",
            status=409 if mine else 404,
            error=_("This claim no longer waits for a commit from your pledges."),
        )
    form = ReasonForm(request.POST)
    if not form.is_valid():
        failed = reason_refusal(form, "commit", match.pk)
        return _answer(request, donor, "matches", status=422, confirm_failed=failed)
    # Commit with this donor's pledge (the one expiring first), not with another
    # donor the same person may also represent.
    pledge = fundable_pledges(match, donor).first()
    try:
        if pledge is None:
            raise PledgeNotEligible()
        match_commit(
            match=match, by=request.user, pledge=pledge, reason=form.cleaned_data["reason"]
        )
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        return _answer(
            request,
            donor,
            "matches",
            status=error.http_status,
            errors={match.pk: error_message(error)},
        )
    notice = _(
        "Committed: pledge #%(pledge)s pays %(points)s points of this %(category)s claim in "
        "%(district)s. The coordinator can approve it now."
    ) % {
        "pledge": pledge.pk,
        "points": f"{match.private_points:,}",
        "category": match.claim.listing.category.name,
        "district": match.claim.claimant_region.name,
    }
    return _done(request, donor, "matches", notice, trigger="pledges-changed")


@require_http_methods(["GET", "POST"])
@requires(donor_rep=True)
@vary_on_headers("HX-Request")
def gift_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer an in-kind gift on its own page: its region list names every dong,
    which the portal itself never shows."""
    donor = _represented(request, pk)
    form = GiftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            try:
                listing = listing_create(
                    by=request.user,
                    donor=donor,
                    region=form.cleaned_data["region"],
                    **form.service_fields(),
                )
            except NotAllowed:
                raise PermissionDenied from None
            except DomainError as error:
                attach_error(form, error)
                status = form_status(error)
            else:
                messages.success(
                    request,
                    _(
                        "“%(title)s” is saved as a draft. A coordinator of %(region)s reviews "
                        "it and publishes it in the catalogue."
                    )
                    % {"title": listing.title, "region": listing.region.name},
                )
                url = reverse("donors:donor", args=[donor.pk]) + "#gifts"
                return go_to(request, url)
    context = {"donor": donor, "gift_form": form}
    return render_page(
        request,
        "donors/gift_new.html",
        context,
        fragment="donors/partials/gift_form.html",
        status=status,
    )


# --- receipts --------------------------------------------------------------------------


def _receipt_csv(document: dict[str, Any], filename: str) -> StreamingHttpResponse:
    kinds = {"cash": _("Cash"), "in_kind": _("In kind")}

    def rows() -> Iterator[list[Any]]:
        title = [_document_title(document), document["year"]]
        if document.get("serial"):
            title.append(document["serial"])
        yield title
        yield [_("Donor"), document["donor"]["name"]]
        yield [_("Business registration number"), document["donor"]["number"]]
        yield []
        yield [
            _("Kind"),
            _("Date"),
            _("Description"),
            _("District"),
            _("Quantity"),
            _("Unit"),
            _("Value per unit (KRW)"),
            _("Amount (KRW)"),
        ]
        for line in document["lines"]:
            yield [
                kinds[line["kind"]],
                line["day"],
                line["description"],
                line["district"],
                line["quantity"],
                line["unit"],
                line["unit_value"],
                line["amount"],
            ]
        totals = document["totals"]
        yield [_("Cash donations"), "", "", "", "", "", "", totals["cash"]]
        yield [_("In-kind donations"), "", "", "", "", "", "", totals["in_kind"]]
        yield [_("Total"), "", "", "", "", "", "", totals["total"]]

    return csv_response(rows(), filename)


def _document_title(document: dict[str, Any]) -> str:
    return _("Donation receipt") if document["legal"] else _("Statement of donations")


def _receipt_donor(request: HttpRequest, pk: int) -> Donor:
    """Finance audits every donor's receipts; a representative reads their own
    donors' (any other donor is not found); anyone else is refused."""
    if is_finance(request.user):
        return get_object_or_404(
            Donor.objects.select_related("home_region__parent", "verified_by"), pk=pk
        )
    if donors_represented(request.user).exists():
        return _represented(request, pk)
    raise PermissionDenied


def _receipt_year(year: int) -> int:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise Http404
    return year


def _render_receipt(
    request: HttpRequest,
    donor: Donor,
    document: dict[str, Any],
    *,
    issue: ReceiptIssue | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "donor": donor,
        "document": document,
        "title": _document_title(document),
        "type_label": type_code_label(document["type_code"]),
        "issue": issue,
        "issues": issues_of(donor, document["year"]),
        "issued_on": document_date(document["issued_on"]) if document.get("issued_on") else None,
        "error": error,
    }
    return render(request, "donors/receipt.html", context, status=status)


@require_GET
@login_required
def receipt_view(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The preview of a year's receipt (미발급 미리보기) as it stands today, and
    the issues made so far. Nothing is written: issuing is a POST."""
    donor = _receipt_donor(request, pk)
    document = receipt_document(donation_receipt(donor, _receipt_year(year)))
    if request.GET.get("format") == "csv":
        return _receipt_csv(document, f"donation_receipt_{donor.business_number}_{year}.csv")
    return _render_receipt(request, donor, document)


@require_POST
@login_required
def receipt_issue_view(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    donor = _receipt_donor(request, pk)
    year = _receipt_year(year)
    try:
        issue = receipt_issue(donor=donor, year=year, by=request.user)
    except NothingToIssue as error:
        document = receipt_document(donation_receipt(donor, year))
        return _render_receipt(
            request, donor, document, error=error_message(error), status=error.http_status
        )
    messages.success(request, _("Receipt %(serial)s was issued.") % {"serial": issue.serial})
    return redirect("donors:receipt_issue", pk=donor.pk, issue_pk=issue.pk)


@require_GET
@login_required
def receipt_issued(request: HttpRequest, pk: int, issue_pk: int) -> HttpResponse:
    """An issued receipt, reprinted from what was issued."""
    donor = _receipt_donor(request, pk)
    issue = get_object_or_404(
        ReceiptIssue.objects.select_related("superseded_by"), pk=issue_pk, donor=donor
    )
    if request.GET.get("format") == "csv":
        return _receipt_csv(
            issue.snapshot, f"donation_receipt_{donor.business_number}_{issue.serial}.csv"
        )
    return _render_receipt(request, donor, issue.snapshot, issue=issue)


# --- coordinators: donors' drafts to review ---------------------------------------------------


def _render_review(
    request: HttpRequest, *, errors: dict[int, str] | None = None, notice: str = "", status=200
) -> HttpResponse:
    page = Paginator(donor_drafts_for_review(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    # The publish permission depends on the user and the listing's region only.
    by_region: dict[int, set[str]] = {}
    for listing in page.object_list:
        if listing.region_id not in by_region:
            by_region[listing.region_id] = _transitions(listing, request.user, ("publish",))
        listing.actions = by_region[listing.region_id]
    context = {"page": page, "errors": errors or {}, "notice": notice}
    return render_page(
        request,
        "donors/review.html",
        context,
        fragment="donors/partials/review.html",
        status=status,
    )


@require_GET
@requires(Role.COORDINATOR)
@vary_on_headers("HX-Request")
def review(request: HttpRequest) -> HttpResponse:
    return _render_review(request)


@require_POST
@requires(Role.COORDINATOR)
@vary_on_headers("HX-Request")
def review_publish(request: HttpRequest, pk: int) -> HttpResponse:
    listing = get_object_or_404(
        Listing.objects.filter(
            donor__isnull=False, region__in=regions_for(request.user, Role.COORDINATOR)
        ),
        pk=pk,
    )
    try:
        listing = listing_publish(listing=listing, by=request.user)
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        return _render_review(
            request, errors={listing.pk: error_message(error)}, status=error.http_status
        )
    notice = _("“%(title)s” is published in the catalogue.") % {"title": listing.title}
    if wants_fragment(request):
        return _render_review(request, notice=notice)
    messages.success(request, notice)
    return redirect("donors:review")


# --- finance: matching ------------------------------------------------------------------------


def _year(request: HttpRequest) -> tuple[YearForm, int]:
    today = timezone.localdate()
    form = YearForm(request.GET or None, initial={"year": today.year})
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["year"]
    return form, today.year


def _queue_context(request: HttpRequest) -> dict[str, Any]:
    awaiting = pledges_awaiting_confirmation()
    pledges = list(awaiting[:ROWS])
    # The confirm permission depends on the user only (finance).
    may_confirm = bool(pledges) and "confirm" in _transitions(
        pledges[0], request.user, ("confirm",)
    )
    for pledge in pledges:
        pledge.actions = {"confirm"} if may_confirm else set()
    donors = list(unverified_donors()[:ROWS])
    return {
        "awaiting": pledges,
        "awaiting_count": awaiting.count() if len(pledges) == ROWS else len(pledges),
        "unverified": donors,
        "unverified_count": unverified_donors().count() if len(donors) == ROWS else len(donors),
    }


def _render_queue(
    request: HttpRequest,
    *,
    pledge_errors: dict[int, str] | None = None,
    donor_errors: dict[int, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """After a confirm or verify: the updated queue for htmx; otherwise back to
    the page (with the refusal shown on it, when there is one)."""
    errors = {"pledge_errors": pledge_errors or {}, "donor_errors": donor_errors or {}}
    if wants_fragment(request):
        context = {**_queue_context(request), **errors, "notice": notice}
        return render_fragment(
            request, "donors/partials/finance_queue.html", context, status=status
        )
    if status != 200:
        return _render_matching(request, status=status, **errors)
    if notice:
        messages.success(request, notice)
    return redirect("donors_finance:matching")


def _render_matching(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    form, year = _year(request)
    report = matching_by_district(year)
    svg = stacked_bar_chart_svg(
        [
            Bar(code=region.code, label=region.name, public=split.public, private=split.private)
            for region, split in report.by_district
        ],
        title=_("Points of fulfilled claims by claiming district, %(year)s") % {"year": year},
        y_label=_("Points"),
        public_label=_("Public (district wallets)"),
        private_label=_("Private (donor pledges)"),
    )
    context = {
        "form": form,
        "report": report,
        # Built by stacked_bar_chart_svg, which escapes every text.
        "svg": mark_safe(svg),  # noqa: S308
        **_queue_context(request),
        "pledge_errors": {},
        "donor_errors": {},
        **extra,
    }
    return render(request, "donors/finance_matching.html", context, status=status)


@require_GET
@requires(finance=True)
@vary_on_headers("HX-Request")
def finance_matching(request: HttpRequest) -> HttpResponse:
    if wants_fragment(request) and request.GET.get("part") == "queue":
        return _render_queue(request)
    if export_format(request):
        _form, year = _year(request)
        sheets = matching_sheets(matching_by_district(year))
        return export_response(request, sheets, f"matching_{year}")
    return _render_matching(request)


@require_POST
@requires(finance=True)
@vary_on_headers("HX-Request")
def finance_pledge_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = get_object_or_404(Pledge.objects.select_related("donor"), pk=pk)
    try:
        pledge = pledge_confirm(pledge=pledge, by=request.user)
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        return _render_queue(
            request, pledge_errors={pk: error_message(error)}, status=error.http_status
        )
    notice = _(
        "Pledge #%(number)s of %(donor)s is confirmed: %(points)s points are issued to the donor."
    ) % {"number": pledge.pk, "donor": pledge.donor.name, "points": f"{pledge.points:,}"}
    return _render_queue(request, notice=notice)


@require_POST
@requires(finance=True)
@vary_on_headers("HX-Request")
def finance_donor_verify(request: HttpRequest, pk: int) -> HttpResponse:
    donor = get_object_or_404(Donor, pk=pk)
    try:
        donor = donor_verify(donor=donor, by=request.user)
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        return _render_queue(
            request, donor_errors={pk: error_message(error)}, status=error.http_status
        )
    notice = _("%(donor)s is verified; its pledges can be confirmed now.") % {"donor": donor.name}
    return _render_queue(request, notice=notice)
