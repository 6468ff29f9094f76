from django.http import HttpRequest

from donors.permissions import donors_represented
from people.context_processors import shared_fact


def donor_roles(request: HttpRequest) -> dict:
    """Whether the current user represents a donor, for the header. Evaluated
    lazily by the template, like the region roles beside it, unless the view
    shared it (`people.context_processors.share_with_header`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_is_donor_rep": False}
    return {
        "my_is_donor_rep": shared_fact(
            request, "is_donor_rep", lambda: donors_represented(user).exists()
        )
    }
