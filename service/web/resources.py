"""The API's blueprint: flask-smorest's, with the contract's paging and a decorator for each
kind of resource view, so that a view says what it does and its schema does the rest.

- `@blp.lists(Schema, Args)`: a paged list; the view returns a `Listing`.
- `@blp.reads(Schema)`, `@blp.creates(Schema)`, `@blp.updates(Schema)`: one resource,
  answered with its ETag; the view returns the record, the schema dumps it.
"""

import functools
import hashlib
import json
import math
import sys

from flask import current_app, request
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from schemas.common import MAX_PAGE_SIZE
from service.domain.errors import Invalid, PreconditionFailed
from service.web.paging import DEFAULT_PAGE_SIZE, QueryPage


def etag_of(schema, record):
    """The ETag of `record` as `schema` shows it."""
    return _etag_of_body(_body_of(_instance(schema).dump(record)))


def _body_of(shown):
    """A record's JSON as answered (the schema's field order, so the same record always
    gives the same text)."""
    return current_app.json.dumps(shown)


def _etag_of_body(body):
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def check_if_match(schema, current):
    """412 when the client's If-Match names another version than `current`."""
    wanted = request.headers.get("If-Match")
    if not wanted:
        return
    tags = {t.strip() for t in wanted.split(",")}
    if "*" in tags:
        return
    # Weak validators (W/"...") name the same version for our purposes.
    tags = {t[2:] if t.startswith("W/") else t for t in tags}
    if etag_of(schema, current) not in tags:
        raise PreconditionFailed(
            "the resource has changed since you read it (If-Match does not match its ETag);"
            " read it again and retry"
        )


# One instance of each schema class, made once: building a marshmallow schema costs more
# than dumping a record with it (dumping keeps no state on the instance).
_INSTANCES = {}


def _instance(schema):
    if not isinstance(schema, type):
        return schema
    found = _INSTANCES.get(schema)
    if found is None:
        found = _INSTANCES[schema] = schema()
    return found


def location_of(record):
    """Where a created record can be read: the collection's path plus its id when the API
    has that route, else the collection (a custody chain, a source's reviews)."""
    ident = getattr(record, "id", None)
    path = request.path.rstrip("/")
    if ident is not None:
        candidate = f"{path}/{ident}"
        adapter = current_app.url_map.bind("")
        try:
            adapter.match(candidate, method="GET")
            return candidate
        except HTTPException:
            pass
    return path


def _answered_with_etag(schema, status, location=None):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            record = view(*args, **kwargs)
            # Dumped and encoded once, for the ETag and the body both (the response
            # decorator passes a ready response through, with this status and these headers).
            body = _body_of(_instance(schema).dump(record))
            headers = {"ETag": _etag_of_body(body)}
            if status == 201:
                headers["Location"] = (location or location_of)(record)
            answer = current_app.response_class(body + "\n", mimetype="application/json")
            return answer, status, headers

        return wrapper

    return decorator


def _refusing_empty_changes(view):
    @functools.wraps(view)
    def wrapper(self, changes, *args, **kwargs):
        if not changes:
            raise Invalid(
                "body",
                "send at least one field to change (an empty PATCH changes nothing)",
                location="json",
            )
        return view(self, changes, *args, **kwargs)

    return wrapper


class _SchemaKeepingParser(FlaskParser):
    """webargs' parser, making one instance of each schema class it is given: flask-smorest's
    pagination hands it a class, which webargs would otherwise make anew on every request."""

    def __init__(self):
        super().__init__()
        self._made = {}

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type):
            made = self._made.get(argmap)
            if made is None:
                made = self._made[argmap] = super()._get_schema(argmap, req)
            return made
        return super()._get_schema(argmap, req)


class Blueprint(SmorestBlueprint):
    """flask-smorest's blueprint, with the API's paging: 50 a page by default, 1000 at most,
    and the `X-Pagination` figures of the contract (total, total_pages, page, page_size,
    first_page, last_page, previous_page, next_page), plus `total_estimated` (when the total
    is an estimate) and `next_after` (the cursor of the next page, on lists walked by
    `after=`)."""

    def __init__(self, name, import_name, **kwargs):
        # A resource's module says what it is about: its docstring is the blueprint's
        # description in the OpenAPI document (one line, as written).
        if "description" not in kwargs:
            doc = sys.modules[import_name].__doc__ or ""
            kwargs["description"] = " ".join(doc.split())
        super().__init__(name, import_name, **kwargs)

    PAGINATION_ARGUMENTS_PARSER = _SchemaKeepingParser()

    DEFAULT_PAGINATION_PARAMETERS = {
        "page": 1,
        "page_size": DEFAULT_PAGE_SIZE,
        "max_page_size": MAX_PAGE_SIZE,
    }

    # ------------------------------------------------------------ resource views

    def lists(self, schema, args):
        """A paged list: query arguments loaded with `args`, items dumped with `schema`."""

        def decorator(view):
            view = self.paginate()(view)
            view = self.response(200, _instance(schema).__class__(many=True))(view)
            return self.arguments(_instance(args), location="query")(view)

        return decorator

    def reads(self, schema):
        """One resource, with its ETag."""

        def decorator(view):
            return self.response(200, schema)(_answered_with_etag(schema, 200)(view))

        return decorator

    def creates(self, schema, status=201, location=None):
        """A new resource from a body loaded with `schema`; 201 with its ETag and Location
        (`location(record)`, default: see location_of)."""

        def decorator(view):
            view = self.response(status, schema)(
                _answered_with_etag(schema, status, location)(view)
            )
            return self.arguments(schema)(view)

        return decorator

    def updates(self, schema, body=None):
        """A change from a body loaded with `body` (default: `schema`, every field optional);
        the resource as it is now, with its ETag."""

        def decorator(view):
            view = _refusing_empty_changes(view)
            view = self.response(200, schema)(_answered_with_etag(schema, 200)(view))
            return self.arguments(body or _instance(schema).__class__(partial=True))(view)

        return decorator

    # ------------------------------------------------------------ paging

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
        meta = self._make_pagination_metadata(
            page_params.page, page_params.page_size, page_params.item_count
        )
        if getattr(page_params, "total_estimated", False):
            meta["total_estimated"] = True
        if getattr(page_params, "keyset", False):
            # Walking by cursor: page numbers do not apply.
            for name in ("page", "previous_page", "next_page"):
                meta.pop(name, None)
        if getattr(page_params, "next_after", None) is not None:
            meta["next_after"] = page_params.next_after
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(meta)
        return result, headers

    def _prepare_pagination_doc(self, doc, doc_info, *, spec, **kwargs):
        # `page` and `page_size` are documented (and validated) by each list's arguments
        # schema (schemas.common.PageArgs); only the header is added here.
        if doc_info.get("pagination"):
            for status in doc_info.get("success_status_codes", []):
                self._document_pagination_metadata(spec, doc["responses"][status])
        return doc
