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
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from config import tasks
from config.jobs import run_job
from config.korean import particles
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


def _coordinator_emails(region) -> list[str]:
    return sorted({user.email for user in coordinators(region) if user.email})


def _send(subject: str, body: str, recipients: list[str]) -> None:
    """An e-mail only, to addresses, after the commit (no inbox notification:
    prefer `_deliver`, which writes both and follows each user's choice)."""
    if not recipients:
        return
    subject, body = particles(subject), particles(body)
    # After the commit; a mail server outage never undoes a committed claim.
    run_job(tasks.send_mail, subject, body, recipients)


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
