"""The REST API: one flask-smorest blueprint per resource."""

from . import agencies, audit, imports, incidents, officers, sources

BLUEPRINTS = [agencies.blp, officers.blp, incidents.blp, sources.blp, audit.blp, imports.blp]
