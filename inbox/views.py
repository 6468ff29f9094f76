"""The inbox: one's own notifications, and one's e-mail choice.

Every page here is the signed-in user's own; another user's notification is
not found (404), whatever its number.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from config.web import attach_error, form_status, render_page
from inbox.exceptions import InvalidPreference
from inbox.forms import PreferenceForm
from inbox.selectors import notifications_of, preference_of
from inbox.services import ALL, mark_read, preference_update

PER_PAGE = 20


@require_GET
@login_required
@vary_on_headers("HX-Request")
def inbox_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, the unread ones marked."""
    page = Paginator(notifications_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "inbox/list.html",
        {"page": page, "notifications": page.object_list},
        fragment="inbox/partials/list.html",
    )


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read and go where it points."""
    notification = get_object_or_404(notifications_of(request.user), pk=pk)
    mark_read(request.user, [notification.pk])
    # The path was checked when the notification was written; checked again
    # so that no row could ever send anyone to another site.
    if url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and notification.url.startswith("/"):
        return redirect(notification.url)
    return redirect("inbox:list")


@require_POST
@login_required
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    count = mark_read(request.user, ALL)
    if count:
        messages.success(
            request, _("%(count)s notifications marked as read.") % {"count": f"{count:,}"}
        )
    return redirect("inbox:list")


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """How the user wants to hear of their notifications by e-mail."""
    if request.method == "GET":
        form = PreferenceForm(initial=PreferenceForm.initial_for(preference_of(request.user)))
        return render(request, "inbox/preferences.html", {"form": form})
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return render(request, "inbox/preferences.html", {"form": form}, status=422)
    try:
        preference_update(user=request.user, **form.preference_values())
    except InvalidPreference as error:
        attach_error(form, error)
        return render(request, "inbox/preferences.html", {"form": form}, status=form_status(error))
    messages.success(request, _("Your notification settings have been saved."))
    return redirect("inbox:preferences")
