"""The shared web plumbing of config/web.py: the access decorator, a service's
refusal in a form, full page or fragment, and the two error middlewares."""

from __future__ import annotations

import json

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from config.exceptions import DomainError, NotAllowed
from config.web import (
    DomainErrorMiddleware,
    HtmxErrorMiddleware,
    attach_error,
    form_status,
    mark_fragment,
    render_page,
    requires,
)
from donors.models import Donor, DonorKind, DonorMembership
from ledger.exceptions import IdempotencyConflict
from marketplace.exceptions import InvalidRequest
from people.models import RegionMembership, Role, User
from people.services import finance_group

# --- requires ------------------------------------------------------------------------------

PRINCIPALS = ("anonymous", "nobody", "coordinator", "case_manager", "finance", "rep", "superuser")

#: Each rule of the site's pages and who it lets in; the other signed-in
#: principals get 403, anonymous people the login page.
RULES = {
    "case manager": (
        {"role": Role.CASE_MANAGER},
        {"case_manager"},
    ),
    "coordinator": (
        {"role": Role.COORDINATOR},
        {"coordinator"},
    ),
    "coordinator or finance": (
        {"role": Role.COORDINATOR, "finance": True},
        {"coordinator", "finance"},
    ),
    "either role": (
        {"role": (Role.COORDINATOR, Role.CASE_MANAGER)},
        {"coordinator", "case_manager"},
    ),
    "finance": ({"finance": True}, {"finance"}),
    "donor representative": ({"donor_rep": True}, {"rep"}),
    "finance or superuser": ({"finance": True, "superuser": True}, {"finance", "superuser"}),
}


@pytest.fixture
def principals(daejeon) -> dict[str, object]:
    def user(name: str, **fields) -> User:
        return User.objects.create_user(username=name, password="pw-for-tests-only", **fields)

    coordinator, case_manager = user("coord"), user("cm")
    RegionMembership.objects.create(user=coordinator, region=daejeon["서구"], role=Role.COORDINATOR)
    RegionMembership.objects.create(
        user=case_manager, region=daejeon["서구"], role=Role.CASE_MANAGER
    )
    finance = user("fin")
    finance.groups.add(finance_group())
    rep = user("rep")
    donor = Donor.objects.create(
        name="함께나눔",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1248100998",
        home_region=daejeon["대덕구"],
    )
    DonorMembership.objects.create(user=rep, donor=donor)
    # A coordinator whose post has ended holds no role any more.
    RegionMembership.objects.create(
        user=user("former"),
        region=daejeon["서구"],
        role=Role.COORDINATOR,
        starts_on="2020-01-01",
        ends_on="2020-12-31",
    )
    return {
        "anonymous": AnonymousUser(),
        "nobody": User.objects.get(username="former"),
        "coordinator": coordinator,
        "case_manager": case_manager,
        "finance": finance,
        "rep": rep,
        "superuser": User.objects.create_superuser(username="root", password="pw-for-tests-only"),
    }


def _view(request):
    return HttpResponse("inside")


@pytest.mark.parametrize("rule", RULES)
def test_requires_lets_in_exactly_the_principals_of_each_rule(principals, rule):
    conditions, allowed = RULES[rule]
    view = requires(**conditions)(_view)
    for name in PRINCIPALS:
        request = RequestFactory().get("/somewhere/?x=1")
        request.user = principals[name]
        if name == "anonymous":
            response = view(request)
            assert response.status_code == 302, (rule, name)
            assert response["Location"].startswith("/accounts/login/?next="), (rule, name)
        elif name in allowed:
            assert view(request).content == b"inside", (rule, name)
        else:
            with pytest.raises(PermissionDenied):
                view(request)


def test_requires_needs_a_condition():
    with pytest.raises(ValueError):
        requires()


