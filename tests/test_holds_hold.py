"""Holds that hold: a held source leaves its incident only by an admin's hand, the holds
follow it wherever it goes, and `disposed` cannot be reached around a hold, through the API or
the importer. Each of these failed before the rules were enforced."""

import json

import pytest


@pytest.fixture
def held(api, make):
    """A bodycam on an incident under a hold, and another incident to move it to."""
    incident = make.incident(title="Held", external_id="i-held")
    source = make.source(incident["id"], "bodycam", external_id="s-held")
    other = make.incident(title="Elsewhere", external_id="i-other")
    hold = api.create("/holds", {"name": "DOJ preservation order", "incident_id": incident["id"]})
    return {"incident": incident, "source": source, "other": other, "hold": hold}


def import_rows(api, kind, rows, role="importer"):
    body = "\n".join(json.dumps(r) for r in rows).encode()
    return api.post(
        f"/imports/{kind}", data=body, role=role, headers={"Content-Type": "application/x-ndjson"}
    )


def source(api, source_id):
    return api.get(f"/sources/{source_id}").get_json()


@pytest.mark.parametrize("listed", [False, True])
def test_an_investigator_cannot_move_a_held_source(api, make, held, listed):
    s = held["source"]
    if listed:  # a hold naming the source itself
        api.post(f"/holds/{held['hold']['id']}/release", role="admin")
        api.create("/holds", {"name": "Subpoena", "source_ids": [s["id"]]})
    r = api.patch(f"/sources/{s['id']}", json={"incident_id": held["other"]["id"]})
    assert r.status_code == 409
    body = r.get_json()
    assert "legal hold" in body["message"] and "admin" in body["message"]
    assert source(api, s["id"])["incident_id"] == held["incident"]["id"]
    assert source(api, s["id"])["legal_hold"] is True


def test_the_importer_cannot_move_a_held_source(api, held):
    r = import_rows(
        api,
        "sources",
        [{"external_id": "s-held", "incident_id": held["other"]["id"], "kind": "bodycam"}],
    )
    assert r.status_code == 422
    error = r.get_json()["errors"][0]
    assert "legal hold" in error["message"]
    assert source(api, held["source"]["id"])["incident_id"] == held["incident"]["id"]


def test_an_admin_moves_it_and_the_hold_follows(api, held):
    s = held["source"]
    r = api.patch(f"/sources/{s['id']}", json={"incident_id": held["other"]["id"]}, role="admin")
    assert r.status_code == 200
    assert r.get_json()["incident_id"] == held["other"]["id"]
    assert r.get_json()["legal_hold"] is True
    covering = api.get(f"/holds?source_id={s['id']}&active=true").get_json()
    assert [h["id"] for h in covering] == [held["hold"]["id"]]
    # no disposal around the hold, by custody event or by request
    assert api.post(f"/sources/{s['id']}/custody", json={"action": "received"}).status_code == 201
    assert api.post(f"/sources/{s['id']}/custody", json={"action": "disposed"}).status_code == 409
    r = api.post(f"/sources/{s['id']}/disposal-requests", json={"reason": "duplicate"})
    assert r.status_code == 409
    assert f"legal hold(s) {held['hold']['id']}" in r.get_json()["message"]
    # moving it back and forth (by the importer as admin) changes nothing about the hold
    r = import_rows(
        api,
        "sources",
        [{"external_id": "s-held", "incident_id": held["incident"]["id"], "kind": "bodycam"}],
        role="admin",
    )
    assert r.status_code == 200, r.get_json()
    assert source(api, s["id"])["legal_hold"] is True
    # releasing the hold releases it wherever it is
    api.patch(f"/sources/{s['id']}", json={"incident_id": held["other"]["id"]}, role="admin")
    api.post(f"/holds/{held['hold']['id']}/release", role="admin")
    assert source(api, s["id"])["legal_hold"] is False


def test_the_old_bypass_is_closed(api, held):
    """Move off the held incident, dispose, move back: refused at the first step."""
    s = held["source"]
    assert (
        api.patch(f"/sources/{s['id']}", json={"incident_id": held["other"]["id"]}).status_code
        == 409
    )
    r = import_rows(
        api,
        "sources",
        [{"external_id": "s-held", "incident_id": held["other"]["id"], "kind": "bodycam"}],
    )
    assert r.status_code == 422
    assert source(api, s["id"])["custody_status"] != "disposed"


@pytest.mark.parametrize("role", ["importer", "admin"])
def test_a_disposed_event_cannot_be_imported(api, make, role):
    incident = make.incident()
    s = make.source(incident["id"], "bodycam")
    r = import_rows(
        api,
        "custody",
        [
            {"source_id": s["id"], "action": "received", "occurred_at": "2026-01-25T10:00:00Z"},
            {"source_id": s["id"], "action": "disposed", "occurred_at": "2026-01-26T10:00:00Z"},
        ],
        role=role,
    )
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert [e["row"] for e in errors] == [2]
    assert "disposal request" in errors[0]["message"]
    assert source(api, s["id"])["custody_status"] == "identified"
