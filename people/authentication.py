"""API authentication: tokens that expire, and a brake on wrong tokens.

A token is refused (401, `token_expired`) once it is `API_TOKEN_TTL_DAYS`
old. The refusal writes nothing: the expired row is replaced when its owner
asks for a new token (`people.services.token_issue`). A client address that
sent too many wrong or expired tokens gets 429 for every token request until
the window passes; the count lives in the cache, not the database.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from people.services import token_is_expired


def throttled(wait: float | None) -> exceptions.Throttled:
    seconds = max(1, math.ceil(wait or 0))
    return exceptions.Throttled(
        wait=wait,
        detail=_("Too many sign-in attempts. Try again in %(seconds)d seconds.")
        % {"seconds": seconds},
    )


class AuthFailureThrottle(SimpleRateThrottle):
    """Counts failed token authentications per client address (scope `auth_failure`)."""

    scope = "auth_failure"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request: Any) -> None:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def blocked_for(self, request: Any) -> float | None:
        """Seconds until this address may try again, or None when it may now."""
        self._load(request)
        if len(self.history) >= self.num_requests:
            return self.wait() or 1.0
        return None

    def record_failure(self, request: Any) -> None:
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with an expiry and a failure throttle."""

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        if not self.presents_token(request):
            return None
        throttle = AuthFailureThrottle()
        wait = throttle.blocked_for(request)
        if wait is not None:
            raise throttled(wait)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise

    def presents_token(self, request: Request) -> bool:
        """Whether the request presents `Authorization: Token …` at all."""
        parts = get_authorization_header(request).split()
        return bool(parts) and parts[0].lower() == self.keyword.lower().encode()

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token=token):
            raise exceptions.AuthenticationFailed(
                _("The token has expired. Request a new one."), code="token_expired"
            )
        return user, token
