from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from people.permissions import active_memberships, is_finance


def once(compute: Callable[[], Any]) -> Callable[[], Any]:
    """`compute` for a template, evaluated at most once: the template calls a
    callable each time it resolves the name (the header reads the posts and
    the finance role twice each), and each call would be a query again."""
    result: list[Any] = []

    def value() -> Any:
        if not result:
            result.append(compute())
        return result[0]

    return value


def roles(request: HttpRequest) -> dict:
    """The current user's posts, for the header. Evaluated lazily by the template,
    once per rendering."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": [], "my_is_finance": False}
    return {
        "my_memberships": once(lambda: list(active_memberships(user))),
        "my_is_finance": once(lambda: is_finance(user)),
    }
