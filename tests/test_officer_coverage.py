"""Officers (issue 13, finding 10): a source's officer must be involved in its incident, and
`GET /coverage/officers` answers "which officers had no camera" in one request."""

import json

import pytest


@pytest.fixture
def scene(make):
    make.agency("MPD")
    a, b, c = (make.officer("MPD", name=n) for n in ("Avery", "Blake", "Casey"))
    incident = make.incident(title="Traffic stop", started_at="2026-01-24T09:00:00Z")
    for officer, role in ((a, "primary"), (b, "assisting"), (c, "witness")):
        make.involve(incident["id"], officer["id"], role=role, camera_expected=True)
    return incident, a, b, c


def test_a_source_officer_must_be_involved_in_the_incident(api, make, scene):
    incident, a, _, _ = scene
    stranger = make.officer("MPD", name="Drew")
    r = api.post(
        f"/incidents/{incident['id']}/sources",
        json={"kind": "bodycam", "officer_id": stranger["id"]},
    )
    assert r.status_code == 422
    assert "officer_id" in r.get_json()["errors"]["json"]
    assert "not involved" in r.get_json()["message"]
    ok = api.post(
        f"/incidents/{incident['id']}/sources", json={"kind": "bodycam", "officer_id": a["id"]}
    )
    assert ok.status_code == 201
    moved = api.patch(f"/sources/{ok.get_json()['id']}", json={"officer_id": stranger["id"]})
    assert moved.status_code == 422 and "officer_id" in moved.get_json()["errors"]["json"]


def test_the_importer_applies_the_same_rule(api, make, scene):
    incident, a, _, _ = scene
    stranger = make.officer("MPD", name="Drew")
    rows = [
        {
            "external_id": "s1",
            "incident_id": incident["id"],
            "kind": "bodycam",
            "officer_id": a["id"],
        },
        {
            "external_id": "s2",
            "incident_id": incident["id"],
            "kind": "bodycam",
            "officer_id": stranger["id"],
        },
    ]
    r = api.post("/imports/sources?mode=partial", json=rows, role="importer")
    body = r.get_json()
    assert body["created"] == 1 and body["rejected"] == 1, body
    assert "not involved" in json.dumps(body["errors"])


def test_officer_coverage_one_row_per_involvement(api, make, scene):
    incident, a, b, c = scene
    own = make.source(incident["id"], "bodycam", officer_id=a["id"])
    gone = make.source(incident["id"], "bodycam", officer_id=b["id"])
    make.custody(gone["id"], "received", "disposed")
    r = api.get("/coverage/officers")
    assert r.status_code == 200
    rows = {row["officer_id"]: row for row in r.get_json()}
    assert set(rows) == {a["id"], b["id"], c["id"]}
    assert json.loads(r.headers["X-Pagination"])["total"] == 3
    row = rows[a["id"]]
    assert row == {
        "incident_id": incident["id"],
        "incident_title": "Traffic stop",
        "started_at": "2026-01-24T09:00:00Z",
        "officer_id": a["id"],
        "name": "Avery",
        "badge_number": a["badge_number"],
        "agency": "MPD",
        "role": "primary",
        "camera_expected": True,
        "covered": True,
        "bodycam_source_ids": [own["id"]],
        "disposed_bodycam_source_ids": [],
        "not_recorded_reason": None,
        # no recording span known: no delay, not shown recording at the start
        "activation_delay_seconds": None,
        "recording_at_start": False,
    }
    assert rows[b["id"]]["covered"] is False
    assert rows[b["id"]]["disposed_bodycam_source_ids"] == [gone["id"]]
    uncovered = api.get("/coverage/officers?uncovered=true").get_json()
    assert {x["officer_id"] for x in uncovered} == {b["id"], c["id"]}
    covered = api.get("/coverage/officers?uncovered=false").get_json()
    assert [x["officer_id"] for x in covered] == [a["id"]]
    assert [x["officer_id"] for x in api.get("/coverage/officers?role=witness").get_json()] == [
        c["id"]
    ]
    assert api.get(f"/coverage/officers?officer_id={b['id']}").get_json()[0]["role"] == "assisting"
    assert api.get("/coverage/officers?from=2026-02-01T00:00:00Z").get_json() == []
    paged = api.get("/coverage/officers?page_size=2&page=2").get_json()
    assert len(paged) == 1
    bad = api.get("/coverage/officers?uncovered=maybe")
    assert bad.status_code == 422 and "uncovered" in bad.get_json()["message"]


