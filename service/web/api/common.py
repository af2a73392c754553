"""What every resource view shares: the blueprint (with paging), ETags, the caller."""

import hashlib
import json

from flask import g, request

from service.domain.errors import PreconditionFailed
from service.web.paging import Blueprint, Listing

__all__ = ["Blueprint", "Listing", "actor", "check_if_match", "etag_of", "with_etag"]


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
