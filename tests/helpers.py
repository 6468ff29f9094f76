"""Helpers shared by tests (not fixtures)."""

import re
import threading
from zoneinfo import ZoneInfo

from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for


def run_parallel(workers: int, work) -> list:
    """Run work(i) in `workers` threads, each with its own database connection,
    released together by a barrier. Returns each worker's result or exception."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    return results


def transitions_of(model: str, pk: object, **filters: object):
    """The audit log of one object, by its model's name and primary key."""
    from audit.models import TransitionLog

    return TransitionLog.objects.filter(
        object_type__model=model, object_id=str(pk), **filters
    ).order_by("pk")


def api_client(user=None) -> APIClient:
    """An API client, signed in as `user` when one is given."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def result_ids(response) -> set[int]:
    """The ids of a 200 list answer's results."""
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def wallet_balance(region) -> int:
    """The points in `region`'s wallet."""
    return account_balance(account_for(region, Purpose.WALLET))


#: The header htmx sends with its requests.
HTMX = {"HX-Request": "true"}
SEOUL = ZoneInfo("Asia/Seoul")


def listing_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-listing="(\d+)"', html)]


def actions_for(html: str, claim) -> set[str]:
    """The action buttons inside one claim's card."""
    match = re.search(rf'<li class="claim[^"]*" id="claim-{claim.pk}".*?</li>', html, re.S)
    return set(re.findall(r'data-action="([a-z-]+)"', match.group(0))) if match else set()
