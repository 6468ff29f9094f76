"""Pages whose count stops at a cap (config.pagination.CappedPaginator)."""

import pytest
from django.core.paginator import EmptyPage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.pagination import CappedPaginator
from regions.models import Region


def test_under_the_cap_the_count_and_the_pages_are_exact():
    paginator = CappedPaginator(list(range(45)), 20, cap=50)
    assert (paginator.count, paginator.is_capped, paginator.num_pages) == (45, False, 3)
    last = paginator.page(3)
    assert (list(last), last.has_next(), last.start_index(), last.end_index()) == (
        list(range(40, 45)),
        False,
        41,
        45,
    )
    with pytest.raises(EmptyPage):
        paginator.page(4)


def test_past_the_cap_the_count_stops_and_the_pages_go_on_to_the_end():
    paginator = CappedPaginator(list(range(95)), 20, cap=30)
    assert (paginator.count, paginator.is_capped) == (30, True)
    # Pages past the cap are served, each knowing whether another follows.
    fourth = paginator.page(4)
    assert (list(fourth), fourth.has_next(), fourth.end_index()) == (list(range(60, 80)), True, 80)
    fifth = paginator.page(5)
    assert (list(fifth), fifth.has_next(), fifth.end_index()) == (list(range(80, 95)), False, 95)
    assert fourth.next_page_number() == 5
    with pytest.raises(EmptyPage):
        paginator.page(6)
    with pytest.raises(EmptyPage):
        paginator.page(0)
    with pytest.raises(EmptyPage):
        paginator.page(10**20)  # no offset a database would refuse
    # get_page never fails: a page past the end shows the last page up to the cap.
    assert paginator.get_page(6).number == 2
    assert paginator.get_page("abc").number == 1


def test_a_capped_count_reads_no_more_rows_than_the_cap(daejeon):
    regions = Region.objects.order_by("code")
    assert regions.count() == 88
    paginator = CappedPaginator(regions, 10, cap=25)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(1)
    assert (paginator.count, paginator.is_capped, page.has_next()) == (25, True, True)
    assert [r.code for r in page] == list(regions.values_list("code", flat=True)[:10])
    count_sql = next(q["sql"] for q in queries.captured_queries if "COUNT" in q["sql"])
    assert "LIMIT 26" in count_sql
    last = paginator.page(9)
    assert (len(last), last.has_next()) == (8, False)


def test_an_empty_list_has_one_empty_page(db):
    paginator = CappedPaginator(Region.objects.none(), 20)
    page = paginator.get_page(1)
    assert (paginator.count, paginator.is_capped, list(page), page.has_next()) == (
        0,
        False,
        [],
        False,
    )
    assert (page.start_index(), page.end_index()) == (0, 0)
