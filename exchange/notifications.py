"""Notifications about claims: each event writes an inbox notification for
the users it concerns (inbox.services.notify), and e-mails those of them who
want an e-mail for each notification, after the database transaction commits
(config.jobs.run_job: by a Celery worker when a broker is configured).

- claim requested → the coordinators of the listing's region
- claim decided (approved, rejected, cancelled) → the case manager who asked
- claim fulfilled → both

Messages name the district of the household, never its code.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from donors.models import DonorMembership
from exchange.models import MessageSide
from inbox.models import Kind
from inbox.services import notify
from people.models import RegionMembership, Role

logger = logging.getLogger(__name__)


def coordinators(region) -> list[Any]:
    """The active users coordinating `region` (through it or a region above it)."""
    users = (
        get_user_model()
        .objects.filter(
            pk__in=RegionMembership.objects.active()
            .filter(role=Role.COORDINATOR, region__code__in=region.ancestor_codes)
            .values("user_id"),
            is_active=True,
        )
        .order_by("pk")
    )
    return list(users)


def _deliver(
    users: list[Any], kind: str, title: str, body: str, url: str, dedupe_key: str | None = None
) -> None:
    """An inbox notification for each of `users`, and the e-mail to those who want it now."""
    notify(users, kind, title, body, url, dedupe_key=dedupe_key)


def _claim_url(claim) -> str:
    return reverse("marketplace:claim_page", kwargs={"pk": claim.pk})


def claim_requested(claim) -> None:
    with translation.override("ko"):
        _deliver(
            coordinators(claim.listing.region),
            Kind.CLAIM_REQUESTED,
            _("New claim #%(pk)s for “%(title)s”") % {"pk": claim.pk, "title": claim.listing.title},
            _(
                "A household in %(district)s claims %(quantity)s %(unit)s of “%(title)s”. "
                "Please approve or reject it on your dashboard."
            )
            % {
                "district": claim.claimant_region.name_ko,
                "quantity": f"{claim.quantity:,}",
                "unit": claim.listing.unit,
                "title": claim.listing.title,
            },
            _claim_url(claim),
            dedupe_key=f"claim:{claim.pk}:requested",
        )


def claim_decided(claim) -> None:
    with translation.override("ko"):
        _deliver(
            [claim.requested_by],
            Kind.CLAIM_DECIDED,
            _("Claim #%(pk)s is %(state)s") % {"pk": claim.pk, "state": claim.get_state_display()},
            # Without a reason, without the space before it.
            (
                _("Your claim #%(pk)s for “%(title)s” is now: %(state)s. %(reason)s")
                % {
                    "pk": claim.pk,
                    "title": claim.listing.title,
                    "state": claim.get_state_display(),
                    "reason": claim.decision_reason or "",
                }
            ).strip(),
            _claim_url(claim),
            dedupe_key=f"claim:{claim.pk}:{claim.state}",
        )


def claim_fulfilled(claim) -> None:
    with translation.override("ko"):
        users = {user.pk: user for user in coordinators(claim.listing.region)}
        users.setdefault(claim.requested_by.pk, claim.requested_by)
        _deliver(
            list(users.values()),
            Kind.CLAIM_FULFILLED,
            _("Claim #%(pk)s received") % {"pk": claim.pk},
            _("%(received)s of %(quantity)s %(unit)s of “%(title)s” were received.")
            % {
                "received": f"{claim.quantity_received:,}",
                "quantity": f"{claim.quantity:,}",
                "unit": claim.listing.unit,
                "title": claim.listing.title,
            },
            _claim_url(claim),
            dedupe_key=f"claim:{claim.pk}:fulfilled",
        )


def _donor_representatives(donor_id: int) -> list[Any]:
    today = timezone.localdate()
    return list(
        get_user_model()
        .objects.filter(
            pk__in=DonorMembership.objects.filter(donor_id=donor_id)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .values("user_id"),
            is_active=True,
        )
        .order_by("pk")
    )


def claim_message_posted(message) -> None:
    """Tell the claim's other sides that `message` was written: the requesting
    case manager, the coordinators of the listing's region and the
    representatives of the match's donor, never the author nor the author's
    own side. The notification names the claim and the author's office, not
    the message itself: it is read on the claim's page."""
    claim = message.claim
    sides: dict[str, list[Any]] = {
        MessageSide.CLAIMANT: [claim.requested_by],
        MessageSide.PROVIDER: coordinators(claim.listing.region),
    }
    match = getattr(claim, "match", None)
    if match is not None and match.pledge_id is not None:
        sides[MessageSide.DONOR] = _donor_representatives(match.pledge.donor_id)
    users = {
        user.pk: user
        for side, members in sides.items()
        if side != message.side
        for user in members
        if user.pk != message.author_id
    }
    with translation.override("ko"):
        _deliver(
            list(users.values()),
            Kind.CLAIM_MESSAGE,
            _("New message on claim #%(pk)s") % {"pk": claim.pk},
            _(
                "%(office)s (%(side)s) wrote about claim #%(pk)s for “%(title)s”. "
                "Read and answer it on the claim's page."
            )
            % {
                "office": message.office or message.author.get_full_name() or _("An office"),
                "side": message.get_side_display(),
                "pk": claim.pk,
                "title": claim.listing.title,
            },
            _claim_url(claim),
            dedupe_key=f"claim-message:{message.pk}",
        )
