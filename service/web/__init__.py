"""The web application: the REST API (flask-smorest blueprints, one per resource), the
dashboard, and the request hooks around them. `create_app` builds it."""

import logging
import os

import flask_swagger_ui
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, g, send_from_directory
from flask_smorest import Api, Blueprint
from peewee import IntegrityError, InterfaceError, InternalError, OperationalError
from playhouse.pool import MaxConnectionsExceeded

from service import config as settings
from service.domain.errors import DomainError
from service.storage.db import backend_name, database, make_database
from service.web import clients, hooks, messages, openapi, sealing, signin, templating

log = logging.getLogger("evidence")

SWAGGER_ASSETS = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")


def schema_name(schema):
    """Component names in the OpenAPI document: `IncidentPatch` for the partial form."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


class EvidenceApi(Api):
    """flask-smorest's Api, with a message in every error body."""

    def handle_http_exception(self, error):
        payload, status, headers = super().handle_http_exception(error)
        messages.improve(payload, error)
        payload.setdefault("message", error.description)
        valid_methods = getattr(error, "valid_methods", None)
        if status == 405 and valid_methods:
            headers = {**(headers or {}), "Allow": ", ".join(valid_methods)}
        return payload, status, headers


def create_app(config=None, *, routes=True):
    """The WSGI application. `config` overrides settings read from the environment.

    Without `routes`, for the command line's commands: the settings, the database and the
    templates (the HTML report) only. Building the API's views, hooks and OpenAPI document
    would add about a second to every command's start-up (an import's included) for
    nothing it uses."""
    app = Flask(__name__)
    app.config.update(settings.from_environment())
    app.config.update(
        API_TITLE="Evidence inventory",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=hooks.API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{hooks.API_PREFIX}/docs/assets/",
        API_SPEC_OPTIONS={
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "info": {
                "description": "Catalogue of video evidence per incident: sources, chain of "
                "custody, reviews, legal holds and coverage. See docs/api.md."
            },
        },
    )
    if config:
        app.config.update(config)
    app.config["TRUSTED_PROXY_NETWORKS"] = clients.trusted_networks(app.config["TRUSTED_PROXIES"])
    app.json.sort_keys = False

    database.initialize(
        make_database(
            app.config["DATABASE_URL"],
            pool_size=app.config["DATABASE_POOL_SIZE"],
            busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
            cache_kib=app.config["SQLITE_CACHE_KIB"],
            mmap_bytes=app.config["SQLITE_MMAP_BYTES"],
            wal_autocheckpoint=app.config["SQLITE_WAL_AUTOCHECKPOINT"],
        )
    )
    templating.install(app)
    if not routes:
        return app

    # The views are imported here, as the app is built, so that importing the package (or
    # any module beside it) does not import every view.
    from service.web.api import BLUEPRINTS
    from service.web.dashboard import blp as dashboard_blueprint

    hooks.install(app)
    sealing.install(app)
    signin.install(app)
    # Unknown query parameters are refused (422) like unknown body fields: a misspelt filter
    # must not silently answer with everything.
    Blueprint.ARGUMENTS_PARSER.unknown = None
    marshmallow_plugin = MarshmallowPlugin(schema_name)
    api = EvidenceApi(app, spec_kwargs={"marshmallow_plugin": marshmallow_plugin})
    marshmallow_plugin.converter.add_attribute_function(openapi.null_in_nullable_enums)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    openapi.name_operations(api.spec)

    # The dashboard is HTML for people, not part of the API (nor of its OpenAPI document).
    app.register_blueprint(dashboard_blueprint)
    _register_service_routes(app)
    _register_error_handlers(app)
    return app


def _register_service_routes(app):
    @app.get("/health")
    def health():
        """Liveness and the database in use."""
        try:
            database.execute_sql("SELECT 1")
        except (OperationalError, InterfaceError):
            g.database_fault = True
            return hooks.error_response(
                503, "the database is unreachable", headers={"Retry-After": "5"}
            )
        return {"status": "ok", "database": backend_name()}

    @app.get(f"{hooks.API_PREFIX}/docs/assets/<path:filename>")
    def docs_assets(filename):
        return send_from_directory(SWAGGER_ASSETS, filename, max_age=86400)


def _register_error_handlers(app):
    @app.errorhandler(DomainError)
    def domain_error(error):
        return hooks.error_response(
            error.status, error.message, error.errors, details=error.details
        )

    @app.errorhandler(IntegrityError)
    def integrity_error(error):
        # A uniqueness race the checks before the write could not see.
        log.warning("integrity error: %s", error)
        return hooks.error_response(
            409, "conflicts with a record saved at the same time; read it again and retry"
        )

    @app.errorhandler(InternalError)
    def internal_error(error):
        # PostgreSQL reports writes on a read-only replica this way; other internal errors
        # are bugs and stay 500s.
        if "read-only" in str(error):
            return database_unavailable(error)
        log.exception("database internal error")
        return hooks.error_response(500, "internal error")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(MaxConnectionsExceeded)  # every pooled connection busy for 10 s
    def database_unavailable(error):
        log.warning("database unavailable: %s", error)
        return hooks.database_unavailable(error)
