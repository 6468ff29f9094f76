"""Bulk import of listings from a spreadsheet (CSV or XLSX).

A coordinator uploads a file whose first row names the columns (in Korean, or
the listing's field names in English); every further row is one listing.
`read_listing_file` turns the file into rows of text, or refuses the whole
file with one `ImportFileError` (not CSV/XLSX, broken, too big, too many rows,
required columns missing, nothing in it). `check_listing_rows` then checks each
row with the new-listing form itself (`ListingForm`, with the regions the
coordinator covers) and the service's rules for the terms
(`listing_terms_problems`), so a row is accepted exactly when the form would
accept it. Writing is `services.import_listings`: all rows or none, as drafts.

The files are untrusted: sizes are bounded before parsing (the file, the
unpacked XLSX, the rows read including blank ones, the columns), and any
failure of the parsers is the one clean refusal, never a server error.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from marketplace.exceptions import InvalidRequest
from marketplace.forms import ListingForm
from marketplace.models import ResourceKind
from marketplace.services import listing_terms_problems
from people.models import Role, User
from people.permissions import regions_for
from regions.models import Level

#: Largest file accepted (below the request limit of DATA_UPLOAD_MAX_MEMORY_SIZE).
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Most listings in one file.
MAX_ROWS = 1000
#: Rows read at most, blank ones included (a sheet may claim a million empty rows).
MAX_SCANNED_ROWS = 10 * MAX_ROWS
#: Columns read at most; any further columns are ignored.
MAX_COLUMNS = 30
#: Largest unpacked size of an XLSX file (a small zip can unpack to gigabytes).
MAX_XLSX_UNPACKED_BYTES = 40 * 1024 * 1024
#: Longest cell kept; the form's own limits are far lower, so a longer cell is
#: refused by the form all the same.
MAX_CELL_CHARS = 4000

#: The listing's fields in the order of the template's columns, with the
#: template's column names. They are the file's own words, so the pages name
#: the columns so in any language.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("region", "지역코드"),
    ("kind", "종류"),
    ("category", "분류코드"),
    ("title", "제목"),
    ("description", "설명"),
    ("quantity", "수량"),
    ("unit", "단위"),
    ("value_per_unit", "단위당 환가액"),
    ("available_from", "시작일"),
    ("available_until", "종료일"),
    ("pickup_notes", "수령 안내"),
)
FIELDS = tuple(name for name, _label in COLUMNS)

#: The Korean column names of the template (whatever the page's language), and
#: a few other names offices use. Compared without spaces.
KOREAN_HEADERS = {
    "지역코드": "region",
    "지역": "region",
    "종류": "kind",
    "유형": "kind",
    "분류코드": "category",
    "분류": "category",
    "제목": "title",
    "설명": "description",
    "수량": "quantity",
    "단위": "unit",
    "단위당환가액": "value_per_unit",
    "환가액": "value_per_unit",
    "시작일": "available_from",
    "제공시작일": "available_from",
    "종료일": "available_until",
    "제공종료일": "available_until",
    "수령안내": "pickup_notes",
    "수령·배송안내": "pickup_notes",
}
ENGLISH_HEADERS = {name: name for name in FIELDS} | {
    "value_per_unit_krw": "value_per_unit",
    "region_code": "region",
    "category_code": "category",
}
REQUIRED_COLUMNS = ("region", "kind", "category", "title", "quantity", "unit", "available_from")
NUMBER_FIELDS = ("quantity", "value_per_unit")
#: The title of the template's example row starts with this; such a row is refused.
EXAMPLE_MARK = "(예시)"

_THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+$")


class ImportFileError(InvalidRequest):
    """A file that cannot be read as a listing import at all."""

    code = "invalid_import_file"


@dataclass
class ImportRow:
    """One row of the file: its row number as a spreadsheet shows it (the header
    is row 1), the text of each column, and either the cleaned values (the
    region and the listing's terms, as `import_listings` takes them) or the
    problems, as lists of messages per field ("row" for the row as a whole)."""

    line: int
    values: dict[str, str]
    cleaned: dict[str, Any] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: What a code stands for, per field ("서구 관저2동" for a region code).
    names: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def cells(self) -> list[dict[str, Any]]:
        """Each column's value with its problems, in the template's order."""
        return [
            {
                "field": name,
                "column": column,
                "value": self.values.get(name, ""),
                "name": self.names.get(name, ""),
                "errors": self.errors.get(name, []),
            }
            for name, column in COLUMNS
        ]


# --- reading the file ------------------------------------------------------------------------


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lstrip("\ufeff").strip().lower()
    text = re.sub(r"\((원|krw)\)$", "", text).strip()
    return re.sub(r"\s+", "", text)


def _column_map(header: list[str]) -> dict[int, str]:
    """Column index → field, from the header row; refuses duplicates and missing
    required columns. Unknown columns are left out."""
    korean = {_header_key(k): v for k, v in KOREAN_HEADERS.items()}
    english = {_header_key(k): v for k, v in ENGLISH_HEADERS.items()}
    columns: dict[int, str] = {}
    for index, text in enumerate(header):
        key = _header_key(text)
        name = korean.get(key) or english.get(key)
        if name is None:
            continue
        if name in columns.values():
            raise ImportFileError(
                _("The column %(name)s appears twice in the first row.") % {"name": text.strip()}
            )
        columns[index] = name
    missing = [name for name in REQUIRED_COLUMNS if name not in columns.values()]
    if missing:
        labels = dict(COLUMNS)
        raise ImportFileError(
            _("The first row must name the columns. Missing: %(columns)s.")
            % {"columns": ", ".join(labels[name] for name in missing)}
        )
    return columns


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a form field takes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)[:MAX_CELL_CHARS]


def _rows_to_records(rows: Any) -> list[tuple[int, dict[str, str]]]:
    """(row number, {field: text}) for every row after the header that is not blank."""
    header: list[str] | None = None
    columns: dict[int, str] = {}
    records: list[tuple[int, dict[str, str]]] = []
    for line, row in enumerate(rows, start=1):
        if line > MAX_SCANNED_ROWS:
            raise ImportFileError(_too_many_rows())
        cells = [_cell_text(value).strip() for value in list(row)[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if header is None:
            header = cells
            columns = _column_map(header)
            continue
        if len(records) >= MAX_ROWS:
            raise ImportFileError(_too_many_rows())
        values = {name: "" for name in FIELDS}
        for index, name in columns.items():
            if index < len(cells):
                values[name] = cells[index]
        records.append((line, values))
    if header is None:
        raise ImportFileError(_("The file is empty."))
    if not records:
        raise ImportFileError(_("The file has a header row but no listing below it."))
    return records


def _too_many_rows() -> str:
    return _("A file may hold at most %(rows)s listings; split it into several files.") % {
        "rows": f"{MAX_ROWS:,}"
    }


def _decode_csv(data: bytes) -> str:
    # Offices' spreadsheet programs write CSV in UTF-8 (often with a byte-order
    # mark) or in CP949, the Windows superset of EUC-KR.
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ImportFileError(
        _("The file could not be read as text. Save it as CSV in UTF-8 or CP949 (EUC-KR).")
    )


def _read_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    text = _decode_csv(data)
    try:
        return _rows_to_records(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        raise ImportFileError(
            _("The CSV file is broken (such as a quote that is never closed).")
        ) from None


def _read_xlsx(data: bytes) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    broken = _("The XLSX file could not be read. Save it again in Excel and upload it once more.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportFileError(broken) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(too_big_message())
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(broken) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The file is empty."))
        sheet = workbook.worksheets[0]
        if not hasattr(sheet, "iter_rows"):
            raise ImportFileError(broken)
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        try:
            return _rows_to_records(rows)
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError(broken) from None
    finally:
        workbook.close()


def too_big_message() -> str:
    return _("The file is larger than %(size)s MB; split it into several files.") % {
        "size": MAX_FILE_BYTES // (1024 * 1024)
    }


def read_listing_file(name: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The listing rows of an uploaded file: (row number, {field: text}) each.
    Refuses the whole file with `ImportFileError` when it cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(too_big_message())
    if not data:
        raise ImportFileError(_("The file is empty."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    is_zip = data[:4] == b"PK\x03\x04"
    if extension == "xlsx":
        return _read_xlsx(data)
    if extension == "csv" and not is_zip:
        return _read_csv(data)
    raise ImportFileError(_("Upload a CSV or XLSX file (.csv or .xlsx)."))


# --- checking the rows -----------------------------------------------------------------------


#: Kinds as offices write them, compared without spaces and in lower case.
KIND_NAMES = {
    "물품": ResourceKind.GOODS,
    "서비스": ResourceKind.SERVICE,
    "자원봉사시간": ResourceKind.VOLUNTEER_HOURS,
    "자원봉사": ResourceKind.VOLUNTEER_HOURS,
    "goods": ResourceKind.GOODS,
    "service": ResourceKind.SERVICE,
    "volunteerhours": ResourceKind.VOLUNTEER_HOURS,
    "volunteer_hours": ResourceKind.VOLUNTEER_HOURS,
}


def _kind_code(text: str) -> str:
    """A kind as written in a spreadsheet — its code, its Korean or English name —
    as the form's choice; anything else is left for the form to refuse."""
    return KIND_NAMES.get(re.sub(r"\s+", "", text).lower(), text)


def _form_data(values: dict[str, str]) -> dict[str, str]:
    data = dict(values)
    data["kind"] = _kind_code(data.get("kind", ""))
    for name in NUMBER_FIELDS:
        text = data.get(name, "").removesuffix("원").strip()
        # "20,000" as spreadsheets format it; anything else is the form's to judge.
        data[name] = text.replace(",", "") if _THOUSANDS.match(text) else text
    return data


def check_listing_rows(user: User, records: list[tuple[int, dict[str, str]]]) -> list[ImportRow]:
    """Each row checked as the new-listing form checks one listing, with the
    regions `user` coordinates today."""
    blank = ListingForm(regions=regions_for(user, Role.COORDINATOR))
    blank.fields["region"].error_messages["invalid_choice"] = _(
        "Enter the 10-digit code of a dong or district you coordinate."
    )
    region_names = _region_names(blank)
    results = []
    for line, values in records:
        form = ListingForm(_form_data(values), fields_from=blank)
        form.is_valid()
        errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        data = form.cleaned_data
        if "kind" in data:
            terms = {
                "kind": data["kind"],
                "value_per_unit": data.get("value_per_unit"),
                "available_from": data.get("available_from"),
                "available_until": data.get("available_until"),
            }
            for name, messages in listing_terms_problems(terms).items():
                if name not in errors:
                    errors[name] = [str(m) for m in messages]
        if values.get("title", "").startswith(EXAMPLE_MARK):
            errors.setdefault("title", []).append(
                _("This is the template's example row: delete it or replace it with a listing.")
            )
        if "__all__" in errors:
            errors["row"] = errors.pop("__all__")
        row = ImportRow(line=line, values=values, errors=errors)
        if data.get("region") is not None:
            row.names["region"] = region_names.get(data["region"].code, "")
        if data.get("category") is not None:
            row.names["category"] = data["category"].name
        if not errors:
            row.cleaned = {"line": line, "region": data["region"], **form.service_fields()}
        results.append(row)
    return results


def _region_names(form: ListingForm) -> dict[str, str]:
    """Region code → "서구 관저2동" (a district: its name), from the choices of
    the form's region field, which group the regions under their district."""
    regions = form.fields["region"].by_code
    names = {}
    for group, options in form.fields["region"].choices[1:]:
        for code, _label in options:
            region = regions[code]
            names[code] = group if region.level == Level.DISTRICT else f"{group} {region.name}"
    return names


def error_count(rows: list[ImportRow]) -> int:
    return sum(1 for row in rows if not row.ok)


# --- the template ----------------------------------------------------------------------------


def template_rows(region_code: str, today: datetime.date) -> list[list[Any]]:
    """The header row (Korean column names) and one example row, marked as such."""
    header = [column for _name, column in COLUMNS]
    example = [
        region_code,
        "물품",
        "daily_living.side_dishes",
        f"{EXAMPLE_MARK} 밑반찬 세트",
        "이 행은 예시입니다. 지우고 자원을 한 행에 하나씩 적으세요.",
        10,
        "상자",
        20000,
        today.isoformat(),
        (today + datetime.timedelta(days=30)).isoformat(),
        "주민센터 1층에서 평일 9–18시 수령",
    ]
    return [header, example]


def template_xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("자원")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
