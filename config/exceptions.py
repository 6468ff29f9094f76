"""The root of every domain error.

Each app defines its own errors in `<app>/exceptions.py` as subclasses of
`DomainError`, each with a stable `code` that the API returns unchanged
(`{"code": ..., "detail": ...}`) and an HTTP status (409 for a state
conflict unless the subclass says otherwise).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: str = "conflict"
    http_status: int = 409
    default_message = _("The request conflicts with the current state.")

    def __init__(self, message: str | None = None, **extra: object) -> None:
        self.message = message if message is not None else str(self.default_message)
        self.extra = extra
        super().__init__(self.message)


class NotAllowed(DomainError):
    """The user may not do this here (403)."""

    code = "permission_denied"
    http_status = 403
    default_message = _("You do not have permission to do this.")
