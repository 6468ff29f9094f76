"""The OpenAPI document's error responses, documented for every operation at once.

Every error the API returns has the shape `{"code": "...", "detail": "..."}`
(config/api.py); validation errors add `fields`, and some domain errors add
facts of their own (the shortfall of `insufficient_points`, for one). Which
statuses an operation can answer follows from how the API works, so they are
derived here from the view rather than repeated on every view:

- 400: every operation. Any request may carry a NUL character in its query
  (refused by `RejectNulBytesMiddleware`) or a value a serializer or filter refuses.
- 401: every operation. Token authentication runs first everywhere, so a wrong
  token is refused even where no login is needed.
- 403: every operation except reads that anyone may make.
- 404: operations on one object (its id may not exist, or not for this user)
  and paged lists (a page past the end).
- 409: every write: creations and transitions meet the current state
  (`illegal_transition`, `insufficient_points`, `idempotency_conflict`, ...).
- 415: every operation with a request body, sent in a type the API does not parse.
- 429: operations of views with a throttle.

The error is the `Error` component; the `ValidationError` component adds `fields`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticatedOrReadOnly

#: Permissions under which a read needs no login, so it is never refused with 403.
OPEN_READ_PERMISSIONS = (AllowAny, IsAuthenticatedOrReadOnly)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable error code, e.g. `not_found`, `invalid`"))
    detail = serializers.CharField(help_text=_("Message in the request's language"))


class ValidationErrorSerializer(ErrorSerializer):
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=_("Messages by field name (validation errors only)"),
    )


ERROR_DESCRIPTIONS = {
    "400": _("The request is invalid; nothing changed."),
    "401": _("Not signed in, or the token is wrong."),
    "403": _("Not allowed for this user."),
    "404": _("No such object for this user, or no such page."),
    "409": _("Conflicts with the current state; nothing changed."),
    "415": _("The request body's content type is not accepted."),
    "429": _("Too many requests; try again later."),
}


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding the error responses every operation can give."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code in responses:
                continue
            serializer = ValidationErrorSerializer if code == "400" else ErrorSerializer
            responses[code] = self._get_response_for_code(
                OpenApiResponse(response=serializer, description=ERROR_DESCRIPTIONS[code]),
                code,
                direction=direction,
            )
        return responses

    def _error_codes(self) -> list[str]:
        safe = self.method in SAFE_METHODS
        codes = ["400", "401"]
        permissions = self.view.get_permissions()
        open_read = safe and all(isinstance(p, OPEN_READ_PERMISSIONS) for p in permissions)
        if not open_read:
            codes.append("403")
        if "{" in self.path or self._is_paged_list():
            codes.append("404")
        if not safe:
            codes.append("409")
        if not safe and self.get_request_serializer() is not None:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _is_paged_list(self) -> bool:
        return self._is_list_view() and getattr(self.view, "pagination_class", None) is not None
