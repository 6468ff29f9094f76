"""No resident, alien or phone number in household notes, follow-up notes, claim
justifications or decision reasons, in whatever shape it is written — and no
false alarm on the dates, amounts, quantities and codes of ordinary notes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from audit.models import TransitionLog
from config.personal_numbers import PHONE, RRN, find_personal_number
from exchange.models import Claim, ClaimState
from exchange.services import claim_reject, claim_request
from marketplace.exceptions import InvalidRequest
from marketplace.models import FollowUp, Household
from marketplace.services import (
    follow_up_record,
    household_close,
    household_create,
    household_update,
)

ZWSP, ZWNJ, ZWJ, WJ, BOM, SHY = "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"

REFUSED = [
    # resident and alien registration numbers (YYMMDD + 7, the 7th digit 1-8)
    ("9001011234567", RRN),
    ("900101-1234567", RRN),
    ("주민번호 900101 1234567 확인", RRN),
    ("900101\u20131234567", RRN),  # en dash
    ("900101\u22121234567", RRN),  # minus sign
    ("900101.1234567", RRN),
    ("９００１０１－１２３４５６７", RRN),  # full-width
    (f"900101{ZWSP}-{ZWSP}1234567", RRN),
    (f"900101{SHY}1234567", RRN),
    (f"9001{WJ}01{BOM}1234567", RRN),
    ("0001013234567", RRN),  # born in 2000
    ("외국인등록번호 850515-5123456", RRN),
    ("850515-6123456", RRN),
    ("8505157123456", RRN),
    ("90 01 01 - 1 2 3 4 5 6 7", RRN),
    # mobile numbers
    ("010-1234-5678", PHONE),
    ("연락처 01012345678로 연락", PHONE),
    ("010 1234 5678", PHONE),
    ("010.1234.5678", PHONE),
    ("+82-10-1234-5678", PHONE),
    ("+821012345678", PHONE),
    ("82 10 1234 5678", PHONE),
    ("+82 (0)10-1234-5678", PHONE),
    ("0082-10-1234-5678", PHONE),
    ("０１０－１２３４－５６７８", PHONE),
    ("010\u20101234\u20115678", PHONE),  # hyphen, non-breaking hyphen
    ("010\u20141234\u20145678", PHONE),  # em dash
    (f"010{ZWSP}1234{ZWNJ}5678", PHONE),
    (f"0{ZWJ}10-1234-5678", PHONE),
    ("0 1 0 1 2 3 4 5 6 7 8", PHONE),
    ("010 - 1234 - 5678", PHONE),
    ("Tel.010-1234-5678", PHONE),
    ("쌀 3 010-1234-5678", PHONE),
    ("\u0660\u0661\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", PHONE),  # Arabic
    ("011-123-4567", PHONE),
    ("016-123-4567", PHONE),
    ("017 1234 5678", PHONE),
    ("018-234-5678", PHONE),
    ("019-1234-5678", PHONE),
    # landlines, internet and representative numbers
    ("02-123-4567", PHONE),
    ("(02) 1234-5678", PHONE),
    ("02)123-4567", PHONE),
    ("031-123-4567", PHONE),
    ("042 1234 5678", PHONE),
    ("064-123-4567", PHONE),
    ("+82-42-123-4567", PHONE),
    ("070-1234-5678", PHONE),
    ("1588-1234", PHONE),
    ("1644 1234", PHONE),
    ("1899-1234", PHONE),
    ("15881234", PHONE),
]

ALLOWED = [
    "2026-12-02 방문 상담",
    "2026.12.02 10:30 재방문",
    "2026. 12. 2. 안부 전화함",
    "2026-12-02 ~ 2027-01-31 지원",
    "20261202",
    "지원금 1,234,567원",
    "월 소득 1,800,000원, 가구원 4명",
    "긴급지원 15000000원 결정",
    "쌀 10kg 3포, 라면 2박스",
    "행정동 코드 3017000000",
    "3개월 후 재상담, 6개월 후 종결",
    "101동 1203호 옆 주민센터 1층",
    "12/02 14:00 방문",
    "사례번호 2026-0001234",
    "0.5인분씩 3회",
]


@pytest.mark.parametrize(("text", "kind"), REFUSED)
def test_personal_numbers_are_found_in_every_shape(text, kind):
    assert find_personal_number(text) == kind


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_notes_are_not_mistaken_for_personal_numbers(text):
    assert find_personal_number(text) is None


def test_the_table_is_large_enough():
    assert len(REFUSED) >= 30 and len(ALLOWED) >= 10


# --- every free-text field that may describe a household -------------------------------------

RRN_TEXT, PHONE_TEXT = "주민번호 900101 1234567", "보호자 +82 10 1234 5678"


@pytest.fixture
def seo_household(daejeon, people):
    dong = daejeon["서구"].children.order_by("code").first()
    return household_create(by=people["cm_seo"], dong=dong, size=2, notes="독거")


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_services_refuse_them_in_notes_justifications_and_reasons(
    people, daejeon, seo_household, make_listing
):
    dong = seo_household.dong
    with pytest.raises(InvalidRequest) as caught:
        household_create(by=people["cm_seo"], dong=dong, size=2, notes=PHONE_TEXT)
    assert "notes" in caught.value.extra["fields"]
    with pytest.raises(InvalidRequest):
        household_update(household=seo_household, by=people["cm_seo"], notes=RRN_TEXT)
    listing = make_listing(quantity=5, krw=10_000)
    with pytest.raises(InvalidRequest) as caught:
        claim_request(
            by=people["cm_seo"],
            listing=listing,
            household=seo_household,
            quantity=1,
            justification=PHONE_TEXT,
        )
    assert "justification" in caught.value.extra["fields"]
    claim = claim_request(by=people["cm_seo"], listing=listing, household=seo_household, quantity=1)
    with pytest.raises(InvalidRequest) as caught:
        claim_reject(claim=claim, by=people["coord_seo"], reason=f"보호자 요청 {RRN_TEXT}")
    assert "reason" in caught.value.extra["fields"]
    household_close(household=seo_household, by=people["cm_seo"])
    follow_up = FollowUp.objects.filter(household=seo_household).first()
    with pytest.raises(InvalidRequest):
        follow_up_record(
            follow_up=follow_up, by=people["cm_seo"], note=PHONE_TEXT, outcome="stable"
        )

    # Nothing of them was kept.
    assert Household.objects.get().notes == "독거"
    assert Claim.objects.get().state == ClaimState.REQUESTED
    follow_up.refresh_from_db()
    assert follow_up.recorded_at is None
    # The log's written texts (not its timestamps, whose digits can read 1234 by chance).
    texts = TransitionLog.objects.values_list("transition", "source", "target", "reason")
    assert not any("1234" in " ".join(row) for row in texts)


def test_the_api_refuses_them_naming_the_field(people, daejeon, seo_household, make_listing):
    client = _api(people["cm_seo"])
    dong = seo_household.dong
    created = client.post(
        "/api/v1/households/", {"dong": dong.code, "size": 2, "notes": "+821012345678"}
    )
    assert created.status_code == 400
    assert created.json()["code"] == "invalid" and "notes" in created.json()["fields"]
    assert "전화번호" in created.json()["fields"]["notes"][0]
    changed = client.patch(
        f"/api/v1/households/{seo_household.pk}/", {"notes": "９００１０１－１２３４５６７"}
    )
    assert changed.status_code == 400 and "notes" in changed.json()["fields"]
    listing = make_listing(quantity=5, krw=10_000)
    claimed = client.post(
        "/api/v1/claims/",
        {
            "listing": listing.pk,
            "household": seo_household.pk,
            "quantity": 1,
            "justification": "010\u200b1234\u200b5678",
        },
        format="json",
    )
    assert claimed.status_code == 400 and "justification" in claimed.json()["fields"]
    claim = claim_request(by=people["cm_seo"], listing=listing, household=seo_household, quantity=1)
    rejected = _api(people["coord_seo"]).post(
        f"/api/v1/claims/{claim.pk}/reject/", {"reason": "1588-1234 문의"}, format="json"
    )
    assert rejected.status_code == 400 and "reason" in rejected.json()["fields"]
    assert Household.objects.count() == 1 and Household.objects.get().notes == "독거"
    assert Claim.objects.get().state == ClaimState.REQUESTED


def test_the_pages_show_the_korean_error_next_to_the_field(
    client, people, daejeon, seo_household, make_listing
):
    client.force_login(people["cm_seo"])
    dong = seo_household.dong
    response = client.post(
        "/households/new/", {"dong": dong.code, "size": "2", "notes": "02)123-4567 할머니"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "전화번호로 보입니다" in page
    assert Household.objects.count() == 1

    listing = make_listing(quantity=5, krw=10_000)
    claim = claim_request(by=people["cm_seo"], listing=listing, household=seo_household, quantity=1)
    client.force_login(people["coord_seo"])
    response = client.post(f"/claims/{claim.pk}/reject/", {"reason": "900101-1234567 본인 아님"})
    assert response.status_code in (400, 422)
    assert "주민등록번호나 외국인등록번호로 보입니다" in response.content.decode()
    assert Claim.objects.get().state == ClaimState.REQUESTED
