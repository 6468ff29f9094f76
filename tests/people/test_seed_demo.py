from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from people.models import RegionMembership, Role, User
from people.permissions import is_finance, may_act
from regions.models import Region


def _seed(settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_a_person_for_each_role_in_three_districts(db, settings):
    output = _seed(settings)

    assert "DEMO DATA" in output
    assert "nanum-demo-2026" in output
    assert Region.objects.count() == 88
    for district in ("서구", "대덕구", "유성구"):
        region = Region.objects.get(name_ko=district)
        for role in (Role.COORDINATOR, Role.CASE_MANAGER):
            holders = [m.user for m in RegionMembership.objects.filter(region=region, role=role)]
            assert holders, (district, role)
            assert all(
                u.username.startswith("demo_") and "(데모)" in u.get_full_name() for u in holders
            )
            assert all(u.username in output for u in holders)
    assert is_finance(User.objects.get(username="demo_finance"))
    coordinator = User.objects.get(username="demo_coord_seogu")
    assert coordinator.check_password("nanum-demo-2026")
    assert may_act(coordinator, Role.COORDINATOR, Region.objects.get(name_ko="관저2동"))


def test_seed_demo_twice_is_the_same_as_once(db, settings):
    _seed(settings)
    before = (
        list(User.objects.order_by("username").values_list("username", "password", "first_name")),
        list(RegionMembership.objects.order_by("pk").values_list("user_id", "region_id", "role")),
    )
    _seed(settings)
    after = (
        list(User.objects.order_by("username").values_list("username", "password", "first_name")),
        list(RegionMembership.objects.order_by("pk").values_list("user_id", "region_id", "role")),
    )
    assert after == before


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_seed_demo_fills_the_marketplace_through_the_real_services(db, settings):
    from exchange.models import Claim, ClaimState
    from ledger.models import Proposal
    from ledger.selectors import ledger_verify
    from marketplace.models import Household, Listing, ListingState

    _seed(settings)
    assert set(Claim.objects.values_list("state", flat=True)) == set(ClaimState.values)
    assert {ListingState.DRAFT, ListingState.PUBLISHED} <= set(
        Listing.objects.values_list("state", flat=True)
    )
    assert set(Listing.objects.values_list("kind", flat=True)) == {
        "goods",
        "service",
        "volunteer_hours",
    }
    assert all(listing.title.startswith("(데모)") for listing in Listing.objects.all())
    assert Household.objects.filter(status="closed").exists()
    assert Claim.objects.filter(duplicate_flag=True).exists()
    assert Proposal.objects.filter(status="proposed").count() == 1
    assert ledger_verify().ok
    counts = (Listing.objects.count(), Claim.objects.count(), Household.objects.count())
    _seed(settings)
    assert (Listing.objects.count(), Claim.objects.count(), Household.objects.count()) == counts


def test_seed_demo_ends_with_every_login_and_prints_no_mail(transactional_db, settings, capsys):
    # Committed for real, so the claims' notifications are sent after commit as
    # in `make run`, where the console backend would print them to stdout.
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    output = _seed(settings) + capsys.readouterr().out

    assert "Subject:" not in output and "Content-Type:" not in output
    assert "Demo e-mails not sent:" in output
    logins = output.split("=== DEMO DATA")[-1]
    usernames = User.objects.filter(username__startswith="demo_").values_list("username", flat=True)
    assert "demo_donor_rep" in usernames
    assert all(username in logins for username in usernames)
