from decimal import Decimal

import pytest

from people.models import Role
from tests import factories


@pytest.fixture(autouse=True)
def _wallet_pays_everything(settings):
    """The marketplace's own rules, before the 5:5 split: with PUBLIC_SHARE = 1 a
    cross-region claim is paid wholly from the claiming region's wallet and needs
    no donor. tests/donors runs the same flows with the 5:5 default."""
    settings.PUBLIC_SHARE = Decimal(1)


@pytest.fixture
def categories(db):
    """The bundled categories (loaded once per session) by code."""
    return factories.categories_by_code()


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
    """grant(region, points): issue points to the region's wallet."""
    return factories.grant


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
        return factories.listing(
            by=people["coord_seo"]
            if region_name in ("서구", "관저2동")
            else people["coord_daedeok"],
            region=daejeon[region_name],
            kind=kind,
            category=categories[category],
            quantity=quantity,
            krw=krw,
            publish=publish,
            **extra,
        )

    return make


@pytest.fixture
def household(daejeon, people):
    return factories.household(
        by=people["cm_daedeok"],
        dong=factories.first_dong(daejeon["대덕구"]),
        size=3,
        notes="독거 어르신 동거",
    )
