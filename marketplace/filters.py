"""Query filters of the marketplace API.

The listing filters mean what the catalogue's filters mean
(`marketplace.selectors.catalogue`): a parent category includes its children,
a district includes every region below it, and a listing is available on a
day when the day lies between its first and last day (an open end counts).
"""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.filters import SearchFilter

from marketplace.models import (
    Category,
    Household,
    HouseholdStatus,
    Listing,
    ListingState,
    ResourceKind,
)
from marketplace.search import bigram_prefilter
from regions.models import Region, code_validator


class StableOrderingFilter(django_filters.OrderingFilter):
    """Puts empty values last in either direction (as SQLite and PostgreSQL would
    not agree on by themselves) and ends with the newest id, so that pages of
    rows with equal values neither repeat nor skip a row."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        terms = []
        for param in value:
            name = self.get_ordering_value(param)
            field = F(name.removeprefix("-"))
            terms.append(
                field.desc(nulls_last=True) if name.startswith("-") else field.asc(nulls_last=True)
            )
        return qs.order_by(*terms, "-pk")


class CategoryFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent category code"))
    usual_kind = django_filters.ChoiceFilter(choices=ResourceKind.choices)

    class Meta:
        model = Category
        fields = ["parent", "usual_kind"]


class ListingFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ListingState.choices)
    kind = django_filters.ChoiceFilter(choices=ResourceKind.choices)
    category = django_filters.CharFilter(
        method="filter_category",
        label=_("Category code; a parent category includes its sub-categories"),
    )
    region = django_filters.CharFilter(
        field_name="region__code",
        validators=[code_validator],
        label=_("Code of the region the listing belongs to"),
    )
    district = django_filters.CharFilter(
        method="filter_district",
        validators=[code_validator],
        label=_("District code; includes every dong of the district"),
    )
    available_on = django_filters.DateFilter(
        method="filter_available_on", label=_("Day on which the resource is available")
    )

    ordering = StableOrderingFilter(
        fields=(
            ("published_at", "published_at"),
            ("available_until", "available_until"),
            ("title", "title"),
            ("value_per_unit", "value_per_unit_krw"),
            ("created_at", "created_at"),
        ),
        label=_("Order by; a leading minus reverses (default: newest published first)"),
    )

    class Meta:
        model = Listing
        fields = ["state", "kind", "category", "region", "district", "available_on"]

    # Category and district are turned into lists of ids first (two small tables):
    # given constants, PostgreSQL reads the newest listings in index order, where a
    # join on the code misestimates how many rows match and sorts them all.

    def filter_category(self, queryset: QuerySet[Listing], name: str, value: str):
        ids = Category.objects.filter(Q(code=value) | Q(parent__code=value)).values_list(
            "pk", flat=True
        )
        return queryset.filter(category_id__in=list(ids))

    def filter_district(self, queryset: QuerySet[Listing], name: str, value: str):
        # A region's path holds every code above it, its own included.
        ids = Region.objects.filter(path__contains=f"/{value}/").values_list("pk", flat=True)
        return queryset.filter(region_id__in=list(ids))

    def filter_available_on(self, queryset: QuerySet[Listing], name: str, value: datetime.date):
        return queryset.filter(available_from__lte=value).filter(
            Q(available_until__isnull=True) | Q(available_until__gte=value)
        )


class HouseholdFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=HouseholdStatus.choices)
    dong = django_filters.CharFilter(
        field_name="dong__code", validators=[code_validator], label=_("Code of the dong")
    )

    class Meta:
        model = Household
        fields = ["status", "dong"]


class ListingSearchFilter(SearchFilter):
    """DRF's `search` over the view's `search_fields` (icontains, every word in
    some field), plus for each two-character word the bigram pre-filter of
    `marketplace.search`, so that PostgreSQL reads the bigram indexes."""

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        queryset = super().filter_queryset(request, queryset, view)
        fields = tuple(self.get_search_fields(view, request) or ())
        if not fields:
            return queryset
        for term in self.get_search_terms(request):
            prefilter = bigram_prefilter(term, fields)
            if prefilter:
                queryset = queryset.filter(prefilter)
        return queryset
