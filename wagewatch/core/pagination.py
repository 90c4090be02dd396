"""Paging for ledgers that can hold a million rows.

Counting every visible row costs more than the page itself once a ledger passes a hundred
thousand cases, and a filter that matches few rows (two characters of a name, a street's overdue
cases) makes the database read far to find each one. Nobody pages through fifty pages: they narrow
the filters, or export the ledger (up to 100,000 rows at a time). So the count stops at CAP + 1: the
page says "1,000+" and the page numbers end there. Totals by state, unit or street belong on the
statistics pages, which aggregate."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from .values import PAGE_MAX

COUNT_CAP = 1_000
PAGE_SIZE_MAX = 1_000


def capped_count(queryset) -> int:
    """The number of rows, or COUNT_CAP + 1 when there are more."""
    return queryset.order_by()[: COUNT_CAP + 1].count()


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list)

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP:,}+" if self.capped else f"{self.count:,}"


class BoundedPageNumberPagination(PageNumberPagination):
    """ninja's page-number paging with the page number bounded: `page=10**18` is a 422, not an
    offset the database cannot hold. Every paged list of the API uses this (or the capped one)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=PAGE_MAX, description=f"页码,1 至 {PAGE_MAX}")
        page_size: int | None = Field(None, ge=1, le=PAGE_SIZE_MAX, description="每页条数(超过该列表的上限时按上限)")


class CappedPageNumberPagination(BoundedPageNumberPagination):
    """ninja's page-number paging with the count capped; `count_capped` says the ledger holds more."""

    class Output(Schema):
        items: list[Any]
        count: int
        count_capped: bool

    def paginate_queryset(self, queryset, pagination, request, **params):
        page_size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * page_size
        count = capped_count(queryset)
        return {
            self.items_attribute: queryset[offset : offset + page_size],
            "count": min(count, COUNT_CAP),
            "count_capped": count > COUNT_CAP,
        }
