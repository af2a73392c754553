"""The OpenAPI document as generated clients need it: a short, stable `operationId` on every
operation, in the users' words (a generated client's function names), and nullable enums
that list null among their values (OpenAPI 3.0.3: `nullable` does not extend `enum`)."""

import re

# (method, path) -> operationId. Renaming one renames a function in every generated client:
# never change one that shipped. Operations not listed get one derived from the path.
OPERATION_IDS = {
    ("get", "/api/v1/agencies"): "listAgencies",
    ("post", "/api/v1/agencies"): "createAgency",
    ("get", "/api/v1/agencies/{code}"): "getAgency",
    ("patch", "/api/v1/agencies/{code}"): "updateAgency",
    ("get", "/api/v1/officers"): "listOfficers",
    ("post", "/api/v1/officers"): "createOfficer",
    ("get", "/api/v1/officers/{officer_id}"): "getOfficer",
    ("patch", "/api/v1/officers/{officer_id}"): "updateOfficer",
    ("get", "/api/v1/incidents"): "listIncidents",
    ("post", "/api/v1/incidents"): "createIncident",
    ("get", "/api/v1/incidents/{incident_id}"): "getIncident",
    ("patch", "/api/v1/incidents/{incident_id}"): "updateIncident",
    ("get", "/api/v1/incidents/{incident_id}/officers"): "listInvolvements",
    ("post", "/api/v1/incidents/{incident_id}/officers"): "createInvolvement",
    ("get", "/api/v1/incidents/{incident_id}/officers/{officer_id}"): "getInvolvement",
    ("patch", "/api/v1/incidents/{incident_id}/officers/{officer_id}"): "updateInvolvement",
    ("get", "/api/v1/incidents/{incident_id}/sources"): "listIncidentSources",
    ("post", "/api/v1/incidents/{incident_id}/sources"): "createIncidentSource",
    ("get", "/api/v1/sources"): "listSources",
    ("post", "/api/v1/sources"): "createSource",
    ("get", "/api/v1/sources/{source_id}"): "getSource",
    ("patch", "/api/v1/sources/{source_id}"): "updateSource",
    ("get", "/api/v1/sources/{source_id}/custody"): "listCustodyEvents",
    ("post", "/api/v1/sources/{source_id}/custody"): "createCustodyEvent",
    ("get", "/api/v1/sources/{source_id}/custody/verify"): "verifyCustody",
    ("get", "/api/v1/sources/{source_id}/integrity/resolutions"): "listIntegrityResolutions",
    ("post", "/api/v1/sources/{source_id}/integrity/resolutions"): "resolveIntegrityMismatch",
    ("get", "/api/v1/sources/{source_id}/reviews"): "listReviews",
    ("post", "/api/v1/sources/{source_id}/reviews"): "createReview",
    ("get", "/api/v1/holds"): "listHolds",
    ("post", "/api/v1/holds"): "createHold",
    ("get", "/api/v1/holds/{hold_id}"): "getHold",
    ("post", "/api/v1/holds/{hold_id}/release"): "releaseHold",
    ("get", "/api/v1/coverage/backlog"): "listBacklog",
    ("get", "/api/v1/coverage/backlog/summary"): "getBacklogSummary",
    ("get", "/api/v1/coverage/incidents"): "listLackingIncidents",
    ("get", "/api/v1/coverage/officers"): "listOfficerCoverage",
    ("get", "/api/v1/coverage/summary"): "getCoverageSummary",
    ("get", "/api/v1/incidents/{incident_id}/coverage"): "getIncidentCoverage",
    ("get", "/api/v1/incidents/{incident_id}/coverage/at"): "getSourcesAt",
    ("get", "/api/v1/incidents/{incident_id}/evidence-report"): "getEvidenceReport",
    ("get", "/api/v1/audit"): "listAuditEntries",
    ("get", "/api/v1/audit/verify"): "verifyAudit",
    ("get", "/api/v1/reports/coverage"): "getCoverageReport",
    ("post", "/api/v1/imports/{kind}"): "importRecords",
    ("post", "/api/v1/imports/bundle"): "importBundle",
    # governance (retention, disposal, disclosure)
    ("get", "/api/v1/retention-rules"): "listRetentionRules",
    ("post", "/api/v1/retention-rules"): "createRetentionRule",
    ("get", "/api/v1/retention-rules/{rule_id}"): "getRetentionRule",
    ("patch", "/api/v1/retention-rules/{rule_id}"): "updateRetentionRule",
    ("get", "/api/v1/sources/{source_id}/disposal-requests"): "listSourceDisposalRequests",
    ("post", "/api/v1/sources/{source_id}/disposal-requests"): "requestDisposal",
    ("get", "/api/v1/disposal-requests"): "listDisposalRequests",
    ("get", "/api/v1/disposal-requests/{request_id}"): "getDisposalRequest",
    ("post", "/api/v1/disposal-requests/{request_id}/approve"): "approveDisposal",
    ("post", "/api/v1/disposal-requests/{request_id}/reject"): "rejectDisposal",
    ("get", "/api/v1/coverage/disposals"): "listDisposals",
    ("get", "/api/v1/disclosure-rules"): "listDisclosureRules",
    ("post", "/api/v1/disclosure-rules"): "createDisclosureRule",
    ("get", "/api/v1/disclosure-rules/{rule_id}"): "getDisclosureRule",
    ("patch", "/api/v1/disclosure-rules/{rule_id}"): "updateDisclosureRule",
    ("get", "/api/v1/incidents/{incident_id}/disclosure-requests"): "listIncidentRecordsRequests",
    ("post", "/api/v1/incidents/{incident_id}/disclosure-requests"): "createRecordsRequest",
    ("get", "/api/v1/disclosure-requests"): "listRecordsRequests",
    ("get", "/api/v1/incidents/{incident_id}/disclosures"): "listDisclosures",
    ("post", "/api/v1/incidents/{incident_id}/disclosures"): "recordDisclosure",
    ("get", "/api/v1/coverage/disclosure"): "listDisclosureDeadlines",
    # interchange
    ("get", "/api/v1/incidents/{incident_id}/export"): "exportIncident",
    ("get", "/api/v1/signing-key"): "getSigningKey",
    ("post", "/api/v1/imports/case"): "importCaseBundle",
    # moments, activation, search
    ("get", "/api/v1/incidents/{incident_id}/moments"): "listMoments",
    ("post", "/api/v1/incidents/{incident_id}/moments"): "createMoment",
    ("get", "/api/v1/moments/{moment_id}"): "getMoment",
    ("patch", "/api/v1/moments/{moment_id}"): "updateMoment",
    ("delete", "/api/v1/moments/{moment_id}"): "deleteMoment",
    ("get", "/api/v1/coverage/activation"): "listLateActivations",
    ("get", "/api/v1/officers/{officer_id}/incidents"): "listOfficerIncidents",
    # the sealed audit log
    ("get", "/api/v1/audit/tree-heads"): "listAuditTreeHeads",
    ("get", "/api/v1/audit/{entry_id}/proof"): "getAuditProof",
}
VERBS = {"get": "get", "post": "create", "patch": "update", "put": "replace", "delete": "delete"}
METHODS = tuple(VERBS)


def derived_operation_id(method, path):
    """For an operation not in OPERATION_IDS: the verb and the path's words, camelCase."""
    bare = re.sub(r"\{[^}]*\}", "", path.removeprefix("/api/v1"))
    words = [w for w in re.split(r"[/_-]", bare) if w]
    return VERBS[method] + "".join(w[:1].upper() + w[1:] for w in words)


def name_operations(spec):
    """Give every operation of `spec` (an apispec APISpec) its operationId."""
    for path, operations in spec._paths.items():
        for method, operation in operations.items():
            if method in METHODS and isinstance(operation, dict):
                operation.setdefault(
                    "operationId",
                    OPERATION_IDS.get((method, path)) or derived_operation_id(method, path),
                )


def null_in_nullable_enums(converter, field, ret, **kwargs):
    """An apispec attribute function: a field that may be null and has an enum lists null."""
    enum = ret.get("enum")
    if enum is not None and field.allow_none and None not in enum:
        return {"enum": [*enum, None]}
    return {}
