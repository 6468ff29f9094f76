import pytest


@pytest.mark.parametrize(
    "url", ["/api/v1/listings/?search=a%00b", "/api/v1/regions/?level=%00", "/?q=%00"]
)
def test_nul_in_the_query_is_a_400_not_a_server_error(client, db, url):
    response = client.get(url)
    assert response.status_code == 400


def test_nul_in_a_form_is_a_400(client, db):
    response = client.post("/accounts/login/", {"username": "a\x00", "password": "b"})
    assert response.status_code == 400


def test_a_value_the_database_refuses_is_a_400_in_the_api(db, django_user_model, daejeon):
    from rest_framework.test import APIClient

    from people.services import finance_group

    user = django_user_model.objects.create_user(username="fin", password="x-pw-123")
    user.groups.add(finance_group())
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/ledger/proposals/",
        {"kind": "grant", "region": "\u0000", "amount": 5, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
