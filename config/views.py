"""Site-wide views that belong to no domain app."""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.middleware import (
    error_response,
    is_api,
    is_database_unavailable,
    unavailable_response,
)

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 after a real database round trip; 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health check: database unreachable: %s", exc)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's refusals of a malformed request (too many fields, a body over
    the size limit, a bad host): the API's JSON error or a Korean page."""
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413, "too_large", _("The request is too large."), "413.html")
    return error_response(request, 400, "invalid", _("The request is not valid."), "400.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """Any error no view handled. While the database does not answer that is a
    503, not a fault of the application; otherwise the 500 page, or the API's
    JSON error under /api/."""
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        logger.error("Database unavailable for %s: %s", request.path, exception)
        return unavailable_response(request)
    if is_api(request):
        body = {"code": "server_error", "detail": _("An unexpected error occurred.")}
        return JsonResponse(body, status=500)
    return HttpResponseServerError(render_to_string("500.html"))
