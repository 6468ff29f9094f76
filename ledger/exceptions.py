"""Errors of the ledger, each with the stable code the API returns."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.exceptions import DomainError


class LedgerError(DomainError):
    code = "ledger_error"


class AppendOnlyError(LedgerError):
    code = "append_only"
    default_message = _("Ledger rows cannot be changed or deleted; post a correction instead.")


class InvalidPosting(LedgerError):
    code = "invalid_posting"
    http_status = 400
    default_message = _("A posting needs at least two non-zero whole amounts that sum to zero.")


class InsufficientPoints(LedgerError):
    code = "insufficient_points"

    def __init__(self, *, account, balance: int, needed: int) -> None:
        self.account = account
        self.shortfall = needed - balance
        super().__init__(
            _(
                "Not enough points in %(account)s: %(balance)s available, %(needed)s needed "
                "(%(shortfall)s missing)."
            )
            % {
                "account": account.label,
                "balance": balance,
                "needed": needed,
                "shortfall": self.shortfall,
            },
            account=account.code,
            shortfall=self.shortfall,
        )


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    default_message = _("This idempotency key was already used for a different request.")


class AlreadyReversed(LedgerError):
    code = "already_reversed"
    default_message = _("This transaction has already been reversed.")


class NotReversible(LedgerError):
    code = "not_reversible"
    default_message = _("Hold transactions are not reversed; release or settle the hold instead.")


class HoldAlreadyResolved(LedgerError):
    code = "hold_resolved"
    default_message = _("This hold has already been settled or released.")


class FourEyesViolation(LedgerError):
    code = "four_eyes"
    http_status = 403
    default_message = _("The person who proposed this may not approve it.")


class UnknownKind(LedgerError):
    """A posting of a kind nobody registered (`ledger.kinds.register`): a
    mistake in the code that posts, refused before anything is written."""

    code = "unknown_kind"
