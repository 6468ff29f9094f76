"""The finance audit pages (재무 감사): accounts, statements, the trial balance,
verification, four-eyes grants and corrections, and the wallet chart.

Finance staff only: anyone else signed in gets 403, anyone signed out is sent
to the login page. Each view serves its full page and, to htmx, the fragment
it swaps (templates/ledger/partials/).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_fsm import can_proceed

from config.exceptions import DomainError, NotAllowed
from config.exports import Sheet, csv_response, export_format, export_response
from config.htmx import wants_fragment
from config.pagination import CappedPaginator, KnownCountPaginator
from config.reasons import reason_refusal
from config.routers import replica_reads
from config.web import attach_error, error_message, form_status, render_page, requires
from ledger.charts import line_chart_svg, region_wallet_chart
from ledger.exceptions import (
    AlreadyReversed,
    FourEyesViolation,
    InsufficientPoints,
    NotReversible,
)
from ledger.forms import (
    AccountFilterForm,
    ChartRangeForm,
    CorrectionProposalForm,
    DateRangeForm,
    DecisionForm,
    GrantProposalForm,
    RejectionForm,
)
from ledger.labels import kind_label
from ledger.models import (
    Account,
    Entry,
    OwnerKind,
    Proposal,
    ProposalStatus,
    Transaction,
    proposal_may_decide,
    with_donor_names,
)
from ledger.selectors import account_statement, ledger_verify, trial_balance
from ledger.services import (
    HOLD_KINDS,
    proposal_approve,
    proposal_correction_create,
    proposal_grant_create,
    proposal_reject,
)
from people.permissions import is_finance

ACCOUNTS_PER_PAGE = 50
ENTRIES_PER_PAGE = 100
PROPOSALS_PER_PAGE = 25
CHART_DAYS = 30


def _local_range(
    first: datetime.date | None, last: datetime.date | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """Local calendar days, `last` included, as [start, end) moments."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz) if first else None
    end = (
        datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        if last
        else None
    )
    return start, end


def _who(user: Any) -> str:
    if user is None:
        return _("System")
    return user.get_full_name() or user.get_username()


# --- accounts -------------------------------------------------------------------


def _filtered_accounts(data: dict[str, Any]) -> QuerySet[Account]:
    accounts = Account.objects.select_related("region").order_by("code")
    if data.get("purpose"):
        accounts = accounts.filter(purpose=data["purpose"])
    if data.get("owner_kind"):
        accounts = accounts.filter(owner_kind=data["owner_kind"])
    if data.get("district"):
        accounts = accounts.filter(region__path__startswith=data["district"].path)
    if query := (data.get("q") or "").strip():
        accounts = accounts.filter(
            Q(code__icontains=query)
            | Q(region__name_ko__icontains=query)
            | Q(region__name_en__icontains=query)
        )
    return accounts


