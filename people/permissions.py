"""Who may act as what, where.

These are the checks every later feature calls: "may this user act as ROLE
for REGION" (a membership on the region or on any ancestor counts, an ended
or not yet started one does not) and "is this user finance staff".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from people.models import FINANCE_GROUP, RegionMembership, Role, User
from regions.models import Region


def _is_person(user: User | AnonymousUser | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def may_act(
    user: User | AnonymousUser | None,
    role: Role | str,
    region: Region,
    *,
    on: datetime.date | None = None,
) -> bool:
    """True when `user` holds `role` on `region` or on a region above it, on `on` (today)."""
    if not _is_person(user):
        return False
    known = getattr(user, "_known_posts", None)
    if on is None and known is not None:
        return any(r == role and code in region.ancestor_codes for r, code, _path in known)
    return (
        RegionMembership.objects.active(on)
        .filter(user=user, role=role, region__code__in=region.ancestor_codes)
        .exists()
    )


def holds_role(
    user: User | AnonymousUser | None, role: Role | str, *, on: datetime.date | None = None
) -> bool:
    """True when `user` holds `role` somewhere on `on` (today): what
    `regions_for(user, role).exists()` says (a post's own region is among its
    regions), in one query, or none inside `posts_read_once`."""
    if not _is_person(user):
        return False
    known = getattr(user, "_known_posts", None)
    if on is None and known is not None:
        return any(r == role for r, _code, _path in known)
    return RegionMembership.objects.active(on).filter(user=user, role=role).exists()


@contextmanager
def posts_read_once(
    user: User | AnonymousUser | None, memberships: Iterable[RegionMembership] | None = None
) -> Iterator[None]:
    """Within the block, `may_act` and `regions_for` for `user` today answer from
    their active posts read in one query, not one query per call: for a page that
    asks the permission of many rows' transitions (each asks `may_act` for its
    region) or reads the regions of a role several times. `memberships`: the
    user's active posts with their regions when the caller has read them already
    (`active_memberships`), so that not even that query is sent.
    Posts changed inside the block are not seen; nested blocks share the outer read."""
    if not _is_person(user) or getattr(user, "_known_posts", None) is not None:
        yield
        return
    if memberships is None:
        user._known_posts = list(
            RegionMembership.objects.active()
            .filter(user=user)
            .values_list("role", "region__code", "region__path")
        )
    else:
        user._known_posts = [(m.role, m.region.code, m.region.path) for m in memberships]
    try:
        yield
    finally:
        # Not `del`: a user object shared by threads (a test client's forced
        # user) may have had it removed by another thread's block already.
        user.__dict__.pop("_known_posts", None)


def regions_for(
    user: User | AnonymousUser | None, role: Role | str, *, on: datetime.date | None = None
) -> QuerySet[Region]:
    """Every region `user` may act for as `role`: each membership's region and all below it."""
    if not _is_person(user):
        return Region.objects.none()
    known = getattr(user, "_known_posts", None)
    if on is None and known is not None:
        paths = [path for r, _code, path in known if r == role]
    else:
        paths = list(
            RegionMembership.objects.active(on)
            .filter(user=user, role=role)
            .values_list("region__path", flat=True)
        )
    if not paths:
        return Region.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Region.objects.filter(condition)


def active_memberships(
    user: User | AnonymousUser | None, *, on: datetime.date | None = None
) -> QuerySet[RegionMembership]:
    if not _is_person(user):
        return RegionMembership.objects.none()
    return RegionMembership.objects.active(on).filter(user=user).select_related("region")


def is_finance(user: User | AnonymousUser | None) -> bool:
    if not _is_person(user):
        return False
    return user.groups.filter(name=FINANCE_GROUP).exists()
