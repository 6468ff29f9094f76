import django_filters
from django.utils.translation import gettext_lazy as _

from regions.models import Level, Region


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent region code"))
    within = django_filters.CharFilter(
        method="filter_within", label=_("Code of a region; lists it and every region below it")
    )

    class Meta:
        model = Region
        fields = ["level", "parent", "within"]

    def filter_within(self, queryset, name, value):
        region = Region.objects.filter(code=value).only("path").first()
        if region is None:
            return queryset.none()
        return queryset.filter(path__startswith=region.path)
