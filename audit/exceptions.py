"""Refusals of the access-record rules, with their stable API codes."""

from django.utils.translation import gettext_lazy as _

from config.exceptions import DomainError


class PurposeRequired(DomainError):
    """A household outside one's own caseload is shown only for a stated purpose."""

    code = "purpose_required"
    http_status = 400
    default_message = _(
        "This household is in another case manager's caseload: state the purpose of access "
        "(purpose: handover, emergency, audit or other)."
    )
