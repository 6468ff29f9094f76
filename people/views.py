"""Pages for signed-in people."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from people.permissions import active_memberships, is_finance
from regions.selectors import exchange_region


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in person's start page: their posts and what each lets them do."""
    memberships = list(active_memberships(request.user))
    posts = [
        {"membership": membership, "exchange_region": exchange_region(membership.region)}
        for membership in memberships
    ]
    return render(
        request,
        "people/dashboard.html",
        {"posts": posts, "is_finance": is_finance(request.user)},
    )
