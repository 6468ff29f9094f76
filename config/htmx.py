"""What every app's pages share about htmx requests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request gets the part of the page it swaps. A history restore
    asks for the whole page even though it comes from htmx."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def go_to(request: HttpRequest, url: str) -> HttpResponse:
    """After a form has done its work: a plain redirect, or for htmx a redirect
    of the whole page (not a fragment swapped into the form)."""
    if wants_fragment(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)
