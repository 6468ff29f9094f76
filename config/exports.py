"""Downloads of what the pages show: CSV and XLSX from one shape.

An export is one or more `Sheet`s: a title, a header row and rows (any
iterable, read once, so a queryset's `.iterator()` streams). `export_response`
answers `?format=csv` or `?format=xlsx` with the same sheets; any other format
is refused with a Korean message (400), never a server error.

Cells keep their types: whole numbers stay numbers, `Money` is whole won (in
XLSX with the number format "#,##0"), dates are dates and times are Korean
local time. Text a spreadsheet would run as a formula ("=HYPERLINK(…)") is kept
as text in both formats.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from djmoney.money import Money
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from config.exceptions import InvalidRequest

#: The formats `?format=` accepts.
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows read ahead to size the XLSX columns (the rest stream after them).
WIDTH_SAMPLE = 200
MAX_WIDTH = 60
WON_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass
class Sheet:
    """One table of an export. `rows` is read once."""

    title: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _guard(value: str) -> str:
    # Text typed as "=HYPERLINK(…)" must stay text when the file is opened in a
    # spreadsheet, not become a formula; numbers stay numbers.
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        return _guard(value)
    if isinstance(value, Money):
        return int(value.amount)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_response(rows: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    """Rows streamed as CSV in UTF-8 with a byte-order mark, which is what makes
    spreadsheet programs read the Korean text correctly."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in rows:
            yield writer.writerow([_csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_rows(sheets: Sequence[Sheet]) -> Iterator[Sequence[Any]]:
    """One sheet as its header and rows; several each under its title, a blank
    line between them."""
    for number, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if number:
                yield []
            yield [sheet.title]
        yield list(sheet.header)
        yield from sheet.rows


# --- XLSX --------------------------------------------------------------------------------


def _display_width(text: str) -> int:
    # Hangul and other wide characters take two columns of a spreadsheet's width.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _xlsx_value(value: Any) -> tuple[Any, str | None]:
    """The cell value and its number format."""
    if value is None:
        return None, None
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        return _guard(value), None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, Money):
        return int(value.amount), WON_FORMAT
    if isinstance(value, Decimal):
        return (int(value), WON_FORMAT) if value == value.to_integral_value() else (value, None)
    if isinstance(value, int):
        return value, WON_FORMAT
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
        return value, DATETIME_FORMAT
    if isinstance(value, datetime.date):
        return value, DATE_FORMAT
    return value, None


def _text_width(value: Any) -> int:
    shown, number_format = _xlsx_value(value)
    if shown is None:
        return 0
    if number_format == DATETIME_FORMAT:
        return 16
    if number_format == DATE_FORMAT:
        return 10
    if isinstance(shown, int) and not isinstance(shown, bool):
        return len(f"{shown:,}")
    return _display_width(str(shown))


def _write_sheet(book: Workbook, sheet: Sheet) -> None:
    # Excel allows 31 characters and none of []:*?/\ in a sheet's title.
    title = "".join(ch for ch in sheet.title if ch not in "[]:*?/\\")[:31] or "Sheet"
    out = book.create_sheet(title=title)
    header = [str(value) for value in sheet.header]
    rows = iter(sheet.rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    widths = [_display_width(text) for text in header]
    for row in sample:
        for index, value in enumerate(row):
            if index >= len(widths):
                widths.append(0)
            widths[index] = max(widths[index], _text_width(value))
    for index, width in enumerate(widths, start=1):
        out.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(8, width + 2))
    bold = Font(bold=True)
    cells = []
    for text in header:
        cell = WriteOnlyCell(out, value=_guard(text))
        cell.font = bold
        cells.append(cell)
    out.append(cells)
    for row in _chain(sample, rows):
        line = []
        for value in row:
            shown, number_format = _xlsx_value(value)
            cell = WriteOnlyCell(out, value=shown)
            if number_format:
                cell.number_format = number_format
            line.append(cell)
        out.append(line)


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


def xlsx_response(sheets: Sequence[Sheet], filename: str) -> FileResponse:
    """The sheets as one XLSX workbook (openpyxl's write-only mode: rows go to
    a temporary file as they are read, not into memory), bold headers, column
    widths from the header and the first rows."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book, sheet)
    # Deleted when the response is closed.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


# --- choosing the format -----------------------------------------------------------------


def export_format(request: HttpRequest) -> str | None:
    """The `?format=` asked for: "csv", "xlsx", or None for the page itself.
    Anything else is refused (400) with a Korean message."""
    if "format" not in request.GET:
        return None
    value = request.GET.get("format", "")
    if value not in FORMATS:
        raise InvalidRequest(
            _("Choose a download format: csv or xlsx."),
            fields={"format": [_("Choose a download format: csv or xlsx.")]},
        )
    return value


def export_response(
    request: HttpRequest,
    rows_or_sheets: Sheet | Sequence[Sheet],
    basename: str,
    *,
    default: str | None = None,
) -> HttpResponse:
    """The download `?format=` asks for (`default` when it names none):
    `<basename>.csv` or `<basename>.xlsx`, from the same sheets."""
    chosen = export_format(request) or default
    if chosen is None:
        raise InvalidRequest(_("Choose a download format: csv or xlsx."))
    sheets = [rows_or_sheets] if isinstance(rows_or_sheets, Sheet) else list(rows_or_sheets)
    if chosen == "xlsx":
        return xlsx_response(sheets, f"{basename}.xlsx")
    return csv_response(_csv_rows(sheets), f"{basename}.csv")
