from functools import cache

from django.http import HttpRequest

from inbox.services import unread_count


def unread(request: HttpRequest) -> dict:
    """The header's count of unread notifications: one query, and only when the
    page shows it (read once however often the template names it); none for
    someone not signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_unread": 0}
    return {"my_unread": cache(lambda: unread_count(user))}
