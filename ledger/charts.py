"""Points held by each exchange region over time: end-of-day balances of the
region wallets, and a line chart of them drawn as inline SVG on the server
(the pages load no chart library)."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import escape

from ledger.models import Account, Entry, OwnerKind, Purpose
from ledger.selectors import balance_at

#: Colours told apart by most readers, also with common colour-vision deficiencies.
PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#000000",
    "#8c564b",
    "#7f7f7f",
    "#bcbd22",
)
#: Dash patterns cycled after the colours run out, so lines stay distinct.
DASHES = ("", "6 3", "2 3", "8 3 2 3")


@dataclass(frozen=True)
class Series:
    code: str
    label: str
    values: list[int]


@dataclass(frozen=True)
class WalletChart:
    days: list[datetime.date]
    series: list[Series]

    @property
    def rows(self) -> list[tuple[datetime.date, list[int]]]:
        """Day by day, each wallet's end-of-day balance: the chart as a table."""
        return [(day, [s.values[i] for s in self.series]) for i, day in enumerate(self.days)]


def day_start(day: datetime.date, tz: datetime.tzinfo) -> datetime.datetime:
    """The first moment of a local calendar day."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def days_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def end_of_day_balances(
    opening: int,
    postings: Iterable[tuple[datetime.datetime, int]],
    days: Sequence[datetime.date],
    tz: datetime.tzinfo,
) -> list[int]:
    """The balance at the end of each local day.

    `opening` is the balance before the first day; `postings` are one account's
    (posted_at, balance_after) pairs in posting order. A day's value is the
    balance after the last posting before the next local midnight.
    """
    values: list[int] = []
    balance = opening
    pending = iter(postings)
    upcoming = next(pending, None)
    for day in days:
        boundary = day_start(day + datetime.timedelta(days=1), tz)
        while upcoming is not None and upcoming[0] < boundary:
            balance = upcoming[1]
            upcoming = next(pending, None)
        values.append(balance)
    return values


def region_wallet_chart(
    *, first: datetime.date, last: datetime.date, tz: datetime.tzinfo | None = None
) -> WalletChart:
    """End-of-day balances of every region wallet from `first` to `last` (local days).

    Per wallet one indexed lookup for the balance before the range, then one
    query for the entries of all wallets in the range: the number of queries
    does not grow with the number of days.
    """
    tz = tz or timezone.get_default_timezone()
    days = days_between(first, last)
    start, end = day_start(first, tz), day_start(last + datetime.timedelta(days=1), tz)
    wallets = list(
        Account.objects.filter(owner_kind=OwnerKind.REGION, purpose=Purpose.WALLET)
        .select_related("region")
        .order_by("code")
    )
    postings: dict[int, list[tuple[datetime.datetime, int]]] = defaultdict(list)
    in_range = (
        Entry.objects.filter(account__in=wallets, posted_at__gte=start, posted_at__lt=end)
        .order_by("account_id", "sequence")
        .values_list("account_id", "posted_at", "balance_after")
    )
    for account_id, posted_at, balance_after in in_range:
        postings[account_id].append((posted_at, balance_after))
    before_range = start - datetime.timedelta(microseconds=1)
    series = [
        Series(
            code=wallet.code,
            label=wallet.region.name,
            values=end_of_day_balances(
                balance_at(wallet, before_range), postings[wallet.pk], days, tz
            ),
        )
        for wallet in wallets
    ]
    return WalletChart(days=days, series=series)


def nice_ceiling(value: int, ticks: int = 5) -> tuple[int, int]:
    """A round top for the value axis and the step between its ticks."""
    if value <= 0:
        return ticks, 1
    raw_step = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    step = max(int(step), 1)
    return step * math.ceil(value / step), step


def line_chart_svg(
    chart: WalletChart,
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 900,
    height: int = 360,
) -> str:
    """The chart as an SVG element: one polyline per series, axes with tick
    labels and titles, and a legend. Every text is escaped."""
    left, right, top, bottom = 78, 170, 24, 56
    height = max(height, top + 22 * len(chart.series) + bottom)
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, step = nice_ceiling(max((max(s.values, default=0) for s in chart.series), default=0))
    count = len(chart.days)

    def x(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else i * plot_w / (count - 1))

    def y(value: int) -> float:
        return top + plot_h - (max(value, 0) / top_value) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff"/>',
    ]
    for tick in range(0, top_value + 1, step):
        ty = y(tick)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="#d9e2ec"/>'
            f'<text class="tick" x="{left - 8}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{tick:,}</text>"
        )
    label_every = max(1, math.ceil(count / 8))
    for i, day in enumerate(chart.days):
        if i % label_every and i != count - 1:
            continue
        if i != count - 1 and count - 1 - i < label_every / 2:
            continue  # would overlap the last day's label
        tx = x(i)
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 5}" '
            f'stroke="#52606d"/>'
            f'<text class="tick" x="{tx:.1f}" y="{top + plot_h + 19}" text-anchor="middle">'
            f"{day:%m-%d}</text>"
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#52606d"/>'
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="#52606d"/>'
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 10}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
        f'<text class="axis-label" x="16" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    for n, series in enumerate(chart.series):
        colour = PALETTE[n % len(PALETTE)]
        dash = DASHES[(n // len(PALETTE)) % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(series.values))
        parts.append(
            f'<polyline class="series" data-account="{escape(series.code)}" fill="none" '
            f'stroke="{colour}" stroke-width="2"{dash_attr} points="{points}">'
            f"<title>{escape(series.label)}</title></polyline>"
        )
        if count <= 31:
            parts.extend(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"/>'
                for i, v in enumerate(series.values)
            )
        ly = top + 8 + 22 * n
        lx = left + plot_w + 16
        parts.append(
            f'<g class="legend-item"><line x1="{lx}" x2="{lx + 24}" y1="{ly}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="3"{dash_attr}/>'
            f'<text x="{lx + 30}" y="{ly + 4}">{escape(series.label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
