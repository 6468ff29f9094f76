"""API sign-in: `POST /api/v1/auth/token/` issues a token, `DELETE` revokes it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from people.authentication import throttled
from people.exceptions import InvalidCredentials
from people.services import token_expires_at, token_issue, token_revoke


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField()


_ERROR = inline_serializer(
    "AuthError", fields={"code": serializers.CharField(), "detail": serializers.CharField()}
)


class TokenView(APIView):
    """Issue (POST) or revoke (DELETE) the caller's API token."""

    throttle_scope = "auth_token"

    def get_authenticators(self) -> list[BaseAuthentication]:
        # A sign-in presents its credentials in the body and nothing else; a
        # browser session must not make it need a CSRF token.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[BasePermission]:
        if getattr(self.request, "method", None) == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def throttled(self, request: Request, wait: float | None) -> None:
        raise throttled(wait)

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description=(
            "Exchange a username and password for the user's token (the current one while "
            "it is valid, otherwise a new one). Tokens expire after API_TOKEN_TTL_DAYS days "
            "and are revoked when the password changes. Five wrong passwords for one "
            "username from one address lock that combination for 15 minutes (429 "
            "`locked_out`); this endpoint is also rate-limited per address (429 `throttled`)."
        ),
        auth=[],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(_ERROR, description="`invalid` or `invalid_credentials`"),
            429: OpenApiResponse(_ERROR, description="`locked_out` or `throttled`"),
        },
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Django's own request: django-axes counts the failure against it and
        # its middleware answers a locked-out combination.
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise InvalidCredentials()
        token = token_issue(user=user)
        return Response(
            TokenSerializer({"token": token.key, "expires_at": token_expires_at(token=token)}).data
        )

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke the API token",
        description=(
            "Revoke the token this request authenticated with (with a browser session: "
            "the signed-in user's token). The token stops working at once."
        ),
        request=None,
        responses={204: None, 401: OpenApiResponse(_ERROR)},
        tags=["auth"],
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
