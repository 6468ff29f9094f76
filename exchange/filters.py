"""Query filters of the claims and matches API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from config.fields import IdFilter
from exchange.models import Claim, ClaimState, Match, MatchState


class ClaimFilter(django_filters.FilterSet):
    # The state as shown: an overdue claim counts as expired (with_effective_state).
    state = django_filters.ChoiceFilter(choices=ClaimState.choices, field_name="effective_state")
    listing = IdFilter(field_name="listing_id", label=_("Listing id"))

    class Meta:
        model = Claim
        fields = ["state", "listing"]


class MatchFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=MatchState.choices)
    pledge = IdFilter(field_name="pledge_id")

    class Meta:
        model = Match
        fields = ["state", "pledge"]
