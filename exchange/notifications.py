"""E-mail about claims, always sent after the database transaction commits
(config.jobs.run_job: by a Celery worker when a broker is configured).

Messages to coordinators name the district of the household, never its code.
"""

from __future__ import annotations

import logging

from django.utils import translation
from django.utils.translation import gettext as _

from config import tasks
from config.jobs import run_job
from config.korean import particles
from people.models import RegionMembership, Role

logger = logging.getLogger(__name__)


def _coordinator_emails(region) -> list[str]:
    return sorted(
        {
            email
            for email in RegionMembership.objects.active()
            .filter(role=Role.COORDINATOR, region__code__in=region.ancestor_codes)
            .values_list("user__email", flat=True)
            if email
        }
    )


def _send(subject: str, body: str, recipients: list[str]) -> None:
    if not recipients:
        return
    subject, body = particles(subject), particles(body)
    # After the commit; a mail server outage never undoes a committed claim.
    run_job(tasks.send_mail, subject, body, recipients)


def claim_requested(claim) -> None:
    with translation.override("ko"):
        _send(
            _("[Nanum Exchange] New claim #%(pk)s for “%(title)s”")
            % {"pk": claim.pk, "title": claim.listing.title},
            _(
                "A household in %(district)s claims %(quantity)s %(unit)s of “%(title)s”. "
                "Please approve or reject it on your dashboard."
            )
            % {
                "district": claim.claimant_region.name_ko,
                "quantity": claim.quantity,
                "unit": claim.listing.unit,
                "title": claim.listing.title,
            },
            _coordinator_emails(claim.listing.region),
        )


def claim_decided(claim) -> None:
    with translation.override("ko"):
        _send(
            _("[Nanum Exchange] Claim #%(pk)s is %(state)s")
            % {"pk": claim.pk, "state": claim.get_state_display()},
            _("Your claim #%(pk)s for “%(title)s” is now: %(state)s. %(reason)s")
            % {
                "pk": claim.pk,
                "title": claim.listing.title,
                "state": claim.get_state_display(),
                "reason": claim.decision_reason or "",
            },
            [claim.requested_by.email] if claim.requested_by.email else [],
        )


def claim_fulfilled(claim) -> None:
    with translation.override("ko"):
        recipients = _coordinator_emails(claim.listing.region)
        if claim.requested_by.email:
            recipients.append(claim.requested_by.email)
        _send(
            _("[Nanum Exchange] Claim #%(pk)s received") % {"pk": claim.pk},
            _("%(received)s of %(quantity)s %(unit)s of “%(title)s” were received.")
            % {
                "received": claim.quantity_received,
                "quantity": claim.quantity,
                "unit": claim.listing.unit,
                "title": claim.listing.title,
            },
            sorted(set(recipients)),
        )
