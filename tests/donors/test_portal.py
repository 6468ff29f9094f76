"""The donor portal (/donors/): who may enter, what a representative sees and
does, the donation receipt, and the review of donors' drafts by coordinators."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djmoney.money import Money

from donors.models import Donor, DonorKind, DonorMembership, Pledge, PledgeState
from donors.services import pledge_create
from exchange.donor_selectors import fundable_pending_matches
from exchange.funding import eligible_pledges
from exchange.models import Claim, ClaimState, Match, MatchState
from exchange.services import claim_approve, claim_fulfil, claim_request, match_commit
from marketplace.models import Listing, ListingState
from marketplace.services import household_create
from tests import factories
from tests.helpers import transitions_of

HTMX = {"HTTP_HX_REQUEST": "true"}
NOTE = "고유메모-QZ7-가구사정"


def text(response) -> str:
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def rep_client(client, donor_rep):
    client.force_login(donor_rep)
    return client


@pytest.fixture
def quiet_household(daejeon, people):
    """A household in a 대덕구 dong with a note only case managers may read."""
    dong = daejeon["대덕구"].children.order_by("code").first()
    return household_create(by=people["cm_daedeok"], dong=dong, size=2, notes=NOTE)


@pytest.fixture
def other_rep(daejeon, finance, django_user_model):
    """The representative of another, verified donor."""
    from donors.services import donor_verify

    user = django_user_model.objects.create_user(username="rep2", password="pw-for-tests-only")
    other = Donor.objects.create(
        name="대전 행복복지관",
        kind=DonorKind.WELFARE_CENTRE,
        business_number="3058200013",
        home_region=daejeon["서구"],
    )
    DonorMembership.objects.create(user=user, donor=other)
    donor_verify(donor=other, by=finance)
    return user


@pytest.fixture
def pending_claim(daejeon, people, make_listing, quiet_household, grant):
    """A claim of 2 boxes at 20 points from 대덕구 for a 서구 listing, with no
    pledge to match it: its match waits (20 public held, 20 private pending)."""
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    return claim_request(
        by=people["cm_daedeok"], listing=listing, household=quiet_household, quantity=2
    )


# --- who may enter ----------------------------------------------------------------------


def test_a_representative_sees_their_donors_profile_and_pledges(rep_client, donor, make_pledge):
    pledge = make_pledge(krw=100_000)
    response = rep_client.get("/donors/")
    assert response.status_code == 200
    page = text(response)
    assert donor.name in page
    assert "124-81-00998" in page
    assert f'data-pledge="{pledge.pk}"' in page
    assert f'href="/donors/{donor.pk}/receipts/{timezone.localdate().year}/"' in page


def test_coordinators_and_signed_out_people_cannot_enter_the_portal(client, people, donor):
    response = client.get("/donors/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(people["coord_seo"])
    assert client.get("/donors/").status_code == 403
    assert client.get(f"/donors/{donor.pk}/").status_code == 403
    assert client.post(f"/donors/{donor.pk}/pledges/", {}).status_code == 403


def test_another_donors_representative_finds_nothing_of_this_donor(
    client, other_rep, donor, make_pledge, pending_claim
):
    pledge = make_pledge(krw=100_000)
    client.force_login(other_rep)
    year = timezone.localdate().year
    for url in (
        f"/donors/{donor.pk}/",
        f"/donors/{donor.pk}/?part=pledges",
        f"/donors/{donor.pk}/receipts/{year}/",
        f"/donors/{donor.pk}/receipts/{year}/?format=csv",
        f"/donors/{donor.pk}/gifts/new/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/donors/pledges/{pledge.pk}/withdraw/").status_code == 404
    assert client.post(f"/donors/{donor.pk}/profile/", {}).status_code == 404
    assert client.post(f"/donors/{donor.pk}/pledges/", {}).status_code == 404
    match = Match.objects.get(claim=pending_claim)
    assert client.post(f"/donors/{donor.pk}/matches/{match.pk}/commit/").status_code == 404
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.ACTIVE


def test_the_header_links_the_portal_for_representatives_only(client, donor, donor_rep, people):
    client.force_login(donor_rep)
    assert 'href="/donors/"' in text(client.get("/dashboard/"))
    client.force_login(people["coord_seo"])
    assert 'href="/donors/"' not in text(client.get("/dashboard/"))


def test_someone_representing_two_donors_chooses_one(client, donor, donor_rep, daejeon):
    second = Donor.objects.create(
        name="유성 늘봄 자활센터",
        kind=DonorKind.SELF_SUFFICIENCY,
        business_number="3148212342",
        home_region=daejeon["유성구"],
    )
    DonorMembership.objects.create(user=donor_rep, donor=second)
    client.force_login(donor_rep)
    page = text(client.get("/donors/"))
    assert f'href="/donors/{donor.pk}/"' in page and f'href="/donors/{second.pk}/"' in page
    assert second.name in text(client.get(f"/donors/{second.pk}/"))


def test_an_ended_membership_no_longer_opens_the_portal(client, donor, donor_rep):
    DonorMembership.objects.filter(user=donor_rep).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(donor_rep)
    assert client.get("/donors/").status_code == 403


# --- matches: never the household ----------------------------------------------------------


def test_pending_matches_show_category_district_and_points_never_the_household(
    rep_client, donor, make_pledge, pending_claim, quiet_household
):
    make_pledge(krw=100_000)
    match = Match.objects.get(claim=pending_claim)
    response = rep_client.get("/donors/")
    page = text(response)
    row = re.search(rf'<tr data-match="{match.pk}">(.*?)</tr>', page, re.S)
    assert row, "the pending match is listed"
    assert "밑반찬" in row.group(1)  # the category
    assert "대덕구" in row.group(1)  # the claiming district
    assert 'data-points="private">20<' in row.group(1)
    assert 'data-action="commit"' in row.group(1)
    fragment = text(rep_client.get(f"/donors/{donor.pk}/?part=matches", **HTMX))
    for body in (page, fragment):
        assert quiet_household.code not in body
        assert NOTE not in body
        assert quiet_household.dong.name_ko not in body
        assert quiet_household.dong.name_en not in body


def test_a_match_no_pledge_of_the_donor_fits_is_not_offered(
    rep_client, donor, make_pledge, pending_claim, categories
):
    make_pledge(krw=100_000, preferred_categories=[categories["health"]])
    make_pledge(krw=10_000)  # 10 points: fewer than the private share of 20
    match = Match.objects.get(claim=pending_claim)
    assert f'data-match="{match.pk}"' not in text(rep_client.get("/donors/"))
    response = rep_client.post(f"/donors/{donor.pk}/matches/{match.pk}/commit/", **HTMX)
    # Never offered, so answered as if it did not exist: the same as an unknown id.
    unknown = rep_client.post(f"/donors/{donor.pk}/matches/{match.pk + 10**6}/commit/", **HTMX)
    assert response.status_code == unknown.status_code == 404
    assert text(response) == text(unknown)
    assert Match.objects.get(pk=match.pk).state == MatchState.PENDING


@pytest.mark.parametrize(
    "prefs",
    [
        {},
        {"preferred_categories": "daily_living"},
        {"preferred_categories": "daily_living.side_dishes"},
        {"preferred_categories": "health"},
        {"preferred_districts": "대덕구"},
        {"preferred_districts": "유성구"},
        {"cap_per_claim": 20},
        {"cap_per_claim": 19},
    ],
)
def test_the_portal_offers_exactly_the_matches_eligible_pledges_can_fund(
    donor, make_pledge, pending_claim, categories, daejeon, prefs
):
    if "preferred_categories" in prefs:
        prefs = {"preferred_categories": [categories[prefs["preferred_categories"]]]}
    if "preferred_districts" in prefs:
        prefs = {"preferred_districts": [daejeon[prefs["preferred_districts"]]]}
    make_pledge(krw=100_000, **prefs)
    match = Match.objects.get(claim=pending_claim)
    offered = fundable_pending_matches(Donor.objects.filter(pk=donor.pk)).filter(pk=match.pk)
    assert offered.exists() == eligible_pledges(match).filter(donor=donor).exists()


def test_commit_from_the_portal_lets_the_coordinator_approve(
    rep_client, donor, make_pledge, pending_claim, people
):
    pledge = make_pledge(krw=100_000)
    match = Match.objects.get(claim=pending_claim)
    response = rep_client.post(f"/donors/{donor.pk}/matches/{match.pk}/commit/", **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "pledges-changed"
    assert f'data-match="{match.pk}"' not in text(response)
    match.refresh_from_db()
    assert (match.state, match.pledge) == (MatchState.COMMITTED, pledge)
    pledges = text(rep_client.get(f"/donors/{donor.pk}/?part=pledges", **HTMX))
    assert 'data-points="held">20<' in pledges
    claim_approve(claim=pending_claim, by=people["coord_seo"])
    assert Claim.objects.get(pk=pending_claim.pk).state == ClaimState.APPROVED


def test_a_match_committed_meanwhile_answers_409_in_place(
    rep_client, donor, donor_rep, make_pledge, pending_claim
):
    make_pledge(krw=100_000)
    match = Match.objects.get(claim=pending_claim)
    match_commit(match=match, by=donor_rep)
    response = rep_client.post(f"/donors/{donor.pk}/matches/{match.pk}/commit/", **HTMX)
    assert response.status_code == 409
    assert "data-error" in text(response)


# --- pledges ---------------------------------------------------------------------------------


def _pledge_form(**values) -> dict:
    data = {
        "pledge-amount": "1,000,000",
        "pledge-valid_until": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "pledge-idempotency_key": "web-test-1",
    }
    data.update({f"pledge-{k}": v for k, v in values.items()})
    return data


def test_a_pledge_is_created_from_the_portal_and_awaits_confirmation(
    rep_client, donor, categories, daejeon
):
    response = rep_client.post(
        f"/donors/{donor.pk}/pledges/",
        _pledge_form(
            preferred_categories=["health"],
            preferred_districts=[daejeon["대덕구"].code],
            cap_per_claim="50",
        ),
        **HTMX,
    )
    assert response.status_code == 200, text(response)
    pledge = Pledge.objects.get()
    assert (pledge.amount, pledge.points, pledge.state, pledge.cap_per_claim) == (
        Money(1_000_000, "KRW"),
        1000,
        PledgeState.AWAITING,
        50,
    )
    assert list(pledge.preferred_districts.all()) == [daejeon["대덕구"]]
    assert f'data-pledge="{pledge.pk}"' in text(response)
    # Sent twice (a double click), it pledges once.
    rep_client.post(f"/donors/{donor.pk}/pledges/", _pledge_form(), **HTMX)
    assert Pledge.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": "1500"}, "amount"),  # not a multiple of 1,000 won
        ({"amount": "0"}, "amount"),
        ({"amount": "-5000"}, "amount"),
        ({"amount": "1000.5"}, "amount"),
        ({"amount": "9" * 40}, "amount"),
        ({"valid_until": "2020-01-01"}, "valid_until"),  # in the past
        ({"valid_until": "31.12.2026"}, "valid_until"),
        ({"cap_per_claim": "0"}, "cap_per_claim"),
        ({"preferred_districts": ["9999999999"]}, "preferred_districts"),
    ],
)
def test_pledge_errors_are_shown_next_to_their_fields(rep_client, donor, values, field):
    response = rep_client.post(f"/donors/{donor.pk}/pledges/", _pledge_form(**values), **HTMX)
    assert response.status_code == 422
    page = text(response)
    assert f'id="id_pledge-{field}-error"' in page
    assert not Pledge.objects.exists()


def test_a_broken_hidden_field_is_still_explained(rep_client, donor):
    response = rep_client.post(
        f"/donors/{donor.pk}/pledges/", _pledge_form(idempotency_key="k" * 500), **HTMX
    )
    assert response.status_code == 422
    assert 'class="errors form-errors"' in text(response)


def test_a_pledge_error_without_htmx_shows_the_whole_portal(rep_client, donor):
    response = rep_client.post(f"/donors/{donor.pk}/pledges/", _pledge_form(amount="1500"))
    assert response.status_code == 422
    assert 'id="id_pledge-amount-error"' in text(response)
    assert 'id="profile"' in text(response)


def test_withdrawing_returns_only_the_unheld_part(
    rep_client, donor, make_pledge, daejeon, people, make_listing, household, grant
):
    grant(daejeon["대덕구"], 1000)
    pledge = make_pledge(krw=100_000)  # 100 points
    claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )  # holds 20 of them
    page = text(rep_client.get("/donors/"))
    row = re.search(rf'<tr data-pledge="{pledge.pk}".*?</tr>', page, re.S).group(0)
    assert 'data-points="remaining">80<' in row and 'data-action="withdraw"' in row

    response = rep_client.post(
        f"/donors/pledges/{pledge.pk}/withdraw/", {"reason": "예산 조정"}, **HTMX
    )
    assert response.status_code == 200
    row = re.search(rf'<tr data-pledge="{pledge.pk}".*?</tr>', text(response), re.S).group(0)
    assert 'data-points="returned">80<' in row
    assert 'data-points="held">20<' in row
    assert 'data-points="remaining">0<' in row
    assert 'data-action="withdraw"' not in row  # closed: no button
    assert 'data-total="remaining">0<' in text(response)
    pledge.refresh_from_db()
    assert (pledge.state, pledge.points_returned, pledge.points_held) == (
        PledgeState.CLOSED,
        80,
        20,
    )
    again = rep_client.post(
        f"/donors/pledges/{pledge.pk}/withdraw/", {"reason": "사업 종료"}, **HTMX
    )
    assert again.status_code == 409


def test_a_plain_withdraw_redirects_back_to_the_pledges(rep_client, donor, make_pledge):
    pledge = make_pledge(krw=100_000)
    response = rep_client.post(f"/donors/pledges/{pledge.pk}/withdraw/", {"reason": "사업 종료"})
    assert response.status_code == 302
    assert response["Location"] == f"/donors/{donor.pk}/#pledges"


# --- profile -----------------------------------------------------------------------------------


def test_the_contact_is_edited_and_the_rest_stays_with_finance(rep_client, donor):
    response = rep_client.post(
        f"/donors/{donor.pk}/profile/",
        {
            "profile-contact_name": "김담당",
            "profile-contact_email": "kim@example.kr",
            "profile-name": "바꾼 이름",
            "profile-business_number": "2208162517",
        },
        **HTMX,
    )
    assert response.status_code == 200
    donor.refresh_from_db()
    assert (donor.contact_name, donor.contact_email) == ("김담당", "kim@example.kr")
    assert (donor.name, donor.business_number) == ("함께나눔 사회적협동조합", "1248100998")
    [entry] = transitions_of("donor", donor.pk, transition="update")
    assert entry.reason == "contact_name, contact_email"

    bad = rep_client.post(
        f"/donors/{donor.pk}/profile/", {"profile-contact_email": "not-an-address"}, **HTMX
    )
    assert bad.status_code == 422
    assert 'id="id_profile-contact_email-error"' in text(bad)
    assert transitions_of("donor", donor.pk, transition="update").count() == 1


# --- in-kind gifts and their review ---------------------------------------------------------


def _gift_form(region_code: str, **values) -> dict:
    data = {
        "gift-region": region_code,
        "gift-kind": "goods",
        "gift-category": "daily_living.side_dishes",
        "gift-title": "후원 밑반찬",
        "gift-quantity": "5",
        "gift-unit": "상자",
        "gift-value_per_unit": "6000",
        "gift-available_from": timezone.localdate().isoformat(),
    }
    data.update({f"gift-{k}": v for k, v in values.items()})
    return data


def test_a_gift_is_drafted_and_a_coordinator_of_its_region_publishes_it(
    client, donor, donor_rep, people, daejeon, categories
):
    client.force_login(donor_rep)
    dong = daejeon["관저2동"]
    assert client.get(f"/donors/{donor.pk}/gifts/new/").status_code == 200
    bad = client.post(f"/donors/{donor.pk}/gifts/new/", _gift_form(dong.code, quantity="0"))
    assert bad.status_code == 422 and 'id="id_gift-quantity-error"' in text(bad)
    response = client.post(f"/donors/{donor.pk}/gifts/new/", _gift_form(dong.code), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == f"/donors/{donor.pk}/#gifts"
    listing = Listing.objects.get()
    assert (listing.donor, listing.region, listing.state) == (donor, dong, ListingState.DRAFT)
    assert f'data-listing="{listing.pk}"' in text(client.get("/donors/"))
    assert client.get("/donors/review/").status_code == 403

    client.force_login(people["coord_daedeok"])  # another region: nothing to review
    assert f'data-listing="{listing.pk}"' not in text(client.get("/donors/review/"))
    assert client.post(f"/donors/review/{listing.pk}/publish/").status_code == 404

    client.force_login(people["coord_seo"])
    page = text(client.get("/donors/review/"))
    assert f'data-listing="{listing.pk}"' in page and 'data-action="publish"' in page
    response = client.post(f"/donors/review/{listing.pk}/publish/", **HTMX)
    assert response.status_code == 200
    assert f'data-listing="{listing.pk}"' not in text(response)
    assert Listing.objects.get(pk=listing.pk).state == ListingState.PUBLISHED


# --- history and receipts ------------------------------------------------------------------------


@pytest.fixture
def receipt_year(
    donor, donor_rep, make_pledge, daejeon, people, make_listing, household, grant
) -> int:
    """A year of giving: a pledge paid 30 points (30,000 KRW) of a claim of 4
    boxes at 20 points of which 3 arrived, and an in-kind gift of 6,000 KRW
    a box of which households received 5 (30,000 KRW)."""
    grant(daejeon["대덕구"], 1000)
    make_pledge(krw=1_000_000)
    claim = claim_request(
        by=people["cm_daedeok"],
        listing=make_listing(quantity=10, krw=20_000),
        household=household,
        quantity=4,
    )
    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=3)

    gift = factories.gift(
        by=donor_rep,
        donor=donor,
        region=daejeon["서구"],
        krw=6_000,
        quantity=10,
        title="=후원 반찬",
        publisher=people["coord_seo"],
    )
    seo_dong = daejeon["서구"].children.order_by("code").first()
    seo_household = household_create(by=people["cm_seo"], dong=seo_dong, size=1)
    local = claim_request(by=people["cm_seo"], listing=gift, household=seo_household, quantity=5)
    claim_approve(claim=local, by=people["coord_seo"])
    claim_fulfil(claim=local, by=people["cm_seo"], quantity_received=5)
    return timezone.localdate().year


def test_the_receipt_lists_pledge_use_and_in_kind_gifts_with_their_total(
    rep_client, donor, receipt_year, household
):
    response = rep_client.get(f"/donors/{donor.pk}/receipts/{receipt_year}/")
    assert response.status_code == 200
    page = text(response)
    assert 'data-total="pledge">30,000<' in page
    assert 'data-total="in_kind">30,000<' in page
    assert 'data-total="total">60,000<' in page
    assert page.count('data-kind="pledge"') == 1 and page.count('data-kind="in_kind"') == 1
    assert household.code not in page and "독거 어르신" not in page

    rows = csv_rows(rep_client.get(f"/donors/{donor.pk}/receipts/{receipt_year}/?format=csv"))
    items = [row for row in rows if len(row) == 8 and row[1][:4] == str(receipt_year)]
    assert [row[-1] for row in items] == ["30000", "30000"]
    assert items[0][4] == "30" and items[1][4:7] == ["5", "상자", "6000"]
    assert items[1][2] == "'=후원 반찬"  # a title that looks like a formula stays text
    assert rows[-3][-1] == "30000" and rows[-2][-1] == "30000" and rows[-1][-1] == "60000"
    assert "124-81-00998" in rows[2]
    assert not any(household.code in cell for row in rows for cell in row)


def test_another_years_receipt_is_empty_and_odd_years_are_not_found(
    rep_client, donor, receipt_year
):
    page = text(rep_client.get(f"/donors/{donor.pk}/receipts/{receipt_year - 1}/"))
    assert 'data-total="total">0<' in page
    assert rep_client.get(f"/donors/{donor.pk}/receipts/1999/").status_code == 404
    assert rep_client.get(f"/donors/{donor.pk}/receipts/99999999999999999999/").status_code == 404
    assert rep_client.get("/donors/99999999999999999999/").status_code == 404


def test_the_history_shows_what_the_pledges_paid(rep_client, donor, receipt_year, household):
    page = text(rep_client.get("/donors/"))
    row = re.search(r"<tr data-funded=.*?</tr>", page, re.S).group(0)
    assert 'data-points="paid">30<' in row
    assert "대덕구" in row and "밑반찬" in row
    assert timezone.localdate().isoformat() in row
    assert household.code not in page and "독거 어르신" not in page


# --- bounded queries ---------------------------------------------------------------------------


def test_the_portal_costs_the_same_queries_however_many_rows(
    rep_client, donor, donor_rep, make_pledge, daejeon, people, make_listing, household, grant
):
    grant(daejeon["대덕구"], 100_000)
    listing = make_listing(quantity=100)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert rep_client.get("/donors/").status_code == 200
        return len(ctx.captured_queries)

    def grow(n: int) -> None:
        for _ in range(n):
            pledge_create(
                by=donor_rep,
                donor=donor,
                amount=Money(5_000, "KRW"),
                valid_until=timezone.localdate() + datetime.timedelta(days=30),
            )
            claim_request(
                by=people["cm_daedeok"],
                listing=listing,
                household=household,
                quantity=1,
                justification="반복 지원",
            )

    # Claims made while the donor is inactive wait; once it is active again its
    # pledge can fund all of them, so every one is listed.
    Donor.objects.filter(pk=donor.pk).update(is_active=False)
    grow(2)
    Donor.objects.filter(pk=donor.pk).update(is_active=True)
    make_pledge(krw=1_000_000)
    few = queries()
    Donor.objects.filter(pk=donor.pk).update(is_active=False)
    grow(8)
    Donor.objects.filter(pk=donor.pk).update(is_active=True)
    page = text(rep_client.get("/donors/"))
    assert page.count("<tr data-match=") == 10 and page.count("<tr data-pledge=") == 11
    assert queries() == few


# --- odd input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/donors/{donor}/?part=nonsense", {}),
        ("get", "/donors/{donor}/?pledges_page=abc&history_page=-1", {}),
        ("get", "/donors/{donor}/?part=history&history_page=99999999999999999999", {}),
        ("get", "/donors/{donor}/receipts/2026/?format=xml", {}),
        ("post", "/donors/{donor}/pledges/", {"pledge-amount": "١٢٣٠٠٠"}),
        ("post", "/donors/{donor}/pledges/", {"pledge-valid_until": "0000-00-00"}),
        ("post", "/donors/{donor}/pledges/", {"pledge-cap_per_claim": "1e9"}),
        ("post", "/donors/{donor}/pledges/", {"pledge-cap_per_claim": "9" * 30}),
        ("post", "/donors/{donor}/pledges/", {"pledge-preferred_categories": ["x" * 500]}),
        ("post", "/donors/{donor}/pledges/", {"pledge-idempotency_key": "k" * 500}),
        ("post", "/donors/{donor}/profile/", {"profile-contact_name": "가" * 500}),
        ("post", "/donors/{donor}/matches/99999999999999999999/commit/", {}),
        ("post", "/donors/{donor}/gifts/new/", {"gift-region": "x", "gift-quantity": "-1"}),
        ("post", "/donors/{donor}/gifts/new/", {"gift-value_per_unit": "9" * 30}),
        ("post", "/donors/pledges/99999999999999999999/withdraw/", {}),
    ],
)
def test_odd_input_never_fails_the_server(rep_client, donor, method, path, data):
    response = getattr(rep_client, method)(path.format(donor=donor.pk), data, **HTMX)
    assert response.status_code < 500