@require_GET
@requires(finance=True)
@vary_on_headers("HX-Request")
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        # Only the filters that were understood apply; the form shows the others' errors.
        form.is_valid()
        filters = form.cleaned_data
    page = Paginator(_filtered_accounts(filters), ACCOUNTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    with_donor_names(page.object_list)
    context = {"form": form, "page": page}
    return render_page(
        request,
        "ledger/account_list.html",
        context,
        fragment="ledger/partials/account_results.html",
    )


# --- statements -----------------------------------------------------------------


def _decorate(entries: Iterable[Entry]) -> list[Entry]:
    rows = []
    for entry in entries:
        txn = entry.transaction
        entry.kind_label = kind_label(txn.kind)
        entry.posted_by_name = _who(txn.posted_by)
        entry.reversed = hasattr(txn, "reversed_by")
        entry.correctable = txn.kind not in HOLD_KINDS and not entry.reversed
        rows.append(entry)
    return rows


@require_GET
@requires(finance=True)
@vary_on_headers("HX-Request")
@replica_reads
def account_statement_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("region"), pk=pk)
    form = DateRangeForm(request.GET or None)
    wants_csv = export_format(request) is not None  # a download, CSV or XLSX
    if form.is_bound and not form.is_valid():
        context = {"account": account, "form": form, "statement": None}
        status = 400 if wants_csv else 200
        return render_page(
            request,
            "ledger/statement.html",
            context,
            fragment="ledger/partials/statement_body.html",
            status=status,
        )
    first = form.cleaned_data.get("date_from") if form.is_bound else None
    last = form.cleaned_data.get("date_to") if form.is_bound else None
    start, end = _local_range(first, last)
    statement = account_statement(account, start=start, end=end)
    entries = statement.entries.select_related("transaction__posted_by", "transaction__reversed_by")
    if wants_csv:
        return _statement_csv(request, account, statement, entries, first, last)
    if start is None and end is None:
        # The account's sequence is the count of its entries: no COUNT(*) over them.
        paginator: Paginator = KnownCountPaginator(
            entries, ENTRIES_PER_PAGE, count=account.sequence
        )
    else:
        paginator = CappedPaginator(entries, ENTRIES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "account": account,
        "form": form,
        "statement": statement,
        "page": page,
        "rows": _decorate(page.object_list),
        "date_from": first,
        "date_to": last,
    }
    return render_page(
        request, "ledger/statement.html", context, fragment="ledger/partials/statement_body.html"
    )


def _statement_csv(
    request: HttpRequest,
    account: Account,
    statement: Any,
    entries: QuerySet[Entry],
    first: datetime.date | None,
    last: datetime.date | None,
) -> HttpResponse:
    """The statement as CSV or XLSX (`?format=`), the opening and closing balances included."""

    def rows() -> Iterator[list[Any]]:
        opening_day = first.isoformat() if first else ""
        yield [opening_day, "", "", _("Opening balance"), "", "", statement.opening]
        for entry in entries.iterator(chunk_size=2000):
            txn = entry.transaction
            yield [
                entry.posted_at,  # Korean local time in both formats
                txn.pk,
                kind_label(txn.kind),
                txn.memo,
                _who(txn.posted_by),
                entry.amount,
                entry.balance_after,
            ]
        closing_day = last.isoformat() if last else ""
        yield [closing_day, "", "", _("Closing balance"), "", "", statement.closing]

    span = f"{first.isoformat() if first else 'start'}_{last.isoformat() if last else 'now'}"
    header = [
        _("Posted at"),
        _("Transaction"),
        _("Kind"),
        _("Memo"),
        _("Posted by"),
        _("Amount"),
        _("Balance"),
    ]
    sheet = Sheet(title=account.code.replace(":", "-"), header=header, rows=rows())
    return export_response(request, sheet, f"statement_{account.code.replace(':', '-')}_{span}")


@require_GET
@requires(finance=True)
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    txn = get_object_or_404(
        Transaction.objects.select_related("posted_by", "reverses", "reversed_by"), pk=pk
    )
    entries = txn.entries.select_related("account__region").order_by("account__code")
    reversed_by = getattr(txn, "reversed_by", None)
    context = {
        "txn": txn,
        "kind": kind_label(txn.kind),
        "posted_by": _who(txn.posted_by),
        "entries": entries,
        "reversed_by": reversed_by,
        "correctable": txn.kind not in HOLD_KINDS and reversed_by is None,
        "proposal": Proposal.objects.filter(posted=txn).first(),
    }
    return render(request, "ledger/transaction.html", context)


# --- trial balance and verification -----------------------------------------------


@require_GET
@requires(finance=True)
@replica_reads
def trial_balance_view(request: HttpRequest) -> HttpResponse:
    tb = trial_balance()
    with_donor_names(account for group in tb.groups for account in group.accounts)
    if request.GET.get("format") == "csv":
        return _trial_balance_csv(tb)
    return render(request, "ledger/trial_balance.html", {"tb": tb})


