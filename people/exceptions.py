"""Errors of the people app."""

from django.utils.translation import gettext_lazy as _

from config.exceptions import DomainError


class MembershipError(DomainError):
    code = "invalid_membership"
    default_message = _("The membership cannot be changed that way.")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    http_status = 400
    default_message = _("The username or password is not correct.")


class InvalidProfile(DomainError):
    code = "invalid"
    http_status = 400
    default_message = _("The profile could not be saved.")
