"""The wallet statement, the review of repeated services and the dashboards."""

from __future__ import annotations

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exchange.services import claim_request
from marketplace.services import household_create
from people.models import Role
from tests.helpers import HTMX

# --- the wallet statement --------------------------------------------------------------------


def test_wallet_statement_with_running_balance(client, claim, people, daejeon, finance):
    code = daejeon["대덕구"].code
    client.force_login(people["cm_daedeok"])
    response = client.get(f"/wallet/{code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-balance="920"' in html
    assert re.findall(r'class="num running">([\d,]+)<', html) == ["920", "1,000"]
    client.force_login(people["coord_daedeok"])
    assert client.get(f"/wallet/{code}/").status_code == 200
    client.force_login(finance)
    assert client.get(f"/wallet/{code}/").status_code == 200


def test_wallet_statement_of_another_district_is_403(client, claim, people, daejeon, nobody):
    code = daejeon["대덕구"].code
    assert client.get(f"/wallet/{code}/").status_code == 302
    for user in (people["coord_seo"], people["cm_seo"], nobody):
        client.force_login(user)
        assert client.get(f"/wallet/{code}/").status_code == 403
    client.force_login(people["coord_seo"])
    assert client.get(f"/wallet/{daejeon['관저2동'].code}/").status_code == 404
    assert client.get("/wallet/0000000000/").status_code == 404
    assert client.get("/wallet/abc/").status_code == 404
    # 서구 has had no posting yet: an empty statement, not an error.
    assert client.get(f"/wallet/{daejeon['서구'].code}/").status_code == 200


def test_a_wallet_statement_takes_its_count_from_the_account(client, people, daejeon, grant):
    for _n in range(55):
        grant(daejeon["대덕구"], 1)
    client.force_login(people["cm_daedeok"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/wallet/{daejeon['대덕구'].code}/")
    assert response.status_code == 200
    assert not [
        q
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "ledger_entry" in q["sql"]
    ]
    assert "page=2" in response.content.decode()
    second = client.get(f"/wallet/{daejeon['대덕구'].code}/", {"page": "2"}).content.decode()
    assert len(re.findall(r'<td class="num running">', second)) == 5


# --- the review of repeated services ---------------------------------------------------------


def test_repeated_services_are_listed_for_coordinators_and_finance(
    client, claim, people, household, finance, nobody
):
    repeat = claim_request(
        by=people["cm_daedeok"],
        listing=claim.listing,
        household=household,
        quantity=1,
        justification="추가 지원 필요",
    )
    client.force_login(people["coord_seo"])
    html = client.get("/review/duplicates/").content.decode()
    assert f'data-claim="{repeat.pk}"' in html and f'data-claim="{claim.pk}"' not in html
    assert "추가 지원 필요" in html
    client.force_login(finance)
    assert f'data-claim="{repeat.pk}"' in client.get("/review/duplicates/").content.decode()
    client.force_login(people["coord_daedeok"])
    assert f'data-claim="{repeat.pk}"' not in client.get("/review/duplicates/").content.decode()
    for user in (people["cm_daedeok"], nobody):
        client.force_login(user)
        assert client.get("/review/duplicates/").status_code == 403


# --- the dashboards ---------------------------------------------------------------------------


def test_coordinator_dashboard(client, claim, people, make_listing, daejeon):
    make_listing(publish=False)
    client.force_login(people["coord_seo"])
    response = client.get("/dashboard/")
    html = response.content.decode()
    assert "HX-Request" in response["Vary"]
    assert re.search(r'data-state="draft"><span>[^<]+</span> <strong>1<', html)
    assert re.search(r'data-state="reserved"><span>[^<]+</span> <strong>0<', html)
    assert f'id="claim-{claim.pk}"' in html
    assert f'href="/wallet/{daejeon["서구"].code}/"' in html
    assert 'data-action="new-listing"' in html


def test_case_manager_dashboard(client, claim, people, household, daejeon):
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert household.code in html
    assert f'id="claim-{claim.pk}"' in html
    assert re.search(r'data-balance="920"', html)
    assert f'href="/wallet/{daejeon["대덕구"].code}/"' in html
    fragment = client.get("/dashboard/?part=wallets", headers=HTMX).content.decode()
    assert "<html" not in fragment and 'data-balance="920"' in fragment


def test_dashboard_queries_do_not_grow_with_the_claims(
    client, people, make_listing, daejeon, grant, django_assert_max_num_queries
):
    grant(daejeon["대덕구"], 100_000)
    listing = make_listing(quantity=100)
    dong = daejeon["대덕구"].children.order_by("code").first()

    def add(n: int) -> None:
        for _ in range(n):
            household = household_create(by=people["cm_daedeok"], dong=dong, size=1)
            claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=1)

    add(2)
    client.force_login(people["coord_seo"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/dashboard/")
    client.force_login(people["cm_daedeok"])
    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/dashboard/")
    # 15 for the catalogue and its header, and one for the header's unread notifications.
    with django_assert_max_num_queries(16):
        client.get("/?page=1")


def _tables_read(queries: list[dict]) -> list[str]:
    return [
        table
        for query in queries
        for table in ("people_regionmembership", "auth_group", "donors_donormembership")
        if f'FROM "{table}"' in query["sql"] or f'JOIN "{table}"' in query["sql"]
    ]


def test_the_dashboard_header_reads_no_post_the_page_has_read(client, people, finance):
    """The header's posts, finance role and donor link come from the dashboard's
    own reads: one query each per request, not two."""
    client.force_login(people["cm_daedeok"])
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/dashboard/").content.decode()
    tables = _tables_read(queries.captured_queries)
    assert tables.count("people_regionmembership") == 1, tables
    assert tables.count("auth_group") == 1, tables
    assert tables.count("donors_donormembership") == 1, tables
    header = html.split("</header>")[0]
    assert 'class="role"' in header and "Finance" not in header and "재정" not in header
    client.force_login(finance)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/dashboard/").content.decode()
    assert _tables_read(queries.captured_queries).count("auth_group") == 1
    header = html.split("</header>")[0]
    assert f'href="{reverse("ledger:accounts")}"' in header


def test_membership_ending_removes_the_role(client, daejeon, make_member, make_listing):
    former = make_member(
        daejeon["서구"],
        Role.COORDINATOR,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
    )
    draft = make_listing(publish=False)
    client.force_login(former)
    assert client.get("/listings/new/").status_code == 403
    assert client.post(f"/listings/{draft.pk}/publish/", {}).status_code == 403
