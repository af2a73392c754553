"""Sources through the HTTP API."""

import json

SHA_A = "a" * 64
SHA_B = "b" * 64


def test_create_source_with_clock_offset_and_defaults(api, make):
    make.agency("CBP")
    officer = make.officer("CBP")
    incident = make.incident()
    make.involve(incident["id"], officer["id"])
    r = api.post(
        f"/incidents/{incident['id']}/sources",
        json={
            "kind": "bodycam",
            "officer_id": officer["id"],
            "device_id": "AXN-1",
            "recording_started_at": "2026-01-24T09:00:00-06:00",
            "recording_ended_at": "2026-01-24T09:10:00-06:00",
            "clock_offset_seconds": -30,
            "sha256": SHA_A.upper(),
            "size_bytes": 123,
            "storage_uri": "s3://bucket/a.mp4",
            "obtained_via": "agency_upload",
            "retain_until": "2033-01-24",
        },
    )
    assert r.status_code == 201, r.get_json()
    s = r.get_json()
    assert s["incident_id"] == incident["id"]
    assert s["sha256"] == SHA_A  # normalised to lower case
    assert s["corrected_started_at"] == "2026-01-24T14:59:30Z"
    assert s["corrected_ended_at"] == "2026-01-24T15:09:30Z"
    assert (s["custody_status"], s["review_status"], s["integrity"], s["legal_hold"]) == (
        "identified",
        "unreviewed",
        "unverified",
        False,
    )
    assert s["retain_until"] == "2033-01-24"
    assert api.get(f"/sources/{s['id']}").get_json() == s


def test_post_to_sources_needs_an_existing_incident(api, make):
    r = api.post("/sources", json={"kind": "bystander"})
    assert r.status_code == 422
    assert "incident_id" in r.get_json()["errors"]["json"]
    r = api.post("/sources", json={"kind": "bystander", "incident_id": 42})
    assert r.status_code == 422
    assert "incident 42" in r.get_json()["errors"]["json"]["incident_id"][0]
    incident = make.incident()
    r = api.post("/sources", json={"kind": "bystander", "incident_id": incident["id"]})
    assert r.status_code == 201
    assert api.post("/incidents/999/sources", json={"kind": "media"}).status_code == 404


def test_references_to_missing_officer_or_master_are_422(api, make):
    incident = make.incident()
    path = f"/incidents/{incident['id']}/sources"
    r = api.post(path, json={"kind": "bodycam", "officer_id": 77})
    assert r.status_code == 422 and "officer_id" in r.get_json()["errors"]["json"]
    r = api.post(path, json={"kind": "media", "derived_from_id": 77})
    assert r.status_code == 422 and "derived_from_id" in r.get_json()["errors"]["json"]
    assert json.loads(api.get("/sources").headers["X-Pagination"])["total"] == 0


def test_recording_end_before_start_is_422(api, make):
    incident = make.incident()
    r = api.post(
        f"/incidents/{incident['id']}/sources",
        json={
            "kind": "bystander",
            "recording_started_at": "2026-01-24T10:00:00Z",
            "recording_ended_at": "2026-01-24T09:59:59Z",
        },
    )
    assert r.status_code == 422
    assert "recording_ended_at" in r.get_json()["errors"]["json"]


def test_field_level_errors(api, make):
    incident = make.incident()
    path = f"/incidents/{incident['id']}/sources"
    cases = {
        "kind": {"kind": "vhs"},
        "sha256": {"kind": "media", "sha256": "xyz"},
        "size_bytes": {"kind": "media", "size_bytes": -1},
        "clock_offset_seconds": {"kind": "media", "clock_offset_seconds": 1e12},
        "recording_started_at": {"kind": "media", "recording_started_at": "yesterday"},
        "obtained_via": {"kind": "media", "obtained_via": "stolen"},
        "custody_status": {"kind": "media", "custody_status": "in_custody"},
        "retain_until": {"kind": "media", "retain_until": "2033-13-45"},
    }
    for field, body in cases.items():
        r = api.post(path, json=body)
        assert r.status_code == 422, field
        assert field in r.get_json()["errors"]["json"], (field, r.get_json())


def test_same_sha256_in_one_incident_is_409_naming_the_existing_source(api, make):
    first, second = make.incident(), make.incident()
    existing = make.source(first["id"], sha256=SHA_A)
    r = api.post(f"/incidents/{first['id']}/sources", json={"kind": "media", "sha256": SHA_A})
    assert r.status_code == 409
    assert str(existing["id"]) in r.get_json()["message"]
    # The same file may be evidence in another incident.
    make.source(second["id"], sha256=SHA_A)
    # Changing a source's hash onto another's is refused the same way.
    other = make.source(first["id"], sha256=SHA_B)
    r = api.patch(f"/sources/{other['id']}", json={"sha256": SHA_A})
    assert r.status_code == 409
    assert api.get(f"/sources/{other['id']}").get_json()["sha256"] == SHA_B


def test_sources_are_never_deleted(api, make):
    incident = make.incident()
    source = make.source(incident["id"])
    r = api.delete(f"/sources/{source['id']}", role="admin")
    assert r.status_code == 405
    assert r.get_json()["code"] == 405
    assert api.get(f"/sources/{source['id']}").status_code == 200


def test_patch_source_recomputes_corrected_span_and_honours_if_match(api, make):
    incident = make.incident()
    source = make.source(
        incident["id"],
        recording_started_at="2026-01-24T10:00:00Z",
        recording_ended_at="2026-01-24T10:05:00Z",
    )
    path = f"/sources/{source['id']}"
    etag = api.get(path).headers["ETag"]
    r = api.patch(path, json={"clock_offset_seconds": 60}, headers={"If-Match": etag})
    assert r.status_code == 200
    assert r.get_json()["corrected_started_at"] == "2026-01-24T10:01:00Z"
    r = api.patch(path, json={"notes": "stale"}, headers={"If-Match": etag})
    assert r.status_code == 412
    assert api.get(path).get_json()["notes"] is None
    r = api.patch(path, json={"legal_hold": True})
    assert r.status_code == 422


def test_list_and_filter_sources(api, make):
    make.agency("CBP")
    officer = make.officer("CBP")
    a, b = make.incident(), make.incident()
    make.involve(a["id"], officer["id"])
    make.source(a["id"], "bodycam", officer_id=officer["id"])
    make.source(a["id"], "bystander")
    make.source(b["id"], "bodycam")
    assert len(api.get("/sources").get_json()) == 3
    assert len(api.get(f"/sources?incident_id={a['id']}").get_json()) == 2
    assert len(api.get("/sources?kind=bodycam").get_json()) == 2
    assert len(api.get(f"/sources?officer_id={officer['id']}").get_json()) == 1
    assert len(api.get(f"/incidents/{a['id']}/sources?kind=bystander").get_json()) == 1
    assert len(api.get("/sources?custody_status=identified").get_json()) == 3
    assert api.get("/sources?custody_status=lost").status_code == 422
