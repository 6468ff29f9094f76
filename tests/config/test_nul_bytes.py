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
