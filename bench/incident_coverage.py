"""Per-incident coverage of a 30-officer incident inside a large catalogue.

    python -m bench incident_coverage --db sqlite:///var/bench-coverage.db --reuse
    python -m bench incident_coverage --write-docs docs/performance.md

Adds (once) an incident like the Pretti shooting to the catalogue: 30 involved officers, 27
bodycam sources with clock offsets, 4 overlapping bystander clips, a media clip and a clip
with no span. Then times `GET /incidents/{id}/coverage` through the service (Flask test
client: token, validation, peewee, interval merging, JSON) against the same facts read by
hand-written SQL (the involvements with their bodycam ids, the sources' spans) and merged by
the same few lines of Python, alternating the two, both on the thread's open connection (a
server keeps one per worker thread; a script keeps its own). Target: a median under 5 ms
(issue 14), and the ratio reported like every other figure.
"""

import statistics
import uuid
from datetime import datetime, timedelta

from bench.coverage import _environment, _rows, _table_counts, timed, write_section
from bench.generate import generate
from service.domain import inventory
from service.domain.auth import create_token
from service.domain.coverage import gaps, merge_intervals
from service.storage.db import database
from service.storage.models import Incident
from service.web import create_app

TARGET_MS = 5.0
EXTERNAL_ID = "bench-30-officers"

HAND_OFFICERS = (
    "SELECT v.officer_id, o.name, a.code, v.role, v.camera_expected, "
    "v.not_recorded_reason FROM involvement v JOIN officer o ON o.id = v.officer_id "
    "JOIN agency a ON a.id = o.agency_id WHERE v.incident_id = {id} ORDER BY v.id"
)
HAND_SOURCES = (
    "SELECT s.id, s.kind, s.officer_id, s.corrected_started_at, "
    "s.corrected_ended_at FROM source s WHERE s.incident_id = {id} "
    "AND s.custody_status <> 'disposed' ORDER BY s.id"
)


def _ensure_incident():
    existing = Incident.get_or_none(Incident.external_id == EXTERNAL_ID)
    if existing is not None:
        return existing.id
    start = datetime(2026, 1, 24, 15, 2)
    with database.atomic():
        agency = inventory.Agency.select().first()
        incident = inventory.create_incident(
            {
                "external_id": EXTERNAL_ID,
                "title": "Benchmark: 30 officers",
                "kind": "shooting",
                "started_at": start,
                "ended_at": start + timedelta(minutes=38),
                "agencies": [agency.code],
            }
        )
        for n in range(30):
            officer = inventory.create_officer(
                {
                    "agency": agency.code,
                    "badge_number": f"bench30-{uuid.uuid4().hex[:10]}",
                    "camera_issued": True,
                }
            )
            inventory.involve_officer(incident, {"officer_id": officer.id})
            if n % 10 != 9:  # three officers without their own footage
                on = start + timedelta(minutes=n % 7, seconds=n * 3)
                inventory.create_source(
                    {
                        "kind": "bodycam",
                        "officer_id": officer.id,
                        "recording_started_at": on,
                        "recording_ended_at": on + timedelta(minutes=4 + n % 9),
                        "clock_offset_seconds": (n % 4) * 7.5,
                    },
                    incident_id=incident.id,
                )
        for at, minutes in ((1, 4), (3, 7), (6, 2), (12, 5), (20, 15)):
            inventory.create_source(
                {
                    "kind": "bystander",
                    "recording_started_at": start + timedelta(minutes=at),
                    "recording_ended_at": start + timedelta(minutes=at + minutes),
                },
                incident_id=incident.id,
            )
        inventory.create_source({"kind": "surveillance"}, incident_id=incident.id)
    return incident.id


def _by_hand(incident_id, started_at, ended_at):
    """The same facts as the service's answer, by hand-written SQL and the same merging."""
    officers = _rows(HAND_OFFICERS.format(id=incident_id))
    sources = _rows(HAND_SOURCES.format(id=incident_id))
    bodycams = {}
    spans = {}
    for source_id, kind, officer_id, start, end in sources:
        if kind == "bodycam" and officer_id is not None:
            bodycams.setdefault(officer_id, []).append(source_id)
        if start is not None and end is not None:
            spans.setdefault(kind, []).append((_dt(start), _dt(end), source_id))
    timeline = {kind: merge_intervals(items) for kind, items in spans.items()}
    everything = merge_intervals([i for items in spans.values() for i in items])
    holes = gaps(started_at, ended_at, everything)
    return officers, bodycams, timeline, holes


def _dt(value):
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def main(*, db, incidents, sources, seed, runs, reuse, write_docs):
    """`python -m bench incident_coverage`: generates (unless `reuse`) the catalogue at `db`,
    adds the 30-officer incident, times both sides `runs` times and prints the figures (and
    writes them into `write_docs`)."""
    if not reuse:
        generate(db, incidents, sources, seed)
    app = create_app({"DATABASE_URL": db})
    with app.app_context():
        database.connect(reuse_if_open=True)
        incident_id = _ensure_incident()
        incident = Incident.get_by_id(incident_id)
        token = create_token(f"bench-{uuid.uuid4().hex[:8]}", "oversight")
        table_counts = _table_counts()
        environment = _environment(
            db,
            {
                "incidents": table_counts["incident"],
                "sources": table_counts["source"],
                "involvements": table_counts["involvement"],
            },
        )
        database.close()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/incidents/{incident_id}/coverage"
    answer = client.get(path, headers=headers).get_json()
    assert len(answer["officers"]) == 30, answer
    assert sum(not o["covered"] for o in answer["officers"]) == 3

    def by_service():
        response = client.get(path, headers=headers)
        assert response.status_code == 200

    def by_hand():
        _by_hand(incident_id, incident.started_at, incident.ended_at)

    service_times, hand_times = [], []
    for _ in range(runs):
        service_times.append(timed(by_service))
        # On the connection the service keeps for this thread, left open, as a script keeps
        # its own: closing it after each hand-written run (as this benchmark did up to the
        # sixth pass) made every service request open a new connection with an empty page
        # cache, which no running server does (connections are kept per worker thread).
        hand_times.append(timed(by_hand))
    service_ms = statistics.median(service_times) * 1000
    hand_ms = statistics.median(hand_times) * 1000
    verdict = "met" if service_ms < TARGET_MS else "MISSED"
    text = "\n".join(
        [
            f"Measured {datetime.now().date().isoformat()}: {environment}.",
            f"`GET /incidents/{{id}}/coverage` of a 30-officer incident (27 bodycams, 5 bystander "
            f"clips, one clip without a span), median of {runs} interleaved runs:",
            "",
            "| question | service (median) | hand-written SQL + merge (median) | ratio | target |",
            "|---|---|---|---|---|",
            f"| per-incident coverage, 30 officers | {service_ms:.1f} ms | {hand_ms:.1f} ms | "
            f"{service_ms / hand_ms:.2f}x | < {TARGET_MS:.0f} ms: {verdict} |",
            "",
            f"p95: service {statistics.quantiles(service_times, n=20)[-1] * 1000:.1f} ms, "
            f"hand-written {statistics.quantiles(hand_times, n=20)[-1] * 1000:.1f} ms.",
        ]
    )
    print(text)
    if write_docs:
        backend = "SQLite" if db.startswith("sqlite") else "PostgreSQL"
        write_section(
            write_docs,
            f"incident_coverage-{backend.lower()}",
            f"### Per-incident coverage: {backend}\n\n{text}",
        )
        print(f"written to {write_docs}")