def _trial_balance_csv(tb: Any) -> StreamingHttpResponse:
    purposes = dict(Account._meta.get_field("purpose").flatchoices)
    owners = dict(OwnerKind.choices)

    def rows() -> Iterator[list[Any]]:
        yield [_("Purpose"), _("Owner"), _("Account code"), _("Account"), _("Balance")]
        for group in tb.groups:
            for account in group.accounts:
                yield [
                    str(purposes.get(group.purpose, group.purpose)),
                    str(owners.get(group.owner_kind, group.owner_kind)),
                    account.code,
                    account.label,
                    account.balance,
                ]
        yield [_("Total"), "", "", "", tb.total]

    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return csv_response(rows(), f"trial_balance_{stamp}.csv")


@require_http_methods(["GET", "POST"])
@requires(finance=True)
@vary_on_headers("HX-Request")
def verify(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # Opened by address or after a reload: explain the check and offer its
        # button (running it is a POST; a GET only reads).
        return render(request, "ledger/verify.html", {"report": None})
    context = {"report": ledger_verify(), "checked_at": timezone.now()}
    return render_page(
        request, "ledger/verify.html", context, fragment="ledger/partials/verify_result.html"
    )


# --- four-eyes proposals -----------------------------------------------------------

#: Where a domain error from a proposal service is shown: next to this field,
#: or at the top of the form (None).
GRANT_ERROR_FIELDS: dict[type[DomainError], str | None] = {InsufficientPoints: "amount"}
CORRECTION_ERROR_FIELDS: dict[type[DomainError], str | None] = {
    AlreadyReversed: "target",
    NotReversible: "target",
}


def _error_field(error: DomainError, fields: dict[type[DomainError], str | None]) -> str | None:
    return next((f for kind, f in fields.items() if isinstance(error, kind)), None)


def _proposal_page(request: HttpRequest, decision_errors: dict[int, str]) -> Page:
    proposals = Proposal.objects.select_related(
        "region", "target", "proposed_by", "decided_by", "posted"
    ).order_by(
        Case(
            When(status=ProposalStatus.PROPOSED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        "-proposed_at",
        "-pk",
    )
    page = Paginator(proposals, PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
    # Whether the viewer is finance is one query: asked once for the page, not per row.
    finance = is_finance(request.user)
    for proposal in page.object_list:
        proposal.may_decide = can_proceed(proposal.approve) and proposal_may_decide(
            proposal, request.user, finance=finance
        )
        proposal.decision_error = decision_errors.get(proposal.pk, "")
    return page


def _render_proposals(
    request: HttpRequest,
    *,
    grant_form: GrantProposalForm | None = None,
    correction_form: CorrectionProposalForm | None = None,
    decision_errors: dict[int, str] | None = None,
    confirm_failed: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    initial_target = request.GET.get("target", "")[:20]
    decision_errors = decision_errors or {}
    page = _proposal_page(request, decision_errors)
    shown = {proposal.pk for proposal in page.object_list}
    context = {
        "grant_form": grant_form or GrantProposalForm(),
        "correction_form": correction_form
        or CorrectionProposalForm(initial={"target": initial_target}),
        "page": page,
        # An error about a proposal on another page goes to the top.
        "decision_errors": {pk: m for pk, m in decision_errors.items() if pk not in shown},
        "confirm_failed": confirm_failed,
        "notice": notice,
    }
    return render_page(
        request,
        "ledger/proposals.html",
        context,
        fragment="ledger/partials/proposals_panel.html",
        status=status,
    )


def _after_success(request: HttpRequest, notice: str) -> HttpResponse:
    if wants_fragment(request):
        return _render_proposals(request, notice=notice)
    messages.success(request, notice)
    return redirect("ledger:proposals", permanent=False)


@require_GET
@requires(finance=True)
@vary_on_headers("HX-Request")
def proposal_list(request: HttpRequest) -> HttpResponse:
    return _render_proposals(request)


@require_POST
@requires(finance=True)
@vary_on_headers("HX-Request")
def proposal_grant(request: HttpRequest) -> HttpResponse:
    form = GrantProposalForm(request.POST)
    if not form.is_valid():
        return _render_proposals(request, grant_form=form, status=422)
    try:
        proposal = proposal_grant_create(
            region=form.cleaned_data["region"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            by=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"] or None,
        )
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        attach_error(form, error, _error_field(error, GRANT_ERROR_FIELDS))
        return _render_proposals(request, grant_form=form, status=form_status(error))
    return _after_success(
        request,
        _("Grant proposal #%(number)s is waiting for a second finance officer.")
        % {"number": proposal.pk},
    )


@require_POST
@requires(finance=True)
@vary_on_headers("HX-Request")
def proposal_correction(request: HttpRequest) -> HttpResponse:
    form = CorrectionProposalForm(request.POST)
    if not form.is_valid():
        return _render_proposals(request, correction_form=form, status=422)
    try:
        proposal = proposal_correction_create(
            target=form.cleaned_data["target"],
            reason=form.cleaned_data["reason"],
            by=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"] or None,
        )
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        attach_error(form, error, _error_field(error, CORRECTION_ERROR_FIELDS))
        return _render_proposals(request, correction_form=form, status=form_status(error))
    return _after_success(
        request,
        _("Correction proposal #%(number)s is waiting for a second finance officer.")
        % {"number": proposal.pk},
    )


@require_http_methods(["POST"])
@requires(finance=True)
@vary_on_headers("HX-Request")
def proposal_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    proposal = get_object_or_404(Proposal, pk=pk)
    form = DecisionForm(request.POST) if action == "approve" else RejectionForm(request.POST)
    if not form.is_valid():
        failed = reason_refusal(form, action, proposal.pk, field="note")
        return _render_proposals(request, confirm_failed=failed, status=422)
    decide = proposal_approve if action == "approve" else proposal_reject
    try:
        decided = decide(proposal=proposal, by=request.user, note=form.cleaned_data["note"])
    except NotAllowed:
        raise PermissionDenied from None
    except FourEyesViolation as error:
        # Finance sees every proposal; the refusal is shown on the proposal's row.
        return _render_proposals(request, decision_errors={proposal.pk: error.message}, status=403)
    except DomainError as error:
        return _render_proposals(
            request, decision_errors={proposal.pk: error_message(error)}, status=form_status(error)
        )
    if decided.status == ProposalStatus.APPROVED:
        notice = _("Proposal #%(number)s approved; transaction #%(txn)s posted.") % {
            "number": decided.pk,
            "txn": decided.posted_id,
        }
    else:
        notice = _("Proposal #%(number)s rejected; nothing was posted.") % {"number": decided.pk}
    return _after_success(request, notice)


# --- the wallet chart ------------------------------------------------------------------


@require_GET
@requires(finance=True)
def wallet_chart(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    first, last = today - datetime.timedelta(days=CHART_DAYS - 1), today
    form = ChartRangeForm(request.GET or None, initial={"date_from": first, "date_to": last})
    if form.is_bound and form.is_valid():
        last = min(form.cleaned_data.get("date_to") or today, today)
        first = form.cleaned_data.get("date_from") or last - datetime.timedelta(days=CHART_DAYS - 1)
        if first > last:
            first = last
        if (last - first).days + 1 > ChartRangeForm.max_days:
            first = last - datetime.timedelta(days=ChartRangeForm.max_days - 1)
    chart = region_wallet_chart(first=first, last=last)
    svg = line_chart_svg(
        chart,
        title=_("Points held by each region, end of day, %(first)s to %(last)s")
        % {"first": first.isoformat(), "last": last.isoformat()},
        x_label=_("Date (month-day)"),
        y_label=_("Points"),
    )
    context = {
        "form": form,
        "chart": chart,
        "svg": mark_safe(svg),  # noqa: S308 -- built by line_chart_svg, which escapes every text
        "first": first,
        "last": last,
    }
    return render(request, "ledger/chart.html", context)
