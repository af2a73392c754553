"""Errors that help (issue 13, finding 11): every 4xx names the field or parameter and how to
fix it; Location on 201, Allow on 405; an empty PATCH is refused; a hold release keeps its
reason; the audit log filters by status, method and resource id."""

import json

from service.storage.models import LegalHold

GENERIC = ("The request was well-formed", "The browser (or proxy)", "<int:")


def plain(r):
    message = r.get_json()["message"]
    assert not any(g in message for g in GENERIC), message
    return message


def test_invalid_fields_are_named_in_the_message(api, make):
    incident = make.incident()
    r = api.post(f"/incidents/{incident['id']}/sources", json={"kind": "drone", "sha256": "x"})
    assert r.status_code == 422
    message = plain(r)
    assert "field kind: Must be one of" in message and "field sha256" in message
    r = api.get("/sources?page=0")
    assert r.status_code == 422 and "query parameter page" in plain(r)


def test_bad_json_says_what_is_wrong(api):
    r = api.post("/agencies", data='{"code": "X",', content_type="application/json")
    assert r.status_code == 400
    assert plain(r).startswith("the body is not valid JSON: ")


def test_forbidden_names_the_resource(api, make):
    incident = make.incident()
    source = make.source(incident["id"], "bodycam")
    r = api.post(f"/sources/{source['id']}/custody", json={"action": "received"}, role="oversight")
    assert r.status_code == 403
    message = plain(r)
    assert f"/api/v1/sources/{source['id']}/custody" in message and "admin" in message


def test_unknown_import_kind_lists_the_kinds(api):
    r = api.post("/imports/cameras", json=[], role="importer")
    assert r.status_code == 404
    message = plain(r)
    assert "incidents" in message and "custody" in message and "sources" in message


def test_read_only_fields_say_so(api, make):
    incident = make.incident()
    source = make.source(incident["id"], "bodycam")
    r = api.patch(f"/sources/{source['id']}", json={"custody_status": "disposed"})
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"]["custody_status"] == ["read-only: set by the service"]
    assert "custody_status: read-only" in plain(r)
    r = api.patch(f"/sources/{source['id']}", json={"no_such_field": 1})
    assert r.get_json()["errors"]["json"]["no_such_field"] == ["Unknown field."]


def test_an_empty_patch_is_refused(api, make):
    incident = make.incident()
    before = api.get(f"/incidents/{incident['id']}")
    r = api.patch(f"/incidents/{incident['id']}", json={})
    assert r.status_code == 422 and "at least one field" in plain(r)
    assert api.get(f"/incidents/{incident['id']}").headers["ETag"] == before.headers["ETag"]


def test_every_201_has_a_location_that_reads_the_record(api, make):
    r = api.post("/agencies", json={"code": "HSI", "name": "Homeland Security Investigations"})
    assert r.headers["Location"] == "/api/v1/agencies/HSI"
    officer = api.post("/officers", json={"agency": "HSI", "badge_number": "7"})
    incident = api.post("/incidents", json={"title": "x", "started_at": "2026-01-24T09:00:00Z"})
    iid, oid = incident.get_json()["id"], officer.get_json()["id"]
    involved = api.post(f"/incidents/{iid}/officers", json={"officer_id": oid})
    source = api.post(f"/incidents/{iid}/sources", json={"kind": "bodycam"})
    custody = api.post(f"/sources/{source.get_json()['id']}/custody", json={"action": "received"})
    hold = api.post("/holds", json={"name": "h", "incident_id": iid})
    for created in (officer, incident, involved, source, custody, hold):
        assert created.status_code == 201, created.get_json()
        location = created.headers["Location"]
        assert location.startswith("/api/v1/")
        read = api.get(location, role="admin")
        assert read.status_code == 200, location
    assert source.headers["Location"] == f"/api/v1/sources/{source.get_json()['id']}"
    assert involved.headers["Location"] == f"/api/v1/incidents/{iid}/officers/{oid}"


def test_405_says_what_is_allowed(api, make):
    incident = make.incident()
    source = make.source(incident["id"], "bodycam")
    r = api.delete(f"/sources/{source['id']}")
    assert r.status_code == 405
    allowed = {m.strip() for m in r.headers["Allow"].split(",")}
    assert {"GET", "PATCH"} <= allowed and "DELETE" not in allowed


def test_hold_release_keeps_its_reason(api, make):
    incident = make.incident()
    hold = api.post("/holds", json={"name": "h", "incident_id": incident["id"]}).get_json()
    r = api.post(
        f"/holds/{hold['id']}/release",
        json={"release_reason": "case closed, order lifted 2026-03-01"},
        role="admin",
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["release_reason"] == "case closed, order lifted 2026-03-01"
    assert LegalHold.get_by_id(hold["id"]).release_reason.startswith("case closed")
    other = api.post("/holds", json={"name": "h2", "incident_id": incident["id"]}).get_json()
    assert api.post(f"/holds/{other['id']}/release", role="admin").status_code == 200


def test_audit_filters_by_status_method_and_resource_id(api, make):
    incident = make.incident()
    api.patch(f"/incidents/{incident['id']}", json={"title": "renamed"})
    api.patch(f"/incidents/{incident['id']}", json={"started_at": "nonsense"})
    r = api.get(
        f"/audit?method=PATCH&status=422&resource_id={incident['id']}&page_size=100",
        role="admin",
    )
    assert r.status_code == 200, r.get_json()
    entries = r.get_json()
    assert len(entries) == 1
    assert (entries[0]["method"], entries[0]["status"]) == ("PATCH", 422)
    assert entries[0]["resource_id"] == str(incident["id"])
    bad = api.get("/audit?status=abc", role="admin")
    assert bad.status_code == 422 and "query parameter status" in json.dumps(bad.get_json())
