"""Bundles from other agencies: POST /imports/case and `evidence import case FILE`
(docs/interchange.md). A bundle becomes an incident with the sender's custody history carried
verbatim; anything that does not verify is refused, naming the first broken item."""

import io
import json

from freezegun import freeze_time
from live import connected
from test_interchange import assert_conforms, full_incident, graph_nodes, payload_events

from service.cli import main
from service.domain.auth import create_token
from service.domain.vocabulary import ROLES
from service.storage.db import database
from service.storage.migrations import upgrade
from service.storage.models import AuditEntry, CarriedCustodyEvent, Incident, Source

SENDER = {"CASE_BASE_URI": "https://agency-a.example/kb/", "AGENCY_NAME": "Agency A"}
RECEIVER = {"CASE_BASE_URI": "https://agency-b.example/kb/", "AGENCY_NAME": "Agency B"}


def signed_bundle(app, runner, incident_id, folder):
    """(bundle bytes, signature, public key) written by `evidence export incident`."""
    app.config.update(SENDER)
    result = runner.invoke(main, ["export", "incident", str(incident_id), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    app.config.update(RECEIVER)
    stem = folder / f"incident-{incident_id}.jsonld"
    return (
        stem.read_bytes(),
        (folder / f"incident-{incident_id}.jsonld.sig").read_bytes(),
        (folder / "public_key.pem").read_bytes(),
    )


def post_bundle(api, bundle, signature=None, public_key=None, query="", role="importer"):
    if signature is None:
        return api.post(
            f"/imports/case{query}",
            data=bundle,
            headers={"Content-Type": "application/ld+json"},
            role=role,
        )
    form = {
        "bundle": (io.BytesIO(bundle), "bundle.jsonld"),
        "signature": (io.BytesIO(signature), "bundle.jsonld.sig"),
        "public_key": (io.BytesIO(public_key), "public_key.pem"),
    }
    return api.post(
        f"/imports/case{query}", data=form, content_type="multipart/form-data", role=role
    )


def counts():
    return Incident.select().count(), Source.select().count(), CarriedCustodyEvent.select().count()


def test_round_trip_between_two_databases(api, make, app, runner, tmp_path, live_database):
    incident, sources = full_incident(api, make)
    bundle, signature, public_key = signed_bundle(app, runner, incident["id"], tmp_path / "a")
    sent = json.loads(bundle)
    database.close()

    with connected(live_database):
        upgrade()
        with database.atomic():
            api.tokens = {role: create_token(role, role) for role in ROLES}
        response = post_bundle(api, bundle, signature, public_key)
        assert response.status_code == 201, response.get_json()
        summary = response.get_json()
        assert summary["created"] is True and summary["signed"] is True
        assert summary["sender"] == "Agency A"
        assert (summary["sources"], summary["carried_events"]) == (3, 15)
        imported = api.get(f"/incidents/{summary['incident_id']}").get_json()
        assert imported["title"] == incident["title"]
        assert imported["agencies"] == ["CBP", "MPD"]
        assert imported["location"] == incident["location"]
        assert len(api.get(f"/incidents/{summary['incident_id']}/officers").get_json()) == 2
        mine = api.get(f"/incidents/{summary['incident_id']}/sources").get_json()
        assert sorted(s["sha256"] or "" for s in mine) == sorted(s["sha256"] or "" for s in sources)
        for source in mine:
            chain = api.get(f"/sources/{source['id']}/custody").get_json()
            assert [e["action"] for e in chain] == ["received"]
            assert chain[0]["custodian"] == "Agency B"
            assert "received from Agency A" in chain[0]["note"]
            assert api.get(f"/sources/{source['id']}/custody/verify").get_json()["valid"]
        copy = next(s for s in mine if s["kind"] == "other")
        master = next(s for s in mine if s["kind"] == "bodycam")
        assert copy["derived_from_id"] == master["id"]

        # The same bundle again changes nothing.
        before = counts()
        again = post_bundle(api, bundle, signature, public_key)
        assert again.status_code == 200, again.get_json()
        assert again.get_json()["created"] is False
        assert again.get_json()["incident_id"] == summary["incident_id"]
        assert counts() == before

        # Exported again by the receiver: the same files, hashes and the sender's custody
        # events (carried verbatim), followed by the receiver's own `received` events.
        response = api.get(f"/incidents/{summary['incident_id']}/export?format=case")
        assert response.status_code == 200
        received = json.loads(response.data)
        database.close()

    def files(doc):
        return sorted(
            (
                [t for t in f["uco-core:tag"] if t.startswith("kind=")],
                f.get("uco-core:hasFacet", [{}])[0].get("uco-observable:sizeInBytes"),
                [
                    h["uco-types:hashValue"]["@value"]
                    for h in f.get("uco-core:hasFacet", [{}])[0].get("uco-observable:hash", [])
                ],
            )
            for f in graph_nodes(doc, "uco-observable:File")
        )

    assert files(received) == files(sent)
    carried = [
        e
        for e in graph_nodes(received, "uco-observable:EventRecord")
        if any(t.startswith("carried_from=") for t in e.get("uco-core:tag", []))
    ]
    assert len(carried) == 15
    # the late entry travelled with its reason, under the sender's hash
    assert any(
        '"late_entry_reason":"paper sign-out sheet' in p for p, _ in payload_events(received)
    )
    own_payloads = {p for p, _ in payload_events(sent)}
    carried_payloads = {p for p, _ in payload_events(received)} - {
        p for p, _ in payload_events(received) if '"action":"received"' in p and "Agency A" in p
    }
    assert carried_payloads == own_payloads
    assert {h for _, h in payload_events(sent)} <= {h for _, h in payload_events(received)}
    assert_conforms(tmp_path, "received.jsonld", response.data)


def test_a_bundle_that_does_not_verify_is_refused_naming_the_item(api, make, app, runner, tmp_path):
    incident, _ = full_incident(api, make)
    bundle, signature, public_key = signed_bundle(app, runner, incident["id"], tmp_path / "a")
    before = counts()

    # A byte changed after signing.
    changed = bundle.replace(b"Primary angle.", b"Primary angle!")
    response = post_bundle(api, changed, signature, public_key)
    assert response.status_code == 422
    assert response.get_json()["message"].startswith("signature: does not verify")

    # Unsigned, without saying so: refused; custody payload edited: the entry is named.
    assert post_bundle(api, bundle).status_code == 422
    doc = json.loads(bundle)
    entry = graph_nodes(doc, "uco-observable:EventRecord")[1]
    content = entry["uco-core:hasFacet"][1]
    content["uco-observable:dataPayload"] = content["uco-observable:dataPayload"].replace(
        '"actor":"investigator"', '"actor":"somebody"'
    )
    tampered = json.dumps(doc).encode()
    response = post_bundle(api, tampered, query="?accept_unsigned=true")
    assert response.status_code == 422
    message = response.get_json()["message"]
    assert entry["@id"] in message and "does not hash to its hash" in message

    # A log entry dropped from the middle of a chain: the link that breaks is named.
    doc = json.loads(bundle)
    doc["@graph"] = [n for n in doc["@graph"] if n["@id"] != entry["@id"]]
    for node in doc["@graph"]:
        if node["@type"] == "case-investigation:InvestigativeAction":
            node["uco-action:result"] = [
                r for r in node.get("uco-action:result", []) if r["@id"] != entry["@id"]
            ]
    response = post_bundle(api, json.dumps(doc).encode(), query="?accept_unsigned=true")
    assert response.status_code == 422
    assert "where event 2 was expected" in response.get_json()["message"]

    # Not JSON at all.
    response = post_bundle(api, b"\xff{", query="?accept_unsigned=true")
    assert response.status_code == 422 and "bundle" in response.get_json()["message"]
    assert counts() == before

    # This service's own bundle is not taken in again.
    app.config.update(SENDER)
    response = post_bundle(api, bundle, signature, public_key)
    assert response.status_code == 409
    app.config.update(RECEIVER)

    # Accepted unsigned when asked: the audit log records the request with its query.
    response = post_bundle(api, bundle, query="?accept_unsigned=true", role="admin")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["signed"] is False
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert entry.path == "/api/v1/imports/case?accept_unsigned=true"
    assert (entry.status, entry.actor) == (201, "admin")
    assert api.post("/imports/case", role="investigator").status_code == 403


def test_the_command_line_imports_a_signed_bundle_once(api, make, app, runner, tmp_path):
    incident, sources = full_incident(api, make)
    folder = tmp_path / "a"
    signed_bundle(app, runner, incident["id"], folder)
    stem = str(folder / f"incident-{incident['id']}.jsonld")
    args = ["import", "case", stem, "--signature", stem + ".sig"]
    args += ["--public-key", str(folder / "public_key.pem"), "--actor", "clerk"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "created from Agency A's bundle (signed" in result.output
    assert "3 sources, 15 custody events carried" in result.output
    result = runner.invoke(main, args)
    assert result.exit_code == 0 and result.output.startswith("unchanged:")
    # A later export of the same records (another bundle time) is the same import.
    with freeze_time("2030-01-01T00:00:00Z"):
        later, _, _ = signed_bundle(app, runner, incident["id"], tmp_path / "later")
    assert later != (folder / f"incident-{incident['id']}.jsonld").read_bytes()
    result = runner.invoke(
        main, ["import", "case", str(tmp_path / "later" / stem.split("/")[-1]), "--accept-unsigned"]
    )
    assert result.exit_code == 0 and result.output.startswith("unchanged:"), result.output
    # Once a custody event is added, the sender's records differ: refused, not merged.
    make.custody(sources[2]["id"], "returned")
    changed, _, _ = signed_bundle(app, runner, incident["id"], tmp_path / "changed")
    result = runner.invoke(
        main,
        ["import", "case", str(tmp_path / "changed" / stem.split("/")[-1]), "--accept-unsigned"],
    )
    assert result.exit_code == 2 and "not merged" in result.output
    # The carried chains re-verify as the sender's; a carried event changed in the database
    # is found.
    result = runner.invoke(main, ["verify-custody"])
    assert result.exit_code == 0, result.output
    assert "3 carried chain(s) checked, 0 broken" in result.output
    victim = CarriedCustodyEvent.select().order_by(CarriedCustodyEvent.id).first()
    CarriedCustodyEvent.update(note="rewritten").where(
        CarriedCustodyEvent.id == victim.id
    ).execute()
    result = runner.invoke(main, ["verify-custody"])
    assert result.exit_code == 1
    assert f"source {victim.source_id}, chain carried from {victim.origin}: BROKEN at seq 1" in (
        result.output
    )
    CarriedCustodyEvent.update(note=victim.note).where(
        CarriedCustodyEvent.id == victim.id
    ).execute()
    # Unsigned without the flag: refused; with it: recorded as such in the audit log.
    result = runner.invoke(main, ["import", "case", stem])
    assert result.exit_code == 2 and "signature" in result.output
    result = runner.invoke(main, ["import", "case", stem, "--accept-unsigned"])
    assert result.exit_code == 0, result.output
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert entry.method == "CLI" and entry.path.endswith("--accept-unsigned")
