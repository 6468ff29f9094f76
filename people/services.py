"""Writes on people and their posts."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from people.exceptions import MembershipError
from people.models import FINANCE_GROUP, RegionMembership, Role, User
from regions.models import Region


def membership_grant(
    *, user: User, region: Region, role: Role | str, starts_on: datetime.date | None = None
) -> RegionMembership:
    """Give `user` the `role` on `region` from `starts_on` (today); an existing
    open membership for the same user, region and role is returned unchanged."""
    with transaction.atomic():
        existing = (
            RegionMembership.objects.select_for_update()
            .filter(user=user, region=region, role=role, ends_on__isnull=True)
            .first()
        )
        if existing is not None:
            return existing
        return RegionMembership.objects.create(
            user=user, region=region, role=role, starts_on=starts_on or timezone.localdate()
        )


def membership_end(
    *, membership: RegionMembership, ends_on: datetime.date | None = None
) -> RegionMembership:
    """End a post on `ends_on` (today), its last valid day. The row stays as history."""
    day = ends_on or timezone.localdate()
    with transaction.atomic():
        membership = RegionMembership.objects.select_for_update().get(pk=membership.pk)
        if membership.ends_on is not None:
            raise MembershipError(_("This membership has already ended."))
        if day < membership.starts_on:
            raise MembershipError(_("A membership cannot end before it starts."))
        membership.ends_on = day
        membership.save(update_fields=["ends_on"])
    return membership


def membership_reassign(
    *, membership: RegionMembership, to_user: User, on: datetime.date | None = None
) -> RegionMembership:
    """Hand a post to another person: the old membership ends the day before
    `on` (today) and the new one starts on `on`; both stay in the history."""
    day = on or timezone.localdate()
    with transaction.atomic():
        membership_end(membership=membership, ends_on=day - datetime.timedelta(days=1))
        return RegionMembership.objects.create(
            user=to_user, region=membership.region, role=membership.role, starts_on=day
        )


def finance_group() -> Group:
    group, _created = Group.objects.get_or_create(name=FINANCE_GROUP)
    return group


def token_issue(*, user: User) -> Token:
    """The user's API token: the current one while it is valid, otherwise a new one.

    One token per user (DRF's model); an expired token is replaced here, never
    on the request that found it expired, so that a GET writes nothing.
    """
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and not token_is_expired(token=token):
            return token
        if token is not None:
            token.delete()
        return Token.objects.create(user=user)


def token_revoke(*, user: User) -> bool:
    """Delete the user's API token; False when there was none."""
    with transaction.atomic():
        deleted, _rows = Token.objects.filter(user=user).delete()
    return deleted > 0


def token_expires_at(*, token: Token) -> datetime.datetime:
    return token.created + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)


def token_is_expired(*, token: Token) -> bool:
    return timezone.now() >= token_expires_at(token=token)
