import pytest
from rest_framework.test import APIClient

from people.models import Role
from tests import factories

MARKER = "MARKER-7f3a9c-비밀메모"


@pytest.fixture
def dong(daejeon):
    return factories.first_dong(daejeon["대덕구"])


@pytest.fixture
def people(daejeon, dong, make_member, django_user_model):
    finance = factories.finance_officer("fin")
    return {
        "cm": make_member(daejeon["대덕구"], Role.CASE_MANAGER, username="cm_dd"),
        "cm2": make_member(dong, Role.CASE_MANAGER, username="cm_dong"),
        "cm_seo": make_member(daejeon["서구"], Role.CASE_MANAGER, username="cm_seo"),
        "coord": make_member(daejeon["대덕구"], Role.COORDINATOR, username="coord_dd"),
        "nobody": factories.user("nobody"),
        "finance": finance,
        "admin": django_user_model.objects.create_superuser(
            username="root", password="pw-for-tests-only"
        ),
    }


@pytest.fixture
def household(people, dong):
    """A household of cm_dd's caseload; cm_dong covers its dong too, but it is not theirs."""
    return factories.household(by=people["cm"], dong=dong, size=3, notes=f"독거 어르신 {MARKER}")


@pytest.fixture
def web(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api():
    def login(user=None):
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return login
