import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ledger.models import Proposal, Purpose, Transaction
from ledger.selectors import account_balance
from ledger.services import account_for, hold, ledger_post
from people.models import Role
from people.services import finance_group


@pytest.fixture
def finance_users(db, django_user_model):
    group = finance_group()
    users = []
    for name in ("fin1", "fin2"):
        user = django_user_model.objects.create_user(username=name, password="pw-for-tests-only")
        user.groups.add(group)
        users.append(user)
    return users


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_finance_reads_every_account(finance_users, wallets, fund):
    fund(wallets["서구"], 100)
    body = _client(finance_users[0]).get("/api/v1/ledger/accounts/").json()
    codes = {a["code"] for a in body["results"]}
    assert {"region:3017000000:wallet", "region:3023000000:wallet", "system:issued"} <= codes


def test_coordinator_reads_only_their_own_regions_wallet(wallets, fund, daejeon, make_member):
    fund(wallets["서구"], 100)
    coordinator = make_member(daejeon["서구"], Role.COORDINATOR)
    client = _client(coordinator)

    body = client.get("/api/v1/ledger/accounts/").json()
    assert [(a["code"], a["balance"]) for a in body["results"]] == [
        ("region:3017000000:wallet", 100)
    ]
    other = wallets["대덕구"]
    assert client.get(f"/api/v1/ledger/accounts/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/ledger/accounts/{other.pk}/statement/").status_code == 404
    issued = account_for("system", Purpose.ISSUED)
    assert client.get(f"/api/v1/ledger/accounts/{issued.pk}/").status_code == 404
    for url in (
        "/api/v1/ledger/transactions/",
        "/api/v1/ledger/trial-balance/",
        "/api/v1/ledger/proposals/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "permission_denied"


def test_dong_case_manager_reads_the_wallet_of_their_exchange_region(wallets, daejeon, make_member):
    user = make_member(daejeon["관저2동"], Role.CASE_MANAGER)
    body = _client(user).get("/api/v1/ledger/accounts/").json()
    assert [a["code"] for a in body["results"]] == ["region:3017000000:wallet"]


def test_anonymous_gets_401(db):
    response = _client().get("/api/v1/ledger/accounts/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_statement_has_running_balance_and_date_range(finance_users, wallets, fund):
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    fund(seo, 100)
    ledger_post(entries=[(seo, -30), (daedeok, 30)], kind="transfer", memo="반찬")
    body = _client(finance_users[0]).get(f"/api/v1/ledger/accounts/{seo.pk}/statement/").json()
    assert [(e["amount"], e["balance_after"]) for e in body["results"]] == [(100, 100), (-30, 70)]
    assert (body["opening_balance"], body["closing_balance"]) == (0, 70)
    assert body["results"][1]["memo"] == "반찬"

    future = (
        _client(finance_users[0])
        .get(f"/api/v1/ledger/accounts/{seo.pk}/statement/", {"start": "2099-01-01"})
        .json()
    )
    assert future["results"] == []
    assert (future["opening_balance"], future["closing_balance"]) == (70, 70)


@pytest.mark.parametrize(
    "params",
    [{"start": "yesterday"}, {"start": "2026-02-30"}, {"start": "2026-05-02", "end": "2026-05-01"}],
)
def test_statement_refuses_bad_dates_with_400(finance_users, wallets, params):
    response = _client(finance_users[0]).get(
        f"/api/v1/ledger/accounts/{wallets['서구'].pk}/statement/", params
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_transactions_list_with_entries_in_constant_queries(finance_users, wallets, fund):
    for i in range(1, 30):
        fund(wallets["서구"], i)
    client = _client(finance_users[0])

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/ledger/transactions/", {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    assert queries(5) == queries(25)
    first = client.get("/api/v1/ledger/transactions/").json()["results"][0]
    assert sum(e["amount"] for e in first["entries"]) == 0


def test_trial_balance_totals_zero(finance_users, wallets, fund):
    fund(wallets["서구"], 100)
    body = _client(finance_users[0]).get("/api/v1/ledger/trial-balance/").json()
    assert body["total"] == 0
    assert body["balanced"] is True
    assert sum(g["total"] for g in body["groups"]) == 0


def test_grant_needs_two_finance_users(finance_users, daejeon):
    proposer, approver = finance_users
    created = _client(proposer).post(
        "/api/v1/ledger/proposals/",
        {"kind": "grant", "region": "3017000000", "amount": 500, "reason": "2026년 개시 포인트"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    refused = _client(proposer).post(f"/api/v1/ledger/proposals/{pk}/approve/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "four_eyes"
    assert not Transaction.objects.exists()

    approved = _client(approver).post(f"/api/v1/ledger/proposals/{pk}/approve/", {"note": "확인"})
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert account_balance(account_for(daejeon["서구"], Purpose.WALLET)) == 500

    again = _client(approver).post(f"/api/v1/ledger/proposals/{pk}/approve/")
    assert again.status_code == 409
    assert account_balance(account_for(daejeon["서구"], Purpose.WALLET)) == 500


def test_grant_creation_is_idempotent(finance_users, daejeon):
    client = _client(finance_users[0])
    payload = {"kind": "grant", "region": "3017000000", "amount": 500, "reason": "개시"}
    first = client.post(
        "/api/v1/ledger/proposals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="grant-2026-seogu"
    )
    again = client.post(
        "/api/v1/ledger/proposals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="grant-2026-seogu"
    )
    assert first.json()["id"] == again.json()["id"]
    assert Proposal.objects.count() == 1

    conflict = client.post(
        "/api/v1/ledger/proposals/",
        {**payload, "amount": 501},
        format="json",
        HTTP_IDEMPOTENCY_KEY="grant-2026-seogu",
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_conflict"
    assert Proposal.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "grant", "region": "3017000000", "amount": 0, "reason": "x"}, "amount"),
        ({"kind": "grant", "region": "3017000000", "amount": "many", "reason": "x"}, "amount"),
        ({"kind": "grant", "region": "3017000000", "amount": 1.5, "reason": "x"}, "amount"),
        ({"kind": "grant", "region": "9999999999", "amount": 5, "reason": "x"}, "region"),
        ({"kind": "grant", "amount": 5, "reason": "x"}, "region"),
        ({"kind": "grant", "region": "3017000000", "amount": 5}, "reason"),
        ({"kind": "correction", "reason": "x"}, "target"),
        ({"kind": "bonus", "reason": "x"}, "kind"),
    ],
)
def test_bad_proposals_get_400_naming_the_field_and_create_nothing(
    finance_users, daejeon, payload, field
):
    response = _client(finance_users[0]).post("/api/v1/ledger/proposals/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert not Proposal.objects.exists()


def test_grant_to_a_dong_is_refused(finance_users, daejeon):
    response = _client(finance_users[0]).post(
        "/api/v1/ledger/proposals/",
        {"kind": "grant", "region": "3017059700", "amount": 5, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert not Proposal.objects.exists()


def test_correction_is_reversed_after_approval(finance_users, wallets, fund):
    original = fund(wallets["서구"], 100)
    proposer, approver = finance_users
    pk = (
        _client(proposer)
        .post(
            "/api/v1/ledger/proposals/",
            {"kind": "correction", "target": original.pk, "reason": "중복 지급"},
            format="json",
        )
        .json()["id"]
    )
    response = _client(approver).post(f"/api/v1/ledger/proposals/{pk}/approve/")
    assert response.status_code == 200
    assert account_balance(wallets["서구"]) == 0
    assert Transaction.objects.get(pk=response.json()["posted"]).reverses == original


def test_correction_of_a_hold_is_refused_with_409(finance_users, wallets, fund):
    fund(wallets["서구"], 100)
    h = hold(source=wallets["서구"], amount=10)
    response = _client(finance_users[0]).post(
        "/api/v1/ledger/proposals/",
        {"kind": "correction", "target": h.hold_transaction_id, "reason": "x"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_reversible"


def test_non_finance_cannot_propose_or_approve(wallets, daejeon, make_member, finance_users):
    coordinator = make_member(daejeon["서구"], Role.COORDINATOR)
    response = _client(coordinator).post(
        "/api/v1/ledger/proposals/",
        {"kind": "grant", "region": "3017000000", "amount": 5, "reason": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_rejection_posts_nothing(finance_users, daejeon):
    proposer, other = finance_users
    pk = (
        _client(proposer)
        .post(
            "/api/v1/ledger/proposals/",
            {"kind": "grant", "region": "3017000000", "amount": 5, "reason": "x"},
            format="json",
        )
        .json()["id"]
    )
    assert _client(proposer).post(f"/api/v1/ledger/proposals/{pk}/reject/").status_code == 403
    response = _client(other).post(f"/api/v1/ledger/proposals/{pk}/reject/", {"note": "근거 부족"})
    assert response.json()["status"] == "rejected"
    assert not Transaction.objects.exists()
    assert _client(other).post(f"/api/v1/ledger/proposals/{pk}/approve/").status_code == 409
