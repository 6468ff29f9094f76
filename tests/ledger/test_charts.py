"""End-of-day wallet balances and their SVG chart (ledger/charts.py)."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.charts import (
    Series,
    WalletChart,
    days_between,
    end_of_day_balances,
    line_chart_svg,
    nice_ceiling,
    region_wallet_chart,
)
from ledger.services import ledger_post

SEOUL = ZoneInfo("Asia/Seoul")
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- markup this project produced, not outside input


def seoul(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SEOUL)


def test_end_of_day_takes_the_last_posting_before_korean_midnight():
    days = days_between(datetime.date(2026, 3, 1), datetime.date(2026, 3, 4))
    postings = [
        (seoul(2026, 3, 1, 9, 0), 100),
        (seoul(2026, 3, 1, 23, 59, 59), 80),
        # 15:00 UTC on 2 March is midnight starting 3 March in Seoul.
        (datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC), 130),
    ]
    assert end_of_day_balances(20, postings, days, SEOUL) == [80, 80, 130, 130]


def test_end_of_day_without_postings_keeps_the_opening_balance():
    days = days_between(datetime.date(2026, 3, 1), datetime.date(2026, 3, 3))
    assert end_of_day_balances(42, [], days, SEOUL) == [42, 42, 42]


def test_region_wallet_chart_from_known_postings(wallets, fund, at, django_assert_max_num_queries):
    seo, yuseong = wallets["서구"], wallets["유성구"]
    with at(seoul(2026, 2, 27, 12, 0)):
        fund(seo, 1000)  # before the range: the opening balance
    with at(seoul(2026, 3, 1, 8, 0)):
        fund(yuseong, 300)
    with at(seoul(2026, 3, 2, 23, 59, 59, 999999)):
        ledger_post(entries=[(seo, -250), (yuseong, 250)], kind="transfer")
    with at(seoul(2026, 3, 3, 0, 0)):
        ledger_post(entries=[(yuseong, -50), (seo, 50)], kind="transfer")
    with at(seoul(2026, 3, 5, 0, 0)):
        fund(seo, 1)  # after the range: not counted

    wallet_count = len(wallets)
    # One lookup per wallet for the opening balance, one for the entries, one for the wallets:
    # however many days the range has.
    with django_assert_max_num_queries(wallet_count + 2):
        chart = region_wallet_chart(
            first=datetime.date(2026, 3, 1), last=datetime.date(2026, 3, 4), tz=SEOUL
        )
    by_code = {series.code: series for series in chart.series}
    assert [s.code for s in chart.series] == sorted(by_code)
    assert by_code[seo.code].label == "서구"
    assert by_code[seo.code].values == [1000, 750, 800, 800]
    assert by_code[yuseong.code].values == [300, 550, 500, 500]
    assert by_code[wallets["대덕구"].code].values == [0, 0, 0, 0]
    assert chart.rows[1] == (datetime.date(2026, 3, 2), [750, 550, 0])


def test_region_wallet_chart_query_count_does_not_grow_with_days(wallets, fund):
    fund(wallets["서구"], 10)
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as short:
        region_wallet_chart(first=today - datetime.timedelta(days=6), last=today)
    with CaptureQueriesContext(connection) as long:
        region_wallet_chart(first=today - datetime.timedelta(days=365), last=today)
    assert len(long) == len(short)


def sample_chart() -> WalletChart:
    days = days_between(datetime.date(2026, 3, 1), datetime.date(2026, 3, 30))
    return WalletChart(
        days=days,
        series=[
            Series(code="region:1:wallet", label="서구", values=[i * 10 for i in range(30)]),
            Series(code="region:2:wallet", label="<b>&대덕구", values=[500] * 30),
        ],
    )


def test_svg_has_one_line_per_series_a_legend_and_axis_labels():
    svg = line_chart_svg(sample_chart(), title="지갑 잔액", x_label="날짜", y_label="포인트")
    root = parse(svg)  # well-formed, with every text escaped
    assert root.tag == f"{SVG}svg"
    lines = root.findall(f"{SVG}polyline")
    assert [line.get("data-account") for line in lines] == ["region:1:wallet", "region:2:wallet"]
    assert all(len(line.get("points").split()) == 30 for line in lines)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"날짜", "포인트", "서구", "<b>&대덕구"} <= set(texts)
    assert "03-01" in texts and "03-30" in texts
    assert "0" in texts and "500" in texts  # value axis from zero to the top
    assert root.find(f"{SVG}title").text == "지갑 잔액"
    assert "<b>" not in svg


def test_svg_plots_higher_values_higher():
    svg = line_chart_svg(sample_chart(), title="t", x_label="x", y_label="y")
    first = parse(svg).find(f"{SVG}polyline").get("points").split()
    ys = [float(point.split(",")[1]) for point in first]
    assert ys == sorted(ys, reverse=True)  # a rising balance goes up the page
    xs = [float(point.split(",")[0]) for point in first]
    assert xs == sorted(xs)


def test_svg_of_a_single_day_and_of_no_points_draws_without_error():
    one_day = WalletChart(
        days=[datetime.date(2026, 3, 1)], series=[Series(code="c", label="l", values=[0])]
    )
    svg = line_chart_svg(one_day, title="t", x_label="x", y_label="y")
    assert re.search(r'points="[\d.]+,[\d.]+"', svg)
    parse(svg)


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [
        (0, 5, 1),
        (1, 1, 1),
        (7, 8, 2),
        (500, 500, 100),
        (1234, 1500, 500),
        (99_999, 100_000, 20_000),
    ],
)
def test_nice_ceiling(value, top, step):
    assert nice_ceiling(value) == (top, step)