def test_a_refused_page_is_the_bare_403_and_anonymous_goes_to_login(client, principals):
    client.force_login(principals["coordinator"])
    response = client.get("/finance/")
    assert response.status_code == 403
    assert "현재 담당 역할로는 이 페이지나 작업을 이용할 수 없습니다." in response.content.decode()
    client.logout()
    response = client.get("/finance/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/finance/"


# --- a refusal in a form ---------------------------------------------------------------


class _Form(forms.Form):
    quantity = forms.IntegerField()
    note = forms.CharField(required=False)


def _bound() -> _Form:
    form = _Form({"quantity": "3", "note": ""})
    assert form.is_valid()
    return form


def test_an_error_naming_a_field_is_shown_at_that_field():
    form = _bound()
    attach_error(form, InvalidRequest("Bad", fields={"quantity": ["Too many."]}))
    assert form.errors == {"quantity": ["Too many."]}


def test_an_error_naming_no_field_is_shown_at_the_top():
    form = _bound()
    attach_error(form, DomainError("Not now."))
    assert form.non_field_errors() == ["Not now."]
    assert set(form.errors) == {"__all__"}


def test_a_field_the_form_does_not_have_goes_to_the_top():
    form = _bound()
    attach_error(form, InvalidRequest("Bad", fields={"household": ["Choose one."]}))
    assert form.non_field_errors() == ["Choose one."]


def test_the_view_may_name_the_field_of_the_main_message():
    form = _bound()
    attach_error(form, DomainError("Only 2 left."), "quantity")
    assert form.errors == {"quantity": ["Only 2 left."]}
    form = _bound()
    attach_error(form, DomainError("Only 2 left."), "no_such_field")
    assert form.non_field_errors() == ["Only 2 left."]


def test_a_reused_idempotency_key_says_to_reload(settings):
    settings.LANGUAGE_CODE = "en"
    form = _bound()
    attach_error(form, IdempotencyConflict())
    assert "Reload the page" in form.non_field_errors()[0]


def test_form_status_is_422_for_invalid_and_the_errors_own_otherwise():
    assert form_status(InvalidRequest("x")) == 422
    assert form_status(DomainError("x")) == 409
    assert form_status(NotAllowed()) == 403


# --- full page or fragment -----------------------------------------------------------------


def _htmx(request, **headers):
    for name, value in headers.items():
        request.META[f"HTTP_{name}"] = value
    HtmxMiddleware(lambda r: HttpResponse())(request)
    request.user = AnonymousUser()
    return request


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, False),
        ({"HX_REQUEST": "true"}, True),
        ({"HX_REQUEST": "true", "HX_HISTORY_RESTORE_REQUEST": "true"}, False),
    ],
)
def test_render_page_answers_htmx_with_the_fragment(db, headers, fragment):
    request = _htmx(RequestFactory().get("/"), **headers)
    response = render_page(
        request, "404.html", {"message": "x"}, fragment="components/request_error.html", status=422
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert body.startswith("<p data-message>x</p>") is fragment
    assert getattr(response, "is_fragment", False) is fragment


# --- a domain error no view caught ------------------------------------------------------------


def _request(path: str, *, htmx: bool = False):
    request = RequestFactory().post(path, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = AnonymousUser()
    return request


def test_an_uncaught_domain_error_is_its_status_and_message_on_a_page(db):
    error = DomainError("이 청구는 이미 처리되었습니다.")
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        _request("/claims/1/approve/"), error
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "이 청구는 이미 처리되었습니다." in body
    assert "data-message" in body
    assert '<html lang="' in body  # the site's own page, in Korean


def test_an_uncaught_invalid_error_keeps_its_400(db):
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        _request("/somewhere/"), InvalidRequest("잘못된 값입니다.")
    )
    assert response.status_code == 400
    assert "잘못된 값입니다." in response.content.decode()


def test_an_uncaught_permission_refusal_is_the_bare_403_page(db):
    error = NotAllowed("서구 코디네이터만 승인할 수 있습니다.")
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        _request("/claims/1/approve/"), error
    )
    assert response.status_code == 403
    assert "서구" not in response.content.decode()


def test_an_uncaught_domain_error_under_the_api_is_the_apis_json_error(db):
    error = InvalidRequest("Bad", fields={"quantity": ["Too many."]})
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        _request("/api/v1/claims/"), error
    )
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "code": "invalid",
        "detail": "Bad",
        "fields": {"quantity": ["Too many."]},
    }


def test_other_exceptions_are_left_to_django():
    middleware = DomainErrorMiddleware(lambda r: HttpResponse())
    assert middleware.process_exception(_request("/"), ValueError("x")) is None


def test_the_domain_error_middleware_is_installed(client, db, monkeypatch):
    # A service refusal that escapes a view, through the whole stack.
    from exchange import views

    def refuse(**kwargs):
        raise DomainError("카탈로그를 지금 볼 수 없습니다.")

    monkeypatch.setattr(views, "catalogue", refuse)
    response = client.get("/")
    assert response.status_code == 409
    assert "카탈로그를 지금 볼 수 없습니다." in response.content.decode()


# --- htmx errors that are not fragments --------------------------------------------------


@pytest.mark.parametrize("status", [400, 403, 404, 409, 500, 503])
def test_an_error_page_for_htmx_goes_to_the_error_box(status):
    middleware = HtmxErrorMiddleware(lambda r: HttpResponse(status=status))
    response = middleware(_request("/x/", htmx=True))
    assert response["HX-Retarget"] == "#request-error"
    assert response["HX-Reswap"] == "innerHTML"
    assert response["HX-Reselect"] == "[data-message]"


@pytest.mark.parametrize("status", [200, 400, 403, 404, 409])
def test_a_fragment_for_the_target_stays_in_place(status):
    middleware = HtmxErrorMiddleware(lambda r: mark_fragment(HttpResponse(status=status)))
    response = middleware(_request("/x/", htmx=True))
    assert not response.has_header("HX-Retarget")


def test_a_form_answer_and_a_plain_request_are_left_alone():
    assert not HtmxErrorMiddleware(lambda r: HttpResponse(status=422))(
        _request("/x/", htmx=True)
    ).has_header("HX-Retarget")
    assert not HtmxErrorMiddleware(lambda r: HttpResponse(status=404))(_request("/x/")).has_header(
        "HX-Retarget"
    )


def test_an_unknown_page_asked_by_htmx_is_retargeted_through_the_stack(client, db):
    response = client.get("/no-such-page/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#request-error"
    assert "data-message" in response.content.decode()


def test_an_error_answer_without_a_message_gets_the_general_one(settings):
    settings.LANGUAGE_CODE = "ko"
    middleware = HtmxErrorMiddleware(lambda r: HttpResponse(status=405))
    response = middleware(_request("/x/", htmx=True))
    assert response["HX-Retarget"] == "#request-error"
    assert response.content.decode() == (
        "<p data-message>요청을 처리하지 못했습니다. 변경된 내용은 없습니다. "
        "잠시 후 다시 시도해 주세요.</p>\n"
    )


def test_an_error_page_with_its_message_keeps_its_body():
    body = b"<html><body><p data-message>Not here.</p></body></html>"
    middleware = HtmxErrorMiddleware(lambda r: HttpResponse(body, status=404))
    assert middleware(_request("/x/", htmx=True)).content == body
