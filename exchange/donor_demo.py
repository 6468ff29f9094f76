"""Demo donors and pledges for `seed_demo`, labelled "(데모)"; real services only."""

from __future__ import annotations

import datetime

from django.utils import timezone
from djmoney.money import Money

from donors.models import Donor, DonorKind, DonorMembership, Pledge
from donors.services import donor_verify, pledge_confirm, pledge_create
from marketplace.models import Category
from people.models import User
from regions.models import Region

DEMO = "(데모)"

# Business registration numbers here are made up but pass the check digit.
DONORS = [
    ("함께나눔 사회적협동조합", DonorKind.SOCIAL_COOPERATIVE, "1018212348", "3023000000"),
    ("대전 행복복지관", DonorKind.WELFARE_CENTRE, "3058200013", "3017000000"),
    ("유성 늘봄 자활센터", DonorKind.SELF_SUFFICIENCY, "3148212342", "3020000000"),
]


def seed_donors_demo() -> list[Donor]:
    finance = User.objects.get(username="demo_finance")
    rep = User.objects.get(username="demo_donor_rep")
    donors = []
    for name, kind, number, region in DONORS:
        donor = Donor.objects.create(
            name=f"{DEMO} {name}",
            kind=kind,
            business_number=number,
            home_region=Region.objects.get(code=region),
            contact_name=f"{DEMO} 담당자",
            contact_email="donor@demo.invalid",
        )
        donors.append(donor)
    DonorMembership.objects.get_or_create(user=rep, donor=donors[0])
    for donor in donors[:2]:
        donor_verify(donor=donor, by=finance)
    until = timezone.localdate() + datetime.timedelta(days=180)
    daedeok_only = pledge_create(
        by=rep,
        donor=donors[0],
        amount=Money(1_000_000, "KRW"),
        valid_until=until,
        preferred_districts=[Region.objects.get(code="3023000000")],
    )
    pledge_confirm(pledge=daedeok_only, by=finance)
    health_only = pledge_create(
        by=finance,
        donor=donors[1],
        amount=Money(300_000, "KRW"),
        valid_until=until,
        cap_per_claim=100,
        preferred_categories=[Category.objects.get(code="health")],
    )
    pledge_confirm(pledge=health_only, by=finance)
    pledge_create(by=rep, donor=donors[0], amount=Money(500_000, "KRW"), valid_until=until)
    assert Pledge.objects.count() == 3
    return donors
