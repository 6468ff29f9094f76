"""E-mail about claims, always sent after the database transaction commits
(config.jobs.run_job: by a Celery worker when a broker is configured).

Messages to coordinators name the district of the household, never its code.
"""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config import tasks
from config.jobs import run_job
from config.korean import particles
from donors.models import DonorMembership
from exchange.models import MessageSide
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


def _donor_emails(donor_id: int) -> list[str]:
    today = timezone.localdate()
    return sorted(
        {
            email
            for email in DonorMembership.objects.filter(donor_id=donor_id)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), user__is_active=True)
            .values_list("user__email", flat=True)
            if email
        }
    )


def claim_message_posted(message) -> None:
    """Tell the claim's other sides that `message` was written: the requesting
    case manager, the coordinators of the listing's region and the
    representatives of the match's donor, never the author nor the author's
    own side. The mail names the claim and the author's office, not the
    message itself: it is read on the claim's page."""
    claim = message.claim
    sides: dict[str, list[str]] = {
        MessageSide.CLAIMANT: [claim.requested_by.email] if claim.requested_by.email else [],
        MessageSide.PROVIDER: _coordinator_emails(claim.listing.region),
    }
    match = getattr(claim, "match", None)
    if match is not None and match.pledge_id is not None:
        donor_id = match.pledge.donor_id
        sides[MessageSide.DONOR] = _donor_emails(donor_id)
    recipients = {
        email for side, emails in sides.items() if side != message.side for email in emails
    }
    recipients.discard(message.author.email)
    with translation.override("ko"):
        _send(
            _("[Nanum Exchange] New message on claim #%(pk)s") % {"pk": claim.pk},
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
            sorted(recipients),
        )
