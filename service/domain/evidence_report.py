"""The evidence report of an incident, as an investigator attaches it to a case file:
every source with its full chain of custody, the chain's verification, its reviews,
and the legal holds that cover the incident's sources."""

from collections import Counter

from service.domain import custody, holds, inventory, reviews
from service.domain.time import utcnow
from service.domain.vocabulary import CUSTODY_STATUSES, INTEGRITY_STATES, REVIEW_STATUSES
from service.storage.models import Source


def _tally(values, names):
    counter = Counter(values)
    return {name: counter.get(name, 0) for name in names}


def evidence_report(incident_id, generated_by):
    """The report as a dict (timestamps as datetimes; the API dumps them as RFC 3339)."""
    incident = inventory.get_incident(incident_id)
    sources = list(Source.select().where(Source.incident == incident.id).order_by(Source.id))
    ids = [s.id for s in sources]
    chains = custody.events_by_source(ids)
    histories = reviews.reviews_by_source(ids)
    entries = [
        {
            "source": s,
            "custody": chains[s.id],
            "verification": custody.verify_source(s, chains[s.id]),
            "reviews": histories[s.id],
        }
        for s in sources
    ]
    broken = [e["source"].id for e in entries if not e["verification"]["valid"]]
    return {
        "incident": incident,
        "generated_at": utcnow(),
        "generated_by": generated_by,
        "summary": {
            "sources": len(sources),
            "custody_events": sum(len(c) for c in chains.values()),
            "chains_valid": len(sources) - len(broken),
            "chains_broken": len(broken),
            "broken_source_ids": broken,
            "on_legal_hold": sum(1 for s in sources if s.legal_hold),
            "custody_status": _tally((s.custody_status for s in sources), CUSTODY_STATUSES),
            "review_status": _tally((s.review_status for s in sources), REVIEW_STATUSES),
            "integrity": _tally((s.integrity for s in sources), INTEGRITY_STATES),
        },
        "holds": holds.with_listed_sources(holds.covering_incident(incident.id)),
        "sources": entries,
    }
