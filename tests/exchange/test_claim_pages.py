"""The claims list (/claims/) and a claim's page (/claims/<id>/): who sees
which claim (claims_visible_to), the filters and their errors, the history of
transitions and postings, and that reading them writes nothing but the
personal-data access records of the households shown."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AccessAction, PersonalDataAccess
from exchange.models import Claim
from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.models import Listing
from tests.exchange.test_reads_never_write import _books

HTMX = {"HX-Request": "true"}
WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z_]+)', re.IGNORECASE)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _writes(queries) -> list[str]:
    return [
        m.group(2)
        for q in queries
        if (m := WRITE.match(q["sql"])) and not m.group(2).startswith("django_session")
    ]


@pytest.fixture
def claims(people, make_listing, household, grant, daejeon, make_pledge):
    """A fulfilled cross-region claim (matched with a donor), and a requested one."""
    grant(daejeon["대덕구"], 100_000)
    make_pledge()
    cm, coord = people["cm_daedeok"], people["coord_seo"]
    listing = make_listing(quantity=10, krw=20_000)
    Listing.objects.filter(pk=listing.pk).update(title="겨울 담요")
    done = claim_request(by=cm, listing=listing, household=household, quantity=2)
    done = claim_approve(claim=done, by=coord, reason="재고 충분")
    done = claim_fulfil(claim=done, by=cm, quantity_received=2)
    other = make_listing(quantity=5, krw=10_000)
    Listing.objects.filter(pk=other.pk).update(title="쌀 10kg")
    waiting = claim_request(
        by=cm, listing=other, household=household, quantity=1, justification="다시 필요"
    )
    return {"done": Claim.objects.get(pk=done.pk), "waiting": waiting}


def test_the_list_shows_exactly_the_claims_visible(claims, people):
    done, waiting = claims["done"], claims["waiting"]
    for who in ("cm_daedeok", "coord_seo"):
        body = _client(people[who]).get("/claims/").content.decode()
        assert f'data-claim="{done.pk}"' in body and f'data-claim="{waiting.pk}"' in body, who
    for who in ("cm_seo", "coord_daedeok"):
        response = _client(people[who]).get("/claims/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "data-claim=" not in body and "겨울 담요" not in body, who


def test_household_code_only_to_its_case_manager(claims, people, household):
    body = _client(people["cm_daedeok"]).get("/claims/").content.decode()
    assert household.code in body
    body = _client(people["coord_seo"]).get("/claims/").content.decode()
    assert household.code not in body
    assert "대덕구" in body  # "a household in 대덕구"
    body = _client(people["coord_seo"]).get(f"/claims/{claims['done'].pk}/").content.decode()
    assert household.code not in body


def test_filters(claims, people):
    client = _client(people["cm_daedeok"])
    done, waiting = claims["done"], claims["waiting"]

    def shown(query: str) -> set[int]:
        response = client.get(f"/claims/?{query}")
        assert response.status_code == 200, query
        return {int(pk) for pk in re.findall(r'data-claim="(\d+)"', response.content.decode())}

    assert shown("state=fulfilled") == {done.pk}
    assert shown("state=requested") == {waiting.pk}
    assert shown("q=담요") == {done.pk}
    assert shown(f"q=%23{waiting.pk}") == {waiting.pk}
    assert shown(f"q={waiting.pk}") == {waiting.pk}
    # The filter takes the day in Korean time, as the page shows it.
    day = timezone.localtime(done.requested_at).date().isoformat()
    assert shown(f"requested_from={day}&requested_to={day}") == {done.pk, waiting.pk}
    assert shown("requested_to=2001-01-01") == set()
    code = done.listing.region.code
    assert shown(f"district={code}") == {done.pk, waiting.pk}
    category = done.listing.category.code
    assert done.pk in shown(f"category={category}")


@pytest.mark.parametrize(
    "query, field",
    [
        ("state=lost", "state"),
        ("district=9999999999", "district"),
        ("category=nothing", "category"),
        ("requested_from=yesterday", "requested_from"),
        ("requested_from=0001-01-01", "requested_from"),
        ("requested_from=2026-05-02&requested_to=2026-05-01", "requested_to"),
        ("q=" + "x" * 200, "q"),
    ],
)
def test_a_bad_filter_is_shown_next_to_its_field(claims, people, query, field):
    client = _client(people["cm_daedeok"])
    for headers in ({}, HTMX):
        response = client.get(f"/claims/?{query}", headers=headers)
        assert response.status_code == 200
        body = response.content.decode()
        error = re.search(rf'id="id_{field}-error"[^>]*>(.*?)</div>', body, re.S)
        assert error, (query, headers)
        # Korean, and the list is still shown (unfiltered by the bad value).
        assert re.search("[가-힣]", error.group(1)), error.group(1)
        assert f'data-claim="{claims["done"].pk}"' in body


def test_htmx_gets_the_panel_only(claims, people):
    client = _client(people["cm_daedeok"])
    body = client.get("/claims/?state=fulfilled", headers=HTMX).content.decode()
    assert body.lstrip().startswith('<section id="claim-list-panel"')
    assert "<html" not in body
    assert "<html" in client.get("/claims/?state=fulfilled").content.decode()


def test_a_claims_page_shows_figures_and_history_in_order(claims, people):
    done = claims["done"]
    body = _client(people["cm_daedeok"]).get(f"/claims/{done.pk}/").content.decode()
    steps = re.findall(r'data-subject="claim" data-from="(\w*)" data-to="(\w+)"', body)
    assert ("", "requested") in steps
    assert ("requested", "approved") in steps and ("approved", "fulfilled") in steps
    assert steps.index(("requested", "approved")) < steps.index(("approved", "fulfilled"))
    assert "재고 충분" in body  # the decision's reason
    assert "coord_seo" not in body  # people by office and role, not by name
    kinds = re.findall(r'class="posting" data-kind="([\w.:-]+)"', body)
    assert len(kinds) >= 2  # the hold, and its settlement
    match = done.match
    assert f'data-figure="wallet-share">{match.public_points:,}' in body
    assert f'data-figure="donor-share">{match.private_points:,}' in body
    assert f'data-figure="moved">{done.points_paid:,}' in body


def test_a_claims_page_offers_the_viewers_own_actions(claims, people):
    waiting = claims["waiting"]
    body = _client(people["coord_seo"]).get(f"/claims/{waiting.pk}/").content.decode()
    assert 'data-action="approve"' in body and 'data-action="reject"' in body
    body = _client(people["cm_daedeok"]).get(f"/claims/{waiting.pk}/").content.decode()
    assert 'data-action="cancel"' in body and 'data-action="approve"' not in body
    body = _client(people["coord_seo"]).get(f"/claims/{claims['done'].pk}/").content.decode()
    assert "data-action=" not in body.split('id="claim-panel"')[1]


def test_a_claim_one_may_not_see_is_not_found_and_named_nowhere(claims, people, household):
    done = claims["done"]
    for who in ("cm_seo", "coord_daedeok"):
        response = _client(people[who]).get(f"/claims/{done.pk}/")
        assert response.status_code == 404
        body = response.content.decode()
        for secret in ("겨울 담요", household.code, f"#{done.pk}", "재고 충분", "data-claim"):
            assert secret not in body, (who, secret)
    assert _client(people["cm_daedeok"]).get("/claims/99999999/").status_code == 404


def test_anonymous_goes_to_login(claims):
    for path in ("/claims/", f"/claims/{claims['done'].pk}/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_reading_writes_only_the_access_records(claims, people, household):
    before = _books()
    accesses = PersonalDataAccess.objects.count()
    done = claims["done"]
    reads = {
        "cm_daedeok": ["/claims/", "/claims/?state=approved", f"/claims/{done.pk}/"],
        "coord_seo": ["/claims/", f"/claims/{done.pk}/"],
    }
    for who, paths in reads.items():
        client = _client(people[who])
        for path in paths:
            client.get(path)  # the session's first write is not the page's
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(path).status_code == 200
            writes = _writes(ctx.captured_queries)
            if who == "cm_daedeok" and path != "/claims/?state=approved":
                # The household's code is shown: one INSERT of its access record.
                assert writes == ["audit_personaldataaccess"], (who, path, writes)
            else:
                assert writes == [], (who, path, writes)
    assert _books() == before
    recorded = PersonalDataAccess.objects.order_by("pk")[accesses:]
    assert {(r.household_id, r.action) for r in recorded} == {(household.pk, AccessAction.LIST)}
