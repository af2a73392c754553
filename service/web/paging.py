"""Lists a page at a time, through flask-smorest's pagination: one pager for the API's lists
and the dashboard's.

A view returns a `Listing` (a peewee query and how to turn a page of its rows into
answers); `QueryPage` counts the query and reads one page of it. The API's blueprints
(service/web/resources.py) put the page's figures in the `X-Pagination` header.
"""

import math
from dataclasses import dataclass

from flask_smorest.pagination import Page, PaginationParameters

from schemas.common import MAX_PAGE
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
