"""Errors of donors and matching."""

from django.utils.translation import gettext_lazy as _

from config.exceptions import DomainError


class DonorError(DomainError):
    code = "conflict"


class NotMatched(DonorError):
    code = "not_matched"
    default_message = _(
        "This claim cannot be approved until a donor has committed its private share."
    )


class DonorNotVerified(DonorError):
    code = "donor_not_verified"
    default_message = _("This donor has not been verified by finance yet.")


class PledgeNotEligible(DonorError):
    code = "pledge_not_eligible"
    default_message = _("No pledge of yours can fund this match.")


class InvalidPledge(DonorError):
    code = "invalid"
    http_status = 400


class InvalidDonor(DonorError):
    code = "invalid"
    http_status = 400
