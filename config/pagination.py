"""Pagination: the API's pages, and pages whose count stops at a cap.

Kept apart from config.api, which DRF's settings import lazily.

Counting every match is what makes a long list slow: a page of the newest 20
published listings is read in index order whatever the size of the table, but
an exact count reads every match. `CappedPaginator` counts at most `cap` + 1
rows; past the cap a list says "1,000+" and is still paged to its end (the
next page exists when one more row than the page holds was read).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

#: Lists count their rows up to this many; beyond it they say "1,000+".
COUNT_CAP = 1_000
#: No page starts further in than this (a database refuses larger offsets).
MAX_OFFSET = 2**31 - 1


class Pagination(PageNumberPagination):
    """Pages of 50 by default; `page_size` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CappedPage(Page):
    """A page that knows whether another follows without knowing the total."""

    def __init__(self, object_list: list, number: int, paginator: CappedPaginator, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedPaginator(Paginator):
    """`count` is exact up to `cap`; past it, `count` is `cap` and `is_capped` is
    true. Pages past the cap are still served (until one comes back empty)."""

    def __init__(
        self, object_list: Any, per_page: int, *, cap: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, orphans=0, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def _counted(self) -> int:
        """The number of rows, read no further than cap + 1."""
        rows = self.object_list
        if hasattr(rows, "order_by"):
            return rows.order_by()[: self.cap + 1].count()
        return min(len(rows), self.cap + 1)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def is_capped(self) -> bool:
        return self._counted > self.cap

    @cached_property
    def num_pages(self) -> int:
        """Pages up to the cap (more may follow when `is_capped`)."""
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(self.count / self.per_page))

    def validate_number(self, number: Any) -> int:
        if not self.is_capped:
            return super().validate_number(number)
        # Past the cap the last page is unknown: any page from 1 on may be asked for.
        try:
            return super().validate_number(number)
        except EmptyPage:
            number = int(number)
            if number < 1 or (number - 1) * self.per_page > MAX_OFFSET:
                raise
            return number

    def page(self, number: Any) -> CappedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number: Any) -> CappedPage:
        """A page, and the last page up to the cap for a number past the end."""
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(self.num_pages)


class CappedPagination(Pagination):
    """The API's pages with a count capped at COUNT_CAP: `count_exact` is false
    when there are more rows than `count` says."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: list) -> Response:
        return Response(
            {
                "count": self.page.paginator.count,
                "count_exact": not self.page.paginator.is_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = (
            f"Rows that match, counted up to {COUNT_CAP:,}."
        )
        answer["properties"]["count_exact"] = {
            "type": "boolean",
            "description": f"False when more than {COUNT_CAP:,} rows match.",
        }
        answer["required"].append("count_exact")
        return answer


class KnownCountPaginator(Paginator):
    """A paginator told its count instead of counting: for a list whose size is
    kept elsewhere, such as an account's entries (`Account.sequence`), so a page
    of a million-entry statement reads its 50 rows and nothing more."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count
