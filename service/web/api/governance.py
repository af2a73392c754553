"""Evidence governance: retention rules, disposal by request and approval, disclosure rules,
records requests and release decisions (see docs/governance.md)"""

from flask.views import MethodView

from schemas.governance import (
    DisclosureCoverageArgs,
    DisclosureListArgs,
    DisclosureObligationSchema,
    DisclosureRequestListArgs,
    DisclosureRequestSchema,
    DisclosureRuleSchema,
    DisclosureSchema,
    DisposalCoverageArgs,
    DisposalListArgs,
    DisposalListItem,
    DisposalRequestSchema,
    RejectionSchema,
    RetentionRuleSchema,
    RuleListArgs,
)
from service.domain import disclosure, disposal, retention
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


@blp.route("/disclosure-rules")
class DisclosureRules(MethodView):
    @blp.lists(DisclosureRuleSchema, RuleListArgs)
    def get(self, args):
        """List disclosure rules"""
        return Listing(disclosure.list_rules(args))

    @access.allow("admin")
    @blp.creates(DisclosureRuleSchema)
    def post(self, values):
        """Add a disclosure rule (admin only)"""
        return disclosure.create_rule(values)


@blp.route("/disclosure-rules/<int:rule_id>")
class DisclosureRuleById(MethodView):
    @blp.reads(DisclosureRuleSchema)
    def get(self, rule_id):
        """Read a disclosure rule"""
        return disclosure.get_rule(rule_id)

    @access.allow("admin")
    @blp.updates(DisclosureRuleSchema)
    def patch(self, changes, rule_id):
        """Change or deactivate a disclosure rule (admin only)"""
        rule = disclosure.get_rule(rule_id, lock=True)
        check_if_match(DisclosureRuleSchema, rule)
        return disclosure.update_rule(rule, changes)


@blp.route("/incidents/<int:incident_id>/disclosure-requests")
class IncidentDisclosureRequests(MethodView):
    @blp.lists(DisclosureRequestSchema, DisclosureRequestListArgs)
    def get(self, args, incident_id):
        """List an incident's records requests, with their status"""
        found = disclosure.list_requests({**args, "incident_id": incident_id})
        return Listing(disclosure.ListQuery(found))

    @blp.creates(DisclosureRequestSchema)
    def post(self, values, incident_id):
        """Record a records request for an incident's footage"""
        request = disclosure.create_request(incident_id, values, actor())
        return disclosure.with_status([request])[0]


@blp.route("/disclosure-requests")
class DisclosureRequests(MethodView):
    @blp.lists(DisclosureRequestSchema, DisclosureRequestListArgs)
    def get(self, args):
        """List records requests, newest first (status and deadline from the rules)"""
        return Listing(disclosure.ListQuery(disclosure.list_requests(args)))


@blp.route("/incidents/<int:incident_id>/disclosures")
class IncidentDisclosures(MethodView):
    @blp.lists(DisclosureSchema, DisclosureListArgs)
    def get(self, args, incident_id):
        """List an incident's release decisions, oldest first"""
        return Listing(disclosure.list_decisions(incident_id))

    @blp.creates(DisclosureSchema)
    def post(self, values, incident_id):
        """Record a release decision (released, released_redacted, withheld, delayed);
        decisions are append-only"""
        return disclosure.record_decision(incident_id, values, actor())


@blp.route("/coverage/disclosure")
class DisclosureCoverage(MethodView):
    @blp.lists(DisclosureObligationSchema, DisclosureCoverageArgs)
    def get(self, args):
        """Release obligations per incident: overdue first (most days late first), then
        due, late, met, and incidents no rule applies to (no_rule, with the reason)"""
        return Listing(disclosure.ListQuery(disclosure.coverage(args, args.get("status"))))
