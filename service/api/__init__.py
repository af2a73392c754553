"""The REST API: one flask-smorest blueprint per resource."""

from . import agencies, imports, incidents, officers, sources

BLUEPRINTS = [agencies.blp, officers.blp, incidents.blp, sources.blp, imports.blp]
