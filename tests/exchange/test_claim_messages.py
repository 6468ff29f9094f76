"""A claim's message thread: who may write and read it (the claiming office,
the providing office, the donor of the claim's match; finance sees the claim
but not the thread), what a message may not hold, the states that close the
thread, the e-mail to the other sides, the page and the API."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.exceptions import IllegalTransition, InvalidRequest, NotAllowed
from donors.models import Donor, DonorKind, DonorMembership
from donors.services import donor_verify
from exchange.models import ClaimMessage, ClaimState, MessageSide
from exchange.services import (
    claim_approve,
    claim_cancel,
    claim_expire_overdue,
    claim_fulfil,
    claim_message_post,
    claim_reject,
    claim_request,
)
from people.services import user_profile_update
from tests import factories

HTMX = {"HX-Request": "true"}
BODY = "목요일 오후 2시에 서구청 민원실에서 인계 가능합니다."


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def offices(people):
    """Office names and phones on the two offices' profiles."""
    for who, office, phone in (
        ("cm_daedeok", "대덕구청 복지정책과", "042-608-6111"),
        ("coord_seo", "서구청 복지정책과", "042-288-2222"),
    ):
        person = people[who]
        person.office, person.office_phone = office, phone
        person.save(update_fields=["office", "office_phone"])
    return people


@pytest.fixture
def nobody(db):
    """Signed in, with no role anywhere."""
    return factories.user("nobody")


@pytest.fixture
def other_rep(daejeon, finance):
    """The representative of another verified donor, with no match on the claim."""
    rep = factories.user("rep_other", email="rep.other@example.kr")
    donor = Donor.objects.create(
        name="다른나눔재단",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="2208162517",
        home_region=daejeon["유성구"],
    )
    DonorMembership.objects.create(user=rep, donor=donor)
    donor_verify(donor=donor, by=finance)
    return rep


@pytest.fixture
def matched(offices, make_listing, household, grant, daejeon, make_pledge, donor_rep):
    """A cross-region claim of 대덕구 on a listing of 서구, its match committed
    by the donor's pledge."""
    donor_rep.email = "rep@example.kr"
    donor_rep.save(update_fields=["email"])
    grant(daejeon["대덕구"], 100_000)
    make_pledge()
    listing = make_listing(quantity=10, krw=20_000)
    claim = claim_request(
        by=offices["cm_daedeok"], listing=listing, household=household, quantity=2
    )
    assert claim.match.state == "committed"
    return claim


# --- the service ------------------------------------------------------------------------


def test_each_side_writes_with_its_office_as_it_was(matched, offices, donor_rep):
    donor_rep.office, donor_rep.office_phone = "함께나눔 사무국", "1588-1234"
    donor_rep.save(update_fields=["office", "office_phone"])
    written = [
        claim_message_post(matched, offices["cm_daedeok"], f"  {BODY}  "),
        claim_message_post(matched, offices["coord_seo"], "네, 2시에 뵙겠습니다."),
        claim_message_post(matched, donor_rep, "후원 확인했습니다."),
    ]
    assert [(m.side, m.office, m.office_phone) for m in written] == [
        (MessageSide.CLAIMANT, "대덕구청 복지정책과", "042-608-6111"),
        (MessageSide.PROVIDER, "서구청 복지정책과", "042-288-2222"),
        (MessageSide.DONOR, "함께나눔 사무국", "1588-1234"),
    ]
    assert written[0].body == BODY  # stripped
    # A later change of office leaves what was written as it was.
    user_profile_update(
        user=offices["cm_daedeok"],
        by=offices["cm_daedeok"],
        first_name="",
        office="유성구청",
        office_phone="042-611-2000",
        email="cm.dd@example.kr",
    )
    kept = ClaimMessage.objects.get(pk=written[0].pk)
    assert (kept.office, kept.office_phone) == ("대덕구청 복지정책과", "042-608-6111")


def test_nobody_else_writes(matched, people, other_rep, finance, nobody):
    for outsider in (people["cm_seo"], people["coord_daedeok"], other_rep, finance, nobody):
        with pytest.raises(NotAllowed):
            claim_message_post(matched, outsider, BODY)
    assert not ClaimMessage.objects.exists()


def test_a_pending_match_has_no_donor_side(
    offices, make_listing, household, grant, daejeon, donor_rep, make_pledge
):
    grant(daejeon["대덕구"], 100_000)
    listing = make_listing(quantity=10, krw=20_000)
    claim = claim_request(
        by=offices["cm_daedeok"], listing=listing, household=household, quantity=1
    )
    make_pledge()  # after the claim: its match still waits for a commit
    assert claim.match.state == "pending"
    with pytest.raises(NotAllowed):
        claim_message_post(claim, donor_rep, BODY)


