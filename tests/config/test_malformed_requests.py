"""Malformed requests are refused with 400/413 in the API's error format (or a
Korean page), never a server error, and change nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from config.parsing import MAX_JSON_DEPTH, JSONParser, JSONRenderer
from donors.models import Donor
from ledger.models import Proposal, Purpose, Transaction
from ledger.services import account_for
from marketplace.models import Household, Listing
from people.models import Role
from people.services import finance_group

API_POSTS = [
    "/api/v1/listings/",
    "/api/v1/households/",
    "/api/v1/claims/",
    "/api/v1/donors/",
    "/api/v1/pledges/",
    "/api/v1/ledger/proposals/",
]


@pytest.fixture
def everyone(daejeon, make_member):
    """Coordinator and case manager of 서구, and finance: reaches every endpoint's body."""
    user = make_member(daejeon["서구"], Role.COORDINATOR, username="all")
    user.region_memberships.create(region=daejeon["서구"], role=Role.CASE_MANAGER)
    user.groups.add(finance_group())
    return user


@pytest.fixture
def api(everyone):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(everyone)
    return client


def _nothing_written() -> bool:
    return not (
        Listing.objects.exists()
        or Household.objects.exists()
        or Donor.objects.exists()
        or Proposal.objects.exists()
    )


def _is_api_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["detail"]


# --- JSON nesting -------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)


@pytest.mark.parametrize("url", API_POSTS)
@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, _nested(40)], ids=["1000", "40"])
def test_deeply_nested_json_is_400_invalid(api, url, body):
    response = api.post(url, body, content_type="application/json")
    _is_api_error(response, 400, "invalid")
    assert _nothing_written()


def test_deeply_nested_json_in_a_patch_is_400_invalid(api, daejeon, everyone):
    from marketplace.models import Household as H

    household = H.objects.create(
        dong=daejeon["서구"].children.first(), size=1, case_manager=everyone
    )
    response = api.patch(
        f"/api/v1/households/{household.pk}/",
        "[" * 1000 + "]" * 1000,
        content_type="application/json",
    )
    _is_api_error(response, 400, "invalid")


def test_the_parser_allows_exactly_the_maximum_depth():
    parser = JSONParser()
    assert parser.parse(io.BytesIO(_nested(MAX_JSON_DEPTH).encode())) is not None
    with pytest.raises(Exception) as refused:
        parser.parse(io.BytesIO(_nested(MAX_JSON_DEPTH + 1).encode()))
    assert refused.value.get_codes() == "invalid"


