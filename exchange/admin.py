from django.contrib import admin

from exchange.models import Claim, ClaimMessage, Match
from marketplace.admin import ReadOnlyStateAdmin


@admin.register(Claim)
class ClaimAdmin(ReadOnlyStateAdmin):
    list_display = (
        "pk",
        "listing",
        "quantity",
        "state",
        "is_exchange",
        "cost_points",
        "duplicate_flag",
        "requested_at",
    )
    list_filter = ("state", "is_exchange", "duplicate_flag")
    exclude = ("household",)  # household codes are for case managers only


@admin.register(Match)
class MatchAdmin(ReadOnlyStateAdmin):
    list_display = ("pk", "claim", "state", "public_points", "private_points", "pledge", "deadline")
    list_filter = ("state",)


@admin.register(ClaimMessage)
class ClaimMessageAdmin(ReadOnlyStateAdmin):
    """Append-only: the admin reads messages and changes none."""

    list_display = ("pk", "claim", "side", "office", "office_phone", "created_at")
    list_filter = ("side",)
