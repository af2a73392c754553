"""Dashboard sessions kept on the server: the cookie carries a random session id, the database
its SHA-256; signing out ends the session there, so a copy of the cookie is worthless."""

import hashlib
import secrets

from service.domain.time import utcnow
from service.storage.db import database
from service.storage.models import DashboardSession


def _hash(session_id):
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start(token):
    """A new session for the ApiToken `token`: its id (for the cookie only)."""
    session_id = secrets.token_urlsafe(32)
    with database.atomic():
        DashboardSession.create(session_hash=_hash(session_id), token=token.id)
    return session_id


def is_live(session_id, token_id):
    """Whether the session exists for this token and has not been ended."""
    if not isinstance(session_id, str) or not session_id:
        return False
    return (
        DashboardSession.select()
        .where(
            (DashboardSession.session_hash == _hash(session_id))
            & (DashboardSession.token == token_id)
            & DashboardSession.ended_at.is_null()
        )
        .exists()
    )


def end(session_id):
    if isinstance(session_id, str) and session_id:
        with database.atomic():
            DashboardSession.update(ended_at=utcnow()).where(
                (DashboardSession.session_hash == _hash(session_id))
                & DashboardSession.ended_at.is_null()
            ).execute()
