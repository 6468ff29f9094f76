"""The anonymous catalogue page, cached; and the pieces the listings API's
anonymous list is cached with (`exchange.api.ListingViewSet.list`: the same
version, `query_key`, `versioned_key`, `stored_answer`, `private_response`).

The page at / costs tens of milliseconds to build (the filter form's ~120
options, the cards, eight queries) and is the same for every visitor who is
not signed in. It is kept in the default cache (Redis when REDIS_URL or
CACHE_URL is set, this process's memory otherwise) under a key made of

- the catalogue version (`CatalogueVersion`, one row, read with one short
  query per request), raised when the transaction commits after any listing
  is saved, deleted or updated in bulk (signals in apps.py and
  `ListingQuerySet`, so every writer is covered, the claim services' quantity
  updates included), and when a donor, category or region is saved (their
  names are shown): a published, withdrawn or edited listing shows at once,
  in every process, with no page to invalidate one by one;
- the normalised query string (the known filters, sorted by name, the values
  of a repeated one in their order; a request with any other parameter is not
  cached), whether htmx asked for the results fragment,
  the language, and today's date (the "available now" filter and the month's
  points figure follow the calendar).

Only anonymous requests without pending messages are served from it, and
nothing personal is stored: the page is rendered with a placeholder where the
CSRF token goes, and each response gets the visitor's own token (and so their
own CSRF cookie) when it is sent. Vary names Cookie, Accept-Language and
HX-Request, and Cache-Control says private, so no shared cache downstream
keeps one visitor's token for another. While the database does not answer,
the version's query fails and the visitor gets the 503 page, as everywhere.

Entries live CATALOGUE_CACHE_SECONDS at most. The page's "points exchanged
this month" moves with fulfilled claims, which write their listing too; a
ledger correction alone shows after at most that time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connections, router, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

#: Stands where the CSRF token goes in a cached page; replaced on every response.
CSRF_PLACEHOLDER = "catalogue-csrf-token-placeholder-4f1c9a7e"
#: The catalogue's query parameters (CatalogueFilterForm, the page, htmx's dong
#: list). A request with any other parameter is answered without the cache.
KNOWN_PARAMETERS = frozenset(
    {"q", "kind", "category", "district", "dong", "available", "sort", "page", "dongs_for"}
)


def catalogue_version() -> int:
    """The current version: one short query, so that a change committed by any
    process shows at once, and a database that does not answer is a 503 here
    as everywhere (config.middleware), not a page from the cache.

    The statement is written out rather than built by the ORM: on a cached page
    building the query (a queryset cloned four times, then compiled) cost more
    than sending it. It goes where the ORM would send it (the read replica
    inside `config.routers.replica_reads`)."""
    from marketplace.models import CatalogueVersion

    connection = connections[router.db_for_read(CatalogueVersion)]
    table = connection.ops.quote_name(CatalogueVersion._meta.db_table)
    with connection.cursor() as cursor:
        # The table's name is the model's own, quoted; nothing comes from a request.
        cursor.execute(f"SELECT version FROM {table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else 0


def _raise_version() -> None:
    from marketplace.models import CatalogueVersion

    if not CatalogueVersion.objects.filter(pk=1).update(version=F("version") + 1):
        CatalogueVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def bump_catalogue_version() -> None:
    """Every cached catalogue page goes out of date when the current transaction
    commits (at once outside a transaction). After the commit, in a statement of
    its own, so that no writer holds the version's row lock while it works."""
    transaction.on_commit(_raise_version, robust=True)


def listing_changed(sender, **kwargs) -> None:
    """post_save / post_delete of a listing; post_save of a donor, category or
    region (names the cached answers show)."""
    bump_catalogue_version()


def query_key(request: HttpRequest, known: frozenset[str]) -> str | None:
    """The request's query string normalised for a cache key, or None when it
    names any parameter outside `known` (such a request is not cached).

    Parameters are sorted by name; the values of a repeated name keep their
    order, because the last one is the one forms and filters read."""
    pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    if any(name not in known for name, _ in pairs):
        return None
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def versioned_key(kind: str, *parts: str) -> str:
    """A cache key under the current catalogue version: `kind` names what is
    kept (the page, the API's list), `parts` what the answer depends on."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"{kind}:{catalogue_version()}:{digest}"


def request_language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)


def cache_key(request: HttpRequest, fragment: bool) -> str | None:
    """The page's key, or None when this request must not use the cache."""
    query = query_key(request, KNOWN_PARAMETERS)
    if query is None:
        return None
    return versioned_key(
        "catalogue",
        query,
        str(int(fragment)),
        request_language(request),
        timezone.localdate().isoformat(),
    )


def may_use_cache(request: HttpRequest) -> bool:
    """Anonymous, and nothing queued for this visitor alone (messages)."""
    if request.user.is_authenticated:
        return False
    return not len(messages.get_messages(request))


def private_response(content: bytes, content_type: str, vary: tuple[str, ...]) -> HttpResponse:
    """An answer kept in the cache, as it is sent: Vary names `vary`, and
    Cache-Control says private (no shared cache downstream keeps it)."""
    response = HttpResponse(content, content_type)
    patch_vary_headers(response, vary)
    patch_cache_control(response, private=True)
    return response


def stored_answer(key: str, render: Callable[[], HttpResponse]) -> tuple[bytes, str] | None:
    """The body and content type kept under `key`; when there is none, `render()`
    builds it and a 200 is kept for CATALOGUE_CACHE_SECONDS. None when the
    answer built is not a 200 (or is streamed): the caller answers without the
    cache."""
    stored = cache.get(key)
    if stored is None:
        response = render()
        if response.status_code != 200 or response.streaming:
            return None
        stored = (response.content, response["Content-Type"])
        cache.set(key, stored, timeout=settings.CATALOGUE_CACHE_SECONDS)
    return stored


def _personal(request: HttpRequest, content: bytes, content_type: str) -> HttpResponse:
    token = get_token(request).encode()
    return private_response(
        content.replace(CSRF_PLACEHOLDER.encode(), token),
        content_type,
        ("Cookie", "Accept-Language", "HX-Request"),
    )


def cached_page(
    request: HttpRequest, fragment: bool, render: Callable[[dict], HttpResponse]
) -> HttpResponse:
    """The catalogue page from the cache, or `render(extra_context)` stored there.

    `render` builds the page; for the cache it gets the CSRF placeholder as
    `csrf_token` in its context, which overrides the request's token.
    """
    key = cache_key(request, fragment) if may_use_cache(request) else None
    if key is None:
        return render({})
    stored = stored_answer(key, lambda: render({"csrf_token": CSRF_PLACEHOLDER}))
    if stored is None:
        return render({})
    return _personal(request, *stored)
