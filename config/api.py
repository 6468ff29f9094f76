"""API plumbing shared by every app: the error format and the JSON 404 (the
parser and renderers that keep malformed input a 400 are in config/parsing.py).

Every error the API returns has the shape `{"code": "...", "detail": "..."}`;
validation errors add `fields`, a mapping from field name to messages.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.decorators import api_view, permission_classes, schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.conflicts import Conflict, is_lock_conflict
from config.exceptions import DomainError
from config.middleware import is_database_unavailable, release_broken_connections
from config.web import domain_error_body

logger = logging.getLogger(__name__)


def unavailable_body() -> dict[str, str]:
    return {
        "code": "unavailable",
        "detail": _("The service is temporarily unavailable. Nothing was changed; try again soon."),
    }


def too_large_body() -> dict[str, str]:
    return {"code": "too_large", "detail": _("The request is too large.")}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
        return ""
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.http_status)

    # Django's own 404 and 403 become their API exceptions first, so that
    # they get their codes below.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if is_database_unavailable(exc):
        # The database does not answer (down, restarting, unreachable): the
        # service is unavailable for a moment, which is not a fault of the request.
        logger.error("API request failed: database unavailable: %s", exc)
        release_broken_connections()
        return Response(
            unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(too_large_body(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        # Django's refusal of a malformed request (too many form fields, ...).
        logger.warning("API request refused: %s", exc)
        return Response(
            {"code": "invalid", "detail": _("The request is not valid.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, OverflowError):
        # A date or number so far out that Python cannot compute with it
        # (9999-12-31 plus a day, a year before 1 in UTC): bad input.
        logger.warning("API input out of range: %s", exc)
        return Response(
            {"code": "invalid", "detail": _("A value in the request is out of range.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DataError):
        # A value the database cannot hold (a NUL character, a number out of
        # range) that got past the serializers: bad input, not a server fault.
        logger.warning("API input refused by the database: %s", exc)
        return Response(
            {"code": "invalid", "detail": _("A value in the request cannot be stored.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if is_lock_conflict(exc):
        # A deadlock or serialization failure outside the services' own retry:
        # the transaction was rolled back, so the caller may simply try again.
        logger.warning("API request collided with another transaction: %s", exc)
        return Response(
            {"code": Conflict.code, "detail": str(Conflict.default_message)},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        # An unexpected error: log it with its traceback and answer in the
        # API's format rather than with an HTML error page.
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            {"code": "server_error", "detail": _("An unexpected error occurred.")},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = {
            "code": "invalid",
            "detail": _first_message(detail) or _("Invalid input."),
            "fields": fields,
        }
        return response

    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"code": code, "detail": _first_message(exc.detail)}
    return response


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
@schema(None)
def not_found(request: Request, *args: Any, **kwargs: Any) -> Response:
    """Every unknown URL under /api/v1/ answers a JSON 404 in the error format."""
    raise exceptions.NotFound(_("No API endpoint at this address."))
