"""Two transactions that still collide in the database answer 409, never 500.

The services take their row locks in one order (exchange/locks.py), so a
deadlock between them should not happen; this is the net under that rule. A
PostgreSQL deadlock or serialization failure rolls back the whole transaction,
so a service that started it may simply run again: `retry_on_conflict` does so
a few times, and past that (or when an outer transaction is open and must be
abandoned as a whole) raises `Conflict`, a domain error with code "conflict".
`ConflictMiddleware` and the API's exception handler turn any such database
error that escapes a service into the same 409.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.exceptions import DomainError

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Runs of a service in all, the first included, before a collision is a 409.
ATTEMPTS = 3


class Conflict(DomainError):
    """Another action on the same objects collided with this one; nothing changed."""

    code = "conflict"
    http_status = 409
    default_message = gettext_lazy(
        "This overlapped with another action; nothing was changed. Please try again."
    )


def is_lock_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure reported by PostgreSQL."""
    if not isinstance(exc, OperationalError):
        return False
    try:
        from psycopg import errors
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc.__cause__, errors.DeadlockDetected | errors.SerializationFailure)


def retry_on_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` again (at most ATTEMPTS times in all) when its transaction
    was rolled back by a deadlock or serialization failure; then `Conflict`.

    Inside an outer transaction nothing is retried: the database has already
    aborted that transaction, so only its owner can start over."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if not is_lock_conflict(exc):
                    raise
                if connection.in_atomic_block or attempt == ATTEMPTS:
                    logger.warning("%s collided with another transaction: %s", func.__name__, exc)
                    raise Conflict() from exc
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def conflict_response(request: HttpRequest) -> HttpResponse:
    detail = str(Conflict.default_message)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": Conflict.code, "detail": detail}, status=409)
    body = (
        '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">'
        f"<title>{_('Conflict')} · 나눔 교환</title></head><body>"
        f"<h1>{_('Conflict')}</h1><p data-message>{detail}</p></body></html>"
    )
    return HttpResponse(body, status=409, content_type="text/html; charset=utf-8")


class ConflictMiddleware:
    """Pages: a deadlock or serialization failure that escapes a view is a 409."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_lock_conflict(exception):
            return None
        logger.warning("Request collided with another transaction: %s", exception)
        return conflict_response(request)
