"""No page shows a household's code or notes to anyone but the case managers
of its region: not to coordinators (not even of the listing's region), not to
finance, not to a signed-in person without a post, not to the public."""

from __future__ import annotations

import pytest
from django.utils import timezone

from exchange.services import claim_approve, claim_fulfil, claim_request
from marketplace.models import FollowUp
from marketplace.services import household_close, household_create
from people.models import Role
from people.services import finance_group

SECRET_NOTE = "비공개메모-7F3A 기초수급 신청 준비중"
SECRET_FOLLOW_UP = "사후관리메모-19C2 식사 잘 하심"


@pytest.fixture
def scene(daejeon, people, make_listing, grant, make_member, django_user_model):
    """A 대덕구 household with notes, two claims on a 서구 listing (one a justified
    repeat, one fulfilled and paid), a closed case with a recorded follow-up."""
    grant(daejeon["대덕구"], 1000)
    dong = daejeon["대덕구"].children.order_by("code").first()
    household = household_create(by=people["cm_daedeok"], dong=dong, size=2, notes=SECRET_NOTE)
    listing = make_listing(quantity=10, krw=20_000)
    first = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=2)
    claim_approve(claim=first, by=people["coord_seo"])
    claim_fulfil(claim=first, by=people["cm_daedeok"], quantity_received=2)
    repeat = claim_request(
        by=people["cm_daedeok"],
        listing=listing,
        household=household,
        quantity=1,
        justification="수술 후 회복 중",
    )
    closed = household_create(by=people["cm_daedeok"], dong=dong, size=1, notes=SECRET_NOTE)
    household_close(household=closed, by=people["cm_daedeok"])
    follow_up = FollowUp.objects.filter(household=closed).first()
    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_on=timezone.localdate(), note=SECRET_FOLLOW_UP, recorded_at=timezone.now()
    )
    FollowUp.objects.filter(household=closed).exclude(pk=follow_up.pk).update(
        due_on=timezone.localdate()
    )
    finance = django_user_model.objects.create_user(username="fin", password="pw-for-tests")
    finance.groups.add(finance_group())
    return {
        "household": household,
        "closed": closed,
        "listing": listing,
        "claims": [first, repeat],
        "viewers": {
            "coordinator of the listing's region": people["coord_seo"],
            "coordinator of the household's district": people["coord_daedeok"],
            "coordinator of another district": make_member(
                daejeon["유성구"], Role.COORDINATOR, username="coord_ys"
            ),
            "case manager of another district": people["cm_seo"],
            "finance": finance,
            "signed in without a post": django_user_model.objects.create_user(
                username="donor_rep", password="pw-for-tests"
            ),
            "anonymous": None,
        },
    }


def _pages(client, scene, daejeon) -> dict[str, str]:
    household, listing = scene["household"], scene["listing"]
    first, repeat = scene["claims"]
    urls = [
        "/",
        "/?district=3023000000",
        f"/listings/{listing.pk}/",
        "/dashboard/",
        "/review/duplicates/",
        f"/wallet/{daejeon['대덕구'].code}/",
        f"/wallet/{daejeon['서구'].code}/",
        "/households/",
        f"/households/{household.pk}/",
        f"/households/{scene['closed'].pk}/",
    ]
    pages = {}
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            pages[f"GET {url} {headers}"] = response.content.decode()
    # Refused actions answer with the claim's card: it must not name the household either.
    # (Only the household's case manager may confirm receipt; a fulfilled claim
    # allows nothing more.)
    for claim, action in ((first, "approve"), (first, "cancel"), (repeat, "fulfil")):
        url = f"/claims/{claim.pk}/{action}/"
        response = client.post(url, {"quantity_received": "1"}, headers={"HX-Request": "true"})
        pages[f"POST {url}"] = response.content.decode()
    return pages


def test_nobody_but_the_regions_case_managers_sees_household_codes_or_notes(client, scene, daejeon):
    secrets = [
        scene["household"].code,
        scene["closed"].code,
        SECRET_NOTE,
        SECRET_FOLLOW_UP,
    ]
    for who, user in scene["viewers"].items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for page, html in _pages(client, scene, daejeon).items():
            for secret in secrets:
                assert secret not in html, f"{who} sees {secret!r} on {page}"
    # Nothing above changed any claim: the refused actions were refused.
    first, repeat = scene["claims"]
    first.refresh_from_db()
    repeat.refresh_from_db()
    assert (first.state, repeat.state) == ("fulfilled", "requested")


def test_the_listing_regions_coordinator_sees_a_household_in_its_district(client, scene, people):
    client.force_login(people["coord_seo"])
    html = client.get("/dashboard/").content.decode()
    repeat = scene["claims"][1]
    assert f'id="claim-{repeat.pk}"' in html
    assert 'class="household-anon"' in html
    assert "대덕구" in html
    review = client.get("/review/duplicates/").content.decode()
    assert 'class="household-anon"' in review and "수술 후 회복 중" in review


def test_the_households_own_case_manager_sees_code_and_notes(client, scene, people):
    household = scene["household"]
    client.force_login(people["cm_daedeok"])
    dashboard = client.get("/dashboard/").content.decode()
    assert household.code in dashboard
    page = client.get(f"/households/{household.pk}/").content.decode()
    assert household.code in page and SECRET_NOTE in page
    closed = client.get(f"/households/{scene['closed'].pk}/").content.decode()
    assert SECRET_FOLLOW_UP in closed
    listing = client.get(f"/listings/{scene['listing'].pk}/").content.decode()
    assert household.code in listing
    assert SECRET_NOTE not in listing  # notes stay on the household's own page
