"""Errors of the marketplace, each with the stable code the API returns."""

from django.utils.translation import gettext_lazy as _

from config.exceptions import DomainError


class MarketplaceError(DomainError):
    code = "conflict"


class IllegalTransition(MarketplaceError):
    code = "illegal_transition"
    default_message = _("This action is not possible in the current state.")


class ListingNotPublished(MarketplaceError):
    code = "listing_not_published"
    default_message = _("This listing is not open for claims.")


class InsufficientQuantity(MarketplaceError):
    code = "insufficient_quantity"


class DuplicateService(MarketplaceError):
    code = "duplicate_service"


class InvalidRequest(MarketplaceError):
    code = "invalid"
    http_status = 400


class CategoryFileError(MarketplaceError):
    code = "invalid_category_file"
    http_status = 400

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"line {line}: {message}" for line, message in problems))
