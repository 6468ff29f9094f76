"""Query filters of the donors API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from config.fields import IdFilter
from donors.models import Donor, DonorKind, Pledge, PledgeState


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
