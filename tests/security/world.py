"""One small world of people and objects that the authorization matrix asks about.

"Own" and "other" are relative to the objects: the listing is offered by 서구
(its coordinator is `coord_own`), the household lives in 대덕구 (its case
manager is `cm_own`), the donor 매트릭스후원재단 is represented by `rep_own`.
`coord_other` and `cm_other` hold the same posts in 유성구, `rep_other`
represents another verified donor with no pledge. `finance2` proposed the
grant waiting for a decision, so `finance` may decide it (four-eyes).
`cm_peer` (no principal) is a second case manager of 대덕구: `cm_own` sees
the peer's household but opens it only for a stated purpose, and the
access record of that opening is what finance searches.
`no_role` has a password, for the API's token sign-in. The pledge funds the
matches of `claim` and `approved_claim`, so `rep_own` sees those two claims
(never their household); `cm_own` wrote the one message of `claim`'s thread.

Every text below that ends in a code such as "XQ7" is distinctive on purpose:
a refusal must not contain it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.hashers import MD5PasswordHasher
from django.utils import timezone
from djmoney.money import Money

from audit.models import AccessAction, AccessPurpose, PersonalDataAccess
from donors.models import Donor, DonorKind, DonorMembership, ReceiptIssue
from donors.services import donor_verify, pledge_confirm, pledge_create
from donors.validators import brn_is_valid
from exchange.donor_selectors import donation_receipt
from exchange.models import Match
from exchange.receipts import receipt_document
from exchange.services import claim_approve, claim_message_post, claim_request
from inbox.models import Kind
from inbox.services import notify
from ledger.models import Account, Purpose
from ledger.services import account_for, ledger_post, proposal_grant_create, system_account
from marketplace.models import Category
from marketplace.services import (
    categories_load_csv,
    household_close,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import RegionMembership, Role, User
from people.services import finance_group
from regions.models import Region
from regions.services import regions_load_csv

ANON = "anonymous"
NO_ROLE = "no_role"
COORD_OWN = "coordinator_own"
COORD_OTHER = "coordinator_other"
CM_OWN = "case_manager_own"
CM_OTHER = "case_manager_other"
REP_OWN = "donor_rep_own"
REP_OTHER = "donor_rep_other"
FINANCE = "finance"
ADMIN = "admin"

PRINCIPALS = (
    ANON,
    NO_ROLE,
    COORD_OWN,
    COORD_OTHER,
    CM_OWN,
    CM_OTHER,
    REP_OWN,
    REP_OTHER,
    FINANCE,
    ADMIN,
)

#: Distinctive texts, by name; codes and amounts are added when the world is built.
TEXTS = {
    "listing_title": "매트릭스 밑반찬 세트 XQ7",
    "listing_description": "매트릭스 공개 목록 설명 LD4",
    "draft_title": "매트릭스 초안 목록 ZK3",
    "draft_description": "매트릭스 초안 설명 DR6",
    "gift_title": "매트릭스 현물 기부 GF2",
    "household_notes": "매트릭스 가구 메모 HN5",
    "closed_household_notes": "매트릭스 종결 가구 메모 CH8",
    "justification": "매트릭스 중복 사유 JS9",
    "approved_justification": "매트릭스 승인 사유 AJ1",
    "donor_name": "매트릭스후원재단 DN8",
    "other_donor_name": "다른후원재단 OD3",
    "unverified_donor_name": "미확인후원재단 UV5",
    "grant_memo": "매트릭스 지급 메모 GM4",
    "proposal_reason": "매트릭스 지급 제안 사유 PR2",
    "peer_household_notes": "매트릭스 다른 담당 가구 메모 PN7",
    "access_purpose_detail": "매트릭스 인계 접속 목적 AR3",
    "notification_title": "매트릭스 알림 제목 NT6",
    "claim_message": "매트릭스 인계 일정 메시지 MS3",
}

#: The password of `no_role` for the token sign-in.
TOKEN_PASSWORD = "matrix-sign-in-7Qv"

#: A pledge amount no other number in the world shares.
PLEDGE_KRW = 1_370_000
NEW_PLEDGE_KRW = 2_460_000
#: The number of the world's issued donation receipt in its year.
RECEIPT_NUMBER = 864_213


@dataclass
class World:
    users: dict[str, User | None]
    ids: dict[str, int]
    codes: dict[str, str]
    secrets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Session cookie of each signed-in principal.
    sessions: dict[str, str] = field(default_factory=dict)

    def user(self, principal: str) -> User | None:
        return self.users[principal]


def _free_brn() -> str:
    """A valid business registration number no donor holds yet."""
    for last in range(10):
        number = f"305810123{last}"
        if brn_is_valid(number):
            return number
    raise AssertionError("no check digit fits")


def _member(username: str, region: Region, role: str) -> User:
    user = User.objects.create(username=username)
    RegionMembership.objects.create(user=user, region=region, role=role)
    return user


def build_world() -> World:
    """Create the world; about a second on either database."""
    regions_load_csv()
    categories_load_csv()
    by_name = {r.name_ko: r for r in Region.objects.all()}
    seogu, daedeok, yuseong = by_name["서구"], by_name["대덕구"], by_name["유성구"]
    daedeok_dong = daedeok.children.order_by("code").first()
    category = Category.objects.get(code="daily_living.side_dishes")

    coord_own = _member("coord_own", seogu, Role.COORDINATOR)
    coord_other = _member("coord_other", yuseong, Role.COORDINATOR)
    cm_own = _member("cm_own", daedeok, Role.CASE_MANAGER)
    cm_other = _member("cm_other", yuseong, Role.CASE_MANAGER)
    rep_own = User.objects.create(username="rep_own")
    rep_other = User.objects.create(username="rep_other")
    finance = User.objects.create(username="finance")
    finance2 = User.objects.create(username="finance2")
    for user in (finance, finance2):
        user.groups.add(finance_group())
    # Hashed as the tests' settings hash (tests/conftest.py): the world is built
    # before those settings apply, and the real hasher is slow on purpose.
    no_role = User.objects.create(
        username="no_role", password=MD5PasswordHasher().encode(TOKEN_PASSWORD, "matrixsalt")
    )
    admin = User.objects.create(username="admin", is_staff=True, is_superuser=True)

    donor = Donor.objects.create(
        name=TEXTS["donor_name"],
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1248100998",
        home_region=daedeok,
    )
    DonorMembership.objects.create(user=rep_own, donor=donor)
    donor_verify(donor=donor, by=finance)
    other_donor = Donor.objects.create(
        name=TEXTS["other_donor_name"],
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="2208162517",
        home_region=yuseong,
    )
    DonorMembership.objects.create(user=rep_other, donor=other_donor)
    donor_verify(donor=other_donor, by=finance)
    unverified = Donor.objects.create(
        name=TEXTS["unverified_donor_name"],
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1018211111",
        home_region=seogu,
    )

    grant = ledger_post(
        entries=[
            (system_account(Purpose.ISSUED), -50_000),
            (account_for(daedeok, Purpose.WALLET), 50_000),
        ],
        kind="grant",
        memo=TEXTS["grant_memo"],
    )
    wallet = Account.objects.get(region=daedeok, purpose=Purpose.WALLET)

    def listing(title: str, description: str, **extra) -> object:
        return listing_create(
            by=extra.pop("by", coord_own),
            region=seogu,
            kind="goods",
            category=category,
            title=title,
            description=description,
            quantity=10,
            unit="상자",
            value_per_unit=Money(20_000, "KRW"),
            available_from=datetime.date(2026, 1, 1),
            **extra,
        )

    published = listing_publish(
        listing=listing(TEXTS["listing_title"], TEXTS["listing_description"]), by=coord_own
    )
    draft = listing(TEXTS["draft_title"], TEXTS["draft_description"])
    gift = listing(TEXTS["gift_title"], "", by=rep_own, donor=donor)

    household = household_create(
        by=cm_own, dong=daedeok_dong, size=3, notes=TEXTS["household_notes"]
    )
    closed = household_create(
        by=cm_own, dong=daedeok_dong, size=2, notes=TEXTS["closed_household_notes"]
    )
    household_close(household=closed, by=cm_own)
    cm_peer = _member("cm_peer", daedeok, Role.CASE_MANAGER)
    peer_household = household_create(
        by=cm_peer, dong=daedeok_dong, size=1, notes=TEXTS["peer_household_notes"]
    )
    PersonalDataAccess.objects.create(
        user=cm_own,
        household=peer_household,
        action=AccessAction.VIEW,
        purpose=AccessPurpose.HANDOVER,
        purpose_detail=TEXTS["access_purpose_detail"],
        outside_caseload=True,
        path="/households/",
    )
    follow_up = closed.follow_ups.order_by("due_on").first()

    # Requested before any pledge counts: its match waits for a donor's commit.
    waiting = claim_request(by=cm_own, listing=published, household=household, quantity=1)
    pledge = pledge_create(
        by=rep_own,
        donor=donor,
        amount=Money(PLEDGE_KRW, "KRW"),
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
    )
    pledge_confirm(pledge=pledge, by=finance)
    new_pledge = pledge_create(
        by=rep_own,
        donor=donor,
        amount=Money(NEW_PLEDGE_KRW, "KRW"),
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
    )
    # The pledge now commits these two at once; the household had the category
    # already, so each carries a justification (and is flagged for review).
    claim = claim_request(
        by=cm_own,
        listing=published,
        household=household,
        quantity=2,
        justification=TEXTS["justification"],
    )
    approved = claim_request(
        by=cm_own,
        listing=published,
        household=household,
        quantity=1,
        justification=TEXTS["approved_justification"],
    )
    claim_approve(claim=approved, by=coord_own)
    # The claim's thread: its offices and its donor read it, finance does not.
    claim_message_post(claim, cm_own, TEXTS["claim_message"])
    proposal = proposal_grant_create(
        region=daedeok, amount=777, reason=TEXTS["proposal_reason"], by=finance2
    )
    # An issued receipt of the donor (the world has no donation used yet, so it
    # is written as issued, with a serial no other number shares).
    year = timezone.localdate().year
    document = receipt_document(donation_receipt(donor, year))
    receipt = ReceiptIssue.objects.create(
        donor=donor,
        year=year,
        number=RECEIPT_NUMBER,
        serial=f"{year}-{RECEIPT_NUMBER:06d}",
        issued_by=finance,
        total=Money(0, "KRW"),
        snapshot={**document, "serial": f"{year}-{RECEIPT_NUMBER:06d}"},
    )
    # The coordinator's own notification (the claims above wrote others).
    [notification] = notify(
        [coord_own], Kind.CLAIM_REQUESTED, TEXTS["notification_title"], "", "/claims/"
    )

    world = World(
        users={
            ANON: None,
            NO_ROLE: no_role,
            COORD_OWN: coord_own,
            COORD_OTHER: coord_other,
            CM_OWN: cm_own,
            CM_OTHER: cm_other,
            REP_OWN: rep_own,
            REP_OTHER: rep_other,
            FINANCE: finance,
            ADMIN: admin,
        },
        ids={
            "listing": published.pk,
            "draft": draft.pk,
            "gift": gift.pk,
            "household": household.pk,
            "closed_household": closed.pk,
            "peer_household": peer_household.pk,
            "follow_up": follow_up.pk,
            "claim": claim.pk,
            "approved_claim": approved.pk,
            "waiting_claim": waiting.pk,
            "waiting_match": Match.objects.get(claim=waiting).pk,
            "match": Match.objects.get(claim=claim).pk,
            "donor": donor.pk,
            "other_donor": other_donor.pk,
            "unverified_donor": unverified.pk,
            "pledge": pledge.pk,
            "new_pledge": new_pledge.pk,
            "proposal": proposal.pk,
            "receipt_issue": receipt.pk,
            "transaction": grant.pk,
            "wallet": wallet.pk,
            "category": category.pk,
            "dong": daedeok_dong.pk,
            "notification": notification.pk,
        },
        codes={
            "wallet_region": daedeok.code,
            "seogu": seogu.code,
            "dong": daedeok_dong.code,
            "category": category.code,
            "household": household.code,
            "closed_household": closed.code,
            "free_brn": _free_brn(),
        },
    )
    amount = f"{PLEDGE_KRW:,}"
    new_amount = f"{NEW_PLEDGE_KRW:,}"
    world.secrets = {
        "listing": (TEXTS["listing_title"], TEXTS["listing_description"]),
        "draft": (TEXTS["draft_title"], TEXTS["draft_description"]),
        "gift": (TEXTS["gift_title"],),
        "household": (household.code, TEXTS["household_notes"]),
        "closed_household": (closed.code, TEXTS["closed_household_notes"]),
        "peer_household": (peer_household.code, TEXTS["peer_household_notes"]),
        "peer_household_notes": (TEXTS["peer_household_notes"],),
        "access_record": (TEXTS["access_purpose_detail"], peer_household.code),
        "claim": (TEXTS["listing_title"], TEXTS["justification"], household.code),
        "approved_claim": (
            TEXTS["listing_title"],
            TEXTS["approved_justification"],
            household.code,
        ),
        "match": (TEXTS["listing_title"], TEXTS["justification"], household.code),
        "donor": (TEXTS["donor_name"], "124-81-00998", "1248100998"),
        "unverified_donor": (TEXTS["unverified_donor_name"], "1018211111"),
        "pledge": (TEXTS["donor_name"], amount, str(PLEDGE_KRW)),
        "new_pledge": (TEXTS["donor_name"], new_amount, str(NEW_PLEDGE_KRW)),
        "proposal": (TEXTS["proposal_reason"],),
        "receipt_issue": (TEXTS["donor_name"], receipt.serial),
        "transaction": (TEXTS["grant_memo"],),
        "wallet": (TEXTS["grant_memo"],),
        "wallet_account": (wallet.code,),
        "unpublished": (TEXTS["draft_title"], TEXTS["gift_title"]),
        "claim_texts": (TEXTS["justification"], TEXTS["approved_justification"]),
        "notification": (TEXTS["notification_title"],),
        "claim_message": (TEXTS["claim_message"],),
        "none": (),
    }
    return world
