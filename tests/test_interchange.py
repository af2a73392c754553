"""Interchange: incidents as CASE/UCO JSON-LD graphs (docs/interchange.md), checked by the
CASE project's own validator (case_validate, offline, CASE 1.5)."""

import hashlib
import json
import os
import subprocess
import sys

from freezegun import freeze_time

from service.demo import load_demo
from service.storage.db import database
from service.storage.models import AuditEntry, Incident

CASE_VALIDATE = os.path.join(os.path.dirname(sys.executable), "case_validate")
LD_JSON = "application/ld+json"
ALL_ACTIONS = [
    "identified",
    "requested",
    "received",
    "transferred",
    "checked_out",
    "returned",
    "copied",
    "verified",
    "released",
    "disposed",
]
SHA_A = "ab" * 32
SHA_B = "cd" * 32


def case_validate(tmp_path, name, body):
    """case_validate's report on `body` (bytes): (exit code, output)."""
    path = tmp_path / name
    path.write_bytes(body)
    done = subprocess.run(
        [CASE_VALIDATE, "--built-version", "case-1.5.0", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


def assert_conforms(tmp_path, name, body):
    code, output = case_validate(tmp_path, name, body)
    assert "Conforms: True" in output, output
    assert "Warning" not in output and "Info" not in output, output
    assert code == 0, output


def full_incident(api, make):
    """An incident with every field set, every custody action and both kinds of hold."""
    make.agency("CBP")
    make.agency("MPD", jurisdiction="municipal")
    grant = make.officer("CBP", external_id="HR-1", camera_issued=True)
    diaz = make.officer("MPD", camera_issued=False)
    incident = make.incident(
        external_id="CAD-2026-1",
        case_number="OIG-26-1",
        cad_event_id="CAD-77",
        title='Shooting at 5th & Pine — "urgent"',
        ended_at="2026-01-24T09:40:00-06:00",
        location={
            "address": "500 Pine St",
            "city": "Minneapolis",
            "state": "MN",
            "latitude": 44.9551,
            "longitude": -93.00001,
        },
        agencies=["CBP", "MPD"],
        status="under_investigation",
        description="Two units responded.",
    )
    make.involve(incident["id"], grant["id"], role="discharged_weapon")
    make.involve(
        incident["id"],
        diaz["id"],
        role="witness",
        camera_expected=False,
        not_recorded_reason="camera not issued",
    )
    master = make.source(
        incident["id"],
        external_id="AXON-1",
        officer_id=grant["id"],
        device_id="X81-1",
        recorded_by="A. Grant",
        recording_started_at="2026-01-24T09:01:00-06:00",
        recording_ended_at="2026-01-24T09:30:30.5-06:00",
        clock_offset_seconds=-2.75,
        duration_seconds=1770.5,
        sha256=SHA_A,
        size_bytes=1834029311,
        storage_uri="s3://evidence/1.mp4",
        obtained_via="agency_upload",
        retain_until="2036-01-01",
        notes="Primary angle.",
    )
    copy = make.source(
        incident["id"],
        kind="other",
        sha256=SHA_B,
        size_bytes=10,
        derived_from_id=master["id"],
        obtained_via="other",
    )
    phone = make.source(incident["id"], kind="officer_phone", device_id="PH-1")
    for action in ALL_ACTIONS[:-1]:
        body = {"action": action, "occurred_at": "2026-01-25T10:00:00Z"}
        if action in ("received", "transferred"):
            body.update(custodian="Evidence Unit", location="Room 114")
        if action == "verified":
            body.update(sha256_observed=SHA_B, note="checked — ok")
        api.create(f"/sources/{copy['id']}/custody", body)
    # Disposal is a request and a second person's approval (the last action of the chain).
    assert ALL_ACTIONS[-1] == "disposed"
    make.dispose(copy["id"])
    make.custody(master["id"], "received", "checked_out")
    # A paper log entered late: an event before the one recorded before it, with its reason.
    api.create(
        f"/sources/{phone['id']}/custody",
        {"action": "received", "occurred_at": "2026-01-27T10:00:00Z", "custodian": "Unit 2"},
    )
    api.create(
        f"/sources/{phone['id']}/custody",
        {
            "action": "checked_out",
            "occurred_at": "2026-01-26T10:00:00Z",
            "late_entry_reason": "paper sign-out sheet entered a day late",
        },
    )
    api.create(f"/sources/{master['id']}/custody", {"action": "verified", "sha256_observed": SHA_A})
    held = api.create(
        "/holds", {"name": "DA letter", "authority": "DA", "incident_id": incident["id"]}
    )
    assert api.post(f"/holds/{held['id']}/release", role="admin").status_code == 200
    api.create(
        "/holds",
        {"name": "Civil hold", "reason": "claim", "source_ids": [master["id"], phone["id"]]},
    )
    api.create(
        f"/incidents/{incident['id']}/disclosures",
        {
            "kind": "released_redacted",
            "decided_at": "2026-01-30T15:00:00Z",
            "basis": "Faces of bystanders blurred.",
            "source_ids": [master["id"]],
        },
    )
    return incident, [master, copy, phone]


def graph_nodes(doc, type_):
    return [n for n in doc["@graph"] if n["@type"] == type_]


def payload_events(doc):
    """Every custody log entry of a bundle: (payload, hash)."""
    out = []
    for node in graph_nodes(doc, "uco-observable:EventRecord"):
        content = node["uco-core:hasFacet"][1]
        out.append(
            (
                content["uco-observable:dataPayload"],
                content["uco-observable:hash"][0]["uco-types:hashValue"]["@value"],
            )
        )
    return out


@freeze_time("2026-02-01T12:00:00Z", tick=True)
def test_a_full_incident_exports_as_a_graph_that_conforms_to_case(api, make, tmp_path):
    incident, (master, copy, phone) = full_incident(api, make)
    response = api.get(f"/incidents/{incident['id']}/export?format=case", role="oversight")
    assert response.status_code == 200
    assert response.mimetype == LD_JSON
    doc = json.loads(response.data)
    # Reads of evidence are audited.
    read = AuditEntry.select().where(AuditEntry.path.contains("/export")).get()
    assert (read.actor, read.status, read.resource_id) == ("oversight", 200, str(incident["id"]))

    # The investigation, its agencies, its officers with their roles.
    (investigation,) = graph_nodes(doc, "case-investigation:Investigation")
    assert investigation["uco-core:name"] == incident["title"]
    assert {o["uco-core:name"] for o in graph_nodes(doc, "uco-identity:Organization")} == {
        "Agency CBP",
        "Agency MPD",
    }
    assert sorted(r["uco-core:name"] for r in graph_nodes(doc, "uco-role:Role")) == [
        "discharged_weapon",
        "witness",
    ]
    # Every source a File with its SHA-256 and size.
    files = {
        next(
            int(r["uco-core:externalIdentifier"])
            for r in f["uco-core:externalReference"]
            if r["uco-core:definingContext"] == "evidence-inventory:source.id"
        ): f
        for f in graph_nodes(doc, "uco-observable:File")
    }
    assert set(files) == {master["id"], copy["id"], phone["id"]}
    content = files[master["id"]]["uco-core:hasFacet"][0]
    assert content["uco-observable:sizeInBytes"] == 1834029311
    assert content["uco-observable:hash"][0]["uco-types:hashValue"]["@value"] == SHA_A
    # Every custody event an investigative action, its log entry re-verifying by itself.
    actions = [
        a["uco-core:name"]
        for a in graph_nodes(doc, "case-investigation:InvestigativeAction")
        if a["uco-core:name"] in ALL_ACTIONS
    ]
    assert sorted(actions) == sorted(
        ALL_ACTIONS + ["received", "checked_out", "verified", "received", "checked_out"]
    )
    events = payload_events(doc)
    assert len(events) == 15
    for payload, hash_ in events:
        assert hashlib.sha256(payload.encode()).hexdigest() == hash_
    chain = api.get(f"/sources/{copy['id']}/custody").get_json()
    assert [h for p, h in events if p.endswith(f'"source_id":{copy["id"]}}}')] == [
        e["hash"] for e in chain
    ]
    assert f"custody_head_hash={chain[-1]['hash']}" in files[copy["id"]]["uco-core:tag"]
    assert len(graph_nodes(doc, "case-investigation:Authorization")) == 2
    # Disclosure decisions, each an annotation on the files it released.
    (decision,) = [
        a
        for a in graph_nodes(doc, "uco-core:Annotation")
        if "disclosure_decision" in a["uco-core:tag"]
    ]
    assert decision["uco-core:statement"] == "released_redacted"
    assert decision["uco-core:description"] == "Faces of bystanders blurred."
    assert [o["@id"] for o in decision["uco-core:object"]] == [files[master["id"]]["@id"]]

    # Ids are stable across exports (only the bundle's own id and time differ).
    again = json.loads(api.get(f"/incidents/{incident['id']}/export").data)
    assert again["@graph"][1:] == doc["@graph"][1:]

    assert_conforms(tmp_path, "full.jsonld", response.data)


def test_the_demo_pretti_incident_conforms_to_case(api, tmp_path):
    with database.atomic():
        load_demo()
    pretti = Incident.get(Incident.external_id == "demo-pretti")
    response = api.get(f"/incidents/{pretti.id}/export?format=case")
    assert response.status_code == 200
    doc = json.loads(response.data)
    assert len(graph_nodes(doc, "uco-identity:Person")) == 30
    assert_conforms(tmp_path, "pretti.jsonld", response.data)


def test_export_of_an_unknown_incident_or_format(api):
    assert api.get("/incidents/999/export?format=case").status_code == 404
    response = api.get("/incidents/999/export?format=xml")
    assert response.status_code == 422
    assert "format" in json.dumps(response.get_json())
