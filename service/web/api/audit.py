"""The audit log (admin and oversight only)"""

from flask.views import MethodView

from schemas.audit import (
    AuditArgs,
    AuditEntrySchema,
    AuditProofArgs,
    AuditProofSchema,
    AuditTreeHeadArgs,
    AuditTreeHeadSchema,
    AuditVerifySchema,
)
from service.domain import audit, auditlog
from service.web import access, sealing

from .common import Blueprint, Listing

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit")


@blp.route("")
@access.allow("admin", "oversight")
@access.audited_reads
class AuditLog(MethodView):
    @blp.lists(AuditEntrySchema, AuditArgs)
    def get(self, args):
        """Who did what, when, with what outcome; newest first"""
        return Listing(
            audit.entries(args), seek=audit.entries_after, after=args.get("after"), plain=True
        )


@blp.route("/verify")
@access.allow("admin", "oversight")
@access.audited_reads
class AuditVerify(MethodView):
    @blp.response(200, AuditVerifySchema)
    def get(self):
        """Recompute the audit log from storage: the older hash chain, every sealed leaf,
        every signed tree head's root and signature, the unsealed entries' leaf hashes"""
        return audit.verify(sealing.signer())


@blp.route("/tree-heads")
@access.allow("admin", "oversight")
@access.audited_reads
class AuditTreeHeads(MethodView):
    @blp.lists(AuditTreeHeadSchema, AuditTreeHeadArgs)
    def get(self, args):
        """Signed tree heads of the audit log's Merkle tree (RFC 6962), largest first"""
        return Listing(auditlog.tree_heads())


@blp.route("/<int:entry_id>/proof")
@access.allow("admin", "oversight")
@access.audited_reads
class AuditProof(MethodView):
    @blp.arguments(AuditProofArgs, location="query")
    @blp.response(200, AuditProofSchema)
    def get(self, args, entry_id):
        """An entry's inclusion proof in a signed tree head (and, with `since`, the
        consistency proof between two tree heads)"""
        return auditlog.proof(entry_id, args.get("tree_size"), args.get("since"))
