"""What every app's pages share, each written once.

- `requires(...)`: who may open a page. Signed-out people go to the login
  page; signed-in people who meet none of the conditions get the bare 403 page.
- `attach_error(form, error, field)`: a service's refusal (`DomainError`)
  shown in its form, and `form_status(error)`, the status of that answer.
- `render_page(request, template, context, fragment=...)`: the whole page, or
  to htmx the fragment it swaps; `render_fragment` for an answer that is only
  ever a fragment. Both mark the response as a fragment for its target.
- `DomainErrorMiddleware`: a `DomainError` no view caught is answered with its
  status: the Korean error page with its message, or under /api/ the API's
  JSON error (`domain_error_body`, the same shape as config/api.py's handler).
- `HtmxErrorMiddleware`: an htmx request answered with an error that is not
  a fragment for its target (the 403/404/500 pages, a conflict, a CSRF failure)
  is sent to the page's error box (`#request-error` in templates/base.html)
  instead of into the target, so that the page stays as it was.

htmx itself is configured once, in templates/base.html's `htmx-config` meta
tag: 422 answers (a form with its errors) and the 400/403/404/409 fragments a
view renders for its target are swapped into that target; every other 4xx and
5xx shows its message (`[data-message]`) in the error box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.exceptions import DomainError, NotAllowed
from config.htmx import wants_fragment
from config.middleware import is_api

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

# --- access ------------------------------------------------------------------------------


#: The access conditions of `requires`, each registered by the app that knows
#: it (people: "roles" and "finance"; donors: "donor_rep") in its `ready()`, so
#: that this module, below every app, imports none of them.
_CONDITIONS: dict[str, Callable[..., bool]] = {}


def register_condition(name: str, test: Callable[..., bool]) -> None:
    """Register the test of an access condition: `test(user)`, or for "roles"
    `test(user, roles)`. Registering a name again replaces its test."""
    _CONDITIONS[name] = test


def _condition(name: str) -> Callable[..., bool]:
    try:
        return _CONDITIONS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"No access condition {name!r} is registered (its app's ready() registers it)."
        ) from None


def may_enter(
    user: Any,
    *,
    roles: Iterable[str] = (),
    finance: bool = False,
    donor_rep: bool = False,
    superuser: bool = False,
) -> bool:
    """Whether a signed-in `user` meets at least one of the conditions: an active
    region membership in one of `roles`, finance staff (`finance`), a current
    representative of a donor (`donor_rep`), a superuser (`superuser`)."""
    roles = tuple(roles)
    if superuser and user.is_superuser:
        return True
    if roles and _condition("roles")(user, roles):
        return True
    if finance and _condition("finance")(user):
        return True
    return donor_rep and _condition("donor_rep")(user)


def requires(
    role: str | Iterable[str] = (),
    *,
    finance: bool = False,
    donor_rep: bool = False,
    superuser: bool = False,
) -> Callable[[View], View]:
    """The access rule of a page: signed-out people go to the login page;
    signed-in people who meet none of the conditions (see `may_enter`) get 403,
    the bare page that names nothing of what they asked for.

    `@requires(Role.COORDINATOR, finance=True)` lets in coordinators and finance;
    `@requires(finance=True)` finance only; `@requires(donor_rep=True)` donor
    representatives."""
    roles = (role,) if isinstance(role, str) else tuple(role)
    if not (roles or finance or donor_rep or superuser):
        raise ValueError("requires() needs at least one condition")

    def decorate(view: View) -> View:
        @wraps(view)
        @login_required
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            allowed = may_enter(
                request.user,
                roles=roles,
                finance=finance,
                donor_rep=donor_rep,
                superuser=superuser,
            )
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorate


# --- a service's refusal in a form --------------------------------------------------------


def error_message(error: DomainError) -> str:
    """The message a page shows for `error`. A reused idempotency key means the
    form was sent twice with different values: the page says what to do."""
    if error.code == "idempotency_conflict":
        return _("This form was already sent with other values. Reload the page and try again.")
    return error.message


def attach_error(form: BaseForm, error: DomainError, field: str | None = None) -> None:
    """Show a service's refusal in `form`: the messages it gives per field next
    to those fields (at the top for a field the form does not have), and its
    main message next to `field` when the form has it, or at the top when no
    field took a message."""
    placed = False
    per_field = error.extra.get("fields")
    if isinstance(per_field, dict):
        for name, texts in per_field.items():
            where = name if name in form.fields else None
            for text in texts if isinstance(texts, list | tuple) else [texts]:
                form.add_error(where, str(text))
            placed = True
    if field in form.fields:
        form.add_error(field, error_message(error))
    elif not placed:
        form.add_error(None, error_message(error))


def form_status(error: Exception) -> int:
    """The status of a page's answer to a service's refusal: an "invalid" one is
    a form to correct, answered 422 like the form's own validation errors;
    others keep their own status (409 for a conflict)."""
    if getattr(error, "code", "") == "invalid":
        return 422
    return int(getattr(error, "http_status", 409))


# --- full page or fragment ----------------------------------------------------------------


def mark_fragment(response: HttpResponse) -> HttpResponse:
    """Mark `response` as the fragment its htmx request swaps into its target,
    whatever its status (HtmxErrorMiddleware leaves such answers in place)."""
    response.is_fragment = True  # type: ignore[attr-defined]
    return response


def render_fragment(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """A fragment for an htmx request's target."""
    return mark_fragment(render(request, template, context, status=status))


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str,
    status: int = 200,
) -> HttpResponse:
    """The whole page `template`, or for htmx (not a history restore, which
    wants the whole page) the part of it that htmx swaps, `fragment`. The view
    is marked `@vary_on_headers("HX-Request")`."""
    if wants_fragment(request):
        return render_fragment(request, fragment, context, status=status)
    return render(request, template, context, status=status)


