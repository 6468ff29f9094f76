"""The follow-up completion report: follow-ups due in a period, recorded or not,
per district, for finance (every district) and coordinators (their own)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from config.web import render_page, requires
from marketplace.forms import CompletionPeriodForm
from marketplace.selectors import follow_up_completion
from people.models import Role
from people.permissions import is_finance, regions_for


@require_GET
@requires(Role.COORDINATOR, finance=True)
@vary_on_headers("HX-Request")
def follow_up_report(request: HttpRequest) -> HttpResponse:
    """Completion rate of follow-ups per district (recorded / due) with the
    outcomes, for follow-ups due from `start` to `end` (default: the last 12
    months up to today). A period that does not validate shows its errors next
    to the fields, answered 422, and no figures."""
    start, end = CompletionPeriodForm.default_period(timezone.localdate())
    form = CompletionPeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        if end < start:
            # Only one end was given, and it lies on the wrong side of the default other.
            form.add_error("end", _("The end date is before the start date."))
    rows, total, status = [], None, 200
    if form.is_bound and form.errors:
        status = 422
    else:
        regions = None if is_finance(request.user) else regions_for(request.user, Role.COORDINATOR)
        rows, total = follow_up_completion(regions=regions, start=start, end=end)
    context = {"form": form, "rows": rows, "total": total, "start": start, "end": end}
    return render_page(
        request,
        "marketplace/follow_up_report.html",
        context,
        fragment="marketplace/partials/follow_up_report_results.html",
        status=status,
    )
