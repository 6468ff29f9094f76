"""The bulk import pages (listings/import/): who may use them, the preview with
each row's problems in Korean, the import as drafts (all or none), and the
template downloads."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import TransitionLog
from exchange.import_views import SESSION_KEY
from marketplace.imports import MAX_FILE_BYTES
from marketplace.models import Listing, ListingImport, ListingState
from people.models import RegionMembership, Role
from tests.marketplace.test_imports import HEADER, csv_bytes, row, xlsx_bytes

URL = "/listings/import/"


def upload(client, data: bytes, name: str = "자원.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "no confirm form"
    return found.group(1)


@pytest.fixture
def coordinator(client, people):
    client.force_login(people["coord_seo"])
    return people["coord_seo"]


# --- who may ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    for response in (client.get(URL), client.get(URL + "template.csv")):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["cm_seo", "nobody"])
def test_case_managers_and_people_without_a_post_get_the_bare_403(
    client, people, daejeon, django_user_model, who
):
    if who == "nobody":
        user = django_user_model.objects.create_user(username="nobody", password="pw-x")
    else:
        user = people[who]
    client.force_login(user)
    before = Listing.objects.count()
    for response in (
        client.get(URL),
        client.get(URL + "template.xlsx"),
        upload(client, csv_bytes([row(daejeon["서구"])])),
        client.post(URL, {"token": "anything"}),
    ):
        assert response.status_code == 403
        html = response.content.decode()
        assert "지역코드" not in html and "밑반찬" not in html
    assert Listing.objects.count() == before


def test_the_upload_page_links_the_templates_and_is_linked_from_the_dashboard(client, coordinator):
    html = client.get(URL).content.decode()
    assert "<h1>자원 일괄 가져오기</h1>" in html
    assert 'href="/listings/import/template.csv"' in html
    assert 'href="/listings/import/template.xlsx"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'data-action="confirm-import"' not in html
    assert 'data-action="import-listings"' in client.get("/dashboard/").content.decode()
    assert 'data-action="import-listings"' in client.get("/listings/new/").content.decode()


# --- templates -------------------------------------------------------------------------------


def test_csv_template_has_the_korean_header_and_a_marked_example_row(client, coordinator, daejeon):
    response = client.get(URL + "template.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    header, example = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header == HEADER
    assert example[0] == daejeon["서구"].code
    assert example[3].startswith("(예시)")


def test_xlsx_template_has_the_korean_header_and_a_marked_example_row(client, coordinator):
    response = client.get(URL + "template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, example = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == HEADER
    assert example[3].startswith("(예시)")


def test_an_unknown_template_format_is_not_found(client, coordinator):
    assert client.get(URL + "template.pdf").status_code == 404


# --- preview ---------------------------------------------------------------------------------


def test_a_file_with_a_bad_row_shows_its_errors_in_place_and_offers_no_import(
    client, coordinator, daejeon
):
    seo = daejeon["서구"]
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = upload(
        client,
        csv_bytes([row(seo), row(seo, 종료일=yesterday, 분류코드="nothing"), row(seo)]),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "3행 중 1행 오류" in html
    bad = re.search(r'<tr data-line="3" class="row-error">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-field="available_until" class="has-error">[^<]*<div', bad)
    assert "시작일보다 빠른 날짜입니다." in bad
    assert "목록에 있는 분류를 고르세요." in bad
    assert '<tr data-line="2" class="row-ok">' in html
    assert 'data-action="confirm-import"' not in html
    assert 'name="token"' not in html
    assert SESSION_KEY not in client.session
    assert not Listing.objects.exists()


def test_rows_of_a_region_the_coordinator_does_not_cover_are_refused(client, coordinator, daejeon):
    response = upload(client, csv_bytes([row(daejeon["대덕구"])]))
    assert response.status_code == 422
    html = response.content.decode()
    assert "1행 중 1행 오류" in html
    assert "담당하는 동 또는 구의 10자리 지역코드를 입력하세요." in html
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("자원.hwp", b"anything", "CSV 또는 XLSX 파일(.csv, .xlsx)만 올릴 수 있습니다."),
        ("자원.csv", b"", "파일이 비어 있습니다."),
        ("자원.csv", b"\x00\x01\x02\xff", "UTF-8 또는 CP949"),
        ("자원.xlsx", b"PK\x03\x04garbage", "XLSX 파일을 읽을 수 없습니다."),
        (
            "자원.csv",
            "제목,수량\n이불,3\n".encode(),
            "없는 열: 지역코드, 종류, 분류코드, 단위, 시작일",
        ),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_error_at_the_field(
    client, coordinator, name, data, message
):
    response = upload(client, data, name)
    assert response.status_code == 422
    html = response.content.decode()
    error = re.search(r'id="id_file-error"[^>]*>(.*?)</div>', html, re.S)
    assert error and message in error.group(1), html[-3000:]
    assert not Listing.objects.exists()


def test_too_big_a_file_is_refused_before_it_is_read(client, coordinator, daejeon):
    data = csv_bytes([row(daejeon["서구"])]) + b" " * MAX_FILE_BYTES
    response = upload(client, data)
    assert response.status_code == 422
    assert "파일이 2MB보다 큽니다. 여러 파일로 나누세요." in response.content.decode()


def test_no_file_at_all_is_a_422_next_to_the_field(client, coordinator):
    response = client.post(URL, {})
    assert response.status_code == 422
    assert "올릴 파일을 고르세요." in response.content.decode()


# --- import ----------------------------------------------------------------------------------


def test_a_clean_file_is_previewed_then_imported_as_drafts(client, coordinator, daejeon):
    seo = daejeon["서구"]
    data = xlsx_bytes([row(seo), row(daejeon["관저2동"], 제목="겨울 이불")])
    preview = upload(client, data, "자원.xlsx")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "2행 중 0행 오류" in html
    assert "2건을 초안으로 가져오기" in html
    # Codes are shown with what they stand for.
    assert '<div class="hint">서구 관저2동</div>' in html
    assert '<div class="hint">밑반찬 지원</div>' in html
    # Previewing writes no listing.
    assert not Listing.objects.exists()

    response = client.post(URL, {"token": token_of(html)}, follow=True)
    assert response.redirect_chain == [("/dashboard/", 302)]
    assert "2건을 초안으로 가져왔습니다." in response.content.decode()
    listings = list(Listing.objects.order_by("pk"))
    assert [listing.title for listing in listings] == ["밑반찬 세트", "겨울 이불"]
    assert {listing.state for listing in listings} == {ListingState.DRAFT}
    assert {listing.posted_by for listing in listings} == {coordinator}
    assert TransitionLog.objects.filter(transition="create", by=coordinator).count() == 2
    # The drafts are on the coordinator's dashboard.
    dashboard = response.content.decode()
    assert dashboard.count('data-state="draft"') >= 2
    assert SESSION_KEY not in client.session


def test_the_same_preview_cannot_be_imported_twice(client, coordinator, daejeon):
    token = token_of(upload(client, csv_bytes([row(daejeon["서구"])])).content.decode())
    assert client.post(URL, {"token": token}).status_code == 302
    again = client.post(URL, {"token": token})
    assert again.status_code == 409
    assert "파일을 다시 올리세요" in again.content.decode()
    assert Listing.objects.count() == 1


def test_a_confirmation_whose_key_was_used_is_refused_as_already_done(client, coordinator, daejeon):
    html = upload(client, csv_bytes([row(daejeon["서구"])])).content.decode()
    # As when the button was pressed twice and the other press won.
    ListingImport.objects.create(key=token_of(html), by=coordinator, rows=1)
    response = client.post(URL, {"token": token_of(html)})
    assert response.status_code == 409
    assert "이 행들은 이미 가져왔습니다." in response.content.decode()
    assert not Listing.objects.exists()


def test_a_forged_token_imports_nothing(client, coordinator, daejeon):
    upload(client, csv_bytes([row(daejeon["서구"])]))
    for forged in ("forged", "가짜 토큰", ""):
        response = client.post(URL, {"token": forged})
        assert response.status_code == 409
    assert not Listing.objects.exists()


def test_rows_are_checked_again_at_the_import(client, people, daejeon, make_member):
    # A coordinator of two districts whose post in one ends between preview and import.
    user = make_member(daejeon["서구"], Role.COORDINATOR, username="two_posts")
    make_member_post = RegionMembership.objects.create(
        user=user, region=daejeon["대덕구"], role=Role.COORDINATOR
    )
    client.force_login(user)
    data = csv_bytes([row(daejeon["서구"]), row(daejeon["대덕구"], 제목="대덕구 이불")])
    token = token_of(upload(client, data).content.decode())
    RegionMembership.objects.filter(pk=make_member_post.pk).update(
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    response = client.post(URL, {"token": token})
    assert response.status_code == 422
    html = response.content.decode()
    assert "2행 중 1행 오류" in html
    assert 'data-action="confirm-import"' not in html
    assert not Listing.objects.exists()


def test_a_thousand_rows_import_in_one_go(client, coordinator, daejeon):
    data = csv_bytes([row(daejeon["서구"], 제목=f"자원 {n}") for n in range(1000)])
    preview = upload(client, data)
    assert preview.status_code == 200
    assert "1,000행 중 0행 오류" in preview.content.decode()
    response = client.post(URL, {"token": token_of(preview.content.decode())}, follow=True)
    assert "1,000건을 초안으로 가져왔습니다." in response.content.decode()
    assert Listing.objects.filter(state=ListingState.DRAFT).count() == 1000