def test_reports_list_the_uncovered_officers(api, make, scene):
    incident, a, b, c = scene
    make.source(incident["id"], "bodycam", officer_id=a["id"])
    r = api.get("/reports/coverage?format=csv&table=officers", role="oversight")
    assert r.status_code == 200, r.get_data(as_text=True)
    lines = r.get_data(as_text=True).splitlines()
    assert lines[0].startswith("incident_id,incident_title,started_at,officer_id,name")
    assert len(lines) == 3 and "Blake" in r.get_data(as_text=True) and "Avery" not in lines[1]
    assert "coverage-officers-" in r.headers["Content-Disposition"]
    doc = api.get("/reports/coverage?format=json&table=officers", role="oversight").get_json()
    assert {row["officer_id"] for row in doc["officers"]} == {b["id"], c["id"]}
    assert "officers" not in api.get("/reports/coverage?format=json").get_json()
    html = api.get("/reports/coverage?format=html&table=officers").get_data(as_text=True)
    assert f'data-officer-id="{b["id"]}"' in html and f'data-officer-id="{a["id"]}"' not in html


def test_the_reports_officers_table_reads_a_page_at_a_time(api, make, scene, monkeypatch):
    """Pages of 2 rows by keyset (incident time, incident, officer): a page may end between
    two officers of one incident, or between two incidents of the same time."""
    from service.domain import reports

    monkeypatch.setattr(reports, "PAGE_SIZE", 2)
    incident, a, b, c = scene  # three uncovered officers at 09:00
    tie = make.incident(title="Same time", started_at="2026-01-24T09:00:00Z")
    later = make.incident(title="Later", started_at="2026-01-25T09:00:00Z")
    for other in (tie, later):
        for officer in (a, c):
            make.involve(other["id"], officer["id"], camera_expected=True)
    doc = api.get("/reports/coverage?format=json&table=officers", role="oversight").get_json()
    rows = [(row["incident_id"], row["officer_id"]) for row in doc["officers"]]
    assert rows == [
        (later["id"], a["id"]),
        (later["id"], c["id"]),
        (tie["id"], a["id"]),
        (tie["id"], c["id"]),
        (incident["id"], a["id"]),
        (incident["id"], b["id"]),
        (incident["id"], c["id"]),
    ]
    listed = api.get("/coverage/officers?uncovered=true&page_size=100").get_json()
    assert rows == [(row["incident_id"], row["officer_id"]) for row in listed]


def test_officer_coverage_carries_activation(api, make, scene):
    """Avery's camera started 90 s before the incident (device clock 30 s slow: true start
    08:59:00), Blake's 2 min after it, Casey has none: delays -60, 120 and null."""
    incident, a, b, c = scene
    make.source(
        incident["id"],
        officer_id=a["id"],
        clock_offset_seconds=30,
        recording_started_at="2026-01-24T08:58:30Z",
        recording_ended_at="2026-01-24T09:20:00Z",
    )
    make.source(
        incident["id"],
        officer_id=b["id"],
        recording_started_at="2026-01-24T09:02:00Z",
        recording_ended_at="2026-01-24T09:20:00Z",
    )
    rows = api.get("/coverage/officers").get_json()
    got = {r["officer_id"]: (r["activation_delay_seconds"], r["recording_at_start"]) for r in rows}
    assert got == {a["id"]: (-60.0, True), b["id"]: (120.0, False), c["id"]: (None, False)}
    # the same figures as the incident's own coverage
    officers = api.get(f"/incidents/{incident['id']}/coverage").get_json()["officers"]
    assert {o["officer_id"]: o["activation_delay_seconds"] for o in officers} == {
        k: v[0] for k, v in got.items()
    }
