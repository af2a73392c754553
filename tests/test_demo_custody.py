"""The demo scenario's custody, reviews and holds (seed-story.md)."""

from datetime import datetime

from service.demo import load_demo
from service.domain import backlog, custody
from service.storage.db import database
from service.storage.models import Incident, LegalHold, Source


def test_demo_has_custody_reviews_and_holds_in_varied_states(app):
    with database.atomic():
        counts = load_demo()
    assert counts["custody events"] > counts["sources"]
    assert all(v["valid"] for v in custody.verify_all())

    pretti = Incident.get(Incident.external_id == "demo-pretti")
    sources = Source.select().where(Source.incident == pretti)
    assert all(s.legal_hold for s in sources)
    assert LegalHold.get(LegalHold.incident == pretti).active
    cctv = Source.get(Source.external_id == "demo-pretti-cctv-1")
    assert cctv.custody_status == "requested"  # asked for, never received

    def states(column):
        return {getattr(s, column) for s in Source.select()}

    assert states("custody_status") >= {"requested", "in_custody", "checked_out", "disposed"}
    assert states("review_status") >= {"unreviewed", "in_review", "reviewed", "flagged", "excluded"}
    assert states("integrity") == {"unverified", "verified", "mismatch"}
    overdue = backlog.counts({"older_than_days": 30}, now=datetime(2026, 11, 27))
    assert all(overdue.values()), overdue


def test_demo_pretti_has_moments_and_searchable_notes(app, api):
    with database.atomic():
        counts = load_demo()
    assert counts["moments"] == 2
    pretti = Incident.get(Incident.external_id == "demo-pretti")
    body = api.get(f"/incidents/{pretti.id}/coverage").get_json()
    assert [m["label"] for m in body["moments"]] == ["first contact", "shots fired"]
    shots = body["moments"][1]
    expected = {o["officer_id"] for o in body["officers"] if o["camera_expected"]}
    assert set(shots["officers_recording"]) | set(shots["officers_not_recording"]) == expected
    found = api.get("/sources", query_string={"q": "red pickup"}).get_json()
    assert {s["external_id"] for s in found} == {
        "demo-pretti-bystander-1",
        "demo-pretti-bystander-2",
    }
    assert api.get("/sources", query_string={"q": "CAFE"}).get_json()[0]["external_id"] == (
        "demo-pretti-bystander-4"
    )