def test_a_message_is_append_only(matched, offices):
    message = claim_message_post(matched, offices["cm_daedeok"], BODY)
    message.body = "고침"
    with pytest.raises(ValueError):
        message.save()
    with pytest.raises(ValueError):
        message.delete()
    assert ClaimMessage.objects.get().body == BODY


@pytest.mark.parametrize("body", ["", "   ", "\n\t", "가" * 2001])
def test_an_empty_or_long_body_is_refused(matched, offices, body):
    with pytest.raises(InvalidRequest) as refused:
        claim_message_post(matched, offices["cm_daedeok"], body)
    assert refused.value.extra["fields"]["body"]
    assert not ClaimMessage.objects.exists()


@pytest.mark.parametrize("body", ["인계\x00시간", "\x07알림", "서\ud800구"])
def test_control_characters_are_refused(matched, offices, body):
    with pytest.raises(InvalidRequest) as refused:
        claim_message_post(matched, offices["cm_daedeok"], body)
    assert "제어 문자" in str(refused.value.extra["fields"]["body"][0])
    assert not ClaimMessage.objects.exists()


def test_line_breaks_are_text(matched, offices):
    assert claim_message_post(matched, offices["cm_daedeok"], "첫 줄\n\t둘째 줄").body == (
        "첫 줄\n\t둘째 줄"
    )


def test_two_thousand_characters_are_taken(matched, offices):
    message = claim_message_post(matched, offices["cm_daedeok"], " " + "가" * 2000 + " ")
    assert len(message.body) == 2000


@pytest.mark.parametrize(
    "body, word",
    [
        ("가구주 900101-1234567 입니다", "주민등록번호"),
        ("보호자 010-1234-5678로 연락", "휴대전화"),
        ("보호자 +82 10 1234 5678", "휴대전화"),
        ("사무실 042-288-2222, 보호자 010 1234 5678", "휴대전화"),
        ("보호자 ０１０－１２３４－５６７８", "휴대전화"),
    ],
)
def test_a_household_s_personal_number_is_refused(matched, offices, body, word):
    with pytest.raises(InvalidRequest) as refused:
        claim_message_post(matched, offices["cm_daedeok"], body)
    message = str(refused.value.extra["fields"]["body"][0])
    assert "개인정보" in message and word in message
    assert not ClaimMessage.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "서구청 042-288-2222로 전화 주세요",
        "대표번호 1588-1234",
        "02-123-4567 본청",
        "2026-12-02 오후 2시, 상자 10개, 15000000원",
    ],
)
def test_office_numbers_dates_and_amounts_pass(matched, offices, body):
    assert claim_message_post(matched, offices["cm_daedeok"], body).body == body


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(max_size=60))
def test_any_text_is_taken_or_refused_cleanly(matched, offices, body):
    try:
        message = claim_message_post(matched, offices["cm_daedeok"], body)
    except InvalidRequest as error:
        assert "body" in error.extra["fields"]
    else:
        assert message.body == body.strip() and message.body


def test_a_fulfilled_claim_takes_follow_up_talk(matched, offices):
    claim_approve(claim=matched, by=offices["coord_seo"])
    claim_fulfil(claim=matched, by=offices["cm_daedeok"], quantity_received=2)
    assert claim_message_post(matched, offices["cm_daedeok"], "잘 받았습니다.").pk


@pytest.mark.parametrize("ending", ["reject", "cancel", "expire"])
def test_a_closed_claim_takes_no_message(matched, offices, ending):
    if ending == "reject":
        claim_reject(claim=matched, by=offices["coord_seo"], reason="재고 부족")
    elif ending == "cancel":
        claim_cancel(claim=matched, by=offices["cm_daedeok"], reason="가구 사정 변경")
    else:
        claim_expire_overdue(now=timezone.now() + datetime.timedelta(days=60))
    matched.refresh_from_db()
    assert matched.state in (ClaimState.REJECTED, ClaimState.CANCELLED, ClaimState.EXPIRED)
    with pytest.raises(IllegalTransition):
        claim_message_post(matched, offices["cm_daedeok"], BODY)
    assert not ClaimMessage.objects.exists()


