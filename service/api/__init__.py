"""The REST API: one flask-smorest blueprint per resource."""

from . import agencies, audit, incidents, officers, reports, sources

BLUEPRINTS = [agencies.blp, officers.blp, incidents.blp, sources.blp, audit.blp, reports.blp]
