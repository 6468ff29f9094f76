"""Idle sessions end; every response says which browser features pages may use."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

#: Session key holding the time (whole seconds since the epoch) of the last request.
LAST_ACTIVITY = "last_activity"
#: The stored time is rewritten only when it is older than this, so that a
#: run of requests costs one session write a minute, not one each.
REFRESH_SECONDS = 60


def session_touch(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """On sign-in (`user_logged_in`), which writes the session anyway, start
    the idle clock, so the first page after it need not write again."""
    request.session[LAST_ACTIVITY] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """Sign out a session that made no request for `SESSION_IDLE_MINUTES`.

    Every signed-in person here holds an office role (coordinator, case
    manager, finance, donor representative or admin), so the rule applies to
    every session. Token-authenticated API calls carry no session and are
    untouched; tokens expire by their own rule.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY)
            idle_limit = settings.SESSION_IDLE_MINUTES * 60
            if isinstance(last, int) and now - last > idle_limit:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity.")
                    % {"minutes": settings.SESSION_IDLE_MINUTES},
                )
            elif not isinstance(last, int) or now - last >= REFRESH_SECONDS:
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Adds the `Permissions-Policy` header of settings.PERMISSIONS_POLICY."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response
