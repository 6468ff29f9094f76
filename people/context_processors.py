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


def share_with_header(request: HttpRequest, **facts: Any) -> None:
    """Give the header what the view has read already, so that it does not read
    it again: `memberships` (the user's active posts with their regions, as
    `active_memberships` reads them), `is_finance`, `is_donor_rep`. For this
    request only; the view must have read them for the signed-in user."""
    shared = getattr(request, "_header_facts", {})
    shared.update(facts)
    request._header_facts = shared


def shared_fact(request: HttpRequest, name: str, compute: Callable[[], Any]) -> Any:
    """What the view shared under `name` (`share_with_header`), or `compute`
    for the template, evaluated at most once."""
    shared = getattr(request, "_header_facts", {})
    if name in shared:
        return shared[name]
    return once(compute)


def roles(request: HttpRequest) -> dict:
    """The current user's posts, for the header. Evaluated lazily by the template,
    once per rendering, unless the view shared them (`share_with_header`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": [], "my_is_finance": False}
    return {
        "my_memberships": shared_fact(
            request, "memberships", lambda: list(active_memberships(user))
        ),
        "my_is_finance": shared_fact(request, "is_finance", lambda: is_finance(user)),
    }
