"""The audit trail: what is recorded, by whom, and that tampering shows."""

import csv
import hashlib
import io
import json

from freezegun import freeze_time

from service.cli import main
from service.domain import hashchain
from service.storage.models import AuditEntry


def entries():
    return list(AuditEntry.select().order_by(AuditEntry.id))


def test_a_write_is_recorded_with_actor_role_status_and_new_id(api):
    with freeze_time("2026-03-01T10:00:00Z"):
        incident = api.create("/incidents", {"title": "x", "started_at": "2026-01-01T00:00:00Z"})
    [entry] = entries()
    assert (entry.actor, entry.role, entry.method, entry.path, entry.status) == (
        "investigator",
        "investigator",
        "POST",
        "/api/v1/incidents",
        201,
    )
    assert (entry.resource, entry.resource_id) == ("incidents", str(incident["id"]))
    assert entry.ip == "127.0.0.1"
    assert entry.at.isoformat() == "2026-03-01T10:00:00"


def test_a_refused_write_is_recorded_and_changes_nothing(api):
    r = api.post("/incidents", json={"title": "x", "started_at": "2026-01-01T00:00:00"})
    assert r.status_code == 422
    [entry] = entries()
    assert (entry.status, entry.actor) == (422, "investigator")
    assert api.get("/incidents").get_json() == []


def test_refusals_are_recorded_with_the_actor_when_known(api, client):
    assert client.get("/api/v1/incidents").status_code == 401
    assert (
        api.post("/agencies", json={"code": "X", "name": "x"}, role="oversight").status_code == 403
    )
    first, second = entries()
    assert (first.status, first.actor, first.role) == (401, None, None)
    assert (second.status, second.actor, second.role) == (403, "oversight", "oversight")


def test_reads_of_evidence_are_recorded_other_reads_are_not(api, make):
    incident = make.incident()
    source = make.source(incident["id"])
    before = len(entries())
    api.get("/incidents", role="oversight")
    api.get(f"/incidents/{incident['id']}", role="oversight")
    assert len(entries()) == before
    api.get(f"/sources/{source['id']}", role="oversight")
    api.get(f"/incidents/{incident['id']}/sources", role="oversight")
    read_source, read_list = entries()[before:]
    assert (read_source.resource, read_source.resource_id, read_source.actor) == (
        "sources",
        str(source["id"]),
        "oversight",
    )
    assert read_list.path == f"/api/v1/incidents/{incident['id']}/sources"


def test_audit_log_is_for_admin_and_oversight_with_filters(api, make):
    with freeze_time("2026-03-01T10:00:00Z"):
        make.incident()
    with freeze_time("2026-03-02T10:00:00Z"):
        make.agency("CBP")
    assert api.get("/audit", role="investigator").status_code == 403
    assert api.get("/audit", role="importer").status_code == 403
    r = api.get("/audit?resource=agencies", role="oversight")
    assert r.status_code == 200
    [row] = r.get_json()
    assert row["resource"] == "agencies" and row["at"] == "2026-03-02T10:00:00Z"
    r = api.get("/audit?since=2026-03-01T00:00:00Z&until=2026-03-02T00:00:00Z", role="admin")
    assert [e["resource"] for e in r.get_json()] == ["incidents"]
    assert api.get("/audit?since=yesterday", role="admin").status_code == 422
    mine = api.get("/audit?actor=investigator", role="admin").get_json()
    assert [e["status"] for e in mine] == [403, 201, 201]  # newest first; the refusal too


def test_the_chain_recomputes_from_the_documented_form(api, make):
    make.agency("CBP")
    make.incident()
    prev = hashchain.GENESIS
    for entry in entries():
        fields = {
            k: getattr(entry, k)
            for k in (
                "at",
                "actor",
                "role",
                "method",
                "path",
                "status",
                "resource",
                "resource_id",
                "ip",
            )
        }
        fields["at"] = fields["at"].isoformat(timespec="microseconds").replace(".000000", "") + "Z"
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert entry.prev_hash == prev
        assert entry.hash == hashlib.sha256((prev + text).encode()).hexdigest()
        prev = entry.hash
    assert api.get("/audit/verify", role="admin").get_json() == {
        "valid": True,
        "entries": 2,
        "first_invalid_id": None,
    }  # this read is recorded after


def test_tampering_is_detected_at_the_right_entry(api, make, runner):
    for code in ("A", "B", "C", "D"):
        make.agency(code)
    ids = [e.id for e in entries()]
    assert runner.invoke(main, ["verify-audit"]).exit_code == 0
    AuditEntry.update(actor="someone-else").where(AuditEntry.id == ids[1]).execute()
    result = runner.invoke(main, ["verify-audit"])
    assert result.exit_code == 1
    assert f"entry {ids[1]}" in result.output
    AuditEntry.update(actor="investigator").where(AuditEntry.id == ids[1]).execute()
    assert runner.invoke(main, ["verify-audit"]).exit_code == 0
    AuditEntry.delete().where(AuditEntry.id == ids[2]).execute()
    body = api.get("/audit/verify", role="admin").get_json()
    assert body["valid"] is False and body["first_invalid_id"] == ids[3]


def test_audit_export_csv_and_json(api, make, runner):
    with freeze_time("2026-03-01T10:00:00Z"):
        make.agency("CBP")
    with freeze_time("2026-03-05T10:00:00Z"):
        make.agency("ICE")
    result = runner.invoke(
        main, ["audit", "export", "--since", "2026-03-02T00:00:00Z", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["path"], r["status"], r["at"]) for r in rows] == [
        ("/api/v1/agencies", "201", "2026-03-05T10:00:00Z")
    ]
    result = runner.invoke(main, ["audit", "export", "--format", "json"])
    exported = json.loads(result.stdout)
    assert [e["status"] for e in exported] == [201, 201]
    assert exported[1]["prev_hash"] == exported[0]["hash"]
    bad = runner.invoke(main, ["audit", "export", "--since", "March"])
    assert bad.exit_code != 0


def test_audit_entries_cannot_be_changed_through_the_api(api):
    api.get("/audit", role="admin")
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        assert api.request(method, "/audit", role="admin", json={}).status_code == 405
