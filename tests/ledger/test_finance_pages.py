"""The finance audit pages: who may see them, statements and their CSV, the
trial balance, verification, four-eyes grants and corrections, the chart."""

from __future__ import annotations

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ledger.models import Proposal, ProposalStatus, Purpose, Transaction
from ledger.selectors import account_balance
from ledger.services import account_for, hold, ledger_post, proposal_grant_create
from people.models import Role
from people.services import finance_group

SEOUL = ZoneInfo("Asia/Seoul")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def finance_user(db, django_user_model):
    def make(username: str):
        user = django_user_model.objects.create_user(username=username, password="pw-for-tests")
        user.groups.add(finance_group())
        return user

    return make


@pytest.fixture
def fin1(finance_user):
    return finance_user("fin1")


@pytest.fixture
def fin2(finance_user):
    return finance_user("fin2")


def seoul(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SEOUL)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def page_urls(account_pk: int, txn_pk: int) -> list[str]:
    return [
        "/finance/",
        f"/finance/accounts/{account_pk}/",
        f"/finance/accounts/{account_pk}/?format=csv",
        f"/finance/transactions/{txn_pk}/",
        "/finance/trial-balance/",
        "/finance/trial-balance/?format=csv",
        "/finance/proposals/",
        "/finance/chart/",
    ]


POST_URLS = [
    "/finance/verify/",
    "/finance/proposals/grant/",
    "/finance/proposals/correction/",
    "/finance/proposals/{proposal}/approve/",
    "/finance/proposals/{proposal}/reject/",
]


@pytest.fixture
def ledger_data(wallets, fund, fin1):
    txn = fund(wallets["서구"], 100)
    proposal = proposal_grant_create(
        region=wallets["서구"].region, amount=10, reason="opening", by=fin1
    )
    return {"account": wallets["서구"], "txn": txn, "proposal": proposal}


# --- who may see the pages ----------------------------------------------------------


def test_finance_staff_get_every_page(client, ledger_data, fin2):
    client.force_login(fin2)
    for url in page_urls(ledger_data["account"].pk, ledger_data["txn"].pk):
        assert client.get(url).status_code == 200, url


def test_a_coordinator_is_refused_every_page_and_action(client, ledger_data, daejeon, make_member):
    client.force_login(make_member(daejeon["서구"], Role.COORDINATOR))
    for url in page_urls(ledger_data["account"].pk, ledger_data["txn"].pk):
        assert client.get(url).status_code == 403, url
    for url in POST_URLS:
        url = url.format(proposal=ledger_data["proposal"].pk)
        assert client.post(url, {"note": "x"}).status_code == 403, url
    ledger_data["proposal"].refresh_from_db()
    assert ledger_data["proposal"].status == ProposalStatus.PROPOSED


def test_anonymous_visitors_are_sent_to_the_login_page(client, ledger_data):
    for url in page_urls(ledger_data["account"].pk, ledger_data["txn"].pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    assert client.post("/finance/verify/").status_code == 302


def test_the_finance_link_is_in_the_header_for_finance_staff_only(
    client, daejeon, fin1, make_member
):
    client.force_login(fin1)
    assert 'href="/finance/"' in client.get("/dashboard/").content.decode()
    client.force_login(make_member(daejeon["서구"], Role.COORDINATOR))
    assert 'href="/finance/"' not in client.get("/dashboard/").content.decode()


# --- accounts -------------------------------------------------------------------------


def test_accounts_list_shows_balances_and_links_to_statements(client, wallets, fund, fin1):
    fund(wallets["서구"], 250)
    client.force_login(fin1)
    html = client.get("/finance/").content.decode()
    row = re.search(r'<tr data-account="region:3017000000:wallet">.*?</tr>', html, re.S).group()
    assert f'href="/finance/accounts/{wallets["서구"].pk}/"' in row
    assert '<td class="num balance">250</td>' in row
    assert "system:issued" in html


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ({"purpose": "wallet"}, ["region:3017000000:wallet"], ["system:issued"]),
        ({"owner_kind": "system"}, ["system:issued"], ["region:3017000000:wallet"]),
        ({"district": "3017000000"}, ["region:3017000000:wallet"], ["region:3023000000:wallet"]),
        ({"q": "대덕"}, ["region:3023000000:wallet"], ["region:3017000000:wallet"]),
        ({"q": "issued"}, ["system:issued"], ["region:3017000000:wallet"]),
    ],
)
def test_accounts_list_filters(client, wallets, fund, fin1, query, expected, absent):
    fund(wallets["서구"], 5)
    client.force_login(fin1)
    html = client.get("/finance/", query).content.decode()
    for code in expected:
        assert f'data-account="{code}"' in html
    for code in absent:
        assert f'data-account="{code}"' not in html


