"""Errors of the inbox app."""

from django.utils.translation import gettext_lazy as _

from config.exceptions import DomainError


class InvalidPreference(DomainError):
    code = "invalid"
    http_status = 400
    default_message = _("The notification settings could not be saved.")
