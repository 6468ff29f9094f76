"""The bulk import of listings: reading CSV (UTF-8, CP949) and XLSX files, each
row checked as the new-listing form checks it (with its problems in Korean),
the file refused as a whole when it cannot be read, and the import itself all
or nothing, as drafts."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from audit.models import TransitionLog
from marketplace.exceptions import IllegalTransition, InvalidRequest
from marketplace.imports import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    ImportFileError,
    check_listing_rows,
    read_listing_file,
    template_rows,
    template_xlsx,
)
from marketplace.models import Listing, ListingImport, ListingState
from marketplace.services import import_listings
from people.models import RegionMembership
from tests.helpers import run_parallel

HEADER = [
    "지역코드",
    "종류",
    "분류코드",
    "제목",
    "설명",
    "수량",
    "단위",
    "단위당 환가액",
    "시작일",
    "종료일",
    "수령 안내",
]


@pytest.fixture(autouse=True)
def _korean():
    with translation.override("ko"):
        yield


def today() -> datetime.date:
    return timezone.localdate()


def row(region, **changes) -> list:
    values = {
        "지역코드": region.code,
        "종류": "물품",
        "분류코드": "daily_living.side_dishes",
        "제목": "밑반찬 세트",
        "설명": "냉장 보관",
        "수량": "10",
        "단위": "상자",
        "단위당 환가액": "20,000",
        "시작일": today().isoformat(),
        "종료일": (today() + datetime.timedelta(days=30)).isoformat(),
        "수령 안내": "주민센터 1층",
    }
    values.update(changes)
    return [values[column] for column in HEADER]


def csv_bytes(rows: list[list], *, encoding: str = "utf-8-sig", header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def coordinator(people):
    return people["coord_seo"]


@pytest.fixture
def seo(daejeon):
    return daejeon["서구"]


def check(user, name: str, data: bytes):
    return check_listing_rows(user, read_listing_file(name, data))


# --- reading files -----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp949", "euc-kr"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_cp949(
    coordinator, seo, daejeon, categories, encoding
):
    data = csv_bytes(
        [row(seo), row(daejeon["관저2동"], 제목="겨울 이불", 종류="서비스")], encoding=encoding
    )
    rows = check(coordinator, "목록.csv", data)
    assert [r.line for r in rows] == [2, 3]
    assert all(r.ok for r in rows), [r.errors for r in rows]
    assert rows[0].values["title"] == "밑반찬 세트"
    assert rows[1].cleaned["title"] == "겨울 이불"
    assert rows[1].cleaned["region"] == daejeon["관저2동"]
    assert rows[1].cleaned["kind"] == "service"
    assert rows[0].cleaned["value_per_unit"].amount == 20_000
    assert rows[0].cleaned["category"] == categories["daily_living.side_dishes"]


def test_xlsx_first_sheet_with_numbers_and_dates_as_cells(coordinator, seo):
    start = datetime.datetime.combine(today(), datetime.time())
    data = xlsx_bytes(
        [
            [
                int(seo.code),
                "goods",
                "daily_living.side_dishes",
                "쌀 10kg",
                None,
                5,
                "포대",
                30000.0,
                start,
                None,
                None,
            ],
        ]
    )
    (only,) = check(coordinator, "listings.XLSX", data)
    assert only.ok, only.errors
    assert only.line == 2
    assert only.values["region"] == seo.code
    assert only.cleaned["quantity"] == 5
    assert only.cleaned["available_from"] == today()
    assert only.cleaned["available_until"] is None


def test_english_column_names_and_blank_rows_keep_file_row_numbers(coordinator, seo):
    header = [
        "region",
        "kind",
        "category",
        "title",
        "description",
        "quantity",
        "unit",
        "value_per_unit",
        "available_from",
        "available_until",
        "pickup_notes",
    ]
    data = csv_bytes([[], row(seo), ["", "", ""], row(seo, 제목="두 번째")], header=header)
    rows = check(coordinator, "x.csv", data)
    assert [r.line for r in rows] == [3, 5]
    assert [r.cleaned["title"] for r in rows] == ["밑반찬 세트", "두 번째"]


def test_volunteer_hours_need_no_value(coordinator, seo):
    (only,) = check(
        coordinator,
        "x.csv",
        csv_bytes([row(seo, 종류="자원봉사 시간", 단위="시간", **{"단위당 환가액": ""})]),
    )
    assert only.ok, only.errors
    assert only.cleaned["value_per_unit"] is None


# --- each row's problems, in Korean next to its field -------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"시작일": "2026-13-45"}, "available_from", "날짜를 입력하세요. 예: 2026-03-01"),
        ({"종료일": "3000-01-01"}, "available_until", "2000-01-01"),
        ({"단위당 환가액": ""}, "value_per_unit", "환가액을 원 단위로 입력하세요."),
        ({"단위당 환가액": "300"}, "value_per_unit", "1포인트"),
        ({"분류코드": "no.such.category"}, "category", "목록에 있는 분류를 고르세요."),
        ({"지역코드": "3023000000"}, "region", "담당하는 동 또는 구의 10자리 지역코드"),
        ({"지역코드": "30170"}, "region", "담당하는 동 또는 구의 10자리 지역코드"),
        ({"수량": "0"}, "quantity", "1"),
        ({"수량": "열 개"}, "quantity", "정수를 입력하세요"),
        ({"종류": "음식"}, "kind", "목록에 있는 유형을 고르세요."),
        ({"제목": ""}, "title", "필수 항목입니다."),
        ({"제목": "(예시) 밑반찬 세트"}, "title", "예시 행입니다"),
    ],
)
def test_a_bad_row_has_its_problem_in_korean_at_its_field(
    coordinator, seo, changes, field, message
):
    rows = check(coordinator, "x.csv", csv_bytes([row(seo), row(seo, **changes), row(seo)]))
    good, bad, last = rows
    assert good.ok and last.ok
    assert not bad.ok
    assert bad.line == 3
    assert bad.cleaned is None
    assert message in " ".join(bad.errors[field]), bad.errors
    assert set(bad.errors) == {field}


def test_end_before_start_is_refused_at_the_end_date(coordinator, seo):
    (bad,) = check(
        coordinator,
        "x.csv",
        csv_bytes([row(seo, 종료일=(today() - datetime.timedelta(days=1)).isoformat())]),
    )
    assert bad.errors == {"available_until": ["시작일보다 빠른 날짜입니다."]}


def test_start_long_ago_is_refused_as_the_new_listing_form_does(coordinator, seo):
    (bad,) = check(
        coordinator,
        "x.csv",
        csv_bytes([row(seo, 시작일=(today() - datetime.timedelta(days=90)).isoformat())]),
    )
    assert list(bad.errors) == ["available_from"]
    assert "30일" in bad.errors["available_from"][0]


def test_the_template_is_read_back_with_its_example_row_refused(coordinator, seo):
    rows = template_rows(seo.code, today())
    for name, data in [
        ("template.xlsx", template_xlsx(rows)),
        ("template.csv", csv_bytes(rows[1:], header=rows[0])),
    ]:
        (example,) = check(coordinator, name, data)
        assert list(example.errors) == ["title"]
        assert "예시 행" in example.errors["title"][0]


# --- the whole file refused --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.txt", b"a,b\n1,2\n", "CSV 또는 XLSX 파일"),
        ("x", b"a,b\n1,2\n", "CSV 또는 XLSX 파일"),
        ("x.pdf", b"%PDF-1.4", "CSV 또는 XLSX 파일"),
        ("x.csv", b"", "비어 있습니다"),
        ("x.csv", b"\n\n , \n", "비어 있습니다"),
        ("x.csv", "\ufeff".encode() + b"", "비어 있습니다"),
        ("x.csv", "지역코드,제목\n".encode(), "없는 열: 종류, 분류코드, 수량, 단위, 시작일"),
        ("x.csv", ",".join(HEADER).encode() + b"\n", "자원 행이 없습니다"),
        ("x.csv", ("제목,제목," + ",".join(HEADER)).encode(), "두 번"),
        ("x.csv", b"\xff\xfe\x00a\x00b", "UTF-8 또는 CP949"),
        ("x.csv", b"\x80\x81\xff\xfe", "UTF-8 또는 CP949"),
        ("x.csv", ",".join(HEADER).encode() + b'\n"unclosed', "손상"),
        ("x.csv", b"PK\x03\x04 zip", "CSV 또는 XLSX 파일"),
        ("x.xlsx", b"PK\x03\x04 not really", "XLSX 파일을 읽을 수 없습니다"),
        ("x.xlsx", b"a,b\n", "XLSX 파일을 읽을 수 없습니다"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_one_clear_message(db, name, data, message):
    with pytest.raises(ImportFileError) as refused:
        read_listing_file(name, data)
    assert message in refused.value.message


def test_a_zip_that_is_not_a_workbook_is_refused(db):
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "안녕")
    with pytest.raises(ImportFileError) as refused:
        read_listing_file("x.xlsx", out.getvalue())
    assert "XLSX 파일을 읽을 수 없습니다" in refused.value.message


def test_too_many_rows_are_refused(coordinator, seo):
    data = csv_bytes([row(seo)] * (MAX_ROWS + 1))
    with pytest.raises(ImportFileError) as refused:
        read_listing_file("x.csv", data)
    assert refused.value.message == (
        "한 파일에는 자원을 1,000행까지 넣을 수 있습니다. 여러 파일로 나누세요."
    )
    assert len(read_listing_file("x.csv", csv_bytes([row(seo)] * MAX_ROWS))) == MAX_ROWS


def test_a_sheet_of_endless_blank_rows_is_refused_as_too_many_rows(db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.cell(row=200_000, column=1, value="3017000000")
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ImportFileError) as refused:
        read_listing_file("x.xlsx", out.getvalue())
    assert "1,000행" in refused.value.message


def test_too_big_a_file_is_refused(db):
    data = b"a" * (MAX_FILE_BYTES + 1)
    with pytest.raises(ImportFileError) as refused:
        read_listing_file("x.csv", data)
    assert refused.value.message == "파일이 2MB보다 큽니다. 여러 파일로 나누세요."


# --- fuzz: anything is read or refused cleanly ---------------------------------------------


FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(["x.csv", "x.xlsx", "x.CSV", "x"]))
def test_random_bytes_are_read_or_refused_cleanly(db, data, name):
    try:
        records = read_listing_file(name, data)
    except ImportFileError as error:
        assert error.message
    else:
        assert records and all(isinstance(values, dict) for _line, values in records)


@FUZZ
@given(
    data=st.binary(max_size=2048),
    prefix=st.sampled_from([b"PK\x03\x04", b""]),
)
def test_random_zips_are_refused_cleanly(db, data, prefix):
    with pytest.raises(ImportFileError):
        read_listing_file("x.xlsx", prefix + data)


@FUZZ
@given(
    cells=st.lists(
        st.lists(st.one_of(st.text(max_size=30), st.sampled_from(HEADER)), max_size=14),
        max_size=12,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_random_csv_text_is_checked_or_refused_cleanly(coordinator, cells, encoding):
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *cells] if cells[:1] != [[]] else cells)
    try:
        records = read_listing_file("x.csv", out.getvalue().encode(encoding, "surrogatepass"))
    except (ImportFileError, UnicodeEncodeError):
        return
    for result in check_listing_rows(coordinator, records):
        assert result.ok == (result.cleaned is not None)
        assert all(isinstance(m, str) for ms in result.errors.values() for m in ms)


CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(9999, 12, 31)),
    st.booleans(),
    st.sampled_from([*HEADER, "물품", "3017000000", "daily_living.side_dishes"]),
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cells=st.lists(st.lists(CELL, max_size=13), max_size=8),
    with_header=st.booleans(),
)
def test_random_workbooks_are_checked_or_refused_cleanly(coordinator, cells, with_header):
    workbook = Workbook()
    sheet = workbook.active
    for values in [HEADER, *cells] if with_header else cells:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    try:
        records = read_listing_file("x.xlsx", out.getvalue())
    except ImportFileError as error:
        assert error.message
        return
    for result in check_listing_rows(coordinator, records):
        assert result.ok == (result.cleaned is not None)


# --- the import ----------------------------------------------------------------------------


def test_import_creates_every_row_as_a_draft_posted_by_the_coordinator_and_logged(
    coordinator, seo, daejeon
):
    rows = check(
        coordinator,
        "x.csv",
        csv_bytes([row(seo), row(daejeon["관저2동"], 제목="겨울 이불")]),
    )
    created = import_listings(coordinator, [r.cleaned for r in rows])
    assert [listing.title for listing in created] == ["밑반찬 세트", "겨울 이불"]
    for listing in Listing.objects.filter(pk__in=[c.pk for c in created]):
        assert listing.state == ListingState.DRAFT
        assert listing.posted_by == coordinator
        assert listing.published_at is None
        assert listing.donor is None
    logged = TransitionLog.objects.filter(
        object_type=ContentType.objects.get_for_model(Listing),
        object_id__in=[str(c.pk) for c in created],
        transition="create",
        by=coordinator,
    )
    assert logged.count() == 2


def test_import_is_all_or_nothing_when_a_row_is_refused_at_import(coordinator, seo, daejeon):
    rows = check(coordinator, "x.csv", csv_bytes([row(seo), row(seo, 제목="둘째")]))
    cleaned = [r.cleaned for r in rows]
    # The second row names a region outside the coordinator's posts (as a
    # tampered or stale row would): the first must not be kept either.
    cleaned[1] = {**cleaned[1], "region": daejeon["대덕구"]}
    before = Listing.objects.count()
    with pytest.raises(InvalidRequest) as refused:
        import_listings(coordinator, cleaned)
    assert refused.value.message.startswith("3행: ")
    assert Listing.objects.count() == before


def test_an_ended_post_fails_the_rows_checked_again(coordinator, seo):
    records = read_listing_file("x.csv", csv_bytes([row(seo)]))
    assert check_listing_rows(coordinator, records)[0].ok
    # The post ended yesterday (it began last month).
    RegionMembership.objects.filter(user=coordinator).update(
        starts_on=today() - datetime.timedelta(days=30),
        ends_on=today() - datetime.timedelta(days=1),
    )
    (again,) = check_listing_rows(coordinator, records)
    assert list(again.errors) == ["region"]


def test_import_of_nothing_is_refused(coordinator):
    with pytest.raises(InvalidRequest):
        import_listings(coordinator, [])


def test_an_import_key_is_used_once(coordinator, seo):
    rows = [r.cleaned for r in check(coordinator, "x.csv", csv_bytes([row(seo)]))]
    import_listings(coordinator, rows, key="preview-1", file_name="자원.csv")
    record = ListingImport.objects.get(key="preview-1")
    assert (record.by, record.rows, record.file_name) == (coordinator, 1, "자원.csv")
    with pytest.raises(IllegalTransition) as refused:
        import_listings(coordinator, rows, key="preview-1")
    assert refused.value.message == "이 행들은 이미 가져왔습니다."
    assert Listing.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_sent_twice_at_once_imports_once(people, daejeon):
    coordinator = people["coord_seo"]
    with translation.override("ko"):
        rows = [
            r.cleaned for r in check(coordinator, "x.csv", csv_bytes([row(daejeon["서구"])] * 20))
        ]
    results = run_parallel(4, lambda i: import_listings(coordinator, rows, key="same-preview"))
    done = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, IllegalTransition)]
    assert (len(done), len(refused)) == (1, 3), results
    assert Listing.objects.count() == 20
    assert ListingImport.objects.filter(key="same-preview").count() == 1
