"""The life of a request: token and role, one transaction per write, the audit entry,
security headers.
"""

import logging
import secrets

from flask import current_app, g, jsonify, request
from peewee import DatabaseError
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import IntegerConverter

from service.domain import audit, auth
from service.domain.vocabulary import MAX_ID
from service.storage.db import (
    RequestTransaction,
    open_connection,
    release_connection,
)
from service.web import access, bodies, clients

log = logging.getLogger("evidence")

API_PREFIX = "/api/v1"
PUBLIC_API_PATHS = (f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs")
# Path segments that name an action on a resource rather than the resource.
ACTIONS = {"release", "verify", "at", "approve", "reject"}

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The Swagger UI page ships an inline script of flask-smorest's; its assets are our own.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)


def html_csp(nonce):
    """Our HTML pages: inline <style>/<script> only with this response's nonce."""
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


class SignedIntConverter(IntegerConverter):
    """`<int:...>` that also matches negative and huge numbers, so they get a 422, not a 404."""

    regex = r"-?\d{1,40}"

    def __init__(self, url_map, **kwargs):
        kwargs.setdefault("signed", True)
        super().__init__(url_map, **kwargs)


def error_response(status, message, errors=None, headers=None, details=None):
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "message": message}
    body.update(details or {})
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def database_unavailable(error):
    """503 for a database that cannot take the request now; nothing was written."""
    g.database_fault = True  # this connection is not reused
    message = str(error)
    if "readonly" in message or "read-only" in message:
        # SQLite's file (or its disk) is read-only: maintenance, a full or remounted disk; or
        # a PostgreSQL replica (a read-only transaction).
        return error_response(
            503,
            "the database is read-only at the moment; nothing was "
            "written (reads that need no audit entry still work)",
            headers={"Retry-After": "30"},
        )
    return error_response(
        503,
        "the database is busy or unreachable; nothing was written, retry shortly",
        headers={"Retry-After": "2"},
    )


def _needs_token(path):
    return path.startswith(API_PREFIX) and not path.startswith(PUBLIC_API_PATHS)


def _bearer_token():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _rule():
    return request.url_rule.rule if request.url_rule else None


def _bad_path_ids():
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            return name
    return None


