"""Demo marketplace for `manage.py seed_demo`: labelled "(데모)" everywhere.

Opening points go through the real four-eyes grant (proposed by one demo
finance user, approved by the other); listings, households and claims go
through the real services, so the demo ledger verifies like a real one.
Runs once: when demo listings already exist it changes nothing.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from donors.models import Donor
from exchange.donor_demo import seed_donors_demo
from exchange.models import Claim, Match
from exchange.services import (
    claim_approve,
    claim_cancel,
    claim_expire_overdue,
    claim_fulfil,
    claim_reject,
    claim_request,
)
from ledger.models import Proposal
from ledger.services import proposal_approve, proposal_grant_create
from marketplace.models import Category, Listing, ResourceKind
from marketplace.services import (
    categories_load_csv,
    household_close,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import User
from regions.models import Region

DEMO = "(데모)"

# (coordinator, region code, kind, category, title, quantity, unit, KRW per unit or None)
LISTINGS = [
    (
        "demo_coord_seogu",
        "3017059700",
        ResourceKind.GOODS,
        "daily_living.side_dishes",
        "밑반찬 세트",
        10,
        "상자",
        20_000,
    ),
    (
        "demo_coord_seogu",
        "3017000000",
        ResourceKind.GOODS,
        "economy.donated_goods",
        "겨울 이불",
        6,
        "채",
        45_000,
    ),
    (
        "demo_coord_seogu",
        "3017000000",
        ResourceKind.VOLUNTEER_HOURS,
        "daily_living.housework",
        "가사 지원 봉사",
        40,
        "시간",
        None,
    ),
    (
        "demo_coord_daedeok",
        "3023000000",
        ResourceKind.SERVICE,
        "housing.repair",
        "집수리 (전기·수도)",
        3,
        "회",
        150_000,
    ),
    (
        "demo_coord_daedeok",
        "3023000000",
        ResourceKind.GOODS,
        "daily_living.assistive_devices",
        "보행 보조기",
        4,
        "대",
        80_000,
    ),
    (
        "demo_coord_yuseong",
        "3020000000",
        ResourceKind.SERVICE,
        "health.mental",
        "심리상담 (6회기)",
        5,
        "회기",
        60_000,
    ),
    (
        "demo_coord_yuseong",
        "3020000000",
        ResourceKind.VOLUNTEER_HOURS,
        "education_jobs.mentoring",
        "대학생 학습 멘토링",
        30,
        "시간",
        None,
    ),
]


def _user(username: str) -> User:
    return User.objects.get(username=username)


def seed_marketplace_demo() -> list[str]:
    """Create the demo marketplace once; returns lines describing what was made."""
    created, updated, _unchanged = categories_load_csv()
    lines = [f"Categories: {created} created, {updated} updated."]
    if Listing.objects.filter(title__startswith=DEMO).exists():
        return [*lines, "Demo marketplace already present; left as it is."]
    with transaction.atomic():
        finance, finance2 = _user("demo_finance"), _user("demo_finance2")
        for code in ("3017000000", "3023000000", "3020000000"):
            proposal = proposal_grant_create(
                region=Region.objects.get(code=code),
                amount=2_000,
                reason=f"{DEMO} 개시 포인트",
                by=finance,
            )
            proposal_approve(proposal=proposal, by=finance2, note=DEMO)
        # One grant stays waiting for the second pair of eyes.
        proposal_grant_create(
            region=Region.objects.get(code="3020000000"),
            amount=500,
            reason=f"{DEMO} 추가 지급 검토",
            by=finance,
        )

        listings = []
        for coordinator, code, kind, category, title, quantity, unit, krw in LISTINGS:
            listing = listing_create(
                by=_user(coordinator),
                region=Region.objects.get(code=code),
                kind=kind,
                category=Category.objects.get(code=category),
                title=f"{DEMO} {title}",
                description=f"{DEMO} 시연용 자원입니다.",
                quantity=quantity,
                unit=unit,
                value_per_unit=Money(krw, "KRW") if krw is not None else None,
                available_from=timezone.localdate() - datetime.timedelta(days=3),
                available_until=timezone.localdate() + datetime.timedelta(days=60),
                pickup_notes=f"{DEMO} 동 행정복지센터에서 수령",
            )
            listings.append(listing_publish(listing=listing, by=_user(coordinator)))
        listing_create(
            by=_user("demo_coord_daedeok"),
            region=Region.objects.get(code="3023000000"),
            kind=ResourceKind.GOODS,
            category=Category.objects.get(code="daily_living.meals"),
            title=f"{DEMO} 도시락 (작성 중)",
            quantity=20,
            unit="개",
            value_per_unit=Money(7_000, "KRW"),
            available_from=timezone.localdate(),
        )

        seed_donors_demo()
        donor = Donor.objects.order_by("pk").first()
        listing_create(
            by=_user("demo_donor_rep"),
            donor=donor,
            region=Region.objects.get(code="3023000000"),
            kind=ResourceKind.GOODS,
            category=Category.objects.get(code="economy.donated_goods"),
            title=f"{DEMO} 후원 쌀 10kg (검토 대기)",
            quantity=30,
            unit="포",
            value_per_unit=Money(30_000, "KRW"),
            available_from=timezone.localdate(),
        )
        in_kind = listing_create(
            by=_user("demo_donor_rep"),
            donor=donor,
            region=Region.objects.get(code="3023000000"),
            kind=ResourceKind.GOODS,
            category=Category.objects.get(code="daily_living.meals"),
            title=f"{DEMO} 후원 도시락",
            quantity=50,
            unit="개",
            value_per_unit=Money(6_000, "KRW"),
            available_from=timezone.localdate(),
        )
        listing_publish(listing=in_kind, by=_user("demo_coord_daedeok"))

        cm_dd, cm_yu, cm_seo = (
            _user(u) for u in ("demo_cm_daedeok", "demo_cm_yuseong", "demo_cm_seogu")
        )
        dong_dd = Region.objects.get(code="3023000000").children.order_by("code")
        dong_yu = Region.objects.get(code="3020000000").children.order_by("code")
        households = [
            household_create(by=cm_dd, dong=dong_dd[i], size=size, notes=f"{DEMO} {note}")
            for i, (size, note) in enumerate(
                [(1, "독거 어르신, 거동 불편"), (4, "조손 가정"), (2, "장애인 가구")]
            )
        ] + [household_create(by=cm_yu, dong=dong_yu[0], size=3, notes=f"{DEMO} 한부모 가정")]
        local = household_create(
            by=cm_seo, dong=Region.objects.get(code="3017059700"), size=2, notes=f"{DEMO} 노부부"
        )
        side_dishes, blankets, housework, repair, walker, counsel, mentoring = listings
        coord_seo, coord_dd = _user("demo_coord_seogu"), _user("demo_coord_daedeok")

        fulfilled = claim_request(
            by=cm_dd, listing=side_dishes, household=households[0], quantity=4
        )
        claim_approve(claim=fulfilled, by=coord_seo)
        claim_fulfil(claim=fulfilled, by=cm_dd, quantity_received=3)
        approved = claim_request(by=cm_dd, listing=blankets, household=households[1], quantity=2)
        claim_approve(claim=approved, by=coord_seo)
        claim_request(by=cm_yu, listing=housework, household=households[3], quantity=6)
        rejected = claim_request(by=cm_yu, listing=repair, household=households[3], quantity=1)
        claim_reject(claim=rejected, by=coord_dd, reason=f"{DEMO} 일정 불가")
        cancelled = claim_request(by=cm_dd, listing=counsel, household=households[2], quantity=2)
        claim_cancel(claim=cancelled, by=cm_dd, reason=f"{DEMO} 가구 사정으로 취소")
        expired = claim_request(by=cm_dd, listing=mentoring, household=households[1], quantity=4)
        Claim.objects.filter(pk=expired.pk).update(
            approve_by=timezone.now() - datetime.timedelta(minutes=1)
        )
        claim_expire_overdue(claims=Claim.objects.filter(pk=expired.pk))
        claim_request(
            by=cm_dd,
            listing=side_dishes,
            household=households[0],
            quantity=1,
            justification=f"{DEMO} 가구원 입원으로 추가 필요",
        )
        claim_request(by=cm_seo, listing=side_dishes, household=local, quantity=1)
        # A claim no donor took on in time: its match expires and the claim with it.
        unmatched = claim_request(by=cm_yu, listing=walker, household=households[3], quantity=1)
        Match.objects.filter(claim=unmatched).update(
            deadline=timezone.now() - datetime.timedelta(minutes=1)
        )
        claim_expire_overdue(claims=Claim.objects.filter(pk=unmatched.pk))
        # The in-kind gift of a donor, received by a local household.
        local_gift = claim_request(by=cm_dd, listing=in_kind, household=households[1], quantity=5)
        claim_approve(claim=local_gift, by=coord_dd)
        claim_fulfil(claim=local_gift, by=cm_dd, quantity_received=5)
        household_close(household=households[2], by=cm_dd)
    return [
        *lines,
        f"Demo marketplace: {Listing.objects.count()} listings, {len(households) + 1} households, "
        f"{Claim.objects.count()} claims in every state, "
        f"{Proposal.objects.count()} grant proposals (one awaiting approval).",
    ]