def test_accounts_filter_answers_htmx_with_the_results_fragment(client, wallets, fin1):
    client.force_login(fin1)
    response = client.get("/finance/", {"purpose": "wallet"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert html.lstrip().startswith('<section id="account-results"')
    assert "<html" not in html


@pytest.mark.parametrize(
    "query",
    [
        {"district": "no-such"},
        {"purpose": "gold"},
        {"page": "abc"},
        {"page": "99999"},
        {"q": "x" * 500},
        {"owner_kind": "'; drop"},
    ],
)
def test_accounts_list_never_fails_on_odd_input(client, wallets, fin1, query):
    client.force_login(fin1)
    assert client.get("/finance/", query).status_code == 200


def test_accounts_are_paginated(client, daejeon, fin1):
    for region in daejeon.values():
        if region.level == "district":
            account_for(region, Purpose.WALLET)
    client.force_login(fin1)
    html = client.get("/finance/", {"page": "1"}).content.decode()
    assert html.count("<tr data-account=") == 5


# --- statements -----------------------------------------------------------------------


@pytest.fixture
def three_days(wallets, fund, at, fin1):
    """서구: +100 on 1 March, +50 just before midnight on 2 March, −30 (to 대덕구)
    at midnight starting 3 March, Korean time."""
    seo, daedeok = wallets["서구"], wallets["대덕구"]
    with at(seoul(2026, 3, 1, 10, 0)):
        fund(seo, 100)
    with at(seoul(2026, 3, 2, 23, 59, 59)):
        fund(seo, 50)
    with at(seoul(2026, 3, 3, 0, 0, 0)):
        transfer = ledger_post(
            entries=[(seo, -30), (daedeok, 30)], kind="transfer", memo="=SUM(A1)", by=fin1
        )
    return {"seo": seo, "transfer": transfer}


def test_statement_shows_running_balances_oldest_first(client, three_days, fin1):
    client.force_login(fin1)
    html = client.get(f"/finance/accounts/{three_days['seo'].pk}/").content.decode()
    assert re.findall(r'<td class="num running">([\d,]+)</td>', html) == ["100", "150", "120"]
    assert '<dd data-balance="opening">0</dd>' in html
    assert '<dd data-balance="closing">120</dd>' in html
    assert "fin1" in html  # who posted the transfer


def test_statement_for_a_date_range_uses_korean_days_with_the_end_included(
    client, three_days, fin1
):
    client.force_login(fin1)
    url = f"/finance/accounts/{three_days['seo'].pk}/"
    html = client.get(url, {"date_from": "2026-03-02", "date_to": "2026-03-02"}).content.decode()
    assert re.findall(r'<td class="num running">([\d,]+)</td>', html) == ["150"]
    assert '<dd data-balance="opening">100</dd>' in html
    assert '<dd data-balance="closing">150</dd>' in html

    html = client.get(url, {"date_from": "2026-03-03"}).content.decode()
    assert re.findall(r'<td class="num running">([\d,]+)</td>', html) == ["120"]
    assert '<dd data-balance="opening">150</dd>' in html


def test_statement_csv_has_the_rows_and_numbers_of_the_range(client, three_days, fin1):
    client.force_login(fin1)
    response = client.get(
        f"/finance/accounts/{three_days['seo'].pk}/",
        {"date_from": "2026-03-02", "date_to": "2026-03-03", "format": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    header, opening, *entries, closing = rows
    assert len(header) == 7
    assert opening[0] == "2026-03-02" and opening[-1] == "100"
    assert [(row[0], row[5], row[6]) for row in entries] == [
        ("2026-03-02 23:59:59", "50", "150"),
        ("2026-03-03 00:00:00", "-30", "120"),
    ]
    assert entries[1][1] == str(three_days["transfer"].pk)
    assert entries[1][3] == "'=SUM(A1)"  # stays text in a spreadsheet
    assert entries[1][4] == "fin1"
    assert closing[0] == "2026-03-03" and closing[-1] == "120"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
    ],
)
def test_statement_refuses_bad_dates_next_to_the_field(client, three_days, fin1, query, field):
    client.force_login(fin1)
    url = f"/finance/accounts/{three_days['seo'].pk}/"
    response = client.get(url, query)
    assert response.status_code == 200
    assert f'id="id_{field}-error"' in response.content.decode()
    assert client.get(url, {**query, "format": "csv"}).status_code == 400


def test_statement_offers_corrections_only_for_what_may_be_corrected(client, wallets, fund, fin1):
    seo = wallets["서구"]
    fund(seo, 100)
    reversed_txn = fund(seo, 5)
    ledger_post(entries=[(seo, -5), (wallets["대덕구"], 5)], kind="transfer")
    from ledger.services import ledger_reverse

    ledger_reverse(transaction_to_reverse=reversed_txn, reason="typo", by=fin1)
    held = hold(source=seo, amount=10)
    client.force_login(fin1)
    html = client.get(f"/finance/accounts/{seo.pk}/").content.decode()
    rows = dict(re.findall(r'<tr data-transaction="(\d+)">(.*?)</tr>', html, re.S))
    assert 'data-action="propose-correction"' not in rows[str(reversed_txn.pk)]
    assert 'data-action="propose-correction"' not in rows[str(held.hold_transaction_id)]
    correctable = [pk for pk, row in rows.items() if 'data-action="propose-correction"' in row]
    assert len(correctable) == 3  # the first grant, the transfer and the reversal itself


def test_statement_of_an_unknown_account_is_404(client, db, fin1):
    client.force_login(fin1)
    assert client.get("/finance/accounts/999999/").status_code == 404
    assert client.get("/finance/transactions/999999/").status_code == 404


# --- trial balance and verification ------------------------------------------------------


def test_trial_balance_shows_groups_and_a_zero_total(client, wallets, fund, fin1):
    fund(wallets["서구"], 300)
    fund(wallets["유성구"], 200)
    client.force_login(fin1)
    html = client.get("/finance/trial-balance/").content.decode()
    assert 'data-total="0"' in html
    assert html.count('class="subtotal"') == 2  # wallets of regions; issued by the system


def test_trial_balance_csv_totals_zero(client, wallets, fund, fin1):
    fund(wallets["서구"], 300)
    fund(wallets["유성구"], 200)
    client.force_login(fin1)
    rows = csv_rows(client.get("/finance/trial-balance/", {"format": "csv"}))
    header, *accounts, total = rows
    assert len(header) == 5
    balances = {row[2]: int(row[4]) for row in accounts}
    assert balances["region:3017000000:wallet"] == 300
    assert balances["system:issued"] == -500
    assert sum(balances.values()) == 0
    assert total[-1] == "0"


def test_verify_now_answers_htmx_with_the_counts(client, wallets, fund, fin1):
    fund(wallets["서구"], 300)
    fund(wallets["유성구"], 200)
    client.force_login(fin1)
    response = client.post("/finance/verify/", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-ok="true"' in html
    assert '<dd data-count="accounts">4</dd>' in html  # 대덕구's wallet exists, unused
    assert '<dd data-count="entries">4</dd>' in html
    assert '<dd data-count="transactions">2</dd>' in html
    assert 'class="problems"' not in html


def test_verify_without_htmx_is_a_whole_page_and_needs_a_post(client, wallets, fin1, monkeypatch):
    client.force_login(fin1)
    assert "<html" in client.post("/finance/verify/").content.decode()
    # Opened by address, the page explains the check and offers its button;
    # only the POST runs it.
    from ledger import views

    monkeypatch.setattr(views, "ledger_verify", lambda: pytest.fail("a GET ran the check"))
    page = client.get("/finance/verify/")
    assert page.status_code == 200
    assert 'data-action="verify"' in page.content.decode()


# --- four-eyes grants and corrections ------------------------------------------------------


def grant(client, region_code: str = "3017000000", amount: str = "500", reason: str = "개시"):
    return client.post(
        "/finance/proposals/grant/",
        {"grant-region": region_code, "grant-amount": amount, "grant-reason": reason},
    )


def test_grant_needs_a_second_finance_officer(client, daejeon, fin1, fin2):
    client.force_login(fin1)
    response = grant(client)
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert (proposal.amount, proposal.region.name_ko) == (500, "서구")

    html = client.get("/finance/proposals/").content.decode()
    assert f'data-proposal="{proposal.pk}"' in html
    assert 'data-action="approve"' not in html
    assert 'data-action="reject"' not in html

    before = Transaction.objects.count()
    response = client.post(f"/finance/proposals/{proposal.pk}/approve/")
    assert response.status_code == 403
    assert Transaction.objects.count() == before
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED

    client.force_login(fin2)
    html = client.get("/finance/proposals/").content.decode()
    assert 'data-action="approve"' in html
    response = client.post(f"/finance/proposals/{proposal.pk}/approve/", {"note": "확인"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.decided_by == fin2
    wallet = account_for(daejeon["서구"], Purpose.WALLET)
    assert account_balance(wallet) == 500

    html = client.get("/finance/proposals/").content.decode()
    assert f'data-posted="{proposal.posted_id}"' in html
    assert 'data-action="approve"' not in html  # decided: nothing left to press


def test_approving_through_htmx_answers_with_the_panel(client, daejeon, fin1, fin2):
    proposal = proposal_grant_create(region=daejeon["서구"], amount=7, reason="r", by=fin1)
    client.force_login(fin1)
    response = client.post(f"/finance/proposals/{proposal.pk}/approve/", headers=HTMX)
    assert response.status_code == 403
    assert response.content.decode().lstrip().startswith('<div id="proposals-panel"')
    client.force_login(fin2)
    response = client.post(f"/finance/proposals/{proposal.pk}/approve/", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="proposals-panel"')
    assert 'class="notice"' in html
    proposal.refresh_from_db()
    assert f'data-posted="{proposal.posted_id}"' in html


def test_rejecting_posts_nothing(client, daejeon, fin1, fin2):
    proposal = proposal_grant_create(region=daejeon["서구"], amount=500, reason="r", by=fin1)
    client.force_login(fin2)
    before = Transaction.objects.count()
    assert (
        client.post(f"/finance/proposals/{proposal.pk}/reject/", {"note": "근거 부족"}).status_code
        == 302
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert proposal.posted is None
    assert Transaction.objects.count() == before
    # Decided once: approving it afterwards is refused and still posts nothing.
    response = client.post(f"/finance/proposals/{proposal.pk}/approve/")
    assert response.status_code == 409
    assert Transaction.objects.count() == before


def test_a_correction_approved_by_another_officer_reverses_the_transaction(
    client, wallets, fund, fin1, fin2
):
    seo = wallets["서구"]
    mistake = fund(seo, 100)
    client.force_login(fin1)
    html = client.get("/finance/proposals/", {"target": mistake.pk}).content.decode()
    assert f'value="{mistake.pk}"' in html  # the button on the statement fills the form in
    response = client.post(
        "/finance/proposals/correction/",
        {"correction-target": str(mistake.pk), "correction-reason": "중복 지급"},
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert client.post(f"/finance/proposals/{proposal.pk}/approve/").status_code == 403

    client.force_login(fin2)
    assert client.post(f"/finance/proposals/{proposal.pk}/approve/").status_code == 302
    proposal.refresh_from_db()
    assert proposal.posted.reverses == mistake
    assert account_balance(seo) == 0


def test_a_correction_of_a_transaction_reversed_meanwhile_is_refused_in_place(
    client, wallets, fund, fin1, fin2
):
    from ledger.services import proposal_correction_create

    mistake = fund(wallets["서구"], 100)
    first = proposal_correction_create(target=mistake, reason="a", by=fin1)
    second = proposal_correction_create(target=mistake, reason="b", by=fin1)
    client.force_login(fin2)
    assert client.post(f"/finance/proposals/{first.pk}/approve/").status_code == 302
    before = Transaction.objects.count()
    response = client.post(f"/finance/proposals/{second.pk}/approve/")
    assert response.status_code == 409
    row = re.search(
        rf'<tr id="proposal-{second.pk}".*?</tr>', response.content.decode(), re.S
    ).group()
    assert 'class="field-error"' in row
    assert Transaction.objects.count() == before
    second.refresh_from_db()
    assert second.status == ProposalStatus.PROPOSED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"grant-amount": "abc"}, "amount"),
        ({"grant-amount": "0"}, "amount"),
        ({"grant-amount": "-5"}, "amount"),
        ({"grant-amount": "2.5"}, "amount"),
        ({"grant-amount": "1e3"}, "amount"),
        ({"grant-amount": ""}, "amount"),
        ({"grant-amount": "99999999999999999999"}, "amount"),
        ({"grant-reason": ""}, "reason"),
        ({"grant-reason": "   "}, "reason"),
        ({"grant-region": ""}, "region"),
        ({"grant-region": "3000000000"}, "region"),  # the city has no wallet
        ({"grant-region": "x' OR 1=1"}, "region"),
    ],
)
def test_a_bad_grant_is_refused_next_to_the_field_and_creates_nothing(
    client, daejeon, fin1, data, field
):
    client.force_login(fin1)
    payload = {"grant-region": "3017000000", "grant-amount": "500", "grant-reason": "r", **data}
    response = client.post("/finance/proposals/grant/", payload)
    assert response.status_code == 422
    assert f'id="id_grant-{field}-error"' in response.content.decode()
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    ("target", "field"),
    [("abc", "target"), ("", "target"), ("999999", "target"), ("-1", "target"), ("1.5", "target")],
)
def test_a_bad_correction_is_refused_next_to_the_field(client, db, fin1, target, field):
    client.force_login(fin1)
    response = client.post(
        "/finance/proposals/correction/",
        {"correction-target": target, "correction-reason": "r"},
    )
    assert response.status_code == 422
    assert f'id="id_correction-{field}-error"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_correction_without_a_reason_is_refused(client, wallets, fund, fin1):
    txn = fund(wallets["서구"], 1)
    client.force_login(fin1)
    response = client.post(
        "/finance/proposals/correction/",
        {"correction-target": str(txn.pk), "correction-reason": " "},
    )
    assert response.status_code == 422
    assert 'id="id_correction-reason-error"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_domain_errors_of_a_correction_show_next_to_the_transaction_field(
    client, wallets, fund, fin1
):
    seo = wallets["서구"]
    fund(seo, 100)
    held = hold(source=seo, amount=10)
    reversed_txn = fund(seo, 5)
    from ledger.services import ledger_reverse

    ledger_reverse(transaction_to_reverse=reversed_txn, reason="x", by=fin1)
    client.force_login(fin1)
    for target in (held.hold_transaction_id, reversed_txn.pk):
        response = client.post(
            "/finance/proposals/correction/",
            {"correction-target": str(target), "correction-reason": "r"},
        )
        assert response.status_code == 409, target
        assert 'id="id_correction-target-error"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_sending_the_grant_form_twice_proposes_once(client, daejeon, fin1):
    client.force_login(fin1)
    payload = {
        "grant-region": "3017000000",
        "grant-amount": "1,000",
        "grant-reason": "r",
        "grant-idempotency_key": "web-twice",
    }
    assert client.post("/finance/proposals/grant/", payload).status_code == 302
    assert client.post("/finance/proposals/grant/", payload).status_code == 302
    assert Proposal.objects.get().amount == 1000
    payload["grant-amount"] = "2000"
    response = client.post("/finance/proposals/grant/", payload)
    assert response.status_code == 409
    assert 'class="errors"' in response.content.decode()
    assert Proposal.objects.count() == 1


def test_an_invalid_grant_through_htmx_answers_with_the_panel_and_the_error(client, daejeon, fin1):
    client.force_login(fin1)
    response = client.post(
        "/finance/proposals/grant/",
        {"grant-region": "3017000000", "grant-amount": "-1", "grant-reason": "r"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="proposals-panel"')
    assert 'id="id_grant-amount-error"' in html


def test_deciding_an_unknown_proposal_is_404(client, db, fin1):
    client.force_login(fin1)
    assert client.post("/finance/proposals/999999/approve/").status_code == 404
    assert client.get("/finance/proposals/1/approve/").status_code == 405


# --- the chart ----------------------------------------------------------------------------


def test_chart_page_draws_one_line_per_region_wallet(client, wallets, fund, fin1):
    fund(wallets["서구"], 300)
    fund(wallets["유성구"], 200)
    client.force_login(fin1)
    html = client.get("/finance/chart/").content.decode()
    assert html.count("<svg") == 1
    lines = re.findall(r'<polyline class="series" data-account="([^"]+)"', html)
    assert sorted(lines) == sorted(w.code for w in wallets.values())
    today = timezone.localdate().isoformat()
    row = re.search(rf'<tr data-day="{today}">(.*?)</tr>', html, re.S).group(1)
    # Columns in account-code order: 서구 (3017…), 유성구 (3020…), 대덕구 (3023…).
    assert re.findall(r'<td class="num">([\d,]+)</td>', row) == ["300", "200", "0"]
    assert len(re.findall(r"<tr data-day=", html)) == 30


def test_chart_for_a_chosen_range_and_bad_input(client, three_days, fin1):
    client.force_login(fin1)
    html = client.get(
        "/finance/chart/", {"date_from": "2026-03-01", "date_to": "2026-03-03"}
    ).content.decode()
    assert re.findall(r"<tr data-day=\"([\d-]+)\"", html) == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
    ]
    for query in (
        {"date_from": "2026-03-05", "date_to": "2026-03-01"},
        {"date_from": "2020-01-01", "date_to": "2026-01-01"},
        {"date_from": "nonsense"},
        {"date_to": "9999-12-31"},
    ):
        response = client.get("/finance/chart/", query)
        assert response.status_code == 200
        assert 'class="field-error"' in response.content.decode()


def test_long_statements_are_paginated_with_the_running_balance_carried_on(
    client, wallets, fund, fin1
):
    seo = wallets["서구"]
    for _n in range(105):
        fund(seo, 1)
    client.force_login(fin1)
    url = f"/finance/accounts/{seo.pk}/"
    first = client.get(url).content.decode()
    assert len(re.findall(r'<td class="num running">', first)) == 100
    assert 'href="?page=2"' in first
    second = client.get(url, {"page": "2"}, headers=HTMX).content.decode()
    assert second.lstrip().startswith('<div id="statement-body"')
    assert re.findall(r'<td class="num running">([\d,]+)</td>', second) == [
        "101",
        "102",
        "103",
        "104",
        "105",
    ]


def _entry_counts(client, url: str, params: dict) -> tuple[list[str], str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "ledger_entry" in q["sql"]
    ]
    return counts, response.content.decode()


def test_a_statement_takes_its_count_from_the_account_or_counts_no_further_than_the_cap(
    client, wallets, fund, fin1
):
    seo = wallets["서구"]
    for _n in range(105):
        fund(seo, 1)
    client.force_login(fin1)
    url = f"/finance/accounts/{seo.pk}/"
    # The whole statement: its entries are counted by the account's sequence.
    counts, html = _entry_counts(client, url, {})
    assert counts == []
    assert 'href="?page=2"' in html
    # A date range: counted, but no further than the cap (1,000 + 1 rows).
    today = timezone.localdate().isoformat()
    counts, html = _entry_counts(client, url, {"date_from": today, "date_to": today})
    assert len(counts) == 1 and "LIMIT 1001" in counts[0].upper(), counts
    assert "page=2" in html
    counts, html = _entry_counts(client, url, {"date_from": today, "date_to": today, "page": "2"})
    assert len(re.findall(r'<td class="num running">', html)) == 5
