"""Every endpoint, every role, and no token: the status each one gets.

The table below is written out by hand from the contract (shared/API.md), not derived from
the code's policy, so a change of rule in the code shows up here. A new endpoint must be added
to it: `test_the_table_covers_every_endpoint` fails otherwise.
"""

import re

import pytest

ALL = {"admin", "investigator", "oversight", "importer"}
WRITERS = {"admin", "investigator"}
AUDIT_READERS = {"admin", "oversight"}

# (method, URL rule, roles allowed)
MATRIX = [
    ("GET", "/api/v1/agencies", ALL),
    ("POST", "/api/v1/agencies", WRITERS),
    ("GET", "/api/v1/agencies/<string:code>", ALL),
    ("PATCH", "/api/v1/agencies/<string:code>", WRITERS),
    ("GET", "/api/v1/officers", ALL),
    ("POST", "/api/v1/officers", WRITERS),
    ("GET", "/api/v1/officers/<int:officer_id>", ALL),
    ("PATCH", "/api/v1/officers/<int:officer_id>", WRITERS),
    ("GET", "/api/v1/officers/<int:officer_id>/incidents", ALL),
    ("GET", "/api/v1/incidents", ALL),
    ("POST", "/api/v1/incidents", WRITERS),
    ("GET", "/api/v1/incidents/<int:incident_id>", ALL),
    ("PATCH", "/api/v1/incidents/<int:incident_id>", WRITERS),
    ("GET", "/api/v1/incidents/<int:incident_id>/officers", ALL),
    ("POST", "/api/v1/incidents/<int:incident_id>/officers", WRITERS),
    ("GET", "/api/v1/incidents/<int:incident_id>/officers/<int:officer_id>", ALL),
    ("PATCH", "/api/v1/incidents/<int:incident_id>/officers/<int:officer_id>", WRITERS),
    ("GET", "/api/v1/incidents/<int:incident_id>/sources", ALL),
    ("POST", "/api/v1/incidents/<int:incident_id>/sources", WRITERS),
    ("GET", "/api/v1/sources", ALL),
    ("POST", "/api/v1/sources", WRITERS),
    ("GET", "/api/v1/sources/<int:source_id>", ALL),
    ("PATCH", "/api/v1/sources/<int:source_id>", WRITERS),
    ("GET", "/api/v1/coverage/incidents", ALL),
    ("GET", "/api/v1/coverage/summary", ALL),
    ("GET", "/api/v1/coverage/activation", ALL),
    ("GET", "/api/v1/coverage/officers", ALL),
    ("GET", "/api/v1/incidents/<int:incident_id>/coverage", ALL),
    ("GET", "/api/v1/incidents/<int:incident_id>/coverage/at", ALL),
    ("GET", "/api/v1/sources/<int:source_id>/custody", ALL),
    ("POST", "/api/v1/sources/<int:source_id>/custody", WRITERS),
    ("GET", "/api/v1/sources/<int:source_id>/custody/verify", ALL),
    ("GET", "/api/v1/sources/<int:source_id>/integrity/resolutions", ALL),
    ("POST", "/api/v1/sources/<int:source_id>/integrity/resolutions", {"admin"}),
    ("GET", "/api/v1/sources/<int:source_id>/reviews", ALL),
    ("POST", "/api/v1/sources/<int:source_id>/reviews", WRITERS),
    ("GET", "/api/v1/holds", ALL),
    ("POST", "/api/v1/holds", WRITERS),
    ("GET", "/api/v1/holds/<int:hold_id>", ALL),
    ("POST", "/api/v1/holds/<int:hold_id>/release", {"admin"}),
    ("GET", "/api/v1/coverage/backlog", ALL),
    ("GET", "/api/v1/coverage/backlog/summary", ALL),
    ("GET", "/api/v1/incidents/<int:incident_id>/evidence-report", ALL),
    ("GET", "/api/v1/incidents/<int:incident_id>/export", ALL),
    ("GET", "/api/v1/signing-key", ALL),
    ("GET", "/api/v1/audit", AUDIT_READERS),
    ("GET", "/api/v1/audit/verify", AUDIT_READERS),
    ("GET", "/api/v1/audit/tree-heads", AUDIT_READERS),
    ("GET", "/api/v1/audit/<int:entry_id>/proof", AUDIT_READERS),
    ("GET", "/api/v1/reports/coverage", ALL),
    ("GET", "/api/v1/retention-rules", ALL),
    ("POST", "/api/v1/retention-rules", {"admin"}),
    ("GET", "/api/v1/retention-rules/<int:rule_id>", ALL),
    ("PATCH", "/api/v1/retention-rules/<int:rule_id>", {"admin"}),
    ("GET", "/api/v1/sources/<int:source_id>/disposal-requests", ALL),
    ("POST", "/api/v1/sources/<int:source_id>/disposal-requests", WRITERS),
    ("GET", "/api/v1/disposal-requests", ALL),
    ("GET", "/api/v1/disposal-requests/<int:request_id>", ALL),
    ("POST", "/api/v1/disposal-requests/<int:request_id>/approve", {"admin"}),
    ("POST", "/api/v1/disposal-requests/<int:request_id>/reject", {"admin"}),
    ("GET", "/api/v1/coverage/disposals", ALL),
    ("GET", "/api/v1/disclosure-rules", ALL),
    ("POST", "/api/v1/disclosure-rules", {"admin"}),
    ("GET", "/api/v1/disclosure-rules/<int:rule_id>", ALL),
    ("PATCH", "/api/v1/disclosure-rules/<int:rule_id>", {"admin"}),
    ("GET", "/api/v1/incidents/<int:incident_id>/disclosure-requests", ALL),
    ("POST", "/api/v1/incidents/<int:incident_id>/disclosure-requests", WRITERS),
    ("GET", "/api/v1/disclosure-requests", ALL),
    ("GET", "/api/v1/incidents/<int:incident_id>/disclosures", ALL),
    ("POST", "/api/v1/incidents/<int:incident_id>/disclosures", WRITERS),
    ("GET", "/api/v1/coverage/disclosure", ALL),
    ("GET", "/api/v1/incidents/<int:incident_id>/moments", ALL),
    ("POST", "/api/v1/incidents/<int:incident_id>/moments", WRITERS),
    ("GET", "/api/v1/moments/<int:moment_id>", ALL),
    ("PATCH", "/api/v1/moments/<int:moment_id>", WRITERS),
    ("DELETE", "/api/v1/moments/<int:moment_id>", WRITERS),
    ("POST", "/api/v1/imports/bundle", {"admin", "importer"}),
    (
        "POST",
        "/api/v1/imports/<any(agencies, officers, incidents, involvements, sources, custody):kind>",
        {"admin", "importer"},
    ),
    ("POST", "/api/v1/imports/case", {"admin", "importer"}),
]

