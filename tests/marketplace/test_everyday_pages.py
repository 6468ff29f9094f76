"""What the pages say in daily use: listing terms that make no sense are
refused with a Korean message, claim cards tell what was received and paid,
and decisions say only what happened."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from djmoney.money import Money

from exchange.services import claim_approve, claim_reject, claim_request
from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for
from marketplace.models import Listing, ListingState

pytestmark = pytest.mark.django_db


def _listing_form(region, **overrides) -> dict[str, str]:
    return {
        "region": region.code,
        "kind": "goods",
        "category": "daily_living.side_dishes",
        "title": "밑반찬 세트",
        "description": "",
        "quantity": "10",
        "unit": "상자",
        "value_per_unit": "20000",
        "available_from": timezone.localdate().isoformat(),
        "available_until": "",
        "pickup_notes": "",
        **overrides,
    }


@pytest.mark.parametrize("krw", ["0", "400", "499"])
def test_a_listing_worth_less_than_a_point_is_refused(client, people, daejeon, categories, krw):
    client.force_login(people["coord_seo"])
    response = client.post("/listings/new/", _listing_form(daejeon["서구"], value_per_unit=krw))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_value_per_unit-error"' in html
    assert "환가액은 500원(1포인트) 이상이어야 합니다." in html
    assert not Listing.objects.exists()


def test_half_a_point_is_the_least_value(client, people, daejeon, categories):
    client.force_login(people["coord_seo"])
    response = client.post("/listings/new/", _listing_form(daejeon["서구"], value_per_unit="500"))
    assert response.status_code == 302
    assert Listing.objects.get().value_per_unit == Money(500, "KRW")


def test_a_draft_worth_nothing_cannot_be_published(client, people, daejeon, categories):
    # A draft saved before the minimum existed.
    draft = Listing.objects.create(
        region=daejeon["서구"],
        posted_by=people["coord_seo"],
        kind="goods",
        category=categories["daily_living.side_dishes"],
        title="밑반찬 세트",
        quantity=10,
        unit="상자",
        value_per_unit=Money(400, "KRW"),
        available_from=timezone.localdate(),
    )
    client.force_login(people["coord_seo"])
    response = client.post(f"/listings/{draft.pk}/publish/", {})
    assert response.status_code == 422
    assert "환가액은 500원(1포인트) 이상이어야 합니다." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == ListingState.DRAFT


def test_a_new_listing_cannot_start_long_ago(client, people, daejeon, categories):
    client.force_login(people["coord_seo"])
    today = timezone.localdate()
    too_old = today - datetime.timedelta(days=31)
    response = client.post(
        "/listings/new/", _listing_form(daejeon["서구"], available_from=too_old.isoformat())
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_available_from-error"' in html
    earliest = (today - datetime.timedelta(days=30)).isoformat()
    assert f"시작일은 30일 전까지만 입력할 수 있습니다({earliest} 이후)." in html
    assert not Listing.objects.exists()
    response = client.post(
        "/listings/new/", _listing_form(daejeon["서구"], available_from=earliest)
    )
    assert response.status_code == 302


HTMX = {"HX-Request": "true"}


@pytest.fixture
def claim(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    return claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)


def test_a_claim_card_shows_what_was_received_and_paid(client, claim, people, daejeon):
    claim_approve(claim=claim, by=people["coord_seo"])
    client.force_login(people["cm_daedeok"])
    html = client.get("/dashboard/").content.decode()
    assert "4상자 요청" in html
    assert "80포인트 · 받은 만큼 지급" in html
    response = client.post(f"/claims/{claim.pk}/fulfil/", {"quantity_received": "3"}, headers=HTMX)
    assert response.status_code == 200
    card = response.content.decode()
    assert 'data-points-paid="60"' in card
    assert "4상자 요청" in card and "3상자 수령" in card
    assert "60포인트 지급 (요청 80포인트)" in card
    # The figure shown is what the ledger moved out of the claiming wallet.
    assert account_balance(account_for(daejeon["대덕구"], Purpose.WALLET)) == 1000 - 60
    # The dashboard says the same afterwards.
    assert "60포인트 지급 (요청 80포인트)" in client.get("/dashboard/").content.decode()


def test_a_rejected_claim_card_says_nothing_was_paid(client, claim, people):
    claim_reject(claim=claim, by=people["coord_seo"])
    client.force_login(people["cm_daedeok"])
    assert "80포인트 요청 · 지급 없음" in client.get("/dashboard/").content.decode()


def test_receipt_confirmed_on_the_dashboard_moves_the_claim_to_the_closed_ones(
    client, claim, people
):
    claim_approve(claim=claim, by=people["coord_seo"])
    client.force_login(people["cm_daedeok"])
    dashboard = client.get("/dashboard/").content.decode()
    assert 'hx-target="#my-claims"' in dashboard
    response = client.post(
        f"/claims/{claim.pk}/fulfil/",
        {"quantity_received": "3"},
        headers={**HTMX, "HX-Target": "my-claims"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="my-claims"')
    assert "승인됨 (" not in html
    closed = html[html.index('<details class="closed-claims" open>') :]
    assert f'id="claim-{claim.pk}"' in closed and 'data-state="fulfilled"' in closed
    assert "수령을 확인했습니다. 받은 만큼의 포인트가 지급되었습니다." in closed


def test_a_refused_action_on_the_dashboard_shows_its_error_on_the_card(client, claim, people):
    claim_approve(claim=claim, by=people["coord_seo"])
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/claims/{claim.pk}/fulfil/",
        {"quantity_received": "9"},
        headers={**HTMX, "HX-Target": "my-claims"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    card = html[html.index(f'id="claim-{claim.pk}"') :]
    assert "data-error" in card[: card.index("</li>")]
    assert "승인됨 (1)" in html


def test_the_claim_form_shows_the_split_between_wallet_and_donor(
    client, people, make_listing, household, settings
):
    settings.PUBLIC_SHARE = Decimal("0.5")
    listing = make_listing(quantity=10, krw=45_000)
    client.force_login(people["cm_daedeok"])
    html = client.get(f"/listings/{listing.pk}/").content.decode()
    # 45 points a unit: ceil(45 × 0.5) = 23 from the wallet, 22 from a donor.
    assert (
        "단위당 45포인트가 듭니다. 우리 지역 지갑에서 23포인트, 후원기관이 22포인트를 냅니다."
        in html
    )
    assert "1상자 기준: 우리 지역 지갑 23포인트 · 후원기관 22포인트" in html
    assert "연결되기 전에는 승인할 수 없습니다." in html
    assert "단위당 45포인트가 우리 지역 지갑에서 나갑니다" not in html
    # Typing a quantity asks for the split of the whole claim (135 = 68 + 67).
    preview = client.get(
        f"/listings/{listing.pk}/", {"part": "split", "quantity": "3"}, headers=HTMX
    )
    assert preview.status_code == 200
    assert "3상자 기준: 우리 지역 지갑 68포인트 · 후원기관 67포인트" in preview.content.decode()
    # A claim form sent back with its errors keeps the split of what was typed.
    response = client.post(
        f"/listings/{listing.pk}/claim/", {"household": "", "quantity": "4"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "4상자 기준: 우리 지역 지갑 90포인트 · 후원기관 90포인트" in response.content.decode()


def test_the_split_preview_takes_nonsense_as_one_unit(client, people, make_listing):
    listing = make_listing(quantity=10, krw=45_000)
    client.force_login(people["cm_daedeok"])
    for quantity in ("abc", "-3", "99999999999999999999", ""):
        preview = client.get(
            f"/listings/{listing.pk}/", {"part": "split", "quantity": quantity}, headers=HTMX
        )
        assert preview.status_code == 200
        assert "1상자 기준: 우리 지역 지갑 45포인트" in preview.content.decode()


def test_rejecting_a_local_claim_says_nothing_about_points(
    client, people, make_listing, daejeon, categories
):
    from marketplace.services import household_create

    dong = daejeon["서구"].children.order_by("code").first()
    household = household_create(by=people["cm_seo"], dong=dong, size=1, notes="")
    listing = make_listing(quantity=10, krw=20_000)
    claim = claim_request(by=people["cm_seo"], listing=listing, household=household, quantity=2)
    assert not claim.is_exchange
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": "재고 소진"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "반려했습니다." in html
    assert "포인트" not in html.split('role="status"')[1].split("</p>")[0]


def test_rejecting_an_exchange_claim_says_the_held_points_return(client, claim, people):
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": "재고 소진"}, headers=HTMX)
    assert "보류된 포인트는 신청 지역으로 돌아갑니다." in response.content.decode()


def test_the_new_claim_mail_and_a_refusal_have_the_right_particles(
    client,
    people,
    make_listing,
    household,
    grant,
    daejeon,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    with django_capture_on_commit_callbacks(execute=True):
        claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)
    body = mailoutbox[-1].body if mailoutbox else ""
    assert "4상자를 신청했습니다" in body, body
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/listings/{listing.pk}/claim/",
        {"household": household.pk, "quantity": "11"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "11을 신청했습니다" in html
    assert "을(를)" not in html


def test_quantities_have_their_counter_and_dongs_follow_their_district(
    client, people, make_listing
):
    listing = make_listing(region_name="관저2동", quantity=10, krw=20_000)
    html = client.get(f"/listings/{listing.pk}/").content.decode()
    assert "서구 관저2동" in html and "관저2동 · 서구" not in html
    assert "10 / 10상자" in html
    catalogue = client.get("/").content.decode()
    assert "서구 관저2동" in catalogue and "10상자" in catalogue
    assert "10 상자" not in catalogue
    client.force_login(people["coord_seo"])
    dashboard = client.get("/dashboard/").content.decode()
    assert "10 / 10상자" in dashboard
