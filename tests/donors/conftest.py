import datetime

import pytest
from django.utils import timezone
from djmoney.money import Money

from donors.models import Donor, DonorKind, DonorMembership
from donors.services import donor_verify, pledge_confirm, pledge_create
from people.services import finance_group

# The marketplace fixtures (categories, people, grant, make_listing, household) are reused.
from tests.marketplace.conftest import (  # noqa: F401
    categories,
    grant,
    household,
    make_listing,
    people,
)


@pytest.fixture
def finance(db, django_user_model):
    user = django_user_model.objects.create_user(username="fin", password="pw-for-tests-only")
    user.groups.add(finance_group())
    return user


@pytest.fixture
def donor_rep(db, django_user_model):
    return django_user_model.objects.create_user(username="rep", password="pw-for-tests-only")


@pytest.fixture
def donor(daejeon, finance, donor_rep):
    donor = Donor.objects.create(
        name="함께나눔 사회적협동조합",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1248100998",
        home_region=daejeon["대덕구"],
    )
    DonorMembership.objects.create(user=donor_rep, donor=donor)
    return donor_verify(donor=donor, by=finance)


@pytest.fixture
def make_pledge(donor, donor_rep, finance):
    def make(krw=1_000_000, confirm=True, days=90, **prefs):
        pledge = pledge_create(
            by=donor_rep,
            donor=donor,
            amount=Money(krw, "KRW"),
            valid_until=timezone.localdate() + datetime.timedelta(days=days),
            **prefs,
        )
        return pledge_confirm(pledge=pledge, by=finance) if confirm else pledge

    return make
