"""Public pages about the regions taking part in the exchange."""

from collections import Counter

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from regions.models import Level, Region


def home(request: HttpRequest) -> HttpResponse:
    """The public front page: what the exchange is and which regions take part."""
    regions = list(Region.objects.order_by("code"))
    dongs_per_district = Counter(
        region.ancestor_codes[1] for region in regions if region.level == Level.DONG
    )
    districts = [region for region in regions if region.level == Level.DISTRICT]
    for district in districts:
        district.dong_count = dongs_per_district[district.code]
    city = next((region for region in regions if region.level == Level.CITY), None)
    return render(request, "regions/home.html", {"city": city, "districts": districts})
