"""Bulk import of CSV, NDJSON or JSON rows (see docs/import.md)"""

import functools

from flask import current_app, g, request
from flask.views import MethodView
from werkzeug.exceptions import RequestEntityTooLarge

from schemas.imports import (
    BUNDLE_BODY,
    IMPORT_BODY,
    IMPORT_KINDS,
    BundleRejectedSchema,
    BundleSummarySchema,
    ImportArgs,
    ImportRejectedSchema,
    ImportSummarySchema,
)
from service.bulk import bundle, importer
from service.bulk.readers import MEDIA_TYPES
from service.domain.errors import RowsRejected, TooLarge, UnsupportedMediaType
from service.web import access, hooks, messages

from .common import Blueprint

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports")


def _body_format():
    fmt = MEDIA_TYPES.get(request.mimetype)
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if fmt is None or charset not in ("utf-8", "utf8", "us-ascii"):
        raise UnsupportedMediaType(
            "send the rows as text/csv, application/x-ndjson or application/json (an array), "
            "encoded as UTF-8"
        )
    return fmt


def _too_large():
    limit = current_app.config["MAX_IMPORT_BYTES"]
    return TooLarge(
        f"the body is larger than the import limit of {limit:,} bytes "
        "(EVIDENCE_MAX_IMPORT_BYTES); split the file or use `evidence import`"
    )


def _imported(args, run):
    """Run an import (`run(stream, fmt, ...)`) on the request's body as the caller: its
    answer, or RowsRejected when atomic mode refused rows (nothing was written)."""
    fmt = _body_format()
    if (request.content_length or 0) > current_app.config["MAX_IMPORT_BYTES"]:
        raise _too_large()
    partial = args["mode"] == "partial"
    try:
        job = run(
            request.stream,
            fmt,
            dry_run=args["dry_run"],
            partial=partial,
            actor=g.token.name,
            role=g.token.role,
            audit_fields=hooks.audit_base(),
        )
    except RequestEntityTooLarge as exc:
        raise _too_large() from exc
    summary = job.as_dict()
    if job.counts["rejected"] and not partial:
        raise RowsRejected(
            f"{job.counts['rejected']} row(s) rejected, so nothing was written (atomic "
            "mode); fix them, or send mode=partial to write the good rows",
            details=summary,
        )
    return summary


@blp.route(f"/<any({', '.join(IMPORT_KINDS)}):kind>")
@access.allow("admin", "importer")
@access.self_transacted
class Imports(MethodView):
    @blp.arguments(ImportArgs, location="query")
    @blp.response(200, ImportSummarySchema)
    @blp.alt_response(
        422,
        schema=ImportRejectedSchema,
        description="rows were rejected (atomic mode: nothing was written), "
        "or the query string or CSV header is invalid",
    )
    @blp.alt_response(400, response="DEFAULT_ERROR", description="empty or unreadable body")
    @blp.alt_response(413, response="DEFAULT_ERROR", description="body over the import limit")
    @blp.alt_response(
        415, response="DEFAULT_ERROR", description="not CSV, NDJSON or JSON, or not UTF-8"
    )
    @blp.doc(requestBody=IMPORT_BODY)
    def post(self, args, kind):
        """Import records in bulk (CSV, NDJSON or a JSON array), idempotent by key"""
        return _imported(args, functools.partial(importer.run_import, kind))


@blp.route("/bundle")
@access.allow("admin", "importer")
@access.self_transacted
class ImportBundle(MethodView):
    @blp.arguments(ImportArgs, location="query")
    @blp.response(200, BundleSummarySchema)
    @blp.alt_response(
        422,
        schema=BundleRejectedSchema,
        description="rows were rejected (atomic mode: nothing was written)",
    )
    @blp.alt_response(400, response="DEFAULT_ERROR", description="empty or unreadable body")
    @blp.alt_response(413, response="DEFAULT_ERROR", description="body over the import limit")
    @blp.alt_response(
        415, response="DEFAULT_ERROR", description="not NDJSON or a JSON array, or not UTF-8"
    )
    @blp.doc(requestBody=BUNDLE_BODY)
    def post(self, args):
        """Import records of every kind at once, in dependency order (a dry run checks an
        export whole)"""
        return _imported(args, bundle.run_bundle)


messages.NOT_FOUND_HINTS[blp.url_prefix + "/"] = (
    "no such import kind; the kinds are: "
    + ", ".join(IMPORT_KINDS)
    + " (POST /api/v1/imports/{kind}), or POST /api/v1/imports/bundle for all of them at once"
)
