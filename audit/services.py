"""Writing the audit log and the personal-data access records."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from audit.models import AccessAction, AccessPurpose, PersonalDataAccess, TransitionLog
from config.exceptions import IllegalTransition, NotAllowed
from config.personal_numbers import refuse_personal_numbers
from people.models import User


def audit_transition(
    *,
    subject: models.Model,
    transition: str,
    source: str,
    target: str,
    by: User | None,
    reason: str = "",
) -> TransitionLog:
    """Record one transition of `subject`. Call it inside the transaction that saves it."""
    return TransitionLog.objects.create(
        object_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        object_id=str(subject.pk),
        transition=transition,
        source=str(source),
        target=str(target),
        by=by,
        reason=reason or "",
    )


def run_transition(obj: Any, name: str, by: User | None, reason: str = "") -> None:
    """Check, run, save and audit one django-fsm transition of any app's model.
    `by=None` is the system (expiry, reservation), which needs no permission.
    Call it inside the transaction that locked `obj`."""
    if by is not None:
        # A reason is kept in the audit log and shown beside the object.
        refuse_personal_numbers(text=reason, field="reason")
    method = getattr(obj, name)
    source = obj.state
    available = {t.name for t in obj.get_available_state_transitions()}
    if name not in available:
        raise IllegalTransition(
            _("“%(action)s” is not possible while it is %(state)s.")
            % {"action": name, "state": obj.get_state_display()}
        )
    if by is not None and not has_transition_perm(method, by):
        raise NotAllowed()
    method()
    obj.save()
    audit_transition(
        subject=obj, transition=name, source=source, target=obj.state, by=by, reason=reason
    )


def audit_history(subject: models.Model):
    return TransitionLog.objects.filter(
        object_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        object_id=str(subject.pk),
    ).select_related("by")


# --- personal-data access records ------------------------------------------------------


def client_address(request: HttpRequest) -> str | None:
    """The address a request came from.

    REMOTE_ADDR, unless `ACCESS_PROXY_COUNT` says how many reverse proxies of
    our own stand in front of the application: then the address the nearest
    untrusted hop gave, counted from the right of X-Forwarded-For (each proxy
    appends the address it saw, so the entries on the left can be forged by
    the client and are never read). Anything that is not an IP address is
    recorded as unknown rather than stored as given.
    """
    hops = settings.ACCESS_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR", "")
    if hops > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate.strip()))
    except ValueError:
        return None


def access_record(
    *,
    request: HttpRequest,
    households: Iterable[models.Model],  # marketplace.Household rows
    action: str,
    purpose: str = "",
    purpose_detail: str = "",
) -> list[PersonalDataAccess]:
    """Record that `request.user` read, changed or exported `households`: one row
    each, written with one INSERT. A household of the user's own caseload is
    recorded with the purpose "own caseload", anyone else's (in a list) with
    "region's case list", unless a purpose is given."""
    user = request.user
    now = timezone.now()
    address = client_address(request)
    path = request.path[:200]
    rows = []
    for household in households:
        outside = household.case_manager_id != user.pk
        rows.append(
            PersonalDataAccess(
                user=user,
                at=now,
                household=household,
                action=action,
                purpose=purpose or (AccessPurpose.REGION if outside else AccessPurpose.CASELOAD),
                purpose_detail=purpose_detail[:200],
                outside_caseload=outside,
                remote_addr=address,
                path=path,
            )
        )
    if not rows:
        return []
    return PersonalDataAccess.objects.bulk_create(rows)


def access_record_export(*, request: HttpRequest, purpose_detail: str = "") -> PersonalDataAccess:
    """Record an export of the access records themselves (no one household)."""
    return PersonalDataAccess.objects.create(
        user=request.user,
        household=None,
        action=AccessAction.EXPORT,
        purpose=AccessPurpose.AUDIT,
        purpose_detail=purpose_detail[:200],
        remote_addr=client_address(request),
        path=request.path[:200],
    )
