"""Reads on the region tree."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from regions.models import LEVEL_RANK, Level, Region


def region_ancestors(region: Region) -> list[Region]:
    """The region and every region above it, root first (one query).

    Each region this returns knows its own ancestors (the list up to it), so
    asking again about one of them — the exchange region of a dong, whose
    wallet `ledger.services.account_for` then checks — reads nothing more.
    Only regions read here carry that answer, as of that read."""
    known = region.__dict__.get("_ancestors")
    if known is not None and known[0] == region.path:
        return list(known[1])
    by_code = {r.code: r for r in Region.objects.filter(code__in=region.ancestor_codes)}
    found = [by_code[code] for code in region.ancestor_codes if code in by_code]
    for depth, ancestor in enumerate(found, start=1):
        ancestor.__dict__["_ancestors"] = (ancestor.path, found[:depth])
    return found


def region_descendants(region: Region, *, include_self: bool = True) -> QuerySet[Region]:
    """The region (optionally) and every region below it."""
    queryset = Region.objects.filter(path__startswith=region.path)
    return queryset if include_self else queryset.exclude(pk=region.pk)


def exchange_region(region: Region, *, level: str | None = None) -> Region | None:
    """The region's ancestor (or itself) at the exchange level.

    Point wallets belong to exchange regions. `level` defaults to
    settings.EXCHANGE_LEVEL. A region above that level (the city, when the
    exchange level is the district) has no exchange region: None. Zones are
    optional, so with EXCHANGE_LEVEL=zone a dong that belongs to no zone
    trades as its district: the nearest ancestor not below the exchange level.
    """
    rank = LEVEL_RANK[Level(level or settings.EXCHANGE_LEVEL)]
    if LEVEL_RANK[Level(region.level)] < rank:
        return None
    for ancestor in reversed(region_ancestors(region)):
        if LEVEL_RANK[Level(ancestor.level)] <= rank:
            return ancestor
    return None


def same_exchange_region(a: Region, b: Region) -> bool:
    """True when two regions share an exchange region: a local handover, no points move."""
    ea, eb = exchange_region(a), exchange_region(b)
    return ea is not None and ea == eb
