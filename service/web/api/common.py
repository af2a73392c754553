"""What every resource view shares: paging, ETags, the caller."""

import hashlib
import json
import math

from flask import g, request

from service.domain.errors import PreconditionFailed


def page_of(query, args, represent):
    """One page of `query` as (items, status, headers), the total in X-Pagination."""
    page, page_size = args["page"], args["page_size"]
    total = query.count()
    items = represent(query.paginate(page, page_size))
    total_pages = max(1, math.ceil(total / page_size))
    meta = {
        "total": total,
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
    return items, 200, {"X-Pagination": json.dumps(meta)}


def etag_of(representation):
    body = json.dumps(representation, sort_keys=True, default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def with_etag(representation, status=200):
    """A single resource answer carrying its ETag."""
    return representation, status, {"ETag": etag_of(representation)}


def check_if_match(current):
    """412 when the client's If-Match names another version than `current`."""
    wanted = request.headers.get("If-Match")
    if not wanted:
        return
    tags = {t.strip() for t in wanted.split(",")}
    if "*" in tags:
        return
    # Weak validators (W/"...") name the same version for our purposes.
    tags = {t[2:] if t.startswith("W/") else t for t in tags}
    if etag_of(current) not in tags:
        raise PreconditionFailed(
            "the resource has changed since you read it (If-Match does not match its ETag);"
            " read it again and retry"
        )


def actor():
    """The name of the token the request was made with."""
    return g.token.name
