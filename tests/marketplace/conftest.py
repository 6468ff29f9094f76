import datetime
from decimal import Decimal

import pytest
from djmoney.money import Money

from exchange.services import claim_request
from marketplace.services import listing_create, listing_publish
from people.models import Role
from people.services import finance_group
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


# --- fixtures of the API tests ---------------------------------------------------------------


@pytest.fixture
def nobody(django_user_model, db):
    """A signed-in user with no role anywhere (as a donor's representative is)."""
    return django_user_model.objects.create_user(username="nobody", password="pw-for-tests-only")


@pytest.fixture
def listing_payload(daejeon, categories) -> dict:
    return {
        "region": daejeon["서구"].code,
        "kind": "goods",
        "category": "daily_living.side_dishes",
        "title": "김장 김치",
        "description": "10kg 상자",
        "quantity": 5,
        "unit": "상자",
        "value_per_unit_krw": 35_000,
        "available_from": "2026-01-01",
    }


@pytest.fixture
def offer(daejeon, categories, people):
    """offer(title, region_name="서구", **terms): a published listing with any terms."""

    def make(title: str, region_name: str = "서구", **terms):
        fields = {
            "kind": "goods",
            "category": "daily_living.side_dishes",
            "quantity": 10,
            "unit": "개",
            "value_per_unit": Money(20_000, "KRW"),
            "available_from": datetime.date(2026, 1, 1),
            **terms,
        }
        fields["category"] = categories[fields["category"]]
        by = people["coord_daedeok" if region_name == "대덕구" else "coord_seo"]
        listing = listing_create(by=by, region=daejeon[region_name], title=title, **fields)
        return listing_publish(listing=listing, by=by)

    return make


@pytest.fixture
def claim_for(people, household):
    """claim_for(listing, quantity=2, **extra): a claim by 대덕구's case manager."""

    def make(listing, quantity=2, **extra):
        return claim_request(
            by=people["cm_daedeok"],
            listing=listing,
            household=household,
            quantity=quantity,
            **extra,
        )

    return make


# --- fixtures of the page tests --------------------------------------------------------------


@pytest.fixture
def finance(db, django_user_model):
    user = django_user_model.objects.create_user(username="fin", password="pw-for-tests-only")
    user.groups.add(finance_group())
    return user


@pytest.fixture
def claim(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    listing = make_listing(quantity=10, krw=20_000)
    return claim_request(by=people["cm_daedeok"], listing=listing, household=household, quantity=4)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a change and its on-commit work (the catalogue version), as a request's
    transaction would."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run
