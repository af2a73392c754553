"""Disposal: a request and a second person's approval, refused while the footage must be kept."""

import json

import pytest
from freezegun import freeze_time

STARTED = "2026-01-24T09:00:00-06:00"


@pytest.fixture
def source(api, make):
    make.agency("MPD", jurisdiction="municipal")
    api.create(
        "/retention-rules",
        {"name": "base", "state": "MN", "minimum_days": 90, "citation": "Minn. Stat. § 13.825"},
        role="admin",
    )
    incident = make.incident(started_at=STARTED, location={"state": "MN"}, agencies=["MPD"])
    s = make.source(incident["id"], "bodycam")
    # Received soon after the incident: the disposals below happen later in (frozen) time.
    api.create(
        f"/sources/{s['id']}/custody", {"action": "received", "occurred_at": "2026-01-25T10:00:00Z"}
    )
    assert s["retain_until"] == "2026-04-24"
    return s


def ask(api, source_id, role="investigator", reason="retention period over"):
    return api.post(f"/sources/{source_id}/disposal-requests", json={"reason": reason}, role=role)


def test_request_then_approval_by_another_admin(api, source):
    with freeze_time("2026-05-01T10:00:00Z"):
        r = ask(api, source["id"])
        assert r.status_code == 201
        request = r.get_json()
        assert {
            k: request[k] for k in ("source_id", "reason", "requested_by", "requested_at", "status")
        } == {
            "source_id": source["id"],
            "reason": "retention period over",
            "requested_by": "investigator",
            "requested_at": "2026-05-01T10:00:00Z",
            "status": "pending",
        }
        # nothing disposed yet; one pending request at a time
        assert api.get(f"/sources/{source['id']}").get_json()["custody_status"] == "in_custody"
        assert ask(api, source["id"]).status_code == 409
        assert api.get("/disposal-requests?status=pending").get_json() == [request]
    with freeze_time("2026-05-02T10:00:00Z"):
        assert api.post(f"/disposal-requests/{request['id']}/approve").status_code == 403
        r = api.post(f"/disposal-requests/{request['id']}/approve", role="admin")
        assert r.status_code == 200
        approved = r.get_json()
        assert approved["status"] == "approved" and approved["decided_by"] == "admin"
        assert approved["decided_at"] == "2026-05-02T10:00:00Z"
    chain = api.get(f"/sources/{source['id']}/custody").get_json()
    last = chain[-1]
    assert last["action"] == "disposed" and last["actor"] == "admin"
    assert f"disposal request {request['id']}" in last["note"]
    assert "by investigator" in last["note"] and "approved by admin" in last["note"]
    assert api.get(f"/sources/{source['id']}/custody/verify").get_json()["valid"] is True
    assert api.get(f"/sources/{source['id']}").get_json()["custody_status"] == "disposed"
    assert api.post(f"/disposal-requests/{request['id']}/approve", role="admin").status_code == 409
    assert api.get("/disposal-requests?status=approved").get_json()[0]["id"] == request["id"]
    assert api.get("/disposal-requests?status=pending").get_json() == []
    # the request and the approval are in the audit log
    audit = api.get("/audit?resource=disposal-requests", role="admin").get_json()
    logged = {(e["method"], e["path"], e["status"], e["actor"]) for e in audit}
    assert ("POST", f"/api/v1/sources/{source['id']}/disposal-requests", 201, "investigator") in (
        logged
    )
    assert ("POST", f"/api/v1/disposal-requests/{request['id']}/approve", 200, "admin") in logged


@freeze_time("2026-05-01T10:00:00Z")
def test_the_requester_cannot_approve(api, source):
    request = ask(api, source["id"], role="admin").get_json()
    r = api.post(f"/disposal-requests/{request['id']}/approve", role="admin")
    assert r.status_code == 409
    assert r.get_json()["message"].startswith("two-person rule")
    assert api.get(f"/sources/{source['id']}").get_json()["custody_status"] == "in_custody"


def test_refused_before_retain_until_through_its_day(api, source):
    with freeze_time("2026-04-24T23:59:00Z"):
        r = ask(api, source["id"])
        assert r.status_code == 409
        message = r.get_json()["message"]
        assert "until 2026-04-24" in message and "'base'" in message
        assert "Minn. Stat. § 13.825" in message
    with freeze_time("2026-04-25T00:00:00Z"):
        assert ask(api, source["id"]).status_code == 201


