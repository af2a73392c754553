"""Signing in to the dashboard: a signed session cookie naming the API token that signed in.

The cookie holds the token's id and a piece of its hash, never the token. Every request
looks the token up again, so revoking it or letting it expire ends the session at once, and
the session itself is recorded on the server (service/domain/sessions.py): signing out ends
it there, so a copy of the cookie taken before sign-out no longer works.
The cookie is HttpOnly, SameSite=Strict, scoped to /dashboard and Secure when configured;
forms carry a per-session CSRF token as well. Sessions end when the browser closes, on
sign-out, or after SESSION_HOURS, whichever comes first.
"""

import hmac
import secrets
import time

from flask import current_app, session
from flask.sessions import SecureCookieSessionInterface

from service.domain import auth, sessions
from service.storage.instance import create_once

DASHBOARD_PREFIX = "/dashboard"
HASH_PREFIX_LENGTH = 16
MIN_KEY_BYTES = 32


def persistent_secret_key(path):
    """The key kept in `path`; made (random, readable by the owner only) when missing.

    Several workers may start at once: the key is written to a file of its own and then
    linked into place, so exactly one key wins and nobody reads a half-written file.
    """
    create_once(path, lambda: (secrets.token_hex(32) + "\n").encode("ascii"))
    return _read_key(path)


def _read_key(path):
    with open(path, encoding="ascii") as key_file:
        key = key_file.read().strip()
    if len(key) < MIN_KEY_BYTES:
        raise RuntimeError(
            f"the secret key in {path} is shorter than {MIN_KEY_BYTES} "
            "characters; delete the file to have a new one made"
        )
    return key


class DashboardSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for the dashboard's paths only.

    Elsewhere (the API) there is no session at all. The signing key is looked up on first
    use, so commands that never serve the dashboard never make a key file.
    """

    def open_session(self, app, request):
        if not request.path.startswith(DASHBOARD_PREFIX):
            return self.null_session_class()
        if not app.secret_key:
            app.secret_key = persistent_secret_key(app.config["SECRET_KEY_FILE"])
        return super().open_session(app, request)


def install(app):
    app.session_interface = DashboardSessions()


def sign_in(token):
    """Start a session for the ApiToken `token` (a fresh one: nothing of before carries over)."""
    session.clear()
    session["token_id"] = token.id
    session["token_hash"] = token.token_hash[:HASH_PREFIX_LENGTH]
    session["since"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)
    session["sid"] = sessions.start(token)


def sign_out():
    """End the session on the server too: a copy of the cookie no longer signs anyone in."""
    sessions.end(session.get("sid"))
    session.clear()


def signed_in_token():
    """The ApiToken of this session, re-checked now; None (and the session ended) if gone."""
    token_id = session.get("token_id")
    if token_id is None:
        return None
    max_age = current_app.config["SESSION_HOURS"] * 3600
    token = None
    if time.time() - session.get("since", 0) < max_age and sessions.is_live(
        session.get("sid"), token_id
    ):
        token = auth.token_in_session(token_id, session.get("token_hash"))
    if token is None:
        session.clear()
    return token


def csrf_token():
    """The session's CSRF token for a form's hidden field (made when the session has none)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(sent):
    expected = session.get("csrf")
    return bool(expected and sent) and hmac.compare_digest(str(sent), expected)
