from django.http import HttpRequest

from donors.permissions import donors_represented
from people.context_processors import once


def donor_roles(request: HttpRequest) -> dict:
    """Whether the current user represents a donor, for the header. Evaluated
    lazily by the template, like the region roles beside it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_is_donor_rep": False}
    return {"my_is_donor_rep": once(lambda: donors_represented(user).exists())}
