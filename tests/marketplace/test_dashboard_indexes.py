"""The coordinator dashboard's current listings are read in the order of
`listing_active_recent_idx` (PostgreSQL): the first 50 rows, not a sort of
every active listing of the district."""

import pytest
from django.db import connection

from exchange.account_views import ACTIVE_LISTING_STATES, current_listings
from marketplace.models import Listing
from people.models import Role
from people.permissions import regions_for

pytestmark = pytest.mark.postgres


def test_the_active_states_sort_in_the_order_the_dashboard_shows_them():
    assert list(ACTIVE_LISTING_STATES) == sorted(ACTIVE_LISTING_STATES)


def test_current_listings_are_read_in_the_index_order_without_a_sort(make_listing, people):
    make_listing()
    make_listing(publish=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'marketplace_listing' "
            "AND indexname NOT IN ('marketplace_listing_pkey', 'listing_active_recent_idx')"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    regions = regions_for(people["coord_seo"], Role.COORDINATOR)
    plan = current_listings(Listing.objects.filter(region__in=regions)).explain()
    assert "listing_active_recent_idx" in plan
    assert "Sort" not in plan, plan
    assert "Seq Scan on marketplace_listing" not in plan
