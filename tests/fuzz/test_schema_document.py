"""The OpenAPI document tells the truth: nullable fields say so, and every
operation documents the errors it can answer with, in the API's error format."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def document() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Category", "parent"),
        ("Region", "parent"),
        ("Account", "region"),
        ("Transaction", "posted_by"),
        ("Proposal", "decided_by"),
        ("Match", "pledge"),
        ("Claim", "decided_by"),
        ("FollowUp", "recorded_by"),
    ],
)
def test_fields_that_can_be_empty_are_nullable(document, component, field):
    prop = document["components"]["schemas"][component]["properties"][field]
    assert prop.get("nullable") is True, prop


def test_every_operation_documents_bad_input_and_authentication_in_the_error_format(document):
    for method, path, operation in _operations(document):
        for code in ("400", "401"):
            schema = operation["responses"][code]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("Error"), (method, path, code)
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail"]
    assert "fields" in document["components"]["schemas"]["ValidationError"]["properties"]


def test_writes_document_conflicts_and_objects_document_not_found(document):
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        if method != "GET":
            assert "409" in responses, (method, path)
            assert "403" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)


def test_public_reads_are_never_forbidden_and_finance_reads_may_be(document):
    paths = document["paths"]
    assert "403" not in paths["/api/v1/regions/"]["get"]["responses"]
    assert "403" not in paths["/api/v1/listings/{id}/"]["get"]["responses"]
    assert "403" in paths["/api/v1/ledger/trial-balance/"]["get"]["responses"]
    # Only bodies can be of the wrong type.
    assert "415" in paths["/api/v1/claims/"]["post"]["responses"]
    assert "415" not in paths["/api/v1/listings/{id}/publish/"]["post"]["responses"]


def test_the_statement_and_the_trial_balance_document_what_they_answer(document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    statement = paths["/api/v1/ledger/accounts/{id}/statement/"]["get"]
    ref = statement["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    fields = schemas[ref.rsplit("/", 1)[1]]["properties"]
    assert {"account", "opening_balance", "closing_balance", "results", "count"} <= set(fields)
    assert {"page", "page_size", "start", "end"} <= {p["name"] for p in statement["parameters"]}

    trial = paths["/api/v1/ledger/trial-balance/"]["get"]["responses"]["200"]
    ref = trial["content"]["application/json"]["schema"]["$ref"]
    assert {"total", "balanced", "groups"} <= set(schemas[ref.rsplit("/", 1)[1]]["properties"])


def test_a_claims_thread_is_documented_as_the_whole_list_it_answers(document):
    # The thread is answered whole, a JSON array, never as pages.
    answer = document["paths"]["/api/v1/claims/{id}/messages/"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema["type"] == "array"
    assert schema["items"]["$ref"].endswith("/ClaimMessage")
