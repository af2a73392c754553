"""What every resource view shares: the blueprint, lists, ETags, the caller."""

from flask import g

from service.web.paging import Listing
from service.web.resources import Blueprint, check_if_match

__all__ = ["Blueprint", "Listing", "actor", "check_if_match", "role"]


def actor():
    """The name of the token the request was made with."""
    return g.token.name


def role():
    """The role of the token the request was made with (domain rules that depend on who
    asks are given it explicitly)."""
    return g.token.role
