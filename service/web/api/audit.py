"""The audit log (admin and oversight only)"""

from flask.views import MethodView

from schemas.audit import AuditArgs, AuditEntrySchema, AuditVerifySchema
from service.domain import audit
from service.web import access

from .common import Blueprint, Listing

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit")


@blp.route("")
@access.allow("admin", "oversight")
@access.audited_reads
class AuditLog(MethodView):
    @blp.lists(AuditEntrySchema, AuditArgs)
    def get(self, args):
        """Who did what, when, with what outcome; newest first"""
        return Listing(audit.entries(args), seek=audit.entries_after, after=args.get("after"))


@blp.route("/verify")
@access.allow("admin", "oversight")
@access.audited_reads
class AuditVerify(MethodView):
    @blp.response(200, AuditVerifySchema)
    def get(self):
        """Recompute the audit log's hash chain from storage"""
        return audit.verify()
