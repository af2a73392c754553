"""A small seeded catalogue for the HTTP benchmark while bench/generate.py (the coverage
benchmark's generator) is not there: rows straight into the tables with insert_many."""

import random
from datetime import datetime, timedelta

from service.db import make_database
from service.migrations import upgrade
from service.models import Agency, Incident, IncidentAgency, Involvement, Officer, Source
from service.transfer import bound_to, fix_sequences

STATES = ["MN", "IL", "CA", "TX", "NY", "AZ"]


def _insert(model, rows, batch=2000):
    for start in range(0, len(rows), batch):
        model.insert_many(rows[start:start + batch]).execute()


def generate(url, incidents, sources, seed=2026):
    rng = random.Random(seed)
    db = make_database(url)
    with bound_to(db):
        upgrade()
        with db.atomic():
            _insert(Agency, [{"id": 1, "code": "CBP", "name": "CBP", "jurisdiction": "federal"}])
            officers = max(10, incidents // 3)
            _insert(Officer, [{"id": n, "agency": 1, "badge_number": f"B{n}",
                               "camera_issued": True} for n in range(1, officers + 1)])
            start = datetime(2019, 1, 1)
            _insert(Incident, [{"id": n, "title": f"Incident {n}", "kind": "use_of_force",
                                "state": rng.choice(STATES),
                                "started_at": start + timedelta(minutes=rng.randrange(3_000_000))}
                               for n in range(1, incidents + 1)])
            _insert(IncidentAgency, [{"incident": n, "agency": 1}
                                     for n in range(1, incidents + 1)])
            _insert(Involvement, [{"incident": n, "officer": rng.randrange(1, officers + 1),
                                   "camera_expected": True} for n in range(1, incidents + 1)])
            _insert(Source, [{"id": n, "incident": rng.randrange(1, incidents + 1),
                              "kind": "bodycam", "sha256": f"{n:064x}"}
                             for n in range(1, sources + 1)])
            fix_sequences(db)
    db.close()
    return {"incidents": incidents, "sources": sources}
