"""API tokens and the role rules of the contract.

A token is shown once, when created; the database keeps only its SHA-256. Tokens
are 256 random bits, so a fast hash is enough (no password stretching needed).
"""

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta

from peewee import DatabaseError

from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.time import utcnow
from service.domain.vocabulary import ROLES
from service.storage.db import Prepared
from service.storage.models import ApiToken

log = logging.getLogger("evidence")

TOKEN_PREFIX = "evi_"

# The token of every API request, by its hash (its SQL composed once).
_BY_HASH = Prepared(lambda digest: ApiToken.select().where(ApiToken.token_hash == digest), "0" * 64)


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_duration(text):
    """'30d', '12h', '45m' or '90s' as a timedelta."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([dhms])\s*", text or "")
    if not match:
        raise Invalid("expires_in", "use a number and a unit: 30d, 12h, 45m or 90s")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[unit]: amount})


def create_token(name, role, expires_in=None):
    """Create a token and return it in clear (the only time it is ever seen)."""
    if role not in ROLES:
        raise Invalid("role", f"must be one of {', '.join(ROLES)}")
    if not name or len(name) > 100:
        raise Invalid("name", "must be 1 to 100 characters")
    if ApiToken.select().where(ApiToken.name == name).exists():
        raise Conflict(f"a token named {name!r} already exists")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + parse_duration(expires_in) if expires_in else None
    ApiToken.create(name=name, role=role, token_hash=hash_token(token), expires_at=expires_at)
    return token


def revoke_token(name):
    updated = (
        ApiToken.update(revoked_at=utcnow())
        .where((ApiToken.name == name) & ApiToken.revoked_at.is_null())
        .execute()
    )
    if not updated:
        raise NotFound(f"no active token named {name!r}")


def authenticate(token):
    """The active ApiToken for a bearer token, or None."""
    if not token:
        return None
    digest = hash_token(token)
    record = _BY_HASH.first(digest)
    if record is None or not hmac.compare_digest(record.token_hash, digest):
        return None
    return _in_use(record)


def token_in_session(token_id, hash_prefix):
    """The active ApiToken a dashboard session names, or None.

    The session carries part of the token's hash as well as its id, so that a session
    never passes to another token that later gets the same id (a rebuilt database).
    """
    if not isinstance(token_id, int) or len(hash_prefix or "") < 16:
        return None
    record = ApiToken.get_or_none(ApiToken.id == token_id)
    if record is None or not hmac.compare_digest(
        record.token_hash[: len(hash_prefix)], hash_prefix
    ):
        return None
    return _in_use(record)


def _in_use(record):
    """`record` when it is neither revoked nor expired (noting its use), else None."""
    now = utcnow()
    if record.revoked_at is not None or (record.expires_at and record.expires_at <= now):
        return None
    # Recorded at most once a minute, so reads don't turn into a write each.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        try:
            ApiToken.update(last_used_at=now).where(ApiToken.id == record.id).execute()
            record.last_used_at = now
        except DatabaseError as error:
            # A read-only database still serves reads; the date waits for the next request.
            log.warning("could not record the token's last use: %s", error)
    return record
