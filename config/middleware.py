"""Request guards that hold for every page and API endpoint.

`RejectMalformedRequestMiddleware` refuses, before any view runs, input that
no field accepts and that would otherwise fail deep inside as a server error.
`DatabaseUnavailableMiddleware` answers 503 instead of 500 while the database
does not answer. The error pages they answer with (templates/400.html, 413.html,
503.html) stand alone: they need no session, user or database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from config.conflicts import is_lock_conflict

logger = logging.getLogger(__name__)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` means the database does not answer (down, restarting,
    unreachable, out of connections). A deadlock or serialization failure is
    also an OperationalError, but the database answered: that is a conflict
    with another transaction (`config.conflicts`, 409), not an outage."""
    if isinstance(exc, InterfaceError):
        return True
    return isinstance(exc, OperationalError) and not is_lock_conflict(exc)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(
    request: HttpRequest, status: int, code: str, detail: str, template: str
) -> HttpResponse:
    """The API's JSON error, or the stand-alone Korean page `template`."""
    if is_api(request):
        return JsonResponse({"code": code, "detail": detail}, status=status)
    page = render_to_string(template, {"detail": detail})
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


def release_broken_connections() -> None:
    """Close every connection that failed and no longer answers, now rather than
    when the request ends, so that the next request opens a fresh one and the
    site recovers as soon as the database does (a persistent connection,
    DATABASE_CONN_MAX_AGE > 0, would otherwise fail again). A connection inside
    a transaction is left to whoever opened that transaction."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue
        try:
            conn.close_if_unusable_or_obsolete()
        except DatabaseError:
            logger.warning("Closing a broken database connection failed", exc_info=True)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    release_broken_connections()
    detail = _("The service is temporarily unavailable. Nothing was changed; try again soon.")
    response = error_response(request, 503, "unavailable", detail, "503.html")
    response["Retry-After"] = "30"
    return response


def _decodes(raw: bytes) -> bool:
    """Whether a URL-encoded string decodes to text: UTF-8 without NUL characters
    (UTF-8 as Python decodes it also refuses encoded surrogates)."""
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class RejectMalformedRequestMiddleware:
    """Answer 413 to a body over DATA_UPLOAD_MAX_MEMORY_SIZE and 400 to a query
    string or form body that does not decode to text (bytes that are not UTF-8,
    an encoded surrogate, a NUL character).

    Django would decode such bytes to replacement characters (or store a NUL,
    which PostgreSQL text cannot hold, and fail there); no valid input contains
    them. The size is checked from Content-Length for every body, JSON included:
    Django applies the limit only when it reads a form itself, and this
    application's one file upload (the listings import) is smaller still. JSON
    bodies are checked by the API's parser (config/parsing.py), which refuses
    lone surrogates and deep nesting; a NUL in the path simply matches no URL
    (404).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._too_large(request):
            return error_response(
                request, 413, "too_large", _("The request is too large."), "413.html"
            )
        if not self._query_decodes(request) or not self._form_decodes(request):
            detail = _(
                "The request contains characters that are not valid text "
                "(a NUL character or bytes that are not UTF-8), which no field accepts."
            )
            return error_response(request, 400, "invalid", detail, "400.html")
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest) -> bool:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        return limit is not None and length > limit

    @staticmethod
    def _query_decodes(request: HttpRequest) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if not query:
            return True
        try:
            # WSGI hands the raw bytes over as ISO-8859-1 text.
            raw = query.encode("iso-8859-1")
        except UnicodeEncodeError:
            raw = query.encode("utf-8", errors="surrogatepass")
        return _decodes(raw)

    @staticmethod
    def _form_decodes(request: HttpRequest) -> bool:
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return _decodes(request.body)
        if content_type.startswith("multipart/form-data"):
            return not any(
                "\x00" in value for values in request.POST.lists() for value in values[1]
            )
        return True


#: The former name, for settings that still list it.
RejectNulBytesMiddleware = RejectMalformedRequestMiddleware


class DatabaseUnavailableMiddleware:
    """503 (JSON in the API, a Korean page elsewhere) when a page fails because
    the database does not answer, instead of a 500.

    Nothing is kept between requests: the next request opens a new connection
    (Django closes a connection that failed when its request ends), so the site
    recovers by itself as soon as the database is back. Errors outside views
    (a middleware, the session saved after the view) reach `config.views.server_error`,
    which answers the same way.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            logger.error("Database unavailable for %s: %s", request.path, exception)
            return unavailable_response(request)
        if isinstance(exception, OverflowError):
            # A date so far out that Python cannot compute with it: bad input.
            logger.warning("Input out of range for %s: %s", request.path, exception)
            return error_response(
                request, 400, "invalid", _("A value in the request is out of range."), "400.html"
            )
        return None


class HealthCheckMiddleware:
    """Answers /healthz right after SecurityMiddleware and WhiteNoise: one
    database round trip (`config.views.healthz`) and nothing else, so that a
    load balancer's probe costs no session, user, language, CSRF or header
    work. SECURE_REDIRECT_EXEMPT keeps it off the HTTPS redirect (probes come
    over plain HTTP from inside). The URL stays in config/urls.py for reverse()."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            from config.views import healthz

            return healthz(request)
        return self.get_response(request)
