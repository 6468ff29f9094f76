"""Reports and the downloads that have no list page of their own.

- `/reports/monthly/?district=<code>&month=YYYY-MM`: a district's monthly
  report pack (exchange/reports.py) as a page, and with `format=xlsx` (or csv)
  as the file offices file. Coordinators of the district or of a region above
  it, and finance; anyone else 403, an unknown district 404, a month that is
  not YYYY-MM (2000–2100) the form with its error (422).
- `/listings/export/`: every listing of the coordinator's regions (the
  dashboard's listings), in any state, optionally of one state.
- `/follow-ups/export/`: the follow-ups of the households a case manager sees
  (the dashboard's rule), optionally only the due or the recorded ones.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from audit.models import AccessAction
from audit.services import access_record
from config.exports import export_format, export_response
from config.web import requires
from exchange.exports import (
    CHUNK,
    export_purpose,
    follow_ups_sheet,
    listings_sheet,
    monthly_sheets,
)
from exchange.reports import FIRST_YEAR, LAST_YEAR, monthly_pack
from marketplace.models import FollowUp, Listing, ListingState
from marketplace.selectors import Viewer, households_visible_to
from people.models import Role
from people.permissions import is_finance, may_act, regions_for
from regions.models import Level, Region

MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def parse_month(text: str) -> tuple[int, int] | None:
    """(year, month) of "YYYY-MM" between FIRST_YEAR and LAST_YEAR, else None."""
    found = MONTH.match(text.strip())
    if not found:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return year, month


class MonthlyReportForm(forms.Form):
    district = forms.ChoiceField(label=gettext_lazy("District"))
    month = forms.CharField(
        label=gettext_lazy("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )

    def __init__(self, *args: Any, districts: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(d.code, d.name) for d in districts]

    def clean_month(self) -> tuple[int, int]:
        parsed = parse_month(self.cleaned_data["month"])
        if parsed is None:
            raise forms.ValidationError(
                _("Enter a month as YYYY-MM (for example 2026-11), between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return parsed


def _districts_for(user: Any) -> list[Region]:
    """The districts `user` may report on, by code."""
    districts = Region.objects.filter(level=Level.DISTRICT).order_by("code")
    if is_finance(user):
        return list(districts)
    return [d for d in districts if may_act(user, Role.COORDINATOR, d)]


@require_GET
@requires(Role.COORDINATOR, finance=True)
def monthly_report(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("district", "")
    allowed = _districts_for(request.user)
    if code:
        district = Region.objects.filter(level=Level.DISTRICT, code=code).first()
        if district is None:
            raise Http404
        if district not in allowed:
            raise PermissionDenied
    elif allowed:
        district = allowed[0]
    else:
        # A coordinator of dongs only: no district is theirs to report on.
        raise PermissionDenied
    today = timezone.localdate()
    data = {"district": district.code, "month": request.GET.get("month") or f"{today:%Y-%m}"}
    form = MonthlyReportForm(data, districts=allowed)
    if not form.is_valid():
        context = {"form": form, "district": district, "pack": None}
        return render(request, "marketplace/monthly_report.html", context, status=422)
    year, month = form.cleaned_data["month"]
    fmt = export_format(request)
    pack = monthly_pack(district, year, month)
    if fmt:
        return export_response(
            request, monthly_sheets(pack), f"monthly_report_{district.code}_{year}-{month:02d}"
        )
    context = {"form": form, "district": district, "pack": pack}
    return render(request, "marketplace/monthly_report.html", context)


@require_GET
@requires(Role.COORDINATOR)
def listing_export(request: HttpRequest) -> HttpResponse:
    listings = Listing.objects.filter(region__in=regions_for(request.user, Role.COORDINATOR))
    state = request.GET.get("state", "")
    if state in ListingState.values:
        listings = listings.filter(state=state)
    listings = listings.select_related("region", "category", "donor").order_by("-created_at", "-pk")
    stamp = timezone.localdate().isoformat()
    sheet = listings_sheet(listings, Viewer(request.user))
    return export_response(request, sheet, f"listings_{stamp}", default="csv")


@require_GET
@requires(Role.CASE_MANAGER)
def follow_up_export(request: HttpRequest) -> HttpResponse:
    fmt = export_format(request) or "csv"
    follow_ups = FollowUp.objects.filter(
        household__in=households_visible_to(request.user)
    ).select_related("household", "household__dong", "recorded_by")
    status = request.GET.get("status", "")
    if status == "due":
        follow_ups = follow_ups.filter(recorded_at__isnull=True)
    elif status == "recorded":
        follow_ups = follow_ups.filter(recorded_at__isnull=False)
    rows = list(follow_ups.order_by("due_on", "pk").iterator(chunk_size=CHUNK))
    # The file shows each household's code: its access record first, one INSERT.
    households = {row.household_id: row.household for row in rows}
    access_record(
        request=request,
        households=households.values(),
        action=AccessAction.EXPORT,
        purpose_detail=export_purpose(_("follow-ups"), fmt, len(households)),
    )
    stamp = timezone.localdate().isoformat()
    sheet = follow_ups_sheet(rows, Viewer(request.user))
    return export_response(request, sheet, f"follow_ups_{stamp}", default="csv")
