"""The API of one's own notifications: `GET /api/v1/notifications/` (newest
first, paged) and `POST /api/v1/notifications/read/` (`{"ids": [...]}` or
`{"all": true}`). Only the caller's own rows are ever listed or marked."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.fields import MAX_ID
from inbox.models import Notification
from inbox.selectors import notifications_of
from inbox.services import ALL, mark_read, unread_count

#: The most ids one request marks.
MAX_READ_IDS = 1000


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.BooleanField(source="is_unread", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "unread"]
        read_only_fields = fields


class ReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=MAX_READ_IDS,
        help_text="Ids of the caller's notifications to mark read; others are ignored.",
    )
    all = serializers.BooleanField(
        required=False, default=False, help_text="Mark every unread notification read."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("all") == bool(attrs.get("ids")):
            raise serializers.ValidationError(_("Give either ids or all, not both nor neither."))
        return attrs


class ReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
    unread = serializers.IntegerField(help_text="How many unread notifications remain.")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notifications, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return notifications_of(self.request.user)

    @extend_schema(request=ReadSerializer, responses=ReadResultSerializer)
    @action(detail=False, methods=["post"])
    def read(self, request: Request) -> Response:
        """Mark notifications read: `{"ids": [1, 2]}` or `{"all": true}`."""
        form = ReadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ids = ALL if form.validated_data["all"] else form.validated_data["ids"]
        marked = mark_read(request.user, ids)
        return Response({"marked": marked, "unread": unread_count(request.user)})
