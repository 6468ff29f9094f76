"""The read replica with a real second PostgreSQL database.

The test clones its own test database (CREATE DATABASE … TEMPLATE) into
<test database>_replica once the rows it needs are committed, adds the alias
"replica" for it, and from then on keeps the two apart on purpose: a listing
written only to the replica, another only to the primary. Which of them a page
shows says where it read. The database is dropped afterwards. PostgreSQL only;
the router's own rules are tested everywhere in tests/config/test_routers.py.
"""

from __future__ import annotations

import copy

import psycopg
import pytest
from django.db import connection, connections
from django.db.utils import load_backend
from psycopg import sql

from exchange.models import Claim
from marketplace.models import Listing

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    # The router reads the settings' DATABASES; the connections never see the change.
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
]


def _admin_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def make_replica(settings):
    """make_replica() copies the test database as it is now into a second
    database and adds it as the "replica" database, in the settings (which the
    router reads) and as a connection of its own."""
    primary = connection.settings_dict["NAME"]
    name = f"{primary}_replica"

    def make() -> None:
        # No session may be connected to a database that is being copied.
        connection.close()
        with _admin_connection() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(primary)
                )
            )
        replica = {**copy.deepcopy(connection.settings_dict), "NAME": name}
        settings.DATABASES = {**settings.DATABASES, "replica": replica}
        # Made by hand, as the test framework allows for a database that the
        # test run did not set up itself.
        connections["replica"] = load_backend(replica["ENGINE"]).DatabaseWrapper(replica, "replica")

    yield make
    if "replica" in settings.DATABASES:
        connections["replica"].close()
        del connections["replica"]
    with _admin_connection() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _titled(listing: Listing, title: str) -> Listing:
    Listing.objects.filter(pk=listing.pk).update(title=title)
    listing.refresh_from_db()
    return listing


def _only_on_replica(listing: Listing, title: str) -> Listing:
    copied = Listing.objects.using("replica").get(pk=listing.pk)
    copied.pk = listing.pk + 1000  # an id the primary has not given out
    copied.title = title
    Listing.objects.using("replica").bulk_create([copied])
    return copied


def test_the_catalogue_reads_from_the_replica_and_a_post_from_the_primary(
    client, make_replica, make_listing, people, household, grant, daejeon
):
    grant(daejeon["대덕구"], 1000)
    shared = _titled(make_listing(), "두 곳에 있는 자원")
    make_replica()
    on_replica = _only_on_replica(shared, "복제본에만 있는 자원")
    on_primary = _titled(make_listing(), "원본에만 있는 자원")
    assert not Listing.objects.using("replica").filter(pk=on_primary.pk).exists()

    html = client.get("/").content.decode()
    assert "두 곳에 있는 자원" in html
    assert "복제본에만 있는 자원" in html
    assert "원본에만 있는 자원" not in html

    # A POST reads the listing from the primary and writes its claim there.
    client.force_login(people["cm_daedeok"])
    response = client.post(
        f"/listings/{on_primary.pk}/claim/", {"household": household.pk, "quantity": "1"}
    )
    assert response.status_code in (200, 302), response.content.decode()[:500]
    assert Claim.objects.filter(listing=on_primary).count() == 1
    assert not Claim.objects.using("replica").exists()
    response = client.post(
        f"/listings/{on_replica.pk}/claim/", {"household": household.pk, "quantity": "1"}
    )
    assert response.status_code == 404
    assert Claim.objects.count() == 1


def test_the_signed_in_user_comes_from_the_primary_on_a_replica_page(
    client, make_replica, make_listing, make_member, daejeon
):
    _titled(make_listing(), "두 곳에 있는 자원")
    make_replica()
    # Signed up after the copy: the replica has never heard of this user.
    newcomer = make_member(daejeon["서구"], "case_manager", username="newcomer_only_on_primary")
    client.force_login(newcomer)
    html = client.get("/").content.decode()
    assert "newcomer_only_on_primary" in html
    assert "두 곳에 있는 자원" in html


def test_without_the_replica_alias_the_catalogue_reads_from_the_primary(
    client, make_listing, settings
):
    _titled(make_listing(), "원본에만 있는 자원")
    assert "replica" not in settings.DATABASES
    assert "원본에만 있는 자원" in client.get("/").content.decode()
