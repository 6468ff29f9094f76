"""Writes on people and their posts."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from config.exceptions import NotAllowed
from people.exceptions import InvalidProfile, MembershipError
from people.models import FINANCE_GROUP, RegionMembership, Role, User
from people.phones import office_phone_normalise
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


#: The fields a person may change on their own profile (`first_name` is the
#: name shown on the pages; the header shows it with `last_name`, which only the
#: admin sets, e.g. the demo users' "(데모)").
PROFILE_FIELDS = ("first_name", "office", "office_phone", "email")


def user_profile_update(*, user: User, by: User, **fields: str) -> User:
    """Change `user`'s own name, office, office phone and e-mail; only they may.

    Every value is checked before anything is written: a refusal changes
    nothing. The office phone is stored in its usual written form
    (042-123-4567); a mobile number is refused.
    """
    if by.pk != user.pk:
        raise NotAllowed()
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise InvalidProfile(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        text = str(value).strip()
        limit = User._meta.get_field(name).max_length
        try:
            if limit is not None and len(text) > limit:
                raise ValidationError(_("Enter at most %(limit)d characters.") % {"limit": limit})
            if name == "office_phone":
                text = office_phone_normalise(text)
            elif name == "email" and text:
                validate_email(text)
        except ValidationError as error:
            errors[name] = [str(message) for message in error.messages]
            continue
        cleaned[name] = text
    if errors:
        raise InvalidProfile(fields=errors)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if cleaned:
            locked.save(update_fields=list(cleaned))
    for name, value in cleaned.items():
        setattr(user, name, value)
    return locked
