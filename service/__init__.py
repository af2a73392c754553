"""Evidence inventory: a catalogue of video sources per incident, their custody and coverage."""

import logging
import os

import flask_swagger_ui
from flask import Flask, g, jsonify, request, send_from_directory
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_smorest import Api
from peewee import DatabaseError, IntegrityError, InterfaceError, OperationalError

from . import auth, config as settings
from .api import BLUEPRINTS
from .db import RequestTransaction, backend_name, database, make_database
from .errors import DomainError

log = logging.getLogger("evidence")

API_PREFIX = "/api/v1"
PUBLIC_API_PATHS = (f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs")
SWAGGER_ASSETS = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
# Endpoints that manage their own transactions (bulk imports commit in batches).
SELF_TRANSACTED = {"imports.Imports"}


def error_body(status, name, message, errors=None, headers=None):
    body = {"code": status, "status": name, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


STATUS_NAMES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    409: "Conflict", 412: "Precondition Failed", 413: "Payload Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Entity", 503: "Service Unavailable",
}


def schema_name(schema):
    """Component names in the OpenAPI document: `IncidentPatch` for the partial form."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


def create_app(config=None):
    """The WSGI application. `config` overrides settings read from the environment."""
    app = Flask(__name__)
    app.config.update(settings.from_environment())
    app.config.update(
        API_TITLE="Evidence inventory",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{API_PREFIX}/docs/assets/",
        API_SPEC_OPTIONS={
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
            },
            "info": {
                "description": "Catalogue of video evidence per incident: sources, chain of "
                "custody, reviews, legal holds and coverage. See docs/api.md."
            },
        },
    )
    if config:
        app.config.update(config)
    app.json.sort_keys = False

    database.initialize(
        make_database(
            app.config["DATABASE_URL"],
            pool_size=app.config["DATABASE_POOL_SIZE"],
            busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        )
    )

    api = Api(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name)})
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)

    _register_service_routes(app)
    _register_request_hooks(app)
    _register_error_handlers(app)
    return app


def _register_service_routes(app):
    @app.get("/health")
    def health():
        """Liveness and the database in use."""
        try:
            database.execute_sql("SELECT 1")
        except (OperationalError, InterfaceError):
            return error_body(503, "Service Unavailable", "the database is unreachable",
                              headers={"Retry-After": "5"})
        return {"status": "ok", "database": backend_name()}

    @app.get(f"{API_PREFIX}/docs/assets/<path:filename>")
    def docs_assets(filename):
        return send_from_directory(SWAGGER_ASSETS, filename, max_age=86400)


def _needs_token(path):
    return path.startswith(API_PREFIX) and not path.startswith(PUBLIC_API_PATHS)


def _bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _register_request_hooks(app):
    @app.before_request
    def open_request():
        g.token = None
        g.tx = None
        database.connect(reuse_if_open=True)
        if not _needs_token(request.path):
            return None
        g.token = auth.authenticate(_bearer_token())
        if g.token is None:
            return error_body(401, "Unauthorized", "a valid bearer token is required",
                              headers={"WWW-Authenticate": "Bearer"})
        rule = request.url_rule.rule if request.url_rule else None
        if rule is None:
            return None  # routing answers 404 / 405
        if g.token.role not in auth.allowed_roles(request.method, rule):
            return error_body(403, "Forbidden",
                              f"role {g.token.role!r} may not {request.method} {rule}")
        if request.method in auth.READ_METHODS:
            return None
        if request.endpoint in SELF_TRANSACTED:
            request.max_content_length = app.config["MAX_IMPORT_BYTES"]
            return None
        request.max_content_length = app.config["MAX_JSON_BYTES"]
        if request.content_length and not request.is_json:
            return error_body(415, "Unsupported Media Type",
                              "send the body as application/json")
        g.tx = RequestTransaction()
        return None

    @app.after_request
    def finish_transaction(response):
        tx = g.get("tx")
        if tx is not None and tx.open:
            if response.status_code >= 400:
                tx.rollback()
            else:
                try:
                    tx.commit()
                except DatabaseError:
                    log.exception("commit failed")
                    tx.rollback()
                    return error_body(503, "Service Unavailable",
                                      "the change could not be saved; nothing was written",
                                      headers={"Retry-After": "1"})
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.teardown_request
    def close_request(exc):
        tx = g.get("tx")
        if tx is not None and tx.open:
            tx.rollback()
        if not database.is_closed():
            database.close()


def _register_error_handlers(app):
    @app.errorhandler(DomainError)
    def domain_error(error):
        return error_body(error.status, STATUS_NAMES.get(error.status, "Error"),
                          error.message, error.errors)

    @app.errorhandler(IntegrityError)
    def integrity_error(error):
        # A uniqueness race the checks before the write could not see.
        log.warning("integrity error: %s", error)
        return error_body(409, "Conflict", "conflicts with a record saved at the same time; "
                          "read it again and retry")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        log.warning("database unavailable: %s", error)
        return error_body(503, "Service Unavailable",
                          "the database is busy or unreachable; retry shortly",
                          headers={"Retry-After": "2"})
