"""The bulk import of listings for coordinators: upload a CSV or XLSX file,
see every row checked (with its problems in place), then import them all as
drafts or none.

The rows checked at the preview are kept in the session, under a token the
preview's form sends back, never in the page: what is imported is what the
server read. At the confirmation they are checked again (a post may have ended
since), and only when every row still passes is anything written.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from config.exceptions import DomainError
from config.exports import csv_response
from config.web import error_message, form_status, requires
from marketplace.forms import ListingFileForm
from marketplace.imports import (
    COLUMNS,
    MAX_FILE_BYTES,
    ImportFileError,
    ImportRow,
    check_listing_rows,
    error_count,
    read_listing_file,
    template_rows,
    template_xlsx,
    too_big_message,
)
from marketplace.services import import_listings
from people.models import Role
from people.permissions import regions_for
from regions.models import Level

#: Where the checked rows wait for the confirmation.
SESSION_KEY = "listing_import"
#: The most the waiting rows may take in the session (as JSON).
MAX_SESSION_BYTES = 1024 * 1024
#: An example region code for the template when the coordinator covers none
#: that takes listings (서구).
FALLBACK_REGION_CODE = "3017000000"


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("form", ListingFileForm())
    context.setdefault("columns", [column for _name, column in COLUMNS])
    return render(request, "marketplace/listing_import.html", context, status=status)


def _preview(
    request: HttpRequest, rows: list[ImportRow], *, name: str, status: int
) -> HttpResponse:
    errors = error_count(rows)
    token = ""
    if not errors:
        stored = {
            "token": secrets.token_urlsafe(16),
            "name": name,
            "rows": [[row.line, row.values] for row in rows],
        }
        if len(json.dumps(stored, ensure_ascii=False).encode()) > MAX_SESSION_BYTES:
            problem = _(
                "The file holds too much text to import at once; split it into several files."
            )
            return _page(request, {"problem": problem}, status=422)
        request.session[SESSION_KEY] = stored
        token = stored["token"]
    else:
        request.session.pop(SESSION_KEY, None)
    summary = _("%(errors)s of %(rows)s rows have errors") % {
        "errors": f"{errors:,}",
        "rows": f"{len(rows):,}",
    }
    return _page(
        request,
        {
            "rows": rows,
            "errors": errors,
            "summary": summary,
            "token": token,
            "file_name": name,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Role.COORDINATOR)
def listing_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST with a file: the preview. POST with the
    preview's token: the import."""
    if request.method == "GET":
        return _page(request, {})
    if "token" in request.POST:
        return _confirm(request)
    form = ListingFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, {"form": form}, status=422)
    upload = form.cleaned_data["file"]
    name = upload.name or ""
    try:
        if upload.size > MAX_FILE_BYTES:
            raise ImportFileError(too_big_message())
        records = read_listing_file(name, upload.read())
    except ImportFileError as error:
        form.add_error("file", error.message)
        return _page(request, {"form": form}, status=422)
    rows = check_listing_rows(request.user, records)
    return _preview(request, rows, name=name, status=422 if error_count(rows) else 200)


def _confirm(request: HttpRequest) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    sent = request.POST.get("token", "").encode()
    if not isinstance(stored, dict) or not secrets.compare_digest(
        str(stored.get("token", "")).encode(), sent
    ):
        problem = _("This preview is no longer waiting to be imported. Upload the file again.")
        return _page(request, {"problem": problem}, status=409)
    records = [(int(line), dict(values)) for line, values in stored["rows"]]
    rows = check_listing_rows(request.user, records)
    if error_count(rows):
        # Something changed since the preview (a post ended, a date passed).
        return _preview(request, rows, name=stored.get("name", ""), status=422)
    try:
        created = import_listings(
            request.user,
            [row.cleaned for row in rows],
            key=stored["token"],
            file_name=stored.get("name", ""),
        )
    except DomainError as error:
        request.session.pop(SESSION_KEY, None)
        return _page(request, {"problem": error_message(error)}, status=form_status(error))
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        ngettext(
            "%(count)s listing was imported as a draft.",
            "%(count)s listings were imported as drafts.",
            len(created),
        )
        % {"count": f"{len(created):,}"},
    )
    return redirect("dashboard")


def _example_region_code(request: HttpRequest) -> str:
    region = (
        regions_for(request.user, Role.COORDINATOR)
        .filter(level__in=(Level.DONG, Level.DISTRICT))
        .order_by("path")
        .first()
    )
    return region.code if region is not None else FALLBACK_REGION_CODE


@require_GET
@requires(Role.COORDINATOR)
def listing_import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The template: the header row and one example row, in CSV or XLSX."""
    rows = template_rows(_example_region_code(request), timezone.localdate())
    if fmt == "xlsx":
        response = HttpResponse(
            template_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="listings-template.xlsx"'
        return response
    return csv_response(rows, "listings-template.csv")
