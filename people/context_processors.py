from django.http import HttpRequest

from people.permissions import active_memberships, is_finance


def roles(request: HttpRequest) -> dict:
    """The current user's posts, for the header. Evaluated lazily by the template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": [], "my_is_finance": False}
    return {
        "my_memberships": lambda: list(active_memberships(user)),
        "my_is_finance": lambda: is_finance(user),
    }
