"""The dashboards show what needs their reader now: each list's first rows
(exchange.account_views.DASHBOARD_ROWS, most urgent first) with the list's
total and a link to all of it; the listing counts by state come from the
cache and follow a state change at once."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import PersonalDataAccess
from exchange.account_views import DASHBOARD_ROWS
from exchange.services import claim_request
from marketplace.models import Listing
from marketplace.selectors import listing_state_counts
from marketplace.services import household_create, listing_publish
from people.models import Role
from people.permissions import posts_read_once, regions_for
from tests import factories


@pytest.fixture
def many_claims(people, make_listing, daejeon, grant):
    """n claims of new 대덕구 households on one 서구 listing (all requested)."""
    grant(daejeon["대덕구"], 100_000)
    listing = make_listing(quantity=1_000)
    dong = factories.first_dong(daejeon["대덕구"])

    def make(n: int) -> list:
        claims = []
        for _ in range(n):
            household = household_create(by=people["cm_daedeok"], dong=dong, size=1)
            claims.append(
                claim_request(
                    by=people["cm_daedeok"], listing=listing, household=household, quantity=1
                )
            )
        return claims

    return make


def _see_all(html: str) -> list[tuple[str, str, str]]:
    """(shown, total, link) of each "N of M shown" line."""
    return re.findall(
        r'<p class="see-all" data-shown="(\d+)" data-total="(\d+)">[^<]*<a href="([^"]+)">', html
    )


def _state_count(html: str, state: str) -> int:
    found = re.search(rf'data-state="{state}"><span>[^<]+</span> <strong>([\d,]+)<', html)
    return int(found[1].replace(",", ""))


def test_coordinator_sees_the_first_rows_with_totals_and_links(
    client, people, make_listing, many_claims
):
    for _ in range(DASHBOARD_ROWS + 3):
        make_listing(publish=False)
    claims = many_claims(DASHBOARD_ROWS + 2)
    client.force_login(people["coord_seo"])
    html = client.get("/dashboard/").content.decode()
    listing_rows = re.findall(r'<tr data-listing="(\d+)"', html)
    assert len(listing_rows) == DASHBOARD_ROWS
    # Drafts first, newest first.
    newest = Listing.objects.filter(state="draft").order_by("-created_at", "-pk")
    assert [int(pk) for pk in listing_rows] == [listing.pk for listing in newest[:DASHBOARD_ROWS]]
    decisions = re.findall(r'<li class="claim [^"]*" id="claim-(\d+)"', html)
    assert len(decisions) == DASHBOARD_ROWS
    assert {int(pk) for pk in decisions} <= {claim.pk for claim in claims}
    # Active listings: the drafts and the one published listing the claims are on.
    assert ("10", "14", "/listings/export/") in _see_all(html)
    assert ("10", "12", "/claims/") in _see_all(html)
    assert re.search(
        r'<li class="state-requested" data-state="requested"><a href="/claims/\?state=requested">'
        r"<span>[^<]+</span> <strong>12</strong>",
        html,
    )
    client.cookies["django_language"] = "ko"
    korean = client.get("/dashboard/", headers={"Accept-Language": "ko"}).content.decode()
    assert "전체 12건 중 10건 표시" in korean and "모두 보기" in korean
    assert "모두 내려받기 (CSV)" in korean


def test_case_manager_sees_the_first_rows_and_only_they_are_recorded(
    client, people, daejeon, many_claims
):
    claims = many_claims(DASHBOARD_ROWS + 2)
    client.force_login(people["cm_daedeok"])
    before = PersonalDataAccess.objects.count()
    html = client.get("/dashboard/").content.decode()
    households = re.findall(r'<tr data-household="([^"]+)"', html)
    assert len(households) == DASHBOARD_ROWS
    assert ("10", "12", "/households/") in _see_all(html)
    mine = re.findall(r'<ul class="claims mine">(.*?)</ul>', html, re.S)
    assert sum(part.count('class="claim ') for part in mine) == DASHBOARD_ROWS
    assert re.search(r'<h3 class="small-heading" data-state="requested" data-count="12">', html)
    assert ("10", "12", "/claims/?state=requested") in _see_all(html)
    # The newest claims first.
    shown = [int(pk) for pk in re.findall(r'id="claim-(\d+)"', "".join(mine))]
    assert shown == [claim.pk for claim in reversed(claims)][:DASHBOARD_ROWS]
    # Each household shown, and only those, got its access record.
    recorded = set(
        PersonalDataAccess.objects.order_by("pk")[before:].values_list("household__code", flat=True)
    )
    assert recorded == set(households)


def test_a_short_list_shows_no_see_all_line(client, claim, people):
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert f'id="claim-{claim.pk}"' in html
    assert 'class="see-all"' not in html


def test_listing_counts_follow_a_state_change_at_once(
    client, people, make_listing, committed, django_assert_max_num_queries
):
    draft = committed(lambda: make_listing(publish=False))
    committed(lambda: make_listing(publish=True))
    client.force_login(people["coord_seo"])
    html = client.get("/dashboard/").content.decode()
    assert (_state_count(html, "draft"), _state_count(html, "published")) == (1, 1)
    # Read again, the counts come from the cache: no count over the listings.
    with CaptureQueriesContext(connection) as queries:
        client.get("/dashboard/")
    assert not [
        q
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and 'FROM "marketplace_listing"' in q["sql"]
    ]
    committed(lambda: listing_publish(listing=draft, by=people["coord_seo"]))
    html = client.get("/dashboard/").content.decode()
    assert (_state_count(html, "draft"), _state_count(html, "published")) == (0, 2)


def test_listing_state_counts_are_per_set_of_regions(make_listing, daejeon, committed):
    committed(lambda: make_listing(publish=False))
    committed(lambda: make_listing(region_name="대덕구", publish=True))
    seo, daedeok = daejeon["서구"].path, daejeon["대덕구"].path
    assert listing_state_counts([seo]) == {"draft": 1}
    assert listing_state_counts([daedeok]) == {"published": 1}
    assert listing_state_counts([daedeok, seo]) == {"draft": 1, "published": 1}
    assert listing_state_counts([]) == {}


def test_regions_for_in_posts_read_once_sends_no_query(people, django_assert_num_queries):
    user = people["cm_daedeok"]
    outside = set(regions_for(user, Role.CASE_MANAGER).values_list("pk", flat=True))
    with posts_read_once(user):
        with django_assert_num_queries(0):
            inside = regions_for(user, Role.CASE_MANAGER)
            coordinated = regions_for(user, Role.COORDINATOR)
        assert set(inside.values_list("pk", flat=True)) == outside
        assert not coordinated.exists()


def test_the_header_reads_the_posts_once(client, people):
    client.force_login(people["coord_seo"])
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/dashboard/")
    posts = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "people_regionmembership"."id"')
    ]
    groups = [q for q in queries.captured_queries if '"auth_group"' in q["sql"]]
    # The dashboard's own read, which the header shares; finance asked once.
    assert len(posts) == 1
    assert len(groups) == 1
