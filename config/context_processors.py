"""What every page's header and footer show: the city and the contact from settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_city": settings.SITE_CITY,
        "site_contact": settings.SITE_CONTACT,
        "site_contact_is_demo": settings.SITE_CONTACT_IS_DEMO,
    }
