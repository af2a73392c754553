"""The REST API: one flask-smorest blueprint per resource."""

from . import agencies, audit, coverage, incidents, officers, sources

BLUEPRINTS = [agencies.blp, officers.blp, incidents.blp, sources.blp, coverage.blp, audit.blp]