def test_refused_when_kept_indefinitely(api, make, source):
    api.create(
        "/retention-rules",
        {"name": "forever", "state": "MN", "tags": ["deadly_force"], "minimum_days": None},
        role="admin",
    )
    api.patch(f"/incidents/{source['incident_id']}", json={"tags": ["deadly_force"]})
    with freeze_time("2040-01-01T00:00:00Z"):
        r = ask(api, source["id"])
    assert r.status_code == 409
    assert "indefinitely" in r.get_json()["message"] and "'forever'" in r.get_json()["message"]


@freeze_time("2026-05-01T10:00:00Z")
def test_checked_again_at_approval(api, source):
    request = ask(api, source["id"]).get_json()
    hold = api.create("/holds", {"name": "Subpoena", "incident_id": source["incident_id"]})
    r = api.post(f"/disposal-requests/{request['id']}/approve", role="admin")
    assert r.status_code == 409
    assert f"legal hold(s) {hold['id']}" in r.get_json()["message"]
    api.post(f"/holds/{hold['id']}/release", role="admin")
    # a longer rule added after the request also stops the approval
    api.create(
        "/retention-rules", {"name": "longer", "state": "MN", "minimum_days": 400}, role="admin"
    )
    r = api.post(f"/disposal-requests/{request['id']}/approve", role="admin")
    assert r.status_code == 409 and "'longer'" in r.get_json()["message"]
    assert api.get(f"/disposal-requests/{request['id']}").get_json()["status"] == "pending"


@freeze_time("2026-05-01T10:00:00Z")
def test_rejection_with_a_reason(api, source):
    request = ask(api, source["id"]).get_json()
    r = api.post(f"/disposal-requests/{request['id']}/reject", json={}, role="admin")
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]["json"]
    r = api.post(
        f"/disposal-requests/{request['id']}/reject",
        json={"reason": "civil suit expected"},
        role="admin",
    )
    assert r.status_code == 200
    assert r.get_json()["status"] == "rejected"
    assert r.get_json()["decision_reason"] == "civil suit expected"
    assert api.post(f"/disposal-requests/{request['id']}/approve", role="admin").status_code == 409
    assert api.get(f"/sources/{source['id']}").get_json()["custody_status"] == "in_custody"
    # a new request may follow a rejected one
    assert ask(api, source["id"]).status_code == 201
    assert api.post("/disposal-requests/999/approve", role="admin").status_code == 404
    assert ask(api, 999).status_code == 404
    assert api.post(f"/sources/{source['id']}/disposal-requests", json={}).status_code == 422


def test_disposals_stay_visible_in_coverage(api, make, source):
    officer = make.officer("MPD")
    incident_id = source["incident_id"]
    make.involve(incident_id, officer["id"], camera_expected=True)
    api.patch(f"/sources/{source['id']}", json={"officer_id": officer["id"]})
    other = make.source(make.incident(title="Elsewhere", location={"state": "WI"})["id"], "dashcam")
    with freeze_time("2026-05-01T10:00:00Z"):
        make.dispose(source["id"], reason="retention period over")
        make.dispose(other["id"], reason="duplicate upload")
    r = api.get("/coverage/disposals", role="oversight")
    assert r.status_code == 200
    listed = r.get_json()
    assert [d["source_id"] for d in listed] == [other["id"], source["id"]]
    first = listed[1]
    assert first == {
        "incident_id": incident_id,
        "incident_title": "Test incident",
        "source_id": source["id"],
        "kind": "bodycam",
        "officer_id": officer["id"],
        "requested_by": "investigator",
        "approved_by": "admin",
        "reason": "retention period over",
        "at": "2026-05-01T10:00:00Z",
        "request_id": first["request_id"],
    }
    assert [d["source_id"] for d in api.get("/coverage/disposals?state=MN").get_json()] == [
        source["id"]
    ]
    assert api.get("/coverage/disposals?kind=riot").status_code == 422
    page = api.get("/coverage/disposals?page_size=1&page=2")
    assert [d["source_id"] for d in page.get_json()] == [source["id"]]
    assert json.loads(page.headers["X-Pagination"])["total"] == 2
    # the officer's bodycam existed and was destroyed: visible in the incident's coverage
    coverage = api.get(f"/incidents/{incident_id}/coverage").get_json()
    entry = coverage["officers"][0]
    assert entry["covered"] is False
    assert entry["disposed_bodycam_source_ids"] == [source["id"]]
    assert coverage["disposed_counts"]["bodycam"] == 1
