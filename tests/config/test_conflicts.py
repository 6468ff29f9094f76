"""A deadlock or serialization failure is retried, then answered 409 — never 500."""

import threading
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from rest_framework.test import APIClient

from config.conflicts import ATTEMPTS, Conflict, is_lock_conflict, retry_on_conflict
from ledger.models import Account, Purpose
from ledger.services import account_for
from tests.helpers import run_parallel
from tests.marketplace.conftest import (  # noqa: F401 (fixtures, used by name)
    categories,
    household,
    make_listing,
    people,
)


def _deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def test_a_deadlock_is_run_again_and_then_succeeds():
    calls = []

    @retry_on_conflict
    def service():
        calls.append(1)
        if len(calls) == 1:
            raise _deadlock()
        return "done"

    assert service() == "done"
    assert len(calls) == 2


def test_deadlocks_past_the_bound_are_a_conflict_not_a_server_error():
    calls = []

    @retry_on_conflict
    def service():
        calls.append(1)
        raise _deadlock()

    with pytest.raises(Conflict) as refused:
        service()
    assert len(calls) == ATTEMPTS
    assert (refused.value.code, refused.value.http_status) == ("conflict", 409)


@pytest.mark.django_db
def test_inside_an_outer_transaction_nothing_is_retried():
    calls = []

    @retry_on_conflict
    def service():
        calls.append(1)
        raise OperationalError("could not serialize") from psycopg.errors.SerializationFailure()

    with pytest.raises(Conflict), transaction.atomic():
        service()
    assert len(calls) == 1


def test_other_database_errors_pass_through():
    @retry_on_conflict
    def service():
        raise OperationalError("connection lost")

    with pytest.raises(OperationalError):
        service()
    assert not is_lock_conflict(OperationalError("connection lost"))


@pytest.mark.django_db
def test_the_api_answers_a_deadlock_with_409_conflict(request):
    listing = request.getfixturevalue("make_listing")()
    home = request.getfixturevalue("household")
    client = APIClient()
    client.force_authenticate(request.getfixturevalue("people")["cm_daedeok"])
    with mock.patch("exchange.api.claim_request", side_effect=_deadlock()):
        response = client.post(
            "/api/v1/claims/",
            {"listing": listing.pk, "household": home.pk, "quantity": 1},
            format="json",
        )
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "detail": "다른 작업과 겹쳐 아무것도 바뀌지 않았습니다. 다시 시도하세요.",
    }


@pytest.mark.django_db
def test_a_page_answers_a_deadlock_with_a_korean_409(client, request):
    listing = request.getfixturevalue("make_listing")()
    home = request.getfixturevalue("household")
    client.force_login(request.getfixturevalue("people")["cm_daedeok"])
    client.raise_request_exception = False
    # A page's write that collides (reads write nothing, so a claim is sent).
    with mock.patch("exchange.views.claim_request", side_effect=_deadlock()):
        response = client.post(
            f"/listings/{listing.pk}/claim/", {"household": home.pk, "quantity": 1}
        )
    assert response.status_code == 409
    assert "다른 작업과 겹쳐 아무것도 바뀌지 않았습니다" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_postgresql_deadlock_is_recognised(daejeon):
    first = account_for(daejeon["서구"], Purpose.WALLET).pk
    second = account_for(daejeon["대덕구"], Purpose.WALLET).pk
    both_locked_one = threading.Barrier(2)

    def lock_crosswise(i: int):
        order = (first, second) if i == 0 else (second, first)
        with transaction.atomic():
            Account.objects.select_for_update().get(pk=order[0])
            both_locked_one.wait()
            Account.objects.select_for_update().get(pk=order[1])
        return "ok"

    results = run_parallel(2, lock_crosswise)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert is_lock_conflict(errors[0]), errors
    assert connection.vendor == "postgresql"