SAMPLE = {
    "code": "CBP",
    "officer_id": "1",
    "incident_id": "1",
    "source_id": "1",
    "hold_id": "1",
    "kind": "sources",
}


def concrete(rule):
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", lambda m: SAMPLE.get(m.group(1), "1"), rule)


def test_the_table_covers_every_endpoint(app):
    listed = {(method, rule) for method, rule, _ in MATRIX}
    routed = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and not rule.rule.startswith(("/api/v1/openapi.json", "/api/v1/docs"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed - listed == set(), "endpoints missing from the role matrix"
    assert listed - routed == set(), "the matrix names endpoints that do not exist"


@pytest.mark.parametrize("method,rule,allowed", MATRIX, ids=[f"{m} {r}" for m, r, _ in MATRIX])
def test_every_role_gets_the_right_answer(api, make, method, rule, allowed):
    make.agency("CBP")
    officer = make.officer("CBP")
    incident = make.incident()
    make.involve(incident["id"], officer["id"])
    make.source(incident["id"])
    path = concrete(rule)
    body = {} if method in ("POST", "PATCH") else None
    anonymous = api.request(method, path, role=None, json=body)
    assert anonymous.status_code == 401, (method, path)
    for role in sorted(ALL):
        status = api.request(method, path, role=role, json=body).status_code
        if role in allowed:
            assert status not in (401, 403), (method, path, role, status)
        else:
            assert status == 403, (method, path, role, status)
