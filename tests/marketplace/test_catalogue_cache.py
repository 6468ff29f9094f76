"""The anonymous catalogue page comes from the cache (marketplace/catalogue_cache.py).

A page served from the cache runs one query (the catalogue's version), which
is how these tests tell a cached answer from a fresh one. Listing changes replace the catalogue's
version when their transaction commits, so they run inside
django_capture_on_commit_callbacks(execute=True), as a committed request would.
"""

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from marketplace.catalogue_cache import CSRF_PLACEHOLDER
from marketplace.models import Listing
from marketplace.services import listing_publish, listing_withdraw


@pytest.fixture
def titled(make_listing):
    """A published listing named `title` (the draft renamed before it is published)."""

    def make(title: str, **fields) -> Listing:
        draft = make_listing(publish=False, **fields)
        Listing.objects.filter(pk=draft.pk).update(title=title)
        draft.refresh_from_db()
        return listing_publish(listing=draft, by=draft.posted_by)

    return make


def _titles(response) -> str:
    return response.content.decode()


def test_a_second_anonymous_visit_is_answered_from_the_cache(
    client, titled, committed, django_assert_num_queries
):
    committed(lambda: titled("이불 세트"))
    first = client.get("/")
    with django_assert_num_queries(1):
        second = client.get("/")
    assert second.status_code == 200
    assert "이불 세트" in _titles(second)
    assert first.content.count(b"csrfmiddlewaretoken") == second.content.count(
        b"csrfmiddlewaretoken"
    )


def test_a_published_listing_appears_at_once(client, titled, committed):
    assert "새 전기장판" not in _titles(client.get("/"))
    committed(lambda: titled("새 전기장판"))
    assert "새 전기장판" in _titles(client.get("/"))


def test_a_withdrawn_listing_disappears_at_once(client, titled, committed):
    listing = committed(lambda: titled("겨울 외투"))
    assert "겨울 외투" in _titles(client.get("/"))
    committed(lambda: listing_withdraw(listing=listing, by=listing.posted_by, reason="분실"))
    assert "겨울 외투" not in _titles(client.get("/"))


def test_an_edited_title_shows_at_once(client, titled, committed):
    listing = committed(lambda: titled("쌀 10kg"))
    assert "쌀 10kg" in _titles(client.get("/"))

    def rename():
        listing.refresh_from_db()
        listing.title = "쌀 20kg"
        listing.save()

    committed(rename)
    page = _titles(client.get("/"))
    assert "쌀 20kg" in page
    assert "쌀 10kg" not in page


def test_a_quantity_changed_in_bulk_shows_at_once(client, make_listing, committed):
    """The claim services change quantities with QuerySet.update(), which sends
    no signal: the listings' queryset replaces the version itself."""
    listing = committed(lambda: make_listing(quantity=10))
    assert b'data-available="10"' in client.get("/").content
    committed(lambda: Listing.objects.filter(pk=listing.pk).update(quantity_held=3))
    assert b'data-available="7"' in client.get("/").content


def test_search_results_follow_changes_too(client, titled, committed):
    assert "보행기 대여" not in _titles(client.get("/", {"q": "보행기"}))
    committed(lambda: titled("보행기 대여"))
    assert "보행기 대여" in _titles(client.get("/", {"q": "보행기"}))


def test_signed_in_users_never_get_the_cached_page(
    client, people, titled, committed, django_assert_max_num_queries
):
    committed(lambda: titled("밑반찬"))
    anonymous = client.get("/")
    assert b"Log out" not in anonymous.content and "로그아웃" not in anonymous.content.decode()
    client.force_login(people["coord_seo"])
    signed_in = client.get("/")
    page = signed_in.content.decode()
    assert "coord_seo" in page
    # Built for this user (queries run), never stored for anyone else.
    client.logout()
    again = Client().get("/")
    assert "coord_seo" not in again.content.decode()


