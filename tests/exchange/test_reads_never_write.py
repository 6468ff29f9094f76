"""Reading a claim never writes: an overdue claim is shown expired
(`Claim.objects.with_effective_state()`) until `expire_due` expires it."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from exchange.models import Claim, ClaimState, Match
from exchange.services import claim_approve, claim_request
from ledger.models import Entry, Hold, Transaction
from marketplace.models import Listing

#: Tables a read may write: the session (its idle timer) and the personal-data
#: access records (reading a household records it, on purpose).
MAY_WRITE = ("django_session", "audit_personaldataaccess", "axes_")
WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z_]+)', re.IGNORECASE)


def _writes(queries) -> list[str]:
    found = []
    for query in queries:
        match = WRITE.match(query["sql"])
        if match and not match.group(2).startswith(MAY_WRITE):
            found.append(query["sql"][:120])
    return found


def _books() -> tuple:
    return (
        list(Claim.objects.order_by("pk").values_list("pk", "state", "closed_at")),
        list(Match.objects.order_by("pk").values_list("pk", "state")),
        list(Listing.objects.order_by("pk").values_list("pk", "state", "quantity_held")),
        Transaction.objects.count(),
        Entry.objects.count(),
        list(Hold.objects.order_by("pk").values_list("pk", "status")),
    )


@pytest.fixture
def overdue(people, make_listing, household, grant, daejeon, make_pledge):
    """Three overdue claims: one requested whose match still waits for a donor
    past its deadline, one requested (funded) past its approve-by, one approved
    past its fulfil-by."""
    grant(daejeon["대덕구"], 10_000)
    cm, coord = people["cm_daedeok"], people["coord_seo"]
    listing = make_listing(quantity=10)
    unmatched = claim_request(by=cm, listing=listing, household=household, quantity=1)
    assert unmatched.match.state == "pending"
    make_pledge()  # the next claims' matches commit to it at once
    waiting = claim_request(
        by=cm, listing=listing, household=household, quantity=1, justification="반복 지원"
    )
    approved = claim_request(
        by=cm, listing=listing, household=household, quantity=2, justification="다시 필요"
    )
    claim_approve(claim=approved, by=coord)
    past = timezone.now() - datetime.timedelta(minutes=1)
    Match.objects.filter(claim=unmatched).update(deadline=past)
    Claim.objects.filter(pk=waiting.pk).update(approve_by=past)
    Claim.objects.filter(pk=approved.pk).update(fulfil_by=past)
    return {"listing": listing, "claims": [unmatched, waiting, approved]}


def test_no_read_of_an_overdue_claim_writes(overdue, people, household, donor_rep, finance):
    listing = overdue["listing"]
    claims = overdue["claims"]
    reads = {
        people["cm_daedeok"]: [
            "/dashboard/",
            "/claims/",
            "/claims/?state=expired",
            *(f"/claims/{c.pk}/" for c in claims),
            f"/listings/{listing.pk}/",
            f"/households/{household.pk}/",
            "/api/v1/claims/",
            *(f"/api/v1/claims/{c.pk}/" for c in claims),
            f"/api/v1/listings/{listing.pk}/",
        ],
        people["coord_seo"]: [
            "/dashboard/",
            "/claims/",
            *(f"/claims/{c.pk}/" for c in claims),
            f"/listings/{listing.pk}/",
            "/review/duplicates/",
            "/api/v1/claims/",
            "/api/v1/claims/?state=expired",
            *(f"/api/v1/claims/{c.pk}/" for c in claims),
        ],
        donor_rep: ["/donors/", "/api/v1/matches/"],
        finance: ["/finance/matching/", "/api/v1/matches/"],
    }
    before = _books()
    for user, paths in reads.items():
        page, api = Client(), APIClient()
        page.force_login(user)
        api.force_authenticate(user)
        for path in paths:
            client = api if path.startswith("/api/") else page
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            assert response.status_code == 200, (user.username, path, response.status_code)
            assert _writes(ctx.captured_queries) == [], (user.username, path)
    assert _books() == before
    assert Claim.objects.filter(state=ClaimState.EXPIRED).count() == 0


def test_reads_show_overdue_claims_expired_and_expire_due_makes_it_so(overdue, people):
    claims = overdue["claims"]
    api = APIClient()
    api.force_authenticate(people["cm_daedeok"])
    shown = {row["id"]: row["state"] for row in api.get("/api/v1/claims/").json()["results"]}
    assert shown == {c.pk: "expired" for c in claims}
    assert set(Claim.objects.values_list("state", flat=True)) == {"requested", "approved"}
    assert Claim.objects.with_effective_state().filter(effective_state="expired").count() == 3

    call_command("expire_due", stdout=io.StringIO())
    assert set(Claim.objects.values_list("state", flat=True)) == {ClaimState.EXPIRED}
    assert Listing.objects.get(pk=overdue["listing"].pk).quantity_held == 0
