"""Writes on the region tree: loading a city from a CSV file."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from regions.exceptions import RegionFileError
from regions.models import LEVEL_RANK, Level, Region

COLUMNS = ("code", "parent_code", "level", "name_ko", "name_en")
DEFAULT_CSV = Path(__file__).resolve().parent / "data" / "daejeon_regions.csv"


@dataclass(frozen=True)
class RegionRow:
    line: int
    code: str
    parent_code: str
    level: str
    name_ko: str
    name_en: str


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


#: ASCII digits only: str.isdigit() and \d also accept other scripts' digits.
_CODE = re.compile(r"[0-9]{10}")
_MAX_NAME = Region._meta.get_field("name_ko").max_length


def _is_code(value: str) -> bool:
    return _CODE.fullmatch(value) is not None


def _field_problems(values: dict[str, str]) -> list[str]:
    """Control characters (NUL among them: PostgreSQL cannot store it) and names
    longer than their columns, caught here so that the file is refused by line."""
    problems = [
        f"{column} contains a control character"
        for column, value in values.items()
        if any(unicodedata.category(char) == "Cc" for char in value)
    ]
    problems += [
        f"{column} is longer than {_MAX_NAME} characters"
        for column in ("name_ko", "name_en")
        if len(values[column]) > _MAX_NAME
    ]
    return problems


def _records(reader: csv.DictReader, problems: list[tuple[int, str]]):
    """The reader's records; a line the csv module cannot parse ends the file
    as a problem of that line (nothing after it could be trusted)."""
    try:
        yield from reader
    except csv.Error as exc:
        # The line being read is not counted yet.
        problems.append((reader.line_num + 1, f"not readable as CSV ({exc})"))


def _read_rows(text: str) -> list[RegionRow]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = tuple(reader.fieldnames or ())
    except csv.Error as exc:
        raise RegionFileError([(1, f"not readable as CSV ({exc})")]) from None
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise RegionFileError([(1, f"missing column(s): {', '.join(missing)}")])

    rows: list[RegionRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for record in _records(reader, problems):
        line = reader.line_num
        if None in record:
            problems.append((line, "more fields than the header has"))
            continue
        values = {column: (record.get(column) or "").strip() for column in COLUMNS}
        row_problems = _field_problems(values)
        if row_problems:
            problems.extend((line, message) for message in row_problems)
            continue
        row = RegionRow(line=line, **values)
        if not _is_code(row.code):
            row_problems.append(f"code {row.code!r} is not ten digits")
        elif row.code in seen:
            row_problems.append(f"code {row.code} already appears on line {seen[row.code]}")
        if row.level not in Level.values:
            row_problems.append(f"level {row.level!r} is not one of {', '.join(Level.values)}")
        if row.level == Level.CITY and row.parent_code:
            row_problems.append("a city has no parent_code")
        if row.level != Level.CITY and not _is_code(row.parent_code):
            row_problems.append(f"parent_code {row.parent_code!r} is not ten digits")
        if row.parent_code and row.parent_code == row.code:
            row_problems.append("a region cannot be its own parent")
        if not row.name_ko:
            row_problems.append("name_ko is empty")
        if not row.name_en:
            row_problems.append("name_en is empty")
        if row_problems:
            problems.extend((line, message) for message in row_problems)
        else:
            seen[row.code] = line
            rows.append(row)
    if problems:
        raise RegionFileError(problems)
    if not rows:
        raise RegionFileError([(1, "the file has no regions")])
    return rows


def _check_parents(rows: list[RegionRow]) -> None:
    levels = {row.code: row.level for row in rows}
    parent_codes = {row.parent_code for row in rows if row.parent_code} - set(levels)
    levels.update(Region.objects.filter(code__in=parent_codes).values_list("code", "level"))
    problems = []
    for row in rows:
        if not row.parent_code:
            continue
        parent_level = levels.get(row.parent_code)
        if parent_level is None:
            problems.append(
                (row.line, f"parent_code {row.parent_code} is neither in the file nor loaded")
            )
        elif LEVEL_RANK[Level(parent_level)] >= LEVEL_RANK[Level(row.level)]:
            problems.append(
                (row.line, f"a {row.level} cannot lie under a {parent_level} ({row.parent_code})")
            )
    if problems:
        raise RegionFileError(problems)


def _check_level_changes(rows: list[RegionRow]) -> None:
    """A region in use keeps its level: one with regions left under it (a
    district turned into a dong would leave dongs under a dong, one turned into
    a zone would leave its dongs without a district to trade as), point
    accounts (which exist only at the exchange level), households (which
    belong to dongs) or listings. A level is changed only on a bare region."""
    by_code = {row.code: row for row in rows}
    existing = Region.objects.filter(code__in=by_code).only("pk", "code", "level")
    changed = {
        region.pk: by_code[region.code]
        for region in existing
        if region.level != by_code[region.code].level
    }
    if not changed:
        return
    problems: list[tuple[int, str]] = []
    for child in Region.objects.filter(parent_id__in=changed).order_by("code"):
        row = changed[child.parent_id]
        moved = by_code.get(child.code)
        if moved is not None and moved.parent_code != row.code:
            continue  # it moves elsewhere in this file
        problems.append(
            (
                row.line,
                f"{row.code} cannot change its level: the {child.level} {child.code} lies under it",
            )
        )
    in_use = (
        ("point accounts", Region.objects.filter(pk__in=changed, ledger_accounts__isnull=False)),
        ("households", Region.objects.filter(pk__in=changed, households__isnull=False)),
        ("listings", Region.objects.filter(pk__in=changed, listings__isnull=False)),
    )
    for what, queryset in in_use:
        for pk in queryset.values_list("pk", flat=True).distinct():
            row = changed[pk]
            problems.append((row.line, f"{row.code} cannot change its level: it has {what}"))
    if problems:
        raise RegionFileError(sorted(set(problems)))


def regions_load_csv(*, text: str | None = None, path: Path | str | None = None) -> LoadResult:
    """Create or update regions from CSV text or a file; all or nothing.

    Idempotent: a second run with the same file changes nothing (every row
    counts as unchanged). Any malformed row raises RegionFileError naming
    its line, and nothing is written.
    """
    if text is None:
        try:
            text = Path(path or DEFAULT_CSV).read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RegionFileError([(0, f"the file is not UTF-8 text ({exc.reason})")]) from None
        except OSError as exc:
            raise RegionFileError([(0, f"cannot read the file: {exc.strerror}")]) from None
    rows = sorted(_read_rows(text), key=lambda row: LEVEL_RANK[Level(row.level)])

    created = updated = unchanged = 0
    with transaction.atomic():
        _check_parents(rows)
        _check_level_changes(rows)
        existing = {
            region.code: region
            for region in Region.objects.select_for_update().filter(
                code__in=[row.code for row in rows]
            )
        }
        by_code: dict[str, Region] = {}
        moved: list[Region] = []
        for row in rows:
            parent = None
            if row.parent_code:
                parent = by_code.get(row.parent_code) or Region.objects.get(code=row.parent_code)
            region = existing.get(row.code)
            if region is None:
                region = Region(
                    code=row.code,
                    parent=parent,
                    level=row.level,
                    name_ko=row.name_ko,
                    name_en=row.name_en,
                )
                region.full_clean(validate_unique=False)
                region.save()
                created += 1
            else:
                old_path = region.path
                changed = (
                    region.parent_id != (parent.pk if parent else None)
                    or region.level != row.level
                    or region.name_ko != row.name_ko
                    or region.name_en != row.name_en
                )
                if changed:
                    region.parent, region.level = parent, row.level
                    region.name_ko, region.name_en = row.name_ko, row.name_en
                    region.save()
                    updated += 1
                    if region.path != old_path:
                        moved.append(region)
                else:
                    unchanged += 1
            by_code[row.code] = region
        for region in moved:
            _refresh_descendant_paths(region)
    return LoadResult(created=created, updated=updated, unchanged=unchanged)


def _refresh_descendant_paths(region: Region) -> None:
    """After a region moved, its whole subtree gets paths under the new place."""
    for child in Region.objects.filter(parent=region):
        child.save(update_fields=["path"])
        _refresh_descendant_paths(child)
