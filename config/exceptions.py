"""The root of every domain error.

Each app defines its own errors in `<app>/exceptions.py` as subclasses of
`DomainError`, each with a stable `code` that the API returns unchanged
(`{"code": ..., "detail": ...}`) and an HTTP status (409 for a state
conflict unless the subclass says otherwise).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.korean import particles


class DomainError(Exception):
    code: str = "conflict"
    http_status: int = 409
    default_message = _("The request conflicts with the current state.")

    def __init__(self, message: str | None = None, **extra: object) -> None:
        self.message = message if message is not None else str(self.default_message)
        # A translated message built from placeholders gets its particles now
        # ("약정 #3이(가)" → "약정 #3이"), for the pages and the API alike.
        if isinstance(self.message, str):
            self.message = particles(self.message)
        fields = extra.get("fields")
        if isinstance(fields, dict):
            extra["fields"] = {
                name: [particles(t) if isinstance(t, str) else t for t in texts]
                if isinstance(texts, list)
                else texts
                for name, texts in fields.items()
            }
        self.extra = extra
        super().__init__(self.message)


class NotAllowed(DomainError):
    """The user may not do this here (403)."""

    code = "permission_denied"
    http_status = 403
    default_message = _("You do not have permission to do this.")


class IllegalTransition(DomainError):
    """An action the object's current state does not allow (every app's state machines)."""

    code = "illegal_transition"
    default_message = _("This action is not possible in the current state.")


class InvalidRequest(DomainError):
    """Input a service refuses, with messages per field in `fields`."""

    code = "invalid"
    http_status = 400
