"""The month argument and the text form of the unusual-access report, shared by
`manage.py access_report` and the finance page."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

from audit.selectors import UnusualAccess

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> datetime.date | None:
    """`2026-11` → 2026-11-01; anything else → None."""
    match = _MONTH.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 2000 <= year <= 9998):
        return None
    return datetime.date(year, month, 1)


def _when(at: datetime.datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def report_lines(report: UnusualAccess) -> list[str]:
    def who(user_id: int) -> str:
        user = report.users.get(user_id)
        return user.username if user else str(user_id)

    lines = [
        f"Unusual access to household records, {report.month:%Y-%m} "
        f"({report.records} access records)",
        "",
        f"Bursts: {report.threshold} or more households within {report.window_minutes} minutes",
    ]
    lines += [
        f"  {who(b.user_id)}: {b.households} households, {_when(b.start)} - {_when(b.end)}"
        for b in report.bursts
    ] or ["  none"]
    lines += [
        "",
        f"Out of hours: before {report.day_starts:02d}:00, from {report.day_ends:02d}:00, "
        "or at weekends (Asia/Seoul)",
    ]
    lines += [
        f"  {who(s.user_id)}: {s.records} records, {len(s.households)} households, "
        f"{_when(s.first)} - {_when(s.last)}"
        for s in report.out_of_hours.values()
    ] or ["  none"]
    lines += ["", "Outside own caseload"]
    lines += [
        f"  {who(s.user_id)}: {s.records} records, {len(s.households)} households, "
        f"{_when(s.first)} - {_when(s.last)}"
        for s in report.outside_caseload.values()
    ] or ["  none"]
    return lines
