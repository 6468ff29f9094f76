"""Household notes never reach logs, e-mails, error pages or error messages.

A unique marker in the notes is carried through the flows that touch a
household; it must appear only where the notes are meant to be shown.
"""

import logging
import re
from decimal import Decimal

import pytest
from django.test import Client
from djmoney.money import Money

from ledger.models import Purpose
from ledger.services import account_for, ledger_post, system_account
from marketplace.models import Category, Household
from marketplace.services import categories_load_csv, listing_create, listing_publish
from people.models import Role

from .conftest import MARKER


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def cross_region_listing(daejeon, make_member, settings):
    settings.PUBLIC_SHARE = Decimal(1)  # the wallet pays it all: no donor needed
    categories_load_csv()
    coordinator = make_member(
        daejeon["서구"], Role.COORDINATOR, username="coord_seo", email="coord.seo@example.kr"
    )
    listing = listing_create(
        by=coordinator,
        region=daejeon["서구"],
        kind="goods",
        category=Category.objects.get(code="daily_living.side_dishes"),
        title="밑반찬 세트",
        quantity=10,
        unit="상자",
        value_per_unit=Money(20_000, "KRW"),
        available_from="2026-01-01",
    )
    ledger_post(
        entries=[
            (system_account(Purpose.ISSUED), -1_000),
            (account_for(daejeon["대덕구"], Purpose.WALLET), 1_000),
        ],
        kind="grant",
        memo="test",
    )
    return listing_publish(listing=listing, by=coordinator), coordinator


def test_the_marker_stays_out_of_logs_and_mail_through_every_flow(
    web,
    api,
    people,
    dong,
    daejeon,
    cross_region_listing,
    mailoutbox,
    everything_logged,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.ADMINS = [("Ops", "ops@example.kr")]
    listing, coordinator = cross_region_listing
    people["coord"].email = "coord.dd@example.kr"
    people["coord"].save()
    page = web(people["cm"])
    with django_capture_on_commit_callbacks(execute=True):
        created = page.post(
            "/households/new/", {"dong": dong.code, "size": 2, "notes": f"처음 {MARKER}"}
        )
        assert created.status_code == 302
        household = Household.objects.get(notes__contains=MARKER)
        edited = page.post(
            f"/households/{household.pk}/edit/", {"size": 3, "notes": f"고침 {MARKER}"}
        )
        assert edited.status_code == 302
        client = api(people["cm"])
        assert (
            client.patch(
                f"/api/v1/households/{household.pk}/", {"notes": f"API {MARKER}"}, format="json"
            ).status_code
            == 200
        )
        claimed = client.post(
            "/api/v1/claims/",
            {"listing": listing.pk, "household": household.pk, "quantity": 2},
            format="json",
        )
        assert claimed.status_code == 201, claimed.json()
        claim_id = claimed.json()["id"]
        approved = api(coordinator).post(f"/api/v1/claims/{claim_id}/approve/")
        assert approved.status_code == 200 and MARKER not in approved.content.decode()
        fulfilled = client.post(f"/api/v1/claims/{claim_id}/fulfil/", {"quantity_received": 2})
        assert fulfilled.status_code == 200
        assert page.get(f"/households/{household.pk}/").status_code == 200
        # A refused write logs its warning: still without the notes.
        assert (
            client.patch(
                f"/api/v1/households/{household.pk}/",
                {"notes": f"{MARKER} 010-1234-5678"},
                format="json",
            ).status_code
            == 400
        )
    assert mailoutbox, "the claim flow sends mail"
    for message in mailoutbox:
        assert MARKER not in message.subject and MARKER not in message.body
        assert household.code not in message.body
    assert everything_logged.records
    assert MARKER not in everything_logged.text


def _alerts(html: str) -> str:
    return " ".join(re.findall(r'role="alert">(.*?)</div>', html, re.S))


def test_validation_messages_do_not_echo_the_notes(web, api, people, household):
    page = web(people["cm"])
    for notes in (f"{MARKER} 900101-1234567", f"{MARKER} 010-1234-5678", MARKER + "가" * 5000):
        response = page.post(f"/households/{household.pk}/edit/", {"size": 3, "notes": notes})
        assert response.status_code in (400, 422)
        alerts = _alerts(response.content.decode())
        assert alerts and MARKER not in alerts
        refused = api(people["cm"]).patch(
            f"/api/v1/households/{household.pk}/", {"notes": notes}, format="json"
        )
        assert refused.status_code == 400
        assert MARKER not in refused.content.decode()
    household.refresh_from_db()
    assert household.notes == f"독거 어르신 {MARKER}"


@pytest.fixture
def failing_update(monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("storage broke")

    monkeypatch.setattr("exchange.views.household_update", fail)


def test_the_debug_error_page_hides_the_notes(people, household, failing_update, settings):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(people["cm"])
    response = client.post(
        f"/households/{household.pk}/edit/",
        {"size": 3, "notes": f"새 메모 {MARKER}"},
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 500
    body = response.content.decode()
    assert "storage broke" in body  # it is Django's technical page, with its variables
    assert "household_edit" in body
    assert MARKER not in body


def test_error_mail_to_administrators_hides_the_notes(
    people, household, failing_update, settings, mailoutbox
):
    settings.ADMINS = [("Ops", "ops@example.kr")]
    client = Client(raise_request_exception=False)
    client.force_login(people["cm"])
    response = client.post(
        f"/households/{household.pk}/edit/", {"size": 3, "notes": f"새 메모 {MARKER}"}
    )
    assert response.status_code == 500
    assert MARKER not in response.content.decode()
    [mail] = [m for m in mailoutbox if "ops@example.kr" in m.to]
    assert "storage broke" in mail.body and "household_edit" in mail.body
    assert MARKER not in mail.body


def test_notes_read_from_the_database_are_hidden_too(people, household, monkeypatch, settings):
    def broken_form(*args, **kwargs):
        raise RuntimeError("form broke")

    # The household page fails while building its form from the stored record.
    monkeypatch.setattr("exchange.views.HouseholdForm", broken_form)
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(people["cm"])
    response = client.get(f"/households/{household.pk}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    body = response.content.decode()
    assert "form broke" in body and "broken_form" in body
    assert MARKER not in body
