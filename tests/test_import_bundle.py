"""A bundle import (issue 13, finding 9): every kind in one body, applied in dependency order,
so a dry run validates a whole export at once."""

import json

from service.storage.models import CustodyEvent, Incident, Source

BUNDLE = [
    # deliberately out of order: custody first, agencies last
    {"record": "custody", "source_external_id": "s-1", "action": "received",
     "occurred_at": "2026-01-24T11:00:00Z"},
    {"record": "sources", "external_id": "s-1", "incident_external_id": "i-1",
     "kind": "bodycam", "officer_external_id": "o-1"},
    {"record": "involvements", "incident_external_id": "i-1", "officer_external_id": "o-1"},
    {"record": "incidents", "external_id": "i-1", "title": "Stop",
     "started_at": "2026-01-24T09:00:00Z", "agencies": ["MPD"]},
    {"record": "officers", "external_id": "o-1", "agency": "MPD", "badge_number": "7"},
    {"record": "agencies", "code": "MPD", "name": "Metropolitan Police"},
]  # fmt: skip


def post(api, rows, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return api.post(f"/imports/bundle?{q}", json=rows, role="importer")


def test_a_dry_run_checks_a_whole_export_at_once(api):
    r = post(api, BUNDLE, dry_run="true")
    body = r.get_json()
    assert r.status_code == 200, body
    assert body["kind"] == "bundle" and body["dry_run"] is True
    assert (body["received"], body["created"], body["rejected"]) == (6, 6, 0)
    assert body["records"]["sources"]["created"] == 1
    assert Incident.select().count() == 0 and Source.select().count() == 0


def test_a_bundle_is_applied_in_dependency_order(api):
    r = post(api, BUNDLE)
    assert r.status_code == 200, r.get_json()
    assert CustodyEvent.select().count() == 1
    again = post(api, BUNDLE).get_json()
    assert again["unchanged"] == 6 and again["created"] == 0


def test_bad_rows_are_named_by_their_position_and_nothing_is_written(api):
    rows = [*BUNDLE, {"record": "cameras", "x": 1}, {"title": "no kind"}]
    rows[1] = dict(rows[1], kind="hologram")
    r = post(api, rows)
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert {(e["row"], e["field"]) for e in errors} >= {(2, "kind"), (7, "record"), (8, "record")}
    assert "agencies" in json.dumps(errors)
    assert Incident.select().count() == 0


def test_csv_is_not_a_bundle(api):
    r = api.post(
        "/imports/bundle",
        data=b"record,code\nagencies,X\n",
        content_type="text/csv",
        role="importer",
    )
    assert r.status_code == 415
