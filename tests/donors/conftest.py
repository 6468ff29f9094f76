import pytest

from tests import factories

# The marketplace fixtures (categories, people, grant, make_listing, household) are reused.
from tests.marketplace.conftest import (  # noqa: F401
    categories,
    grant,
    household,
    make_listing,
    people,
)


@pytest.fixture
def finance(db):
    return factories.finance_officer("fin")


@pytest.fixture
def donor_rep(db):
    return factories.user("rep")


@pytest.fixture
def donor(daejeon, finance, donor_rep):
    return factories.verified_donor(
        home_region=daejeon["대덕구"], representative=donor_rep, verified_by=finance
    )


@pytest.fixture
def make_pledge(donor, donor_rep, finance):
    def make(krw=1_000_000, confirm=True, days=90, **prefs):
        return factories.pledge(
            donor=donor,
            by=donor_rep,
            confirmed_by=finance if confirm else None,
            krw=krw,
            days=days,
            **prefs,
        )

    return make
