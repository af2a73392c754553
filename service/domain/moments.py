"""Moments: named instants of an incident ("first contact", "shots fired").

A moment is an annotation an investigator writes, not evidence: it may be corrected or
deleted (each write is in the audit log like every other). Coverage answers, for each
moment, which sources were recording then and which expected officers were
(service.domain.coverage.incident_coverage).
"""

from service.domain.records import get_one
from service.domain.time import utcnow
from service.storage.models import Moment


def get_moment(moment_id, lock=False):
    return get_one(Moment, Moment.id == moment_id, f"moment {moment_id} not found", lock)


def list_moments(incident):
    """An incident's moments, in time order."""
    return Moment.select().where(Moment.incident == incident).order_by(Moment.at, Moment.id)


def add_moment(incident, values):
    return Moment.create(incident=incident, **values)


def update_moment(moment, changes):
    for key, value in changes.items():
        setattr(moment, key, value)
    moment.updated_at = utcnow()
    moment.save()
    return moment


def delete_moment(moment):
    """Moments are the one thing that can be deleted: they are notes about the evidence."""
    moment.delete_instance()
