"""The donors API: /api/v1/donors/, /api/v1/pledges/ and /api/v1/matches/."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from djmoney.money import Money
from rest_framework.test import APIClient

from donors.models import Donor, DonorKind, DonorMembership, Pledge, PledgeState
from donors.services import donor_verify, pledge_confirm, pledge_create
from exchange.models import ClaimState, Match, MatchState
from exchange.services import claim_request
from marketplace.services import household_create
from tests.helpers import transitions_of

NOTE = "고유메모-API-9K2"
BRN_MESSAGE = (
    "This is not a valid business registration number (10 digits, e.g. 123-45-67890, "
    "with a correct check digit)."
)


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _until(days: int = 90) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def other_donor(daejeon, finance, django_user_model):
    """Another verified donor with its own representative (`other_donor.rep`)."""
    rep = django_user_model.objects.create_user(username="rep2", password="pw-for-tests-only")
    other = Donor.objects.create(
        name="대전 행복복지관",
        kind=DonorKind.WELFARE_CENTRE,
        business_number="3058200013",
        home_region=daejeon["서구"],
    )
    DonorMembership.objects.create(user=rep, donor=other)
    other = donor_verify(donor=other, by=finance)
    other.rep = rep
    return other


@pytest.fixture
def quiet_household(daejeon, people):
    dong = daejeon["대덕구"].children.order_by("code").first()
    return household_create(by=people["cm_daedeok"], dong=dong, size=2, notes=NOTE)


@pytest.fixture
def pending_claim(daejeon, people, make_listing, quiet_household, grant):
    grant(daejeon["대덕구"], 1000)
    return claim_request(
        by=people["cm_daedeok"],
        listing=make_listing(quantity=10, krw=20_000),
        household=quiet_household,
        quantity=2,
    )


# --- donors ------------------------------------------------------------------------------


def test_donors_are_listed_to_finance_and_to_their_representatives_only(
    donor, other_donor, donor_rep, finance, people
):
    assert _ids(_client(finance).get("/api/v1/donors/")) == {donor.pk, other_donor.pk}
    assert _ids(_client(donor_rep).get("/api/v1/donors/")) == {donor.pk}
    assert _ids(_client(people["coord_seo"]).get("/api/v1/donors/")) == set()
    assert _client(donor_rep).get(f"/api/v1/donors/{other_donor.pk}/").status_code == 404
    assert _client().get("/api/v1/donors/").status_code == 401
    body = _client(donor_rep).get(f"/api/v1/donors/{donor.pk}/").json()
    assert (body["business_number"], body["is_verified"], body["home_region"]) == (
        "1248100998",
        True,
        "3023000000",
    )


def test_finance_registers_a_donor_and_verifies_it(finance, daejeon, donor_rep):
    payload = {
        "name": "유성 늘봄 자활센터",
        "kind": "self_sufficiency",
        "business_number": "314-82-12342",
        "home_region": daejeon["유성구"].code,
    }
    assert _client(donor_rep).post("/api/v1/donors/", payload).status_code == 403
    created = _client(finance).post("/api/v1/donors/", payload, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["business_number"], body["is_verified"]) == ("3148212342", False)
    again = _client(finance).post("/api/v1/donors/", payload, format="json")
    assert again.status_code == 400 and "business_number" in again.json()["fields"]

    verified = _client(finance).post(f"/api/v1/donors/{body['id']}/verify/")
    assert verified.status_code == 200 and verified.json()["is_verified"] is True
    # Registration and verification are in the audit log, once each.
    log = transitions_of("donor", body["id"])
    assert [(e.transition, e.target, e.by) for e in log] == [
        ("register", "registered", finance),
        ("verify", "verified", finance),
    ]
    _client(finance).post(f"/api/v1/donors/{body['id']}/verify/")
    assert log.count() == 2


@pytest.mark.parametrize("number", ["124-81-00990", "12481009", "abcdefghij", "1248100998x"])
def test_a_wrong_business_number_is_refused_with_the_korean_message(
    finance, daejeon, donor, donor_rep, number
):
    with translation.override("ko"):
        expected = translation.gettext(BRN_MESSAGE)
    assert expected.startswith("올바른 사업자등록번호가 아닙니다")
    created = _client(finance).post(
        "/api/v1/donors/",
        {"name": "x", "kind": "company", "business_number": number, "home_region": "3017000000"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert created.status_code == 400
    body = created.json()
    assert body["code"] == "invalid"
    assert body["fields"]["business_number"] == [expected]
    for user in (finance, donor_rep):
        updated = _client(user).patch(
            f"/api/v1/donors/{donor.pk}/",
            {"business_number": number},
            format="json",
            HTTP_ACCEPT_LANGUAGE="ko",
        )
        assert updated.status_code == 400
        assert updated.json()["fields"]["business_number"] == [expected]
    assert Donor.objects.get(pk=donor.pk).business_number == "1248100998"


def test_a_representative_keeps_the_contact_and_nothing_else(donor, donor_rep, other_donor):
    client = _client(donor_rep)
    response = client.patch(
        f"/api/v1/donors/{donor.pk}/",
        {"contact_name": "김담당", "contact_email": "kim@example.kr"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["contact_email"] == "kim@example.kr"
    [entry] = transitions_of("donor", donor.pk, transition="update")
    assert (entry.by, entry.reason) == (donor_rep, "contact_name, contact_email")
    refused = client.patch(
        f"/api/v1/donors/{donor.pk}/", {"name": "새 이름", "is_active": False}, format="json"
    )
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"name", "is_active"}
    assert client.patch(f"/api/v1/donors/{other_donor.pk}/", {}).status_code == 404
    assert client.put(f"/api/v1/donors/{donor.pk}/", {}).status_code == 405
    assert client.post(f"/api/v1/donors/{donor.pk}/verify/").status_code == 403
    # Refused changes leave no trace; an unchanged contact writes nothing.
    client.patch(
        f"/api/v1/donors/{donor.pk}/",
        {"contact_name": "김담당", "contact_email": "kim@example.kr"},
        format="json",
    )
    assert transitions_of("donor", donor.pk, transition="update").count() == 1
    assert Donor.objects.get(pk=donor.pk).name != "새 이름"


# --- pledges -----------------------------------------------------------------------------


def test_a_pledge_created_twice_with_one_key_is_one_pledge(donor, donor_rep):
    client = _client(donor_rep)
    payload = {"donor": donor.pk, "amount_krw": 500_000, "valid_until": _until()}
    first = client.post("/api/v1/pledges/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/pledges/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201, first.json()
    assert first.json()["id"] == again.json()["id"]
    assert Pledge.objects.count() == 1
    body = first.json()
    assert (body["amount_krw"], body["points"], body["state"]) == (500_000, 500, "awaiting")
    other = client.post(
        "/api/v1/pledges/",
        {**payload, "amount_krw": 600_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_krw": 1500}, "amount_krw"),
        ({"amount_krw": 0}, "amount_krw"),
        ({"amount_krw": 1000.5}, "amount_krw"),
        ({"amount_krw": 10**30}, "amount_krw"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"cap_per_claim": 0}, "cap_per_claim"),
        ({"preferred_districts": ["3017059700"]}, "preferred_districts"),  # a dong
        ({"preferred_categories": ["nope"]}, "preferred_categories"),
        ({"donor": 10**30}, "donor"),
        ({"donor": "1.0"}, "donor"),
    ],
)
def test_pledge_errors_name_their_field(donor, donor_rep, daejeon, change, field):
    payload = {"donor": donor.pk, "amount_krw": 100_000, "valid_until": _until(), **change}
    response = _client(donor_rep).post("/api/v1/pledges/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not Pledge.objects.exists()


def test_only_representatives_and_finance_pledge_and_only_for_their_donors(
    donor, other_donor, donor_rep, people, finance
):
    payload = {"donor": other_donor.pk, "amount_krw": 100_000, "valid_until": _until()}
    mine = _client(donor_rep).post("/api/v1/pledges/", payload, format="json")
    assert mine.status_code == 400 and "donor" in mine.json()["fields"]
    assert _client(people["coord_seo"]).post("/api/v1/pledges/", payload).status_code == 403
    assert _client(finance).post("/api/v1/pledges/", payload, format="json").status_code == 201


def test_finance_confirms_and_the_representative_withdraws(
    donor, donor_rep, finance, daejeon, other_donor
):
    pledge = pledge_create(
        by=donor_rep, donor=donor, amount=Money(100_000, "KRW"), valid_until=timezone.localdate()
    )
    assert _client(donor_rep).post(f"/api/v1/pledges/{pledge.pk}/confirm/").status_code == 403
    assert _client(other_donor.rep).get(f"/api/v1/pledges/{pledge.pk}/").status_code == 404
    confirmed = _client(finance).post(f"/api/v1/pledges/{pledge.pk}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "active"
    again = _client(finance).post(f"/api/v1/pledges/{pledge.pk}/confirm/")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"

    withdrawn = _client(donor_rep).post(
        f"/api/v1/pledges/{pledge.pk}/withdraw/", {"reason": "예산"}, format="json"
    )
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["state"], withdrawn.json()["points_returned"]) == ("closed", 100)
    twice = _client(donor_rep).post(f"/api/v1/pledges/{pledge.pk}/withdraw/")
    assert twice.status_code == 409 and twice.json()["code"] == "illegal_transition"


def test_a_pledge_of_an_unverified_donor_is_not_confirmed(finance, daejeon):
    unverified = Donor.objects.create(
        name="미확인 기업",
        kind=DonorKind.COMPANY,
        business_number="2208162517",
        home_region=daejeon["서구"],
    )
    created = _client(finance).post(
        "/api/v1/pledges/",
        {"donor": unverified.pk, "amount_krw": 5_000, "valid_until": _until()},
        format="json",
    )
    response = _client(finance).post(f"/api/v1/pledges/{created.json()['id']}/confirm/")
    assert response.status_code == 409 and response.json()["code"] == "donor_not_verified"
    assert Pledge.objects.get().state == PledgeState.AWAITING


# --- matches -------------------------------------------------------------------------------


def test_matches_show_what_and_where_never_the_household(
    donor_rep, make_pledge, pending_claim, quiet_household, finance, people, other_donor
):
    make_pledge(krw=100_000)
    match = Match.objects.get(claim=pending_claim)
    for user in (donor_rep, finance):
        response = _client(user).get("/api/v1/matches/")
        assert match.pk in _ids(response)
        body = response.content.decode()
        assert quiet_household.code not in body and NOTE not in body
        assert quiet_household.dong.name_ko not in body
    row = _client(donor_rep).get(f"/api/v1/matches/{match.pk}/").json()
    assert (row["state"], row["category"], row["district"], row["private_points"]) == (
        "pending",
        "daily_living.side_dishes",
        "3023000000",
        20,
    )
    assert not any("household" in key for key in row)
    assert _ids(_client(people["coord_seo"]).get("/api/v1/matches/")) == set()
    assert _ids(_client(other_donor.rep).get("/api/v1/matches/")) == set()  # no pledge to fund it


def test_a_match_is_committed_through_the_api_and_the_claim_can_then_be_approved(
    donor_rep, make_pledge, pending_claim, people, categories
):
    unfit = make_pledge(krw=100_000, preferred_categories=[categories["health"]])
    fit = make_pledge(krw=100_000, days=200)
    match = Match.objects.get(claim=pending_claim)
    approve = _client(people["coord_seo"]).post(f"/api/v1/claims/{pending_claim.pk}/approve/")
    assert approve.status_code == 409 and approve.json()["code"] == "not_matched"

    client = _client(donor_rep)
    refused = client.post(f"/api/v1/matches/{match.pk}/commit/", {"pledge": unfit.pk})
    assert refused.status_code == 409 and refused.json()["code"] == "pledge_not_eligible"
    committed = client.post(f"/api/v1/matches/{match.pk}/commit/", {"pledge": fit.pk})
    assert committed.status_code == 200, committed.json()
    assert (committed.json()["state"], committed.json()["pledge"]) == ("committed", fit.pk)
    twice = client.post(f"/api/v1/matches/{match.pk}/commit/")
    assert twice.status_code == 409 and twice.json()["code"] == "illegal_transition"

    approve = _client(people["coord_seo"]).post(f"/api/v1/claims/{pending_claim.pk}/approve/")
    assert approve.status_code == 200 and approve.json()["state"] == ClaimState.APPROVED


def test_commit_needs_a_representative_and_an_own_pledge(
    donor_rep, make_pledge, pending_claim, finance, other_donor
):
    make_pledge(krw=100_000)
    match = Match.objects.get(claim=pending_claim)
    assert _client(finance).post(f"/api/v1/matches/{match.pk}/commit/").status_code == 403
    theirs = pledge_create(
        by=other_donor.rep,
        donor=other_donor,
        amount=Money(100_000, "KRW"),
        valid_until=timezone.localdate(),
    )
    response = _client(donor_rep).post(f"/api/v1/matches/{match.pk}/commit/", {"pledge": theirs.pk})
    assert response.status_code == 400 and "pledge" in response.json()["fields"]
    assert Match.objects.get(pk=match.pk).state == MatchState.PENDING
    assert (
        _client(donor_rep).post("/api/v1/matches/99999999999999999999/commit/").status_code == 404
    )


# --- bounded queries ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["donors", "pledges", "matches"])
def test_lists_cost_the_same_queries_for_any_page_size(
    endpoint, donor, donor_rep, finance, daejeon, people, make_listing, household, grant, categories
):
    grant(daejeon["대덕구"], 100_000)
    listing = make_listing(quantity=100)
    for i in range(12):
        Donor.objects.create(
            name=f"기관 {i}",
            kind=DonorKind.COMPANY,
            business_number=f"{i:02d}00000000",  # uniqueness only; not validated here
            home_region=daejeon["서구"],
        )
        pledge = pledge_create(
            by=donor_rep,
            donor=donor,
            amount=Money(10_000, "KRW"),
            valid_until=timezone.localdate() + datetime.timedelta(days=30),
            preferred_categories=[categories["daily_living"]],
            preferred_districts=[daejeon["대덕구"]],
        )
        pledge_confirm(pledge=pledge, by=finance)
        claim_request(
            by=people["cm_daedeok"],
            listing=listing,
            household=household,
            quantity=1,
            justification="반복 지원",
        )

    def queries(user, page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = _client(user).get(f"/api/v1/{endpoint}/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size, response.json()
        return len(ctx.captured_queries)

    for user in [finance] if endpoint == "donors" else [finance, donor_rep]:
        assert queries(user, 2) == queries(user, 10)


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/api/v1/pledges/?donor=abc", None),
        ("get", "/api/v1/pledges/?state=nonsense&ordering=nonsense", None),
        ("get", "/api/v1/matches/?pledge=99999999999999999999999", None),
        ("get", "/api/v1/donors/?verified=maybe", None),
        ("get", "/api/v1/donors/99999999999999999999/", None),
        ("post", "/api/v1/pledges/", [1, 2]),
        (
            "post",
            "/api/v1/pledges/",
            {"donor": True, "amount_krw": "abc", "valid_until": "9999-99-99"},
        ),
        ("post", "/api/v1/pledges/", {"preferred_categories": "health", "cap_per_claim": 10**30}),
        ("post", "/api/v1/pledges/", {"amount_krw": [1], "valid_until": {"a": 1}}),
        ("post", "/api/v1/matches/1/commit/", {"pledge": True}),
        ("post", "/api/v1/matches/1/commit/", [1]),
        ("patch", "/api/v1/donors/{donor}/", {"contact_email": "x" * 300}),
        ("patch", "/api/v1/donors/{donor}/", {"business_number": ["1248100998"]}),
        ("patch", "/api/v1/donors/{donor}/", [1]),
        ("post", "/api/v1/donors/", {"name": "", "kind": "zzz", "home_region": None}),
        ("post", "/api/v1/pledges/1/withdraw/", {"reason": "x" * 5000}),
    ],
)
def test_odd_input_never_fails_the_server(
    donor_rep, finance, donor, make_pledge, pending_claim, method, path, data
):
    make_pledge(krw=100_000)
    for user in (donor_rep, finance):
        response = getattr(_client(user), method)(
            path.format(donor=donor.pk), data, format="json" if data is not None else None
        )
        assert response.status_code < 500, response.content
