"""Every list page and list endpoint reads the same number of queries whatever
the number of rows it shows: no query per row (N+1).

Each case builds rows with the services, measures the request at a few rows,
adds rows, and measures again. API lists are measured at `page_size` 5 and 50
over the same rows; pages at two row counts below their page size."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from donors.models import Donor, DonorKind, DonorMembership
from ledger.models import Purpose
from ledger.services import account_for, proposal_grant_create
from marketplace.services import claim_request, household_create


class World:
    """Rows of every kind, added on demand, all visible to the users below."""

    def __init__(self, *, daejeon, people, make_listing, grant, finance, donor, make_pledge):
        self.daejeon, self.people, self.finance, self.donor = daejeon, people, finance, donor
        self.make_listing, self.grant, self.make_pledge = make_listing, grant, make_pledge
        self.dong = daejeon["대덕구"].children.order_by("code").first()
        self._listing = None
        self._household = None
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
        client.force_authenticate(_user(world, who))
    if "{wallet}" in endpoint:
        endpoint = endpoint.format(wallet=account_for(world.daejeon["대덕구"], Purpose.WALLET).pk)
    url = f"/api/v1/{endpoint}/"
    few, response = _count(client, url, page_size=5)
    assert len(response.json()["results"]) == 5
    many, response = _count(client, url, page_size=50)
    assert len(response.json()["results"]) == 50 if endpoint != "categories" else 40
    assert few == many, (endpoint, few, many)