def open_request():
    g.token = None
    g.tx = None
    g.csp_nonce = secrets.token_urlsafe(16)
    g.database_fault = False
    open_connection()
    if not _needs_token(request.path):
        return None
    g.token = auth.authenticate(_bearer_token())
    if g.token is None:
        wait = clients.unauthenticated_wait()
        if wait is not None:
            g.rate_limited = True
            return error_response(
                429,
                "too many requests without a valid token from this address; retry after "
                f"{wait} s with a valid bearer token",
                headers={"Retry-After": str(wait)},
            )
        return error_response(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    rule = _rule()
    if rule is None:
        return None  # routing answers 404 / 405
    declared = access.current()
    if g.token.role not in access.allowed_roles(request.method, declared):
        allowed = ", ".join(sorted(access.allowed_roles(request.method, declared)))
        return error_response(
            403,
            f"role {g.token.role!r} may not {request.method} {request.path} "
            f"(allowed: {allowed}); use a token of one of those roles",
        )
    bad = _bad_path_ids()
    if bad:
        return error_response(
            422,
            f"{bad}: must be a whole number from 1 to {MAX_ID}",
            {"path": {bad: [f"must be from 1 to {MAX_ID}"]}},
        )
    if request.method in access.READ_METHODS:
        return None
    if declared.self_transacted:
        request.max_content_length = current_app.config["MAX_IMPORT_BYTES"]
        return None
    request.max_content_length = current_app.config["MAX_JSON_BYTES"]
    if request.content_length and not request.is_json:
        return error_response(415, "send the body as application/json")
    problem = bodies.json_body_problem(request.get_data(cache=True))
    if problem:
        return error_response(400, problem, {"json": {"body": [problem]}})
    g.tx = RequestTransaction()
    return None


def _created_id(response):
    if response.status_code != 201 or not response.is_json:
        return None
    body = response.get_json(silent=True)
    return body.get("id") if isinstance(body, dict) else None


def audit_base():
    """Who asked what, from where: the audit fields every entry of this request shares."""
    token = g.get("token")
    path = request.full_path.rstrip("?") if request.query_string else request.path
    return {
        "actor": token.name if token else None,
        "role": token.role if token else None,
        "method": request.method,
        "path": path[:2000],
        "ip": client_ip(),
    }


def client_ip():
    return clients.client_ip()


def _audit_fields(response):
    resource, resource_id = describe(_rule(), request.view_args, _created_id(response))
    return {
        **audit_base(),
        "status": response.status_code,
        "resource": resource,
        "resource_id": resource_id,
    }


def finish_request(response):
    """Commit or roll back the write, record the audit entry, add security headers."""
    tx = g.get("tx")
    audited = _in_audit_scope() and _is_audited(response.status_code)
    try:
        if tx is not None and tx.open and response.status_code < 400:
            if audited:
                audit.record(**_audit_fields(response))
            tx.commit()
        else:
            if tx is not None:
                tx.rollback()
            if audited:
                # One INSERT, which commits by itself: no transaction around it, so that on
                # SQLite the write lock is held for the statement only, not while Python
                # composes it (audited reads from every worker take turns on that lock).
                audit.record(**_audit_fields(response))
    except (DatabaseError, MaxConnectionsExceeded) as error:
        log.warning("could not save the request's changes or its audit entry: %s", error)
        if tx is not None:
            tx.rollback()
        response = database_unavailable(error)
    return _secure(response)


def describe(rule, view_args, created_id=None):
    """(resource, resource_id) for a URL rule: the last named collection and its id."""
    if rule is None:
        return None, None
    names = [p for p in rule.split("/") if p and not p.startswith("<") and p not in ACTIONS]
    names = [n for n in names if n not in ("api", "v1")]
    resource = names[-1] if names else None
    if created_id is not None:
        return resource, str(created_id)
    values = list((view_args or {}).values())
    return resource, (str(values[-1])[:100] if values else None)


def _is_audited(status):
    """Every write and every refusal; reads only where the view declares them audited.
    Requests refused by the unauthenticated rate limit are not: the limit is what keeps
    anonymous traffic from filling the log."""
    if g.get("rate_limited"):
        return False
    if request.method not in access.READ_METHODS or status >= 400:
        return True
    return request.url_rule is not None and bool(access.current().audited_reads)


def _in_audit_scope():
    return (
        request.path.startswith((API_PREFIX, "/dashboard"))
        and not request.path.startswith(PUBLIC_API_PATHS)
        and request.method != "OPTIONS"
    )


def _secure(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith(PUBLIC_API_PATHS[1]):
        headers.setdefault("Content-Security-Policy", DOCS_CSP)
    elif response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", html_csp(g.get("csp_nonce", "")))
    else:
        headers.setdefault("Content-Security-Policy", JSON_CSP)
    if _needs_token(request.path) or request.path.startswith("/dashboard"):
        headers.setdefault("Cache-Control", "no-store")
    _cors(headers)
    return response


def _cors(headers):
    origin = request.headers.get("Origin")
    if origin and origin in current_app.config.get("CORS_ORIGINS", []):
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
        headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match"
        headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, OPTIONS"
        headers["Access-Control-Expose-Headers"] = "ETag, X-Pagination"


def close_request(exc):
    tx = g.get("tx")
    failed = exc is not None or g.get("database_fault", False)
    if tx is not None and tx.open:
        try:
            tx.rollback()
        except DatabaseError:
            failed = True
    release_connection(failed)


def install(app):
    app.url_map.converters["int"] = SignedIntConverter
    app.before_request(open_request)
    app.after_request(finish_request)
    app.teardown_request(close_request)
