"""What every resource view shares: the blueprint, lists, ETags, the caller."""

from flask import g

from service.web.paging import Listing
from service.web.resources import Blueprint, check_if_match

__all__ = ["Blueprint", "Listing", "actor", "check_if_match"]


def actor():
    """The name of the token the request was made with."""
    return g.token.name
