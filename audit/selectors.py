"""Reading the personal-data access records: the finance search and the monthly
report of unusual access."""

from __future__ import annotations

import datetime
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from audit.models import PersonalDataAccess
from people.models import User


def access_records(
    *,
    username: str = "",
    household_code: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    action: str = "",
) -> QuerySet[PersonalDataAccess]:
    """Records matching every filter given; dates are days in local time, both inclusive."""
    records = PersonalDataAccess.objects.select_related("user", "household")
    if username:
        records = records.filter(user__username__iexact=username)
    if household_code:
        records = records.filter(household__code__iexact=household_code)
    if date_from:
        records = records.filter(at__gte=_local_midnight(date_from))
    if date_to:
        records = records.filter(at__lt=_local_midnight(date_to + datetime.timedelta(days=1)))
    if action:
        records = records.filter(action=action)
    return records.order_by("-at", "-pk")


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return _local_midnight(first), _local_midnight(following)


@dataclass
class Burst:
    """One user reading many distinct households in a short time."""

    user_id: int
    start: datetime.datetime
    end: datetime.datetime
    households: int


@dataclass
class UserSummary:
    user_id: int
    records: int = 0
    households: set[int] = field(default_factory=set)
    first: datetime.datetime | None = None
    last: datetime.datetime | None = None

    def add(self, at: datetime.datetime, household_id: int | None) -> None:
        self.records += 1
        if household_id is not None:
            self.households.add(household_id)
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)


@dataclass
class UnusualAccess:
    month: datetime.date
    threshold: int
    window_minutes: int
    day_starts: int
    day_ends: int
    records: int = 0
    bursts: list[Burst] = field(default_factory=list)
    out_of_hours: dict[int, UserSummary] = field(default_factory=dict)
    outside_caseload: dict[int, UserSummary] = field(default_factory=dict)
    users: dict[int, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.bursts or self.out_of_hours or self.outside_caseload)


def is_out_of_hours(at: datetime.datetime, *, day_starts: int, day_ends: int) -> bool:
    """Before `day_starts` o'clock, from `day_ends` o'clock, or on a Saturday or Sunday,
    in local time (Asia/Seoul). Public holidays are not known to the project."""
    local = timezone.localtime(at)
    return local.weekday() >= 5 or local.hour < day_starts or local.hour >= day_ends


def unusual_access(month: datetime.date) -> UnusualAccess:
    """The month's unusual access: bursts (at least ACCESS_BURST_HOUSEHOLDS distinct
    households within ACCESS_BURST_MINUTES by one user; overlapping windows are one
    burst), access out of hours, and access to households outside one's caseload."""
    report = UnusualAccess(
        month=month.replace(day=1),
        threshold=settings.ACCESS_BURST_HOUSEHOLDS,
        window_minutes=settings.ACCESS_BURST_MINUTES,
        day_starts=settings.ACCESS_DAY_STARTS,
        day_ends=settings.ACCESS_DAY_ENDS,
    )
    start, end = month_bounds(month)
    window = datetime.timedelta(minutes=report.window_minutes)
    rows = (
        PersonalDataAccess.objects.filter(at__gte=start, at__lt=end)
        .order_by("user_id", "at", "pk")
        .values_list("user_id", "at", "household_id", "outside_caseload")
    )
    current_user: int | None = None
    recent: deque[tuple[datetime.datetime, int]] = deque()
    seen: Counter[int] = Counter()
    for user_id, at, household_id, outside in rows.iterator(chunk_size=5000):
        report.records += 1
        if user_id != current_user:
            current_user, recent, seen = user_id, deque(), Counter()
        if is_out_of_hours(at, day_starts=report.day_starts, day_ends=report.day_ends):
            report.out_of_hours.setdefault(user_id, UserSummary(user_id)).add(at, household_id)
        if outside and household_id is not None:
            report.outside_caseload.setdefault(user_id, UserSummary(user_id)).add(at, household_id)
        if household_id is None:
            continue
        recent.append((at, household_id))
        seen[household_id] += 1
        while recent and recent[0][0] <= at - window:
            _old_at, old_household = recent.popleft()
            seen[old_household] -= 1
            if not seen[old_household]:
                del seen[old_household]
        if len(seen) >= report.threshold:
            last = report.bursts[-1] if report.bursts else None
            if last and last.user_id == user_id and last.end >= recent[0][0]:
                last.end = at
                last.households = max(last.households, len(seen))
            else:
                report.bursts.append(Burst(user_id, recent[0][0], at, len(seen)))
    user_ids = (
        {b.user_id for b in report.bursts} | set(report.out_of_hours) | set(report.outside_caseload)
    )
    report.users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    return report
