"""Aggregate figures for the public catalogue: nothing here names a household
or a region's balance, so anyone may see them."""

from __future__ import annotations

import datetime

from django.db.models import Sum
from django.utils import timezone

from ledger.models import Entry
from marketplace.models import Listing, ListingState

#: The account every fulfilled claim's points end up in (public and private share alike).
REDEEMED_ACCOUNT = "system:redeemed"


def month_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The calendar month holding `day`, as [start, end) moments in local (Seoul) time."""
    tz = timezone.get_default_timezone()
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=tz),
    )


def points_exchanged_in_month(day: datetime.date | None = None) -> int:
    """Points redeemed by fulfilled claims in the local calendar month of `day` (today).

    Only credits count: a correction that takes points back out of the account
    is not an exchange, and the figure is what was handed over, not the net.
    """
    start, end = month_bounds(day or timezone.localdate())
    total = Entry.objects.filter(
        account__code=REDEEMED_ACCOUNT,
        posted_at__gte=start,
        posted_at__lt=end,
        amount__gt=0,
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0


def listings_available() -> int:
    """Listings open for claims in the catalogue (published, with units left)."""
    return Listing.objects.filter(state=ListingState.PUBLISHED).count()
