"""One pagination for every list: `?page=&page_size=` (≤ 100) → `{count, next, previous, results}`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PagePagination(PaginationBase):
    items_attribute = "results"

    class Input(Schema):
        page: int = Field(1, ge=1, description="页码 / page number, from 1")
        page_size: int = Field(
            DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="每页条数 / items per page (≤ 100)"
        )

    class Output(Schema):
        count: int
        next: str | None = Field(None, description="下一页地址 / URL of the next page")
        previous: str | None = Field(None, description="上一页地址 / URL of the previous page")
        results: list[Any]

    def paginate_queryset(
        self, queryset: QuerySet | list, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size, page = pagination.page_size, pagination.page
        offset = (page - 1) * size
        count = self._items_count(queryset)
        return {
            "count": count,
            "next": _page_url(request, page + 1, size) if offset + size < count else None,
            "previous": _page_url(request, page - 1, size) if page > 1 else None,
            # Past the end the page is empty without asking the database: an OFFSET beyond 64 bits (a
            # page number like 10**20) is an error there, not an empty result.
            "results": queryset[offset : offset + size] if offset < count else [],
        }


def _page_url(request: HttpRequest, page: int, size: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    query["page_size"] = str(size)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
