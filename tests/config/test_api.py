import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


def test_regions_filtered_by_level_lists_the_five_districts(api, daejeon):
    response = api.get("/api/v1/regions/", {"level": "district"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert {r["name_ko"] for r in body["results"]} == {"동구", "중구", "서구", "유성구", "대덕구"}
    seo = next(r for r in body["results"] if r["name_ko"] == "서구")
    assert seo == {
        "code": "3017000000",
        "parent": "3000000000",
        "level": "district",
        "name_ko": "서구",
        "name_en": "Seo-gu",
    }


def test_regions_filtered_by_parent(api, daejeon):
    body = api.get("/api/v1/regions/", {"parent": "3017000000", "page_size": 200}).json()
    names = {r["name_ko"] for r in body["results"]}
    assert "관저2동" in names
    assert all(r["parent"] == "3017000000" for r in body["results"])
    assert body["count"] == daejeon["서구"].children.count()


@pytest.mark.parametrize(
    ("term", "expected"), [("관저", {"관저1동", "관저2동"}), ("Gwanjeo", {"관저1동", "관저2동"})]
)
def test_regions_search_by_korean_or_english_name(api, daejeon, term, expected):
    body = api.get("/api/v1/regions/", {"search": term}).json()
    assert {r["name_ko"] for r in body["results"]} == expected


def test_region_detail_by_code(api, daejeon):
    response = api.get("/api/v1/regions/3017059700/")
    assert response.status_code == 200
    assert response.json()["name_ko"] == "관저2동"


def test_unknown_region_answers_json_404(api, daejeon):
    response = api.get("/api/v1/regions/9999999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_url_under_the_api_answers_json_404_in_the_error_format(api, db):
    for url in ("/api/v1/nothing-here/", "/api/v1/regions/abc/def/", "/api/v1/x"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"code", "detail"}
        assert body["code"] == "not_found"
        assert body["detail"]


def test_invalid_filter_answers_400_in_the_error_format(api, daejeon):
    response = api.get("/api/v1/regions/", {"level": "village"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "level" in body["fields"]
    assert body["detail"]


def test_invalid_page_answers_404_in_the_error_format(api, daejeon):
    response = api.get("/api/v1/regions/", {"page": 999})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_errors_are_in_korean_by_default_and_english_on_request(api, db):
    korean = api.get("/api/v1/nothing/").json()["detail"]
    english = api.get("/api/v1/nothing/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert re.search("[가-힣]", korean), korean
    assert english == "No API endpoint at this address."


def test_regions_are_read_only(api, daejeon, django_user_model):
    user = django_user_model.objects.create_user(username="u", password="pw-for-tests-only")
    api.force_authenticate(user)
    response = api.post("/api/v1/regions/", {"code": "1234567890"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_token_authentication_is_accepted(api, db, django_user_model):
    user = django_user_model.objects.create_user(username="u", password="pw-for-tests-only")
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/schema/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token wrong")
    response = api.get("/api/v1/regions/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_openapi_schema_describes_regions(api, db):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/regions/" in schema["paths"]


def test_swagger_ui_loads_nothing_from_another_host(api, db):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert "swagger-ui" in html
