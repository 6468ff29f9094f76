"""Every URL × method × principal of tests/security/matrix.py, allowed and refused.

The world (tests/security/world.py) is built once for this module inside an
outer transaction; each case runs in its own savepoint, rolled back after it,
so an allowed write never leaks into the next case.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.models import TransitionLog
from donors.models import Donor, DonorMembership, Pledge
from exchange.models import Claim, ClaimMessage, Match
from inbox.models import Notification, NotificationPreference
from ledger.models import Account, Entry, Hold, Proposal, Transaction
from marketplace.models import FollowUp, Household, Listing
from people.models import RegionMembership
from tests.security.matrix import GROUP_PREFIXES, GROUP_ROUTES, PAGES, ROWS, UNNAMED, Row, cases
from tests.security.world import ADMIN, ANON, World, build_world

#: Every table a request could change, compared row by row before and after.
WATCHED = (
    Listing,
    Household,
    FollowUp,
    Claim,
    ClaimMessage,
    Match,
    Pledge,
    Donor,
    DonorMembership,
    Proposal,
    Transaction,
    Entry,
    Hold,
    TransitionLog,
    RegionMembership,
    Notification,
    NotificationPreference,
)


def snapshot() -> dict[str, Any]:
    """Every row of the watched tables and every account's balance, read in plain
    SQL (the ORM would spend more time building these queries than running them);
    on PostgreSQL as one digest per table in a single round trip."""
    tables = {model.__name__: model._meta.db_table for model in WATCHED}
    tables["Account"] = Account._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Table names come from the models, never from input.
            digest = (
                "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                'FROM "{}" t)'
            )
            digests = ", ".join(digest.format(table) for table in tables.values())
            cursor.execute(f"SELECT {digests}")
            return dict(zip(tables, cursor.fetchone(), strict=True))
        state: dict[str, Any] = {}
        for name, table in tables.items():
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608
            state[name] = cursor.fetchall()
        return state


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        # One session per principal for the whole module: logging in anew for
        # each of a thousand cases would cost more than the cases themselves.
        built.sessions = {}
        for principal, user in built.users.items():
            if user is not None:
                client = Client()
                client.force_login(user)
                built.sessions[principal] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield built
        transaction.set_rollback(True)


def _client(world: World, principal: str) -> Client:
    client = Client()
    if principal in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[principal]
    return client


def _request(client: Client, row: Row, world: World):
    url = reverse(row.name, kwargs=row.url_kwargs(world)) + row.query
    method = row.method.lower()
    body = row.body(world)
    if row.api:
        if row.method == "GET":
            return client.get(url, HTTP_ACCEPT="application/json")
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    if row.method == "GET":
        return client.get(url)
    return client.post(url, data=body)


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _is_login_redirect(response, row: Row) -> bool:
    return response.status_code == 302 and response["Location"].startswith(row.login)


@pytest.mark.parametrize(
    ("row", "principal"), cases(), ids=[f"{row.id}-{who}" for row, who in cases()]
)
def test_authorization(row: Row, principal: str, world: World, db) -> None:
    client = _client(world, principal)
    before = snapshot() if row.method == "GET" or principal not in row.allow else None
    response = _request(client, row, world)
    status = response.status_code
    body = _text(response)
    assert status < 500, f"{row.id} as {principal}: {status}"

    if principal in row.allow:
        assert status in row.ok_statuses, (
            f"{row.id} as {principal} should pass the permission check; got {status}: {body[:300]}"
        )
    else:
        refused = status in (401, 403, 404, *row.refusals) or (
            principal == ANON and not row.api and _is_login_redirect(response, row)
        )
        if row.login != "/accounts/login/":
            # The Django admin sends everyone who is not staff to its own login.
            refused = refused or _is_login_redirect(response, row)
        assert refused, f"{row.id} as {principal} should be refused; got {status}: {body[:300]}"
        if principal in row.unseen:
            assert status == 404, f"{row.id} as {principal} cannot see the object: got {status}"
        if row.api and status in (401, 403, 404):
            error = json.loads(body)
            assert set(error) >= {"code", "detail"}, error
    if before is not None:
        assert snapshot() == before, f"{row.id} as {principal} changed the database"
    if principal not in row.sees:
        shown = body + response.get("Location", "")
        leaked = [s for s in world.secrets[row.secret_key] if s in shown]
        assert not leaked, f"{row.id} as {principal} shows {leaked}"


def test_the_snapshot_sees_one_changed_field_and_one_balance(world: World, db) -> None:
    """The "changes nothing" check is only as good as the snapshot behind it."""
    before = snapshot()
    Household.objects.filter(pk=world.ids["household"]).update(size=5)
    after_field = snapshot()
    assert after_field["Household"] != before["Household"]
    Account.objects.filter(pk=world.ids["wallet"]).update(balance=1)
    assert snapshot()["Account"] != after_field["Account"]


# --- the table covers the resolver ------------------------------------------------------


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name, pattern.callback


def _served() -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """(name, METHOD) of every API view, names of the other views, unnamed routes."""
    api_methods: set[tuple[str, str]] = set()
    names: set[str] = set()
    unnamed: set[str] = set()
    for route, name, callback in _walk(get_resolver().url_patterns):
        if not name:
            if not route.startswith(GROUP_ROUTES):
                unnamed.add(route)
            continue
        actions = getattr(callback, "actions", None)
        cls = getattr(callback, "cls", None)
        if actions:
            served = set(actions) & (set(cls.http_method_names) - {"head", "options"})
            api_methods |= {(name, method.upper()) for method in served}
        elif cls is not None and name not in ("schema", "swagger-ui", "api-root"):
            handlers = {m for m in cls.http_method_names if m not in ("head", "options")}
            api_methods |= {(name, m.upper()) for m in handlers if hasattr(cls, m)}
        else:
            names.add(name)
    return api_methods, names, unnamed


def test_every_url_is_in_the_matrix() -> None:
    api_methods, names, unnamed = _served()
    in_table = {(row.name, row.method) for row in ROWS}
    missing_api = sorted(api_methods - in_table)
    assert not missing_api, f"API routes without a row in tests/security/matrix.py: {missing_api}"
    grouped = {n for n in names if n.startswith(GROUP_PREFIXES)}
    missing = sorted(names - grouped - {row.name for row in ROWS})
    assert not missing, f"URLs without a row in tests/security/matrix.py: {missing}"
    assert unnamed <= set(UNNAMED), f"unnamed routes: {sorted(unnamed - set(UNNAMED))}"
    # And no row names a route or a method that is gone.
    api_names = {name for name, _method in api_methods}
    stale = sorted(
        row.id
        for row in ROWS
        if row.name in api_names and (row.name, row.method) not in api_methods
    )
    assert not stale, f"rows for methods the API does not serve: {stale}"
    unknown = sorted({row.name for row in ROWS} - names - api_names)
    assert not unknown, f"rows for URL names the resolver does not know: {unknown}"


PAGE_METHODS = {
    name: {row.method for row in PAGES if row.name == name} for name in {r.name for r in PAGES}
}


@pytest.mark.parametrize("name", sorted(PAGE_METHODS))
def test_a_page_answers_405_to_methods_outside_the_matrix(name: str, world: World, db) -> None:
    """Pages say which methods they take only in code; this holds the table to it."""
    row = next(r for r in PAGES if r.name == name)
    client = _client(world, ADMIN)
    url = reverse(name, kwargs=row.url_kwargs(world))
    for method in {"GET", "POST"} - PAGE_METHODS[name]:
        response = client.generic(method, url)
        assert response.status_code == 405, f"{method} {name}: {response.status_code}"
