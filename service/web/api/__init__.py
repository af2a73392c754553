"""The REST API: one flask-smorest blueprint per resource."""

from service.web.api import (
    agencies,
    audit,
    backlog,
    coverage,
    custody,
    evidence_report,
    governance,
    holds,
    imports,
    incidents,
    interchange,
    moments,
    officers,
    reports,
    reviews,
    sources,
)

BLUEPRINTS = [
    agencies.blp,
    officers.blp,
    incidents.blp,
    sources.blp,
    custody.blp,
    reviews.blp,
    holds.blp,
    backlog.blp,
    coverage.blp,
    evidence_report.blp,
    audit.blp,
    reports.blp,
    imports.blp,
    governance.blp,
    interchange.blp,
    moments.blp,
]
