"""Fuzzing of the API against its own OpenAPI document (/api/v1/schema/).

Every operation of the schema is called with generated requests, in-process
through the WSGI application, as a finance user and as a case manager. A
response must never be a 5xx, and its status code, content type and body must
be what the schema documents.

The demo data (regions, categories, listings, households, claims, donors,
pledges, grants) is created once for the module inside a transaction that is
rolled back at its end, and every generated request runs in a savepoint that is
rolled back after it: each case sees the same data and leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from people.models import User

#: Generated requests per operation and role: enough to reach every field, few
#: enough that the fuzz stays within a minute or so per database.
MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
# Deterministic: the same requests in every run, so a failure in CI is reproducible.
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
# The schema's examples and generated requests. The coverage phase (every
# boundary of every field, about fifty more requests per operation) was run in
# full while the schema was made honest; in every run it would triple the time.
schema.config.phases.update(phases=["examples", "fuzzing"])

#: Codes of regions and categories of the demo data.
KNOWN_CODES = ("3017000000", "3023000000", "3017059700", "daily_living", "daily_living.meals")


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict | None) -> st.SearchStrategy:
    """Half the time, the id or code in the path is one the demo data holds, so that
    actions reach real objects and not only the 404 of an id that does not exist."""
    if not path_parameters:
        return st.just(path_parameters)
    known: dict[str, st.SearchStrategy] = {
        "id": st.integers(min_value=1, max_value=30),
        "code": st.sampled_from(KNOWN_CODES),
    }
    strategies = [
        known[name].map(lambda value, name=name: {**path_parameters, name: value})
        for name in path_parameters
        if name in known
    ]
    return st.one_of(st.just(path_parameters), *strategies)


@schema.hook
def flatmap_query(context, query: dict | None) -> st.SearchStrategy:
    """Half the time, a list is asked for its first page (most page numbers are past the end)."""
    if not isinstance(query, dict) or "page" not in query:
        return st.just(query)
    return st.sampled_from([query, {**query, "page": 1}])


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

#: The users the fuzz signs in as (demo data): finance and a district's case manager.
ROLES = {"finance": "demo_finance", "case_manager": "demo_cm_daedeok"}


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker, fuzz_cpu) -> Iterator[dict[str, str]]:
    """The demo data for the whole module, rolled back at its end; API tokens by role."""
    started = time.process_time()
    yield from _demo_data(django_db_blocker)
    fuzz_cpu["seconds"] += time.process_time() - started


def _demo_data(django_db_blocker) -> Iterator[dict[str, str]]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", "--allow-production", stdout=StringIO())
            yield {
                role: Token.objects.create(user=User.objects.get(username=username)).key
                for role, username in ROLES.items()
            }
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def call(tokens, db, fuzz_cases) -> Iterator[Callable[..., None]]:
    """call(case, role): send the case as that role, roll back what it wrote, check the answer.

    Django closes the database connection at the start and end of every request
    when it is not in autocommit mode; here that would end the test's
    transaction, so (as Django's own test client does) that is switched off.
    """

    def send(case, role: str) -> None:
        with transaction.atomic():
            response = case.call(headers={"Authorization": f"Token {tokens[role]}"})
            transaction.set_rollback(True)
        fuzz_cases[role, case.operation.label, response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield send
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


FUZZ_SETTINGS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_finance(case, call):
    call(case, "finance")


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_case_manager(case, call):
    call(case, "case_manager")
