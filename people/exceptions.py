"""Errors of the people app."""

from django.utils.translation import gettext_lazy as _

from config.exceptions import DomainError


class MembershipError(DomainError):
    code = "invalid_membership"
    default_message = _("The membership cannot be changed that way.")
