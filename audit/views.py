"""The finance pages of the personal-data access records (개인정보 접속기록):
the search with its CSV export, and the monthly report of unusual access.

Finance staff and administrators only; anyone else signed in gets 403. The
export is itself recorded.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.forms import AccessSearchForm
from audit.models import AccessAction, AccessPurpose
from audit.report import parse_month
from audit.selectors import access_records, unusual_access
from audit.services import access_record_export
from config.exports import csv_response
from config.routers import replica_reads
from config.web import requires

RECORDS_PER_PAGE = 50


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value or "—"))


@require_GET
@requires(finance=True, superuser=True)
def access_record_list(request: HttpRequest) -> HttpResponse:
    form = AccessSearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/access_records.html", {"form": form}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    filters = {
        "username": data.get("user", ""),
        "household_code": data.get("household", ""),
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
        "action": data.get("action", ""),
    }
    records = access_records(**filters)
    if request.GET.get("format") == "csv":
        return _export(request, records, filters)
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/access_records.html", context)


def _export(request: HttpRequest, records: Any, filters: dict[str, Any]) -> HttpResponse:
    described = " ".join(f"{key}={value}" for key, value in filters.items() if value)
    access_record_export(request=request, purpose_detail=described)

    def rows() -> Iterator[list[Any]]:
        yield [
            _("At"),
            _("User"),
            _("Household code"),
            _("Action"),
            _("Business purpose"),
            _("Purpose in detail"),
            _("Outside own caseload"),
            _("Address"),
            _("Path"),
        ]
        for record in records.iterator(chunk_size=2000):
            yield [
                timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M:%S"),
                record.user.username,
                record.household.code if record.household else "",
                _label(AccessAction, record.action),
                _label(AccessPurpose, record.purpose),
                record.purpose_detail,
                _("yes") if record.outside_caseload else _("no"),
                record.remote_addr or "",
                record.path,
            ]

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return csv_response(rows(), f"access_records_{stamp}.csv")


@require_GET
@requires(finance=True, superuser=True)
@replica_reads
def access_report_view(request: HttpRequest) -> HttpResponse:
    given = request.GET.get("month", "")
    month = parse_month(given) if given else None
    if given and month is None:
        context = {"error": _("Enter the month as YYYY-MM, e.g. 2026-11."), "month_value": given}
        return render(request, "audit/access_report.html", context, status=400)
    if month is None:
        today = timezone.localdate()
        month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    report = unusual_access(month)
    context = {
        "report": report,
        "month_value": f"{month:%Y-%m}",
        "bursts": [(report.users.get(b.user_id), b) for b in report.bursts],
        "out_of_hours": [(report.users.get(k), s) for k, s in report.out_of_hours.items()],
        "outside_caseload": [(report.users.get(k), s) for k, s in report.outside_caseload.items()],
    }
    return render(request, "audit/access_report.html", context)
