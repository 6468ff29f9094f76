"""Errors of the marketplace, each with the stable code the API returns."""

from django.utils.translation import gettext_lazy as _

# Shared by every app (config/exceptions.py), and importable from here as before.
from config.exceptions import DomainError, IllegalTransition, InvalidRequest  # noqa: F401


class MarketplaceError(DomainError):
    code = "conflict"


class ListingNotPublished(MarketplaceError):
    code = "listing_not_published"
    default_message = _("This listing is not open for claims.")


class InsufficientQuantity(MarketplaceError):
    code = "insufficient_quantity"


class DuplicateService(MarketplaceError):
    code = "duplicate_service"


class CategoryFileError(MarketplaceError):
    code = "invalid_category_file"
    http_status = 400

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"line {line}: {message}" for line, message in problems))