def test_an_overdue_claim_is_expired_first(matched, offices, at):
    with at(timezone.now() + datetime.timedelta(days=60)), pytest.raises(IllegalTransition):
        claim_message_post(matched, offices["coord_seo"], BODY)
    matched.refresh_from_db()
    assert matched.state == ClaimState.EXPIRED


def test_the_other_sides_are_told_by_mail(
    matched, offices, donor_rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim_message_post(matched, offices["cm_daedeok"], BODY)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sorted(sent.to) == ["coord.seo@example.kr", "rep@example.kr"]
    assert f"#{matched.pk}" in sent.subject
    assert "대덕구청 복지정책과" in sent.body
    # The mail names the claim, not what was written, and never the household.
    assert BODY not in sent.body and matched.household.code not in sent.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        claim_message_post(matched, donor_rep, "확인했습니다.")
    assert sorted(mail.outbox[0].to) == ["cm.dd@example.kr", "coord.seo@example.kr"]


# --- the claim's page ---------------------------------------------------------------------


def test_the_thread_is_shown_to_the_three_sides(matched, offices, donor_rep):
    claim_message_post(matched, offices["cm_daedeok"], BODY)
    for reader in (offices["cm_daedeok"], offices["coord_seo"], donor_rep):
        response = _client(reader).get(f"/claims/{matched.pk}/")
        assert response.status_code == 200, reader
        body = response.content.decode()
        assert 'id="messages"' in body and BODY in body and 'data-send="message"' in body
        assert 'data-subject="message"' in body  # in the history too
        # Both offices to call, from the profiles.
        assert "대덕구청 복지정책과" in body and "042-608-6111" in body
        assert "서구청 복지정책과" in body and "042-288-2222" in body
    household = matched.household.code
    assert (
        household in _client(offices["cm_daedeok"]).get(f"/claims/{matched.pk}/").content.decode()
    )
    for reader in (offices["coord_seo"], donor_rep):
        assert household not in _client(reader).get(f"/claims/{matched.pk}/").content.decode()


def test_outsiders_get_not_found(matched, people, other_rep, nobody):
    claim_message_post(matched, people["cm_daedeok"], BODY)
    for outsider in (people["cm_seo"], people["coord_daedeok"], other_rep, nobody):
        client = _client(outsider)
        for response in (
            client.get(f"/claims/{matched.pk}/"),
            client.get(f"/claims/{matched.pk}/messages/"),
            client.post(f"/claims/{matched.pk}/messages/", {"body": "안녕하세요"}),
            client.post(f"/claims/{matched.pk}/messages/", {"body": "안녕하세요"}, headers=HTMX),
        ):
            assert response.status_code == 404, outsider
            assert BODY not in response.content.decode()
    assert ClaimMessage.objects.count() == 1


def test_finance_sees_the_claim_but_not_its_thread(matched, people, finance):
    claim_message_post(matched, people["cm_daedeok"], BODY)
    client = _client(finance)
    response = client.get(f"/claims/{matched.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert BODY not in body and 'id="messages"' not in body
    assert 'data-subject="message"' not in body
    assert matched.household.code not in body
    assert f'data-claim="{matched.pk}"' in client.get("/claims/").content.decode()
    for response in (
        client.get(f"/claims/{matched.pk}/messages/"),
        client.post(f"/claims/{matched.pk}/messages/", {"body": "안녕하세요"}),
    ):
        assert response.status_code == 403
        assert BODY not in response.content.decode()
    assert ClaimMessage.objects.count() == 1


def test_the_form_answers_the_refreshed_thread(matched, offices):
    client = _client(offices["coord_seo"])
    response = client.post(f"/claims/{matched.pk}/messages/", {"body": BODY}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="claim-messages"')
    assert BODY in body and "042-288-2222" in body and "제공 기관" in body
    assert ClaimMessage.objects.get().side == MessageSide.PROVIDER
    assert response["HX-Trigger"] == "claims-changed"  # the history follows
    # Without htmx: back to the claim's page.
    response = client.post(f"/claims/{matched.pk}/messages/", {"body": "두 번째"})
    assert response.status_code == 302
    assert response["Location"] == f"/claims/{matched.pk}/#messages"


@pytest.mark.parametrize(
    "body, text",
    [
        ("", "메시지를 입력하세요"),
        ("보호자 010-1234-5678", "휴대전화"),
        ("가" * 2001, "2,000자"),
    ],
)
def test_a_bad_message_is_shown_next_to_the_field(matched, offices, body, text):
    client = _client(offices["cm_daedeok"])
    for headers in (HTMX, {}):
        response = client.post(f"/claims/{matched.pk}/messages/", {"body": body}, headers=headers)
        assert response.status_code == 422
        page = response.content.decode()
        assert 'id="id_body-error"' in page and text in page
        error = page.split('id="id_body-error"')[1].split("</div>")[0]
        assert error.count("<p>") == 1  # said once, next to the field
        assert 'aria-describedby="id_body-help id_body-error"' in page
    assert not ClaimMessage.objects.exists()


def test_a_closed_claim_shows_its_thread_without_a_form(matched, offices):
    claim_message_post(matched, offices["cm_daedeok"], BODY)
    claim_reject(claim=matched, by=offices["coord_seo"], reason="재고 부족")
    client = _client(offices["cm_daedeok"])
    body = client.get(f"/claims/{matched.pk}/").content.decode()
    assert BODY in body and 'data-send="message"' not in body
    response = client.post(f"/claims/{matched.pk}/messages/", {"body": "그래도"}, headers=HTMX)
    assert response.status_code == 409
    assert ClaimMessage.objects.count() == 1


def test_the_donor_s_representative_sees_the_claim_in_the_list(matched, donor_rep, other_rep):
    assert f'data-claim="{matched.pk}"' in _client(donor_rep).get("/claims/").content.decode()
    assert "data-claim=" not in _client(other_rep).get("/claims/").content.decode()


# --- the API ------------------------------------------------------------------------------


def _api(user) -> Client:
    return _client(user)


def test_api_thread_read_and_write(matched, offices, donor_rep):
    url = f"/api/v1/claims/{matched.pk}/messages/"
    response = _api(offices["cm_daedeok"]).post(
        url, {"body": f" {BODY} "}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["side"] == "claimant"
    assert response.json()["body"] == BODY
    assert response.json()["office_phone"] == "042-608-6111"
    for reader in (offices["coord_seo"], donor_rep):
        response = _api(reader).get(url)
        assert response.status_code == 200
        [message] = response.json()
        assert message["body"] == BODY and message["office"] == "대덕구청 복지정책과"
        assert set(message) == {"id", "side", "office", "office_phone", "body", "created_at"}


def test_api_refusals(matched, people, finance, other_rep):
    url = f"/api/v1/claims/{matched.pk}/messages/"
    claim_message_post(matched, people["cm_daedeok"], BODY)
    for outsider in (people["cm_seo"], people["coord_daedeok"], other_rep):
        for response in (
            _api(outsider).get(url),
            _api(outsider).post(url, {"body": "안녕"}, content_type="application/json"),
        ):
            assert response.status_code == 404
            assert BODY not in response.content.decode()
    for response in (
        _api(finance).get(url),
        _api(finance).post(url, {"body": "안녕"}, content_type="application/json"),
    ):
        assert response.status_code == 403
        assert BODY not in response.content.decode()
    # Finance reads the claim itself, without the household.
    response = _api(finance).get(f"/api/v1/claims/{matched.pk}/")
    assert response.status_code == 200 and response.json()["household"] is None
    assert ClaimMessage.objects.count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"body": ""},
        {"body": "   "},
        {"body": "가" * 2001},
        {"body": "900101-1234567"},
        {"body": ["a"]},
        {"body": "인계\u0000시간"},
    ],
)
def test_api_bad_body_is_400_with_the_field(matched, offices, payload):
    response = _api(offices["cm_daedeok"]).post(
        f"/api/v1/claims/{matched.pk}/messages/", payload, content_type="application/json"
    )
    assert response.status_code == 400, payload
    assert "body" in response.json()["fields"]
    assert not ClaimMessage.objects.exists()


def test_api_closed_claim_is_a_conflict(matched, offices):
    claim_cancel(claim=matched, by=offices["cm_daedeok"], reason="가구 사정 변경")
    response = _api(offices["coord_seo"]).post(
        f"/api/v1/claims/{matched.pk}/messages/", {"body": BODY}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_reading_the_thread_costs_the_same_however_long_it_is(matched, offices, donor_rep):
    def cost(path: str) -> int:
        client = _client(offices["coord_seo"])
        client.get(path)  # the session's first read
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    paths = (f"/claims/{matched.pk}/", f"/api/v1/claims/{matched.pk}/messages/")
    claim_message_post(matched, offices["cm_daedeok"], BODY)
    few = [cost(path) for path in paths]
    for n in range(6):
        claim_message_post(matched, donor_rep if n % 2 else offices["cm_daedeok"], f"{BODY} {n}")
    assert [cost(path) for path in paths] == few
