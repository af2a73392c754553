"""Evidence governance: retention rules, disposal by request and approval, disclosure rules,
records requests and release decisions (see docs/governance.md)"""

from flask.views import MethodView

from schemas.governance import (
    DisposalCoverageArgs,
    DisposalListArgs,
    DisposalListItem,
    DisposalRequestSchema,
    RejectionSchema,
    RetentionRuleSchema,
    RuleListArgs,
)
from service.domain import disposal, retention
from service.web import access

from .common import Blueprint, Listing, actor, check_if_match

blp = Blueprint("governance", __name__, url_prefix="/api/v1")


@blp.route("/retention-rules")
class RetentionRules(MethodView):
    @blp.lists(RetentionRuleSchema, RuleListArgs)
    def get(self, args):
        """List retention rules"""
        return Listing(retention.list_rules(args))

    @access.allow("admin")
    @blp.creates(RetentionRuleSchema)
    def post(self, values):
        """Add a retention rule (every source's retain_until follows; admin only)"""
        return retention.create_rule(values)


@blp.route("/retention-rules/<int:rule_id>")
class RetentionRuleById(MethodView):
    @blp.reads(RetentionRuleSchema)
    def get(self, rule_id):
        """Read a retention rule"""
        return retention.get_rule(rule_id)

    @access.allow("admin")
    @blp.updates(RetentionRuleSchema)
    def patch(self, changes, rule_id):
        """Change or deactivate a retention rule (retain_until follows; admin only)"""
        rule = retention.get_rule(rule_id, lock=True)
        check_if_match(RetentionRuleSchema, rule)
        return retention.update_rule(rule, changes)


@blp.route("/sources/<int:source_id>/disposal-requests")
class SourceDisposalRequests(MethodView):
    @blp.lists(DisposalRequestSchema, DisposalListArgs)
    def get(self, args, source_id):
        """List a source's disposal requests"""
        return Listing(disposal.list_requests({**args, "source_id": source_id}))

    @blp.creates(DisposalRequestSchema)
    def post(self, values, source_id):
        """Ask for a source to be disposed of (an admin other than you approves)"""
        return disposal.request_disposal(source_id, values, actor())


@blp.route("/disposal-requests")
class DisposalRequests(MethodView):
    @blp.lists(DisposalRequestSchema, DisposalListArgs)
    def get(self, args):
        """List disposal requests, newest first"""
        return Listing(disposal.list_requests(args))


@blp.route("/disposal-requests/<int:request_id>")
class DisposalRequestById(MethodView):
    @blp.reads(DisposalRequestSchema)
    def get(self, request_id):
        """Read a disposal request"""
        return disposal.get_request(request_id)


@blp.route("/disposal-requests/<int:request_id>/approve")
class DisposalApproval(MethodView):
    @access.allow("admin")
    @blp.reads(DisposalRequestSchema)
    def post(self, request_id):
        """Approve a disposal request: the source's `disposed` custody event (admin, not the
        requester)"""
        return disposal.approve(request_id, actor())


@blp.route("/disposal-requests/<int:request_id>/reject")
class DisposalRejection(MethodView):
    @access.allow("admin")
    @blp.arguments(RejectionSchema)
    @blp.reads(DisposalRequestSchema)
    def post(self, values, request_id):
        """Reject a disposal request, with the reason (admin only)"""
        return disposal.reject(request_id, values, actor())


@blp.route("/coverage/disposals")
class Disposals(MethodView):
    @blp.lists(DisposalListItem, DisposalCoverageArgs)
    def get(self, args):
        """List disposed sources: incident, source, kind, officer, who asked, who approved,
        why, when (newest first)"""
        return Listing(disposal.disposals(args))
