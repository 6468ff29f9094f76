"""REST API for regions: public, read-only reference data."""

from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from regions.filters import RegionFilter
from regions.models import Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "parent", "level", "name_ko", "name_en"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions of the city. Filter by `level`, `parent` (a code) or `within`;
    `search` matches the Korean or English name."""

    queryset = Region.objects.select_related("parent").order_by("code")
    serializer_class = RegionSerializer
    permission_classes = [AllowAny]
    lookup_field = "code"
    lookup_value_regex = r"\d{10}"
    filterset_class = RegionFilter
    search_fields = ["name_ko", "name_en"]
    ordering_fields = ["code", "name_ko", "name_en"]
