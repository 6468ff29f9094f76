"""Query filters of the donors API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from donors.models import Donor, DonorKind, Match, MatchState, Pledge, PledgeState

#: The largest primary key the database can hold; larger ids are refused with 400.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    """A whole-number id: "1.5", "abc" or a number beyond any key answer 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class DonorFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=DonorKind.choices)
    is_active = django_filters.BooleanFilter()
    verified = django_filters.BooleanFilter(method="filter_verified")

    class Meta:
        model = Donor
        fields = ["kind", "is_active", "verified"]

    def filter_verified(self, queryset: QuerySet[Donor], name: str, value: bool) -> QuerySet[Donor]:
        return queryset.filter(verified_at__isnull=not value)


class PledgeFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=PledgeState.choices)
    donor = IdFilter(field_name="donor_id")

    class Meta:
        model = Pledge
        fields = ["state", "donor"]


class MatchFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=MatchState.choices)
    pledge = IdFilter(field_name="pledge_id")

    class Meta:
        model = Match
        fields = ["state", "pledge"]
