"""Lists a page at a time, through flask-smorest's pagination: one pager for the API's lists
and the dashboard's.

A view returns a `Listing` (a peewee query and how to turn a page of its rows into
answers); `QueryPage` counts the query and reads one page of it. The API's blueprints
(`Blueprint` below) put the page's figures in the `X-Pagination` header.
"""

import json
import math
from dataclasses import dataclass

from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.pagination import Page, PaginationParameters

from schemas.common import MAX_PAGE, MAX_PAGE_SIZE
from service.domain.errors import Invalid

DEFAULT_PAGE_SIZE = 50


@dataclass
class Listing:
    """What a list view answers: its query, and `represent(rows)` for one page of rows."""

    query: object
    represent: object = list


class QueryPage(Page):
    """One page of a Listing: the query counted once, then read a page (never whole)."""

    def __init__(self, collection, page_params):
        if not isinstance(collection, Listing):
            collection = Listing(collection)
        self._count = None
        super().__init__(collection, page_params)

    @property
    def item_count(self):
        if self._count is None:
            self._count = self.collection.query.count()
        return self._count

    @property
    def pages(self):
        return max(1, math.ceil(self.item_count / self.page_params.page_size))

    @property
    def items(self):
        params = self.page_params
        if params.page > MAX_PAGE:
            raise Invalid("page", f"must be from 1 to {MAX_PAGE}", location="query")
        return self.collection.represent(
            self.collection.query.paginate(params.page, params.page_size)
        )


def page_of(listing, number, page_size=DEFAULT_PAGE_SIZE, clamp=False):
    """A QueryPage of `listing` outside a paginated view (the dashboard); with `clamp`, a
    page past the end is the last one."""
    page = QueryPage(listing, PaginationParameters(number, page_size))
    if clamp and number > page.pages:
        page.page_params.page = page.pages
    return page


class Blueprint(SmorestBlueprint):
    """flask-smorest's blueprint, with the API's paging: 50 a page by default, 1000 at most,
    and the `X-Pagination` figures of the contract (total, total_pages, page, page_size,
    first_page, last_page, previous_page, next_page)."""

    DEFAULT_PAGINATION_PARAMETERS = {
        "page": 1,
        "page_size": DEFAULT_PAGE_SIZE,
        "max_page_size": MAX_PAGE_SIZE,
    }

    def paginate(self, pager=QueryPage, **kwargs):
        return super().paginate(pager, **kwargs)

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        total_pages = max(1, math.ceil(item_count / page_size))
        meta = {
            "total": item_count,
            "total_pages": total_pages,
            "page": page,
            "page_size": page_size,
            "first_page": 1,
            "last_page": total_pages,
        }
        if page > 1:
            meta["previous_page"] = min(page - 1, total_pages)
        if page < total_pages:
            meta["next_page"] = page + 1
        return meta

    def _set_pagination_metadata(self, page_params, result, headers):
        headers = dict(headers or {})
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(
            self._make_pagination_metadata(
                page_params.page, page_params.page_size, page_params.item_count
            )
        )
        return result, headers

    def _prepare_pagination_doc(self, doc, doc_info, *, spec, **kwargs):
        # `page` and `page_size` are documented (and validated) by each list's arguments
        # schema (schemas.common.PageArgs); only the header is added here.
        operation = doc_info.get("pagination")
        if operation:
            for status in doc_info.get("success_status_codes", []):
                self._document_pagination_metadata(spec, doc["responses"][status])
        return doc
