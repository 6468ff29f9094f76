"""Every list page and list endpoint reads the same number of queries whatever
the number of rows it shows: no query per row (N+1).

Each case builds rows with the services, measures the request at a few rows,
adds rows, and measures again. API lists are measured at `page_size` 5 and 50
over the same rows; pages at two row counts below their page size."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djmoney.money import Money
from rest_framework.test import APIClient

from audit.models import AccessAction
from audit.services import access_record
from donors.models import Donor, DonorKind, DonorMembership
from exchange.services import claim_approve, claim_fulfil, claim_request
from ledger.models import Purpose
from ledger.services import account_for, proposal_grant_create
from marketplace.models import Category, FollowUp
from marketplace.services import household_close, household_create, listing_create


class World:
    """Rows of every kind, added on demand, all visible to the users below."""

    def __init__(self, *, daejeon, people, make_listing, grant, finance, donor, make_pledge):
        self.daejeon, self.people, self.finance, self.donor = daejeon, people, finance, donor
        self.donor_rep = donor.memberships.first().user
        self.make_listing, self.grant, self.make_pledge = make_listing, grant, make_pledge
        self.dong = daejeon["대덕구"].children.order_by("code").first()
        self._listing = None
        self._household = None
        self._other_listing = None
        self._rows = 0
        self.pledge = None

    # The claiming side: 대덕구's case manager claims 서구's listing.
    @property
    def listing(self):
        if self._listing is None:
            self.grant(self.daejeon["대덕구"], 10_000_000)
            self._listing = self.make_listing(quantity=1_000, krw=10_000)
        return self._listing

    def listings(self, n: int) -> None:
        for _ in range(n):
            self.make_listing()

    def households(self, n: int) -> list:
        return [
            household_create(by=self.people["cm_daedeok"], dong=self.dong, size=2) for _ in range(n)
        ]

    def claims(self, n: int) -> None:
        listing = self.listing
        for household in self.households(n):
            claim_request(
                by=self.people["cm_daedeok"], listing=listing, household=household, quantity=1
            )

    def overdue_follow_ups(self, n: int) -> None:
        # Closed cases whose follow-ups were due two months ago: escalated to
        # 대덕구's coordinators.
        cm = self.people["cm_daedeok"]
        closed = [household_close(household=h, by=cm) for h in self.households((n + 1) // 2)]
        ids = FollowUp.objects.filter(household__in=closed).order_by("pk")
        FollowUp.objects.filter(pk__in=list(ids.values_list("pk", flat=True)[:n])).update(
            due_on=timezone.localdate() - datetime.timedelta(days=60)
        )

    def duplicate_claims(self, n: int) -> None:
        listing = self.listing
        if self._household is None:
            self._household = self.households(1)[0]
            claim_request(
                by=self.people["cm_daedeok"], listing=listing, household=self._household, quantity=1
            )
        for _ in range(n):
            claim_request(
                by=self.people["cm_daedeok"],
                listing=listing,
                household=self._household,
                quantity=1,
                justification="반복 지원",
            )

    def pledges(self, n: int) -> None:
        for _ in range(n):
            self.make_pledge(krw=100_000)

    def matched_claims(self, n: int) -> None:
        # A confirmed pledge pays the private half of each cross-region claim.
        if self.pledge is None:
            self.pledge = self.make_pledge(krw=100_000_000)
        self.claims(n)

    def funded(self, n: int) -> None:
        # Settled matches: the donor's funded history.
        if self.pledge is None:
            self.pledge = self.make_pledge(krw=100_000_000)
        listing = self.listing
        for household in self.households(n):
            claim = claim_request(
                by=self.people["cm_daedeok"], listing=listing, household=household, quantity=1
            )
            claim = claim_approve(claim=claim, by=self.people["coord_seo"])
            claim_fulfil(claim=claim, by=self.people["cm_daedeok"], quantity_received=1)

    def pending_matches(self, n: int) -> None:
        # Matches waiting for a donor's commit: the donor is inactive while the
        # claims are made (no automatic commit), active again to fund them.
        if self.pledge is None:
            self.pledge = self.make_pledge(krw=100_000_000)
        Donor.objects.filter(pk=self.donor.pk).update(is_active=False)
        self.claims(n)
        Donor.objects.filter(pk=self.donor.pk).update(is_active=True)

    def gifts(self, n: int) -> None:
        category = Category.objects.get(code="economy.donated_goods")
        for _ in range(n):
            listing_create(
                by=self.donor_rep,
                donor=self.donor,
                region=self.daejeon["서구"],
                kind="goods",
                category=category,
                title="기부 물품",
                quantity=3,
                unit="상자",
                value_per_unit=Money(10_000, "KRW"),
                available_from=datetime.date(2026, 1, 1),
            )

    def donors(self, n: int) -> None:
        start = Donor.objects.count()
        for i in range(start, start + n):
            donor = Donor.objects.create(
                name=f"나눔 기부자 {i}",
                kind=DonorKind.SOCIAL_COOPERATIVE,
                business_number=f"{2000000000 + i}",
                home_region=self.daejeon["대덕구"],
            )
            DonorMembership.objects.create(user=self.donor.memberships.first().user, donor=donor)

    def grants(self, n: int) -> None:
        # Each grant is one transaction with an entry on 대덕구's wallet.
        for _ in range(n):
            self.grant(self.daejeon["대덕구"], 100)

    def accounts(self, n: int) -> None:
        # Region wallets and donors' matching funds, both kinds of owner.
        self.grant(self.daejeon["서구"], 100)
        start = Donor.objects.count()
        self.donors(n)
        for donor in Donor.objects.order_by("pk")[start:]:
            account_for(donor, Purpose.MATCH)

    def unconfirmed(self, n: int) -> None:
        # Finance's matching queue: pledges to confirm and donors to verify.
        for _ in range(n):
            self.make_pledge(krw=100_000, confirm=False)
        self.donors(n)

    def accesses(self, n: int) -> None:
        request = RequestFactory().get("/households/")
        request.user = self.people["cm_daedeok"]
        access_record(request=request, households=self.households(n), action=AccessAction.LIST)

    def listings_and_claims(self, n: int) -> None:
        self.listings(n)
        self.claims(n)

    def varied_listings_and_claims(self, n: int) -> None:
        """Rows whose buttons are decided apart: listings of 서구 and of one of its
        dongs, drafts and published ones; claims on a listing of each, for
        households of different dongs of 대덕구 (each pair of regions is its own
        permission question)."""
        listing = self.listing
        if self._other_listing is None:
            self._other_listing = self.make_listing(
                region_name="관저2동", quantity=1_000, krw=10_000
            )
        dongs = list(self.daejeon["대덕구"].children.order_by("code"))
        for i in range(n):
            self.make_listing(region_name=("서구", "관저2동")[i % 2], publish=i % 3 != 0)
            household = household_create(
                by=self.people["cm_daedeok"], dong=dongs[self._rows % len(dongs)], size=2
            )
            claim_request(
                by=self.people["cm_daedeok"],
                listing=(listing, self._other_listing)[i % 2],
                household=household,
                quantity=1,
            )
            self._rows += 1

    def proposals(self, n: int) -> None:
        for _ in range(n):
            proposal_grant_create(
                region=self.daejeon["서구"], amount=100, reason="분기 배정", by=self.finance
            )


@pytest.fixture
def world(daejeon, people, make_listing, grant, finance, donor, make_pledge, settings) -> World:
    return World(
        daejeon=daejeon,
        people=people,
        make_listing=make_listing,
        grant=grant,
        finance=finance,
        donor=donor,
        make_pledge=make_pledge,
    )


def _count(client, url: str, **params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response


# --- the API ---------------------------------------------------------------------------------

#: endpoint -> (who asks, how to add rows)
API_LISTS: dict[str, tuple[str | None, Callable[[World, int], None]]] = {
    "listings": (None, World.listings),
    "categories": (None, lambda world, n: None),
    "regions": (None, lambda world, n: None),
    "households": ("cm_daedeok", World.households),
    "claims": ("cm_daedeok", World.claims),
    "donors": ("finance", World.donors),
    "pledges": ("finance", World.pledges),
    "matches": ("finance", World.matched_claims),
    "ledger/accounts": ("finance", World.accounts),
    "ledger/transactions": ("finance", World.grants),
    "ledger/proposals": ("finance", World.proposals),
    "ledger/accounts/{wallet}/statement": ("finance", World.grants),
    # The same lists as the other roles that see their rows.
    "claims as coordinator": ("coord_seo", World.claims),
    "pledges as donor": ("donor_rep", World.pledges),
    "matches as donor": ("donor_rep", World.matched_claims),
    "ledger/accounts/{wallet}/statement as case manager": ("cm_daedeok", World.grants),
}


def _user(world: World, who: str | None):
    if who is None:
        return None
    if who == "finance":
        return world.finance
    return world.people[who]


@pytest.mark.parametrize("endpoint", list(API_LISTS))
def test_api_lists_cost_the_same_queries_at_5_and_50_rows(world, endpoint):
    who, add = API_LISTS[endpoint]
    add(world, 50)
    client = APIClient()
    if who:
        client.force_authenticate(world.donor_rep if who == "donor_rep" else _user(world, who))
    endpoint = endpoint.split(" as ")[0]
    if "{wallet}" in endpoint:
        endpoint = endpoint.format(wallet=account_for(world.daejeon["대덕구"], Purpose.WALLET).pk)
    url = f"/api/v1/{endpoint}/"
    few, response = _count(client, url, page_size=5)
    assert len(response.json()["results"]) == 5
    many, response = _count(client, url, page_size=50)
    assert len(response.json()["results"]) == 50 if endpoint != "categories" else 40
    print(f"QUERIES api {endpoint}: {few} at page_size 5, {many} at 50")
    assert few == many, (endpoint, few, many)


# --- the pages -------------------------------------------------------------------------------

#: id -> (who, path, how to add rows, rows at first, rows after). Both row counts stay
#: below the page's own page size or row limit, so every row added is shown.
PAGES: dict[str, tuple[str | None, str, Callable[[World, int], None], int, int]] = {
    "catalogue": (None, "/", World.listings, 5, 18),
    "dashboard-coordinator": ("coord_seo", "/dashboard/", World.listings_and_claims, 5, 25),
    "dashboard-case-manager": ("cm_daedeok", "/dashboard/", World.claims, 5, 25),
    "dashboard-coordinator-overdue-follow-ups": (
        "coord_daedeok",
        "/dashboard/",
        World.overdue_follow_ups,
        5,
        50,
    ),
    # Finance's dashboard lists nothing of its own: with proposals and accounts added
    # it must still read the same.
    "dashboard-finance": ("finance", "/dashboard/", World.proposals, 5, 25),
    "dashboard-donor-rep": ("donor_rep", "/dashboard/", World.donors, 5, 25),
    # Up to each dashboard list's 50 rows, with rows whose permissions differ
    # (listings and claims of several regions and states).
    "dashboard-coordinator-50": (
        "coord_seo",
        "/dashboard/",
        World.varied_listings_and_claims,
        5,
        50,
    ),
    "dashboard-case-manager-50": (
        "cm_daedeok",
        "/dashboard/",
        World.varied_listings_and_claims,
        5,
        50,
    ),
    "dashboard-finance-50": ("finance", "/dashboard/", World.proposals, 5, 50),
    "dashboard-donor-rep-50": ("donor_rep", "/dashboard/", World.donors, 5, 50),
    "wallet-50": ("cm_daedeok", "/wallet/{district}/", World.grants, 5, 50),
    "finance-statement-50": ("finance", "/finance/accounts/{wallet}/", World.grants, 5, 50),
    "households": ("cm_daedeok", "/households/", World.households, 5, 18),
    "duplicates": ("coord_seo", "/review/duplicates/", World.duplicate_claims, 5, 18),
    "claims-case-manager": ("cm_daedeok", "/claims/", World.claims, 5, 50),
    "claims-coordinator": ("coord_seo", "/claims/", World.claims, 5, 50),
    "wallet": ("cm_daedeok", "/wallet/{district}/", World.grants, 5, 25),
    "finance-accounts": ("finance", "/finance/", World.accounts, 5, 25),
    "finance-statement": ("finance", "/finance/accounts/{wallet}/", World.grants, 5, 25),
    "finance-proposals": ("finance", "/finance/proposals/", World.proposals, 5, 20),
    "finance-trial-balance": ("finance", "/finance/trial-balance/", World.accounts, 5, 25),
    "finance-matching": ("finance", "/finance/matching/", World.unconfirmed, 5, 25),
    "finance-access-records": ("finance", "/finance/access-records/", World.accesses, 5, 25),
    "donor-portal-pledges": ("donor_rep", "/donors/{donor}/", World.pledges, 5, 18),
    "donor-portal-history": ("donor_rep", "/donors/{donor}/", World.funded, 5, 18),
    "donor-portal-matches": ("donor_rep", "/donors/{donor}/", World.pending_matches, 5, 25),
    "donor-portal-gifts": ("donor_rep", "/donors/{donor}/", World.gifts, 5, 25),
    "donor-gift-review": ("coord_seo", "/donors/review/", World.gifts, 5, 18),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_pages_cost_the_same_queries_at_few_and_many_rows(world, page, donor_rep):
    who, path, add, few_rows, many_rows = PAGES[page]
    client = Client()
    if who == "donor_rep":
        client.force_login(donor_rep)
    elif who:
        client.force_login(_user(world, who))
    district = world.daejeon["대덕구"]
    add(world, few_rows)
    url = path.format(
        district=district.code,
        wallet=account_for(district, Purpose.WALLET).pk,
        donor=world.donor.pk,
    )
    # One request first: the session's first write and the caches are not rows.
    client.get(url)
    # Each count is of a page built afresh, not of the catalogue's cached copy.
    cache.clear()
    few, shown_few = _count(client, url)
    add(world, many_rows - few_rows)
    cache.clear()
    many, shown_many = _count(client, url)
    print(f"QUERIES page {page}: {few} at {few_rows} rows, {many} at {many_rows}")
    # The rows added are on the page (it grew), and cost no query.
    if not page.startswith("dashboard-finance"):
        assert len(shown_many.content) > len(shown_few.content) + 1000, page
    assert few == many, (page, few, many)
