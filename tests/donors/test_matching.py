import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donors.exceptions import DonorNotVerified, InvalidPledge, NotMatched, PledgeNotEligible
from donors.models import Donor, DonorKind, Pledge, PledgeState
from donors.services import pledge_confirm, pledge_create, pledge_withdraw
from donors.validators import brn_is_valid
from exchange.funding import split_cost
from exchange.models import ClaimState, Match, MatchState
from exchange.services import (
    claim_approve,
    claim_cancel,
    claim_expire_overdue,
    claim_fulfil,
    claim_request,
    match_commit,
)
from ledger.models import Purpose
from ledger.selectors import account_balance, ledger_verify
from ledger.services import account_for, system_account
from marketplace.exceptions import IllegalTransition


def _wallet(daejeon, name):
    return account_balance(account_for(daejeon[name], Purpose.WALLET))


def test_claim_is_paid_half_by_the_region_and_half_by_a_pledge(
    daejeon, people, make_listing, household, grant, make_pledge, donor
):
    grant(daejeon["대덕구"], 1000)
    pledge = make_pledge()  # 1,000,000 KRW = 1,000 points
    listing = make_listing(quantity=10, krw=20_000)
    claim = claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)

    match = Match.objects.get(claim=claim)
    assert (match.state, match.public_points, match.private_points) == (
        MatchState.COMMITTED,
        40,
        40,
    )
    assert match.pledge == pledge
    assert _wallet(daejeon, "대덕구") == 960
    assert account_balance(account_for(donor, Purpose.MATCH)) == 960
    assert account_balance(system_account(Purpose.HOLDS)) == 80

    claim_approve(claim=claim, by=people["coord_seo"])
    claim_fulfil(claim=claim, by=people["cm_daedeok"], quantity_received=3)

    assert _wallet(daejeon, "대덕구") == 1000 - 30
    assert account_balance(account_for(donor, Purpose.MATCH)) == 1000 - 30
    assert _wallet(daejeon, "서구") == 60
    assert account_balance(system_account(Purpose.HOLDS)) == 0
    pledge.refresh_from_db()
    assert (pledge.points_used, pledge.points_held, pledge.points_remaining) == (30, 0, 970)
    match.refresh_from_db()
    assert match.state == MatchState.SETTLED
    assert ledger_verify().ok


def test_odd_cost_splits_eight_public_seven_private():
    assert split_cost(15) == (8, 7)
    assert split_cost(15, Decimal("0.3")) == (5, 10)
    assert split_cost(0) == (0, 0)


@given(
    cost=st.integers(min_value=0, max_value=10**12),
    share=st.decimals(min_value=0, max_value=1, places=4),
)
def test_shares_always_sum_to_the_cost(cost, share):
    public, private = split_cost(cost, share)
    assert public + private == cost
    assert public >= 0 and private >= 0
    assert public == math.ceil(Fraction(cost) * Fraction(share))  # ceil, exactly


@given(
    cost=st.integers(min_value=1, max_value=10**6),
    paid=st.integers(min_value=0, max_value=10**6),
    share=st.decimals(min_value=0, max_value=1, places=3),
)
def test_the_paid_part_never_exceeds_either_hold(cost, paid, share):
    paid = min(paid, cost)
    public, private = split_cost(cost, share)
    public_paid, private_paid = split_cost(paid, share)
    assert public_paid <= public and private_paid <= private


def test_without_an_eligible_pledge_the_claim_waits_and_cannot_be_approved(
    daejeon, people, make_listing, household, grant, make_pledge, donor_rep
):
    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    match = Match.objects.get(claim=claim)
    assert match.state == MatchState.PENDING
    assert _wallet(daejeon, "대덕구") == 980  # the public half is held already
    with pytest.raises(NotMatched) as caught:
        claim_approve(claim=claim, by=people["coord_seo"])
    assert caught.value.code == "not_matched"

    make_pledge()
    match_commit(match=match, by=donor_rep)
    match.refresh_from_db()
    assert match.state == MatchState.COMMITTED
    claim_approve(claim=claim, by=people["coord_seo"])
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


@pytest.mark.parametrize(
    "prefs",
    [
        {"preferred_categories": "health"},  # another category
        {"preferred_districts": "유성구"},  # another district
        {"cap_per_claim": 19},  # below the private share of 20
    ],
    ids=["other-category", "other-district", "cap-below-share"],
)
def test_auto_matching_skips_pledges_that_do_not_fit(
    daejeon, people, make_listing, household, grant, make_pledge, categories, prefs
):
    grant(daejeon["대덕구"], 1000)
    if "preferred_categories" in prefs:
        prefs = {"preferred_categories": [categories[prefs["preferred_categories"]]]}
    if "preferred_districts" in prefs:
        prefs = {"preferred_districts": [daejeon[prefs["preferred_districts"]]]}
    make_pledge(**prefs)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )  # 40 points: 20 private
    assert Match.objects.get(claim=claim).state == MatchState.PENDING


