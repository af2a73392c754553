"""Lists a page at a time, through flask-smorest's pagination: one pager for the API's lists
and the dashboard's.

A view returns a `Listing` (a peewee query and how to turn a page of its rows into
answers); `QueryPage` counts the query and reads one page of it. The API's blueprints
(service/web/resources.py) put the page's figures in the `X-Pagination` header.

Two ways through a list: `page=N` (an OFFSET: fine for the first pages, slower deep in a
big list) and, on the big lists, `after=CURSOR` (keyset: the page that follows the row
whose cursor is CURSOR, as fast on the millionth row as on the first). Each page's header
gives `next_after`, the cursor to ask for next. Totals are exact up to
`EXACT_COUNT_LIMIT` rows; a longer filtered list gets an estimate, marked
`"total_estimated": true` (docs/api.md).
"""

import math
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_smorest.pagination import Page, PaginationParameters
from peewee import SelectBase

from schemas.common import MAX_PAGE
from service.domain.errors import Invalid
from service.storage.db import count_rows, plain_rows

DEFAULT_PAGE_SIZE = 50
# Rows counted exactly before a filtered list's total becomes an estimate.
EXACT_COUNT_LIMIT = 100_000


@dataclass
class Listing:
    """What a list view answers: its query, and `represent(rows)` for one page of rows.

    A list that can be walked by cursor also gives `seek(query, after)` (the query past the
    row whose cursor is `after`), `after` (the client's `after=`, or None) and `cursor(row)`
    (a row's cursor; default its id). `counted`: a query of the same number of rows that is
    cheaper to count, or None to count `query`. `plain`: the page's rows are read as plain
    dicts of the records' values (`storage.db.plain_rows`) rather than as records, for a
    list whose schema reads nothing but the model's fields (several times faster).
    """

    query: object
    represent: object = list
    seek: object = None
    after: object = None
    cursor: object = None
    counted: object = None
    plain: bool = False

    def rows(self, query):
        """The rows of `query` (a page of this list): records, or dicts when `plain`."""
        if self.plain:
            rows = plain_rows(query)
            if rows is not None:  # (None: a search's query, with joins or expressions)
                return rows
        return list(query)

    def cursor_of(self, row):
        if self.cursor is not None:
            return self.cursor(row)
        return row["id"] if type(row) is dict else row.id


def _exact_count_limit():
    if has_app_context():
        return current_app.config.get("EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT)
    return EXACT_COUNT_LIMIT


class QueryPage(Page):
    """One page of a Listing: the query counted once, then read a page (never whole)."""

    def __init__(self, collection, page_params):
        if not isinstance(collection, Listing):
            collection = Listing(collection)
        self._count = None
        page_params.total_estimated = False
        page_params.next_after = None
        page_params.keyset = collection.seek is not None and collection.after is not None
        super().__init__(collection, page_params)

    @property
    def item_count(self):
        if self._count is None:
            listing = self.collection
            # (not `counted or query`: a peewee query's truth value runs it)
            query = listing.query if listing.counted is None else listing.counted
            if isinstance(query, SelectBase):
                self._count, estimated = count_rows(query, _exact_count_limit())
            else:  # a list computed in Python (with count and paginate), counted by itself
                self._count, estimated = query.count(), False
            self.page_params.total_estimated = estimated
        return self._count

    @property
    def pages(self):
        return max(1, math.ceil(self.item_count / self.page_params.page_size))

    @property
    def items(self):
        params = self.page_params
        listing = self.collection
        if params.page > MAX_PAGE:
            raise Invalid("page", f"must be from 1 to {MAX_PAGE}", location="query")
        if params.keyset:
            if params.page != 1:
                raise Invalid("page", "cannot be combined with after", location="query")
            query = listing.seek(listing.query, listing.after)
            rows = listing.rows(query.limit(params.page_size + 1))
        else:
            query = listing.query.paginate(params.page, params.page_size)
            if listing.seek is None:
                if listing.plain:
                    return listing.represent(listing.rows(query))
                return listing.represent(query)  # as the query's own rows (dicts, tuples...)
            rows = listing.rows(query.limit(params.page_size + 1))
        if len(rows) > params.page_size:
            rows = rows[: params.page_size]
            params.next_after = listing.cursor_of(rows[-1])
        return listing.represent(rows)


def page_of(listing, number, page_size=DEFAULT_PAGE_SIZE, clamp=False):
    """A QueryPage of `listing` outside a paginated view (the dashboard); with `clamp`, a
    page past the end is the last one."""
    page = QueryPage(listing, PaginationParameters(number, page_size))
    if clamp and number > page.pages:
        page.page_params.page = page.pages
    return page
