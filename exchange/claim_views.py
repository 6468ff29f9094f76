"""The claims pages: `/claims/`, the claims the signed-in user may see, and
`/claims/<id>/`, one claim with its whole history.

Who sees which claim is `exchange.selectors.claims_visible_to` and nothing
else: a claim outside it is not found (404, a body that names nothing), as for
the claim actions. The household is named only to those `Viewer.sees_household`
allows; everyone else reads "a household in <district>". Showing a household's
code is a read of its record: one personal-data access record per household
shown (`audit.services.access_record`, one INSERT), the only write of these GETs.

A claim's history is the audit log's transitions of the claim and of its match
(`audit.TransitionLog`, who by office and role) and the ledger's transactions
that name the claim (`Transaction.object_type/object_id`: its hold, settle,
release and the donor's share held and settled all name the claim).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from audit.models import AccessAction, TransitionLog
from audit.services import access_record
from config.exceptions import DomainError, NotAllowed
from config.exports import export_format, export_response
from config.htmx import wants_fragment
from config.pagination import CappedPaginator
from config.web import attach_error, form_status, render_fragment, render_page
from exchange.exports import claims_sheet, export_purpose, households_shown
from exchange.models import MESSAGE_MAX_LENGTH, Claim, ClaimMessage, ClaimState, Match, MatchState
from exchange.selectors import claim_contacts, claim_message_side, claim_thread, claims_visible_to
from exchange.services import MESSAGES_CLOSED_STATES, claim_message_post
from exchange.views import claim_queryset, decorate_claims
from ledger.labels import kind_label
from ledger.models import Entry, Transaction
from marketplace.forms import category_choices, check_date
from marketplace.models import Category
from marketplace.selectors import Viewer
from people.models import RegionMembership
from regions.models import Level, Region

#: Rows per page of the claims list.
CLAIMS_PER_PAGE = 50


class ClaimListFilterForm(forms.Form):
    """The claims list's filters. Every field is optional; a value that is not
    understood is shown next to its field and not applied."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Listing title or claim number")}
        ),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *ClaimState.choices],
        error_messages={"invalid_choice": _("Choose a listed state.")},
    )
    district = forms.ChoiceField(
        label=_("District (claiming or providing)"),
        required=False,
        error_messages={"invalid_choice": _("Choose a listed district.")},
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        error_messages={"invalid_choice": _("Choose a listed category.")},
    )
    requested_from = forms.DateField(
        label=_("Requested from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        validators=[check_date],
    )
    requested_to = forms.DateField(
        label=_("Requested until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        validators=[check_date],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("All")),
            *category_choices(parents_selectable=True),
        ]
        districts = Region.objects.filter(level=Level.DISTRICT).order_by("path")
        self.fields["district"].choices = [("", _("All")), *((d.code, d.name) for d in districts)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("requested_from"), cleaned.get("requested_to")
        if start and end and end < start:
            self.add_error("requested_to", _("The end date is before the start date."))
        return cleaned

    def apply(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        """`claims` narrowed by the filters that were understood."""
        if not self.is_bound:
            return claims
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        text = (data.get("q") or "").strip()
        if text:
            number = text.lstrip("#")
            condition = Q(listing__title__icontains=text)
            if number.isdigit() and len(number) <= 18:
                condition |= Q(pk=int(number))
            claims = claims.filter(condition)
        if data.get("state"):
            claims = claims.filter(effective_state=data["state"])
        if data.get("district"):
            # A region's path holds every code above it, its own included.
            inside = f"/{data['district']}/"
            claims = claims.filter(
                Q(claimant_region__path__contains=inside)
                | Q(provider_region__path__contains=inside)
            )
        if data.get("category"):
            code = data["category"]
            categories = Category.objects.filter(Q(code=code) | Q(parent__code=code))
            claims = claims.filter(
                listing__category_id__in=list(categories.values_list("pk", flat=True))
            )
        if data.get("requested_from"):
            claims = claims.filter(requested_at__date__gte=data["requested_from"])
        if data.get("requested_to"):
            claims = claims.filter(requested_at__date__lte=data["requested_to"])
        return claims


def _visible(user: Any) -> QuerySet[Claim]:
    """The page's claims (with `effective_state`) among those `user` may see."""
    return claim_queryset().filter(pk__in=claims_visible_to(user).values("pk"))


def _record_households(request: HttpRequest, claims: list[Claim]) -> None:
    """One personal-data access record per household whose code is shown."""
    shown = {c.household_id: c.household for c in claims if c.household_visible}
    if shown:
        access_record(request=request, households=shown.values(), action=AccessAction.LIST)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def claim_list(request: HttpRequest) -> HttpResponse:
    form = ClaimListFilterForm(request.GET or None)
    claims = form.apply(_visible(request.user)).order_by("-requested_at", "-pk")
    if export_format(request):
        return _claims_export(request, claims)
    page = CappedPaginator(claims, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = decorate_claims(page.object_list, Viewer(request.user))
    _record_households(request, rows)
    context = {"form": form, "page": page, "claims": rows}
    return render_page(
        request,
        "marketplace/claims.html",
        context,
        fragment="marketplace/partials/claim_list_panel.html",
    )


def _claims_export(request: HttpRequest, claims: QuerySet[Claim]) -> HttpResponse:
    """The filtered list as a file: every row, not a page. Each household whose
    code the file shows gets its access record first (one INSERT)."""
    viewer = Viewer(request.user)
    shown = list(households_shown(claims, viewer))
    access_record(
        request=request,
        households=shown,
        action=AccessAction.EXPORT,
        purpose_detail=export_purpose(_("claims list"), export_format(request), len(shown)),
    )
    stamp = timezone.localdate().isoformat()
    return export_response(request, claims_sheet(claims, viewer), f"claims_{stamp}")


def _actors(user_ids: set[int]) -> dict[int, Any]:
    """The people who moved a claim, each with all their posts (`posts`), in two queries."""
    if not user_ids:
        return {}
    users = (
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .prefetch_related(
            Prefetch(
                "region_memberships",
                queryset=RegionMembership.objects.select_related("region"),
                to_attr="posts",
            )
        )
    )
    return {user.pk: user for user in users}


def _who(user: Any, day: datetime.date) -> dict[str, Any]:
    """Office and the posts `user` held on `day` (not their posts today)."""
    roles = sorted(
        {
            f"{m.get_role_display()} · {m.region.name}"
            for m in user.posts
            if m.starts_on <= day and (m.ends_on is None or m.ends_on >= day)
        }
    )
    return {"office": user.office, "roles": roles}


def claim_history(claim: Claim, *, messages: list[ClaimMessage] | None = None) -> dict[str, Any]:
    """The claim's transitions (its own and its match's, in time order) and the
    ledger transactions that name it, each with its entries. `steps` is the
    transitions merged in time order with `messages`, the thread, for those
    who take part in it (finance reads the claim's history without them)."""
    claim_type = ContentType.objects.get_for_model(Claim)
    condition = Q(object_type=claim_type, object_id=str(claim.pk))
    match = getattr(claim, "match", None)
    if match is not None:
        match_type = ContentType.objects.get_for_model(Match)
        condition |= Q(object_type=match_type, object_id=str(match.pk))
    transitions = list(TransitionLog.objects.filter(condition).order_by("at", "pk"))
    actors = _actors({t.by_id for t in transitions if t.by_id})
    claim_labels = dict(ClaimState.choices)
    match_labels = dict(MatchState.choices)
    for step in transitions:
        labels = claim_labels if step.object_type_id == claim_type.pk else match_labels
        step.is_match = step.object_type_id != claim_type.pk
        step.source_label = labels.get(step.source, step.source)
        step.target_label = labels.get(step.target, step.target)
        actor = actors.get(step.by_id)
        step.actor = _who(actor, timezone.localdate(step.at)) if actor is not None else None
    postings = list(
        Transaction.objects.filter(object_type=claim_type, object_id=str(claim.pk))
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=Entry.objects.select_related("account").order_by("pk"),
            )
        )
        .order_by("posted_at", "pk")
    )
    for posting in postings:
        posting.kind_label = kind_label(posting.kind)
    steps: list[Any] = list(transitions)
    for message in messages or []:
        message.is_message = True
        message.at = message.created_at
        steps.append(message)
    # A stable sort: at the same moment, a transition stays before a message.
    steps.sort(key=lambda step: step.at)
    return {"transitions": transitions, "postings": postings, "steps": steps}


class ClaimMessageForm(forms.Form):
    """A message to the claim's other offices. The service checks the rest
    (personal numbers, the claim's state)."""

    body = forms.CharField(
        label=_("Message"),
        # The length is the service's check, which writes the numbers as Korean does.
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=_(
            "Arrange the handover with the other offices. Never write a household's "
            "name, registration number or personal phone number."
        ),
        error_messages={
            "required": _("Write a message."),
        },
    )


def _thread_context(
    claim: Claim, user: Any, form: ClaimMessageForm | None = None
) -> dict[str, Any]:
    """What the thread shows `user`: nothing (None) for those who see the
    claim but take no part in its thread (finance)."""
    side = claim_message_side(claim, user)
    if side is None:
        return {"thread": None}
    return {
        "thread": {
            "messages": list(claim_thread(claim)),
            "side": side,
            "open": getattr(claim, "effective_state", claim.state) not in MESSAGES_CLOSED_STATES,
            "form": form or ClaimMessageForm(),
            "url": reverse("marketplace:claim_messages", args=[claim.pk]),
        }
    }


def _claim_page_context(request: HttpRequest, claim: Claim, **thread: Any) -> dict[str, Any]:
    [claim] = decorate_claims([claim], Viewer(request.user))
    _record_households(request, [claim])
    context = _thread_context(claim, request.user, **thread)
    messages = context["thread"]["messages"] if context["thread"] else None
    context.update(
        {
            "claim": claim,
            # The reverse one-to-one's "no match" is an AttributeError: None here.
            "match": getattr(claim, "match", None),
            "history": claim_history(claim, messages=messages),
            "contacts": claim_contacts(claim),
            "here": reverse("marketplace:claim_page", args=[claim.pk]),
        }
    )
    return context


@require_GET
@login_required
@vary_on_headers("HX-Request")
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(_visible(request.user), pk=pk)
    return render_page(
        request,
        "marketplace/claim_page.html",
        _claim_page_context(request, claim),
        fragment="marketplace/partials/claim_page_panel.html",
    )


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def claim_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """The claim's thread (GET: its fragment) and a new message (POST: the
    refreshed thread, or the form with its error next to the field, 422).
    A claim the user may not see is not found; one they see but whose thread
    they take no part in (finance) is the bare 403."""
    claim = get_object_or_404(_visible(request.user), pk=pk)
    if claim_message_side(claim, request.user) is None:
        raise PermissionDenied
    if request.method == "GET":
        context = _thread_context(claim, request.user)
        return render_fragment(request, "marketplace/partials/claim_messages.html", context)
    form = ClaimMessageForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            claim_message_post(claim, request.user, form.cleaned_data["body"])
        except NotAllowed:
            raise PermissionDenied from None
        except DomainError as error:
            attach_error(form, error)
            status = form_status(error)
        else:
            if not wants_fragment(request):
                return redirect(f"{reverse('marketplace:claim_page', args=[claim.pk])}#messages")
            form = None
    else:
        status = 422
    if wants_fragment(request):
        claim = _visible(request.user).get(pk=claim.pk)
        context = _thread_context(claim, request.user, form=form)
        response = render_fragment(
            request, "marketplace/partials/claim_messages.html", context, status=status
        )
        if status == 200:
            # The claim's history on the page shows the new message too.
            response["HX-Trigger"] = "claims-changed"
        return response
    claim = _visible(request.user).get(pk=claim.pk)
    return render(
        request,
        "marketplace/claim_page.html",
        _claim_page_context(request, claim, form=form),
        status=status,
    )