def test_matching_prefers_the_pledge_that_expires_first(
    daejeon, people, make_listing, household, grant, make_pledge, categories
):
    grant(daejeon["대덕구"], 1000)
    later = make_pledge(days=200)
    sooner = make_pledge(
        days=20,
        preferred_categories=[categories["daily_living"]],
        preferred_districts=[daejeon["대덕구"]],
        cap_per_claim=20,
    )
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    assert Match.objects.get(claim=claim).pledge == sooner
    assert later.points_remaining == 1000


def test_withdrawing_a_pledge_returns_only_the_unheld_part(
    daejeon, people, make_listing, household, grant, make_pledge, donor, donor_rep
):
    grant(daejeon["대덕구"], 1000)
    pledge = make_pledge(krw=100_000)  # 100 points
    listing = make_listing(quantity=10, krw=20_000)
    first = claim_request(
        by=people["cm_daedeok"], listing=listing, household=household, quantity=4
    )  # 40 private held
    pledge_withdraw(pledge=pledge, by=donor_rep, reason="예산 조정")
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.CLOSED
    assert (pledge.points_held, pledge.points_returned) == (40, 60)
    assert account_balance(account_for(donor, Purpose.MATCH)) == 0

    claim_approve(claim=first, by=people["coord_seo"])
    claim_fulfil(claim=first, by=people["cm_daedeok"], quantity_received=3)
    pledge.refresh_from_db()
    assert (pledge.points_used, pledge.points_held, pledge.points_returned) == (30, 0, 70)
    assert account_balance(account_for(donor, Purpose.MATCH)) == 0
    assert _wallet(daejeon, "서구") == 60
    assert ledger_verify().ok


def test_held_points_of_a_withdrawn_pledge_return_on_cancel(
    daejeon, people, make_listing, household, grant, make_pledge, donor, donor_rep
):
    grant(daejeon["대덕구"], 1000)
    pledge = make_pledge(krw=100_000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    pledge_withdraw(pledge=pledge, by=donor_rep)
    claim_cancel(claim=claim, by=people["cm_daedeok"])
    pledge.refresh_from_db()
    assert (pledge.points_held, pledge.points_returned) == (0, 100)
    assert account_balance(account_for(donor, Purpose.MATCH)) == 0
    assert _wallet(daejeon, "대덕구") == 1000
    assert ledger_verify().ok


def test_a_pledge_that_runs_out_is_exhausted_and_comes_back_when_freed(
    daejeon, people, make_listing, household, grant, make_pledge
):
    grant(daejeon["대덕구"], 1000)
    pledge = make_pledge(krw=20_000)  # 20 points: one private share of 20
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.EXHAUSTED
    claim_cancel(claim=claim, by=people["cm_daedeok"])
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.ACTIVE


def test_a_pending_match_past_its_deadline_expires_with_its_claim(
    daejeon, people, make_listing, household, grant
):
    import datetime

    from django.utils import timezone

    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    later = timezone.now() + datetime.timedelta(days=7, minutes=1)
    assert claim_expire_overdue(now=later) == 1
    assert claim_expire_overdue(now=later) == 0
    claim.refresh_from_db()
    assert claim.state == ClaimState.EXPIRED
    assert Match.objects.get(claim=claim).state == MatchState.EXPIRED
    assert _wallet(daejeon, "대덕구") == 1000


def test_donor_commit_needs_a_representative_and_an_eligible_pledge(
    daejeon, people, make_listing, household, grant, make_pledge, donor_rep, categories
):
    grant(daejeon["대덕구"], 1000)
    make_pledge(preferred_categories=[categories["health"]])
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    match = Match.objects.get(claim=claim)
    from config.exceptions import NotAllowed

    with pytest.raises(NotAllowed):
        match_commit(match=match, by=people["coord_seo"])
    with pytest.raises(PledgeNotEligible):
        match_commit(match=match, by=donor_rep)
    make_pledge()
    match_commit(match=match, by=donor_rep)
    with pytest.raises(IllegalTransition):
        match_commit(match=match, by=donor_rep)


def test_pledges_are_checked_and_count_only_when_confirmed_for_a_verified_donor(
    daejeon, donor_rep, finance, donor
):
    import datetime

    from django.utils import timezone
    from djmoney.money import Money

    until = timezone.localdate() + datetime.timedelta(days=30)
    for amount in (0, -1000, 1500):
        with pytest.raises(InvalidPledge):
            pledge_create(by=donor_rep, donor=donor, amount=Money(amount, "KRW"), valid_until=until)
    with pytest.raises(InvalidPledge):
        pledge_create(
            by=donor_rep,
            donor=donor,
            amount=Money(1000, "KRW"),
            valid_until=timezone.localdate() - datetime.timedelta(days=1),
        )
    unverified = Donor.objects.create(
        name="미확인",
        kind=DonorKind.COMPANY,
        business_number="2208162517",
        home_region=daejeon["서구"],
    )
    pledge = pledge_create(
        by=finance, donor=unverified, amount=Money(5000, "KRW"), valid_until=until
    )
    with pytest.raises(DonorNotVerified):
        pledge_confirm(pledge=pledge, by=finance)
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.AWAITING


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("124-81-00998", True),
        ("1248100998", True),
        ("1248100990", False),
        ("12481009", False),
        ("abcdefghij", False),
    ],
)
def test_business_registration_numbers_are_checked(number, valid):
    assert brn_is_valid(number) is valid