def test_a_signed_in_request_reads_the_database(client, people, django_assert_num_queries):
    Client().get("/")  # cached for anonymous visitors
    client.force_login(people["cm_seo"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len(queries) > 1


def test_a_cached_page_carries_the_visitors_own_csrf_token_and_no_session(make_listing, committed):
    committed(lambda: make_listing())
    first, second = Client(), Client()
    page_a = first.get("/")
    page_b = second.get("/")
    token_a = first.cookies["csrftoken"].value
    token_b = second.cookies["csrftoken"].value
    assert token_a != token_b
    assert "sessionid" not in page_b.cookies
    body_b = page_b.content.decode()
    assert CSRF_PLACEHOLDER not in body_b
    assert CSRF_PLACEHOLDER not in page_a.content.decode()
    import re

    masked = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body_b))
    masked |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', body_b))
    assert masked
    for token in masked:
        # Each token in B's page unmasks to B's own secret, never A's.
        assert _unmask_cipher_token(token) == token_b
        assert _unmask_cipher_token(token) != token_a


def test_the_cached_page_works_for_posting(make_listing, committed):
    """The language switch (a POST) accepts the token of a page from the cache."""
    committed(lambda: make_listing())
    Client().get("/")
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/").content.decode()
    import re

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = visitor.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302


def test_vary_and_cache_control_headers(client, db):
    for _ in range(2):  # built, then from the cache
        response = client.get("/")
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"cookie", "accept-language", "hx-request"} <= vary
        assert "private" in response["Cache-Control"]


def test_each_language_has_its_own_page(client, make_listing, committed):
    committed(lambda: make_listing())
    korean = client.get("/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ko">' in korean
    assert '<html lang="en">' in english


def test_the_htmx_fragment_and_the_page_are_kept_apart(client, make_listing, committed):
    committed(lambda: make_listing())
    page = client.get("/").content.decode()
    fragment = client.get("/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in page
    assert "<html" not in fragment
    assert "<html" in client.get("/").content.decode()


def test_unknown_parameters_are_not_cached(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/", {"utm_source": "x"})
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", {"utm_source": "x"})
    assert response.status_code == 200
    assert len(queries) > 1


def test_the_order_of_parameters_does_not_matter(client, daejeon, django_assert_num_queries):
    district = daejeon["서구"].code
    client.get(f"/?kind=goods&district={district}")
    with django_assert_num_queries(1):
        assert client.get(f"/?district={district}&kind=goods").status_code == 200


def test_a_change_committed_elsewhere_shows_at_once(client, titled, committed):
    """The version is a database row: a change committed by another process
    (another worker, a management command) is seen by this one's next request,
    whatever this process's cache still holds."""
    from django.db.models import F

    from marketplace.models import CatalogueVersion

    listing = committed(lambda: titled("찜질팩"))
    assert "찜질팩" in _titles(client.get("/"))
    # Another process writes the row (raw SQL: none of this process's hooks run)
    # and raises the version after its commit.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE marketplace_listing SET title = %s WHERE id = %s", ["온열팩", listing.pk]
        )
    assert "찜질팩" in _titles(client.get("/"))  # this process was not told yet
    CatalogueVersion.objects.filter(pk=1).update(version=F("version") + 1)
    page = _titles(client.get("/"))
    assert "온열팩" in page
    assert "찜질팩" not in page


def test_a_repeated_parameter_keeps_its_order_in_the_key(client, titled, committed):
    """The form reads the last value of a repeated parameter: the two orders
    are two different pages and must not share an entry."""
    committed(lambda: titled("반찬 나눔"))
    committed(lambda: titled("집수리 봉사", kind="service", category="daily_living.housework"))
    services = _titles(client.get("/?kind=goods&kind=service"))
    goods = _titles(client.get("/?kind=service&kind=goods"))
    assert "집수리 봉사" in services and "반찬 나눔" not in services
    assert "반찬 나눔" in goods and "집수리 봉사" not in goods
