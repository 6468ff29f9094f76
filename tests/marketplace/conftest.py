import datetime
from decimal import Decimal

import pytest
from djmoney.money import Money

from ledger.models import Purpose
from ledger.services import account_for, ledger_post, system_account
from marketplace.models import Category
from marketplace.services import (
    categories_load_csv,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import Role


@pytest.fixture(autouse=True)
def _wallet_pays_everything(settings):
    """The marketplace's own rules, before the 5:5 split: with PUBLIC_SHARE = 1 a
    cross-region claim is paid wholly from the claiming region's wallet and needs
    no donor. tests/donors runs the same flows with the 5:5 default."""
    settings.PUBLIC_SHARE = Decimal(1)


@pytest.fixture
def categories(db):
    categories_load_csv()
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def people(daejeon, make_member):
    return {
        "coord_seo": make_member(
            daejeon["서구"], Role.COORDINATOR, username="coord_seo", email="coord.seo@example.kr"
        ),
        "coord_daedeok": make_member(
            daejeon["대덕구"], Role.COORDINATOR, username="coord_dd", email="coord.dd@example.kr"
        ),
        "cm_daedeok": make_member(
            daejeon["대덕구"], Role.CASE_MANAGER, username="cm_dd", email="cm.dd@example.kr"
        ),
        "cm_seo": make_member(daejeon["서구"], Role.CASE_MANAGER, username="cm_seo"),
    }


@pytest.fixture
def grant():
    def give(region, points):
        return ledger_post(
            entries=[
                (system_account(Purpose.ISSUED), -points),
                (account_for(region, Purpose.WALLET), points),
            ],
            kind="grant",
            memo="test",
        )

    return give


@pytest.fixture
def make_listing(daejeon, categories, people):
    def make(
        region_name="서구",
        quantity=10,
        krw=20_000,
        publish=True,
        category="daily_living.side_dishes",
        kind="goods",
        **extra,
    ):
        listing = listing_create(
            by=people["coord_seo"]
            if region_name in ("서구", "관저2동")
            else people["coord_daedeok"],
            region=daejeon[region_name],
            kind=kind,
            category=categories[category],
            title="밑반찬 세트",
            quantity=quantity,
            unit="상자",
            value_per_unit=Money(krw, "KRW") if krw is not None else None,
            **{"available_from": datetime.date(2026, 1, 1), **extra},
        )
        if publish:
            listing = listing_publish(listing=listing, by=listing.posted_by)
        return listing

    return make


@pytest.fixture
def household(daejeon, people):
    dong = daejeon["대덕구"].children.order_by("code").first()
    return household_create(by=people["cm_daedeok"], dong=dong, size=3, notes="독거 어르신 동거")
