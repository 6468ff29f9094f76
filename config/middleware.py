"""Request guards that hold for every page and API endpoint."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """Answer 400 to any request whose query string or form body holds a NUL character.

    PostgreSQL text cannot store NUL; without this guard such input reaches a
    query and fails there as a server error. No valid input contains one.
    JSON bodies are left to the API's serializers, which refuse NUL in any text
    field and name the field; a NUL in the path simply matches no URL (404).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            detail = _("The request contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "detail": detail}, status=400)
            return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "%00" in request.META.get("QUERY_STRING", ""):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return b"%00" in request.body or b"\x00" in request.body
        if content_type.startswith("multipart/form-data"):
            return any("\x00" in value for values in request.POST.lists() for value in values[1])
        return False