def test_every_json_write_endpoint_answers_a_deep_body_without_a_server_error(api):
    """Every POST, PUT and PATCH of the schema: a thousand levels never make a 500."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = "[" * 1000 + "]" * 1000
    tried = 0
    for path, operations in schema["paths"].items():
        url = path.replace("{id}", "1")
        for method in ("post", "put", "patch"):
            if method not in operations:
                continue
            response = getattr(api, method)(url, body, content_type="application/json")
            tried += 1
            assert response.status_code < 500, (method, url, response.content[:200])
            assert "code" in response.json(), (method, url)
    assert tried >= 10


# --- lone surrogates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/listings/", '{"kind": "\\ud800", "title": "x", "quantity": 1}'),
        ("/api/v1/donors/", '{"name": "x", "business_number": "\\udfff"}'),
        ("/api/v1/ledger/proposals/", '{"kind": "\\ud800", "amount": 5, "reason": "r"}'),
        ("/api/v1/ledger/proposals/", '{"kind": "grant", "amount": 5, "reason": "a\\udc00b"}'),
        ("/api/v1/pledges/", '{"\\ud800": 1}'),
        ("/api/v1/households/", '{"notes": ["\\ud83d"]}'),
    ],
)
def test_a_lone_surrogate_in_any_string_is_400_invalid(api, url, body):
    response = api.post(url, body, content_type="application/json")
    _is_api_error(response, 400, "invalid")
    assert _nothing_written()


def test_a_surrogate_pair_is_ordinary_text(api):
    # "\ud83d\ude00" is one character (an emoji), not a lone surrogate.
    body = '{"kind": "\\ud83d\\ude00"}'
    response = api.post("/api/v1/ledger/proposals/", body, content_type="application/json")
    _is_api_error(response, 400, "invalid")
    assert "kind" in response.json()["fields"]


def test_the_renderer_never_fails_on_a_lone_surrogate():
    rendered = JSONRenderer().render({"detail": "“\ud800” is not a valid choice."})
    assert json.loads(rendered) == {"detail": "“\ud800” is not a valid choice."}


@pytest.mark.parametrize(
    "query",
    ["search=%ED%A0%80", "search=%FF", "search=a%00b", "kind=%C3%28"],
)
def test_undecodable_query_strings_are_400_in_the_api(api, query):
    _is_api_error(api.get(f"/api/v1/listings/?{query}"), 400, "invalid")


def test_raw_non_utf8_bytes_in_a_query_are_400(db):
    response = Client().get("/", QUERY_STRING="q=\xff\xfe")
    assert response.status_code == 400
    assert "잘못된 요청" in response.content.decode()


@pytest.mark.parametrize("query", ["q=%ED%A0%80", "q=%FF", "q=%00"])
def test_undecodable_query_strings_are_a_korean_400_page(db, query):
    response = Client().get(f"/?{query}")
    assert response.status_code == 400
    assert "잘못된 요청" in response.content.decode()


def test_korean_text_in_queries_still_works(api, db):
    assert Client().get("/?q=%EB%8F%84%EC%8B%9C%EB%9D%BD").status_code == 200
    assert api.get("/api/v1/listings/?search=%EB%8F%84%EC%8B%9C%EB%9D%BD").status_code == 200


@pytest.mark.parametrize("value", [b"%ED%A0%80", b"%FF", b"\xff", b"a%00"])
def test_undecodable_form_posts_are_400(db, value, django_user_model):
    client = Client()
    body = b"username=" + value + b"&password=x"
    response = client.post(
        "/accounts/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "잘못된 요청" in response.content.decode()


def test_undecodable_form_posts_to_the_api_are_400(api):
    body = b"kind=grant&amount=5&reason=%ED%A0%80"
    response = api.post(
        "/api/v1/ledger/proposals/", body, content_type="application/x-www-form-urlencoded"
    )
    _is_api_error(response, 400, "invalid")
    assert _nothing_written()


# --- size ---------------------------------------------------------------------------------


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000


@pytest.fixture
def few_fields(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100


@pytest.mark.parametrize("url", API_POSTS)
def test_a_json_body_over_the_limit_is_413(api, small_limit, url):
    body = json.dumps({"reason": "가" * 1_000})
    response = api.post(url, body, content_type="application/json")
    _is_api_error(response, 413, "too_large")
    assert _nothing_written()


def test_a_form_over_the_limit_is_413_in_the_api(api, small_limit):
    body = "kind=grant&amount=5&reason=" + "a" * 2_000
    response = api.post(
        "/api/v1/ledger/proposals/", body, content_type="application/x-www-form-urlencoded"
    )
    _is_api_error(response, 413, "too_large")


def test_a_form_over_the_limit_is_a_korean_413_page(db, small_limit):
    response = Client().post("/accounts/login/", {"username": "a" * 2_000, "password": "x"})
    assert response.status_code == 413
    assert "요청이 너무 큽니다" in response.content.decode()


def test_too_many_form_fields_is_400_in_the_api(api, few_fields):
    body = "&".join(f"f{i}=1" for i in range(150))
    response = api.post(
        "/api/v1/ledger/proposals/", body, content_type="application/x-www-form-urlencoded"
    )
    _is_api_error(response, 400, "invalid")


def test_too_many_form_fields_is_a_korean_400_page(db, few_fields):
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {f"f{i}": "1" for i in range(150)})
    assert response.status_code == 400
    assert "잘못된 요청" in response.content.decode()


# --- dates far out --------------------------------------------------------------------------


@pytest.fixture
def wallet(daejeon):
    return account_for(daejeon["서구"], Purpose.WALLET)


@pytest.mark.parametrize(
    "query",
    [
        "end=9999-12-31",
        "start=9999-12-31",
        "start=0001-01-01",
        "end=0001-01-01",
        "start=0001-01-01&end=9999-12-31",
    ],
)
def test_a_statement_far_in_the_past_or_future_is_400(api, wallet, query):
    response = api.get(f"/api/v1/ledger/accounts/{wallet.pk}/statement/?{query}")
    _is_api_error(response, 400, "invalid")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ledger/transactions/?posted_before=9999-12-31T23:59:59-05:00",
        "/api/v1/ledger/transactions/?posted_after=0001-01-01T00:00:00%2B09:00",
        "/api/v1/ledger/transactions/?posted_after=9999-12-31T23:59:59",
        "/api/v1/ledger/transactions/?posted_before=0001-01-01",
        "/api/v1/listings/?available_on=9999-12-31",
        "/api/v1/listings/?available_on=0001-01-01",
    ],
)
def test_far_dates_in_api_filters_never_fail(api, wallet, url):
    response = api.get(url)
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_dates_on_pages_never_fail(everyone, wallet, day):
    client = Client(raise_request_exception=False)
    client.force_login(everyone)
    for url in (
        f"/?available_on={day}",
        f"/finance/accounts/{wallet.pk}/?date_from={day}",
        f"/finance/accounts/{wallet.pk}/?date_to={day}",
        f"/finance/accounts/{wallet.pk}/?date_to={day}&format=csv",
        f"/finance/chart/?date_from={day}",
        f"/finance/chart/?date_to={day}",
        f"/wallet/{wallet.region.code}/?page={day}",
    ):
        response = client.get(url)
        assert response.status_code in (200, 400), (url, response.status_code)
    assert not Transaction.objects.exists()