# --- errors no view handled -------------------------------------------------------------


def domain_error_body(error: DomainError) -> dict[str, Any]:
    """The API's error for a domain error: `{"code", "detail"}` and whatever
    else the error carries (`fields`, `shortfall`, ...)."""
    body: dict[str, Any] = {"code": error.code, "detail": error.message}
    body.update({k: v for k, v in error.extra.items() if k not in body})
    return body


def domain_error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A domain error as an answer: the API's JSON error under /api/; on a page,
    the bare 403 page for a permission refusal (it names nothing), otherwise
    the Korean error page with the error's message and status."""
    if is_api(request):
        return JsonResponse(domain_error_body(error), status=error.http_status)
    if isinstance(error, NotAllowed) or error.http_status == 403:
        # The bare refusal: what was refused and why stays unsaid.
        page = render_to_string("403.html", request=request)
        return HttpResponse(page, status=403)
    page = render_to_string("domain_error.html", {"message": error_message(error)}, request=request)
    return HttpResponse(page, status=error.http_status)


class DomainErrorMiddleware:
    """A `DomainError` that escapes a view gets its own status (400, 403, 409, ...)
    and its message, never a 500. Views still catch the errors they can show in
    place (next to a field, on a card); this is the net under them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        logger.info("%s answered %s (%s)", request.path, exception.http_status, exception.code)
        return domain_error_response(request, exception)


#: The message of an error answer that brings none (also templates/base.html's fallback).
GENERIC_ERROR = gettext_noop(
    "The request could not be completed; nothing was changed. Please try again shortly."
)
#: Where htmx shows an error answer that is not a fragment for its target.
ERROR_BOX = "#request-error"
#: The element of an error page that holds its message.
ERROR_MESSAGE = "[data-message]"


class HtmxErrorMiddleware:
    """An htmx request answered with an error page rather than a fragment for
    its target: the answer's message goes to the page's error box. Without this
    a 403 or 404 page would be swapped into a card or a form (htmx-config swaps
    400/403/404/409 fragments in place, since views answer refusals with them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and response.status_code != 422
            and request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true"
            and not getattr(response, "is_fragment", False)
        ):
            response["HX-Retarget"] = ERROR_BOX
            response["HX-Reswap"] = "innerHTML"
            response["HX-Reselect"] = ERROR_MESSAGE
            if not response.streaming and b"data-message" not in response.content:
                # No message of ours (an empty 405, the CSRF refusal, Django's
                # technical pages with DEBUG on, whose inline styles would break
                # the Content-Security-Policy once htmx parses them): a general one.
                response.content = render_to_string(
                    "components/request_error.html", {"message": _(GENERIC_ERROR)}
                )
                response["Content-Type"] = "text/html; charset=utf-8"
                if response.has_header("Content-Length"):
                    response["Content-Length"] = str(len(response.content))
        return response
