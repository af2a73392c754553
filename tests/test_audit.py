"""The audit trail: what is recorded, by whom, and that tampering shows."""

import csv
import hashlib
import io
import json

from freezegun import freeze_time

from service.cli import main
from service.domain import audit, hashchain
from service.storage import merkle
from service.storage.models import AuditEntry, AuditTreeHead


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


def test_leaf_hashes_recompute_from_the_documented_form(api, make):
    make.agency("CBP")
    make.incident()
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
        assert entry.prev_hash == "" and entry.seq is None  # not sealed yet
        assert entry.hash == hashlib.sha256(b"\x00" + text.encode()).hexdigest()
    body = api.get("/audit/verify", role="admin").get_json()
    assert body["valid"] is True and body["entries"] == 2 and body["unsealed"] == 2


def test_tampering_with_a_sealed_entry_is_detected_at_the_right_entry(api, make, runner):
    for code in ("A", "B", "C", "D"):
        make.agency(code)
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    ids = [e.id for e in entries()]
    assert [e.seq for e in entries()] == [0, 1, 2, 3]
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


def test_a_deleted_tail_and_a_forged_tree_head_are_detected(api, make, runner):
    from service.storage.models import AuditTreeHead

    for code in ("A", "B", "C"):
        make.agency(code)
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    last = entries()[-1]
    AuditEntry.delete().where(AuditEntry.id == last.id).execute()  # the newest sealed entry
    result = runner.invoke(main, ["verify-audit"])
    assert result.exit_code == 1 and "tree head of size 3" in result.output
    AuditEntry.insert(**{f: getattr(last, f) for f in last.__data__}).execute()
    assert runner.invoke(main, ["verify-audit"]).exit_code == 0
    head = AuditTreeHead.get()
    AuditTreeHead.update(root_hash="00" * 32).where(AuditTreeHead.id == head.id).execute()
    assert runner.invoke(main, ["verify-audit"]).exit_code == 1


def test_entries_of_the_older_hash_chain_are_still_verified(api, runner):
    # A database migrated from before the Merkle log: its entries are hash-chained.
    prev = hashchain.GENESIS
    chained = []
    for n in range(3):
        entry = AuditEntry(method="GET", path=f"/api/v1/sources/{n}", status=200, actor="x")
        entry.prev_hash = prev
        entry.hash = hashchain.link_hash(prev, audit.entry_fields(entry))
        entry.save(force_insert=True)
        chained.append(entry)
        prev = entry.hash
    api.get("/sources", role="admin")  # a new entry, a Merkle leaf
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    body = api.get("/audit/verify", role="admin").get_json()
    assert body["valid"] and body["chained"] == 3 and body["sealed"] >= 1
    AuditEntry.update(path="/elsewhere").where(AuditEntry.id == chained[1].id).execute()
    body = api.get("/audit/verify", role="admin").get_json()
    assert body["valid"] is False and body["first_invalid_id"] == chained[1].id
    r = api.get(f"/audit/{chained[0].id}/proof", role="admin")
    assert r.status_code == 404 and "hash chain" in r.get_json()["message"]


def test_inclusion_and_consistency_proofs_verify_against_signed_tree_heads(api, make, runner):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from service.storage import merkle

    make.agency("A")
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    for code in ("B", "C", "D", "E"):
        make.agency(code)
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    heads = api.get("/audit/tree-heads", role="oversight").get_json()
    assert [h["tree_size"] for h in heads] == [5, 1]
    newest, oldest = heads
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(newest["public_key"]))
    for head in heads:  # raises if a signature does not verify
        message = (
            f"evidence-audit-tree-head:v1:{head['tree_size']}:{head['root_hash']}:"
            f"{head['sealed_at']}"
        )
        key.verify(bytes.fromhex(head["signature"]), message.encode())
    sealed = [e for e in entries() if e.seq is not None]
    for entry in sealed:
        r = api.get(f"/audit/{entry.id}/proof?since=1", role="admin")
        assert r.status_code == 200, r.get_json()
        proof = r.get_json()
        assert proof["leaf_index"] == entry.seq and proof["tree_head"]["tree_size"] == 5
        assert merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            proof["leaf_index"],
            5,
            [bytes.fromhex(h) for h in proof["audit_path"]],
            bytes.fromhex(newest["root_hash"]),
        )
        consistency = proof["consistency"]
        assert merkle.verify_consistency(
            1,
            5,
            bytes.fromhex(oldest["root_hash"]),
            bytes.fromhex(newest["root_hash"]),
            [bytes.fromhex(h) for h in consistency["proof"]],
        )
    assert api.get(f"/audit/{sealed[0].id}/proof?tree_size=4", role="admin").status_code == 422
    assert api.get(f"/audit/{sealed[-1].id}/proof?tree_size=1", role="admin").status_code == 422
    unsealed = entries()[-1]
    r = api.get(f"/audit/{unsealed.id}/proof", role="admin")
    assert r.status_code == 404 and "not sealed yet" in r.get_json()["message"]
    assert api.get("/audit/999999/proof", role="admin").status_code == 404


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
    # Everything a leaf hash covers, and the leaf's place once sealed: the tree rebuilds.
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    exported = json.loads(runner.invoke(main, ["audit", "export", "--format", "json"]).stdout)
    leaves = [bytes.fromhex(e["hash"]) for e in sorted(exported, key=lambda e: e["seq"])]
    assert [e["seq"] for e in exported] == [0, 1]
    root = AuditTreeHead.get().root_hash
    assert merkle.tree_hash(leaves).hex() == root
    bad = runner.invoke(main, ["audit", "export", "--since", "March"])
    assert bad.exit_code != 0


def test_audit_entries_cannot_be_changed_through_the_api(api):
    api.get("/audit", role="admin")
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        assert api.request(method, "/audit", role="admin", json={}).status_code == 405


def test_each_server_runs_a_sequencer_that_seals_within_a_few_seconds(
    database_url, tokens, tmp_path
):
    import time

    from service.web import create_app

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "AUDIT_SEAL_SECONDS": 1,
            "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        }
    )
    client = app.test_client()
    auth = {"Authorization": f"Bearer {tokens['admin']}"}
    try:
        assert client.get("/api/v1/sources", headers=auth).status_code == 200
        _, thread = app.extensions["audit_sequencer"]
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and not AuditEntry.select().where(AuditEntry.seq.is_null(False)).exists()
        ):
            time.sleep(0.1)
        [entry] = entries()
        assert entry.seq == 0
        body = client.get("/api/v1/audit/verify", headers=auth).get_json()
        assert body["valid"] and body["tree_heads"] >= 1
        assert (tmp_path / "audit_key.pem").stat().st_mode & 0o077 == 0  # owner only
    finally:
        thread.stop.set()
        thread.join(10)


def test_an_audit_log_from_before_the_merkle_tree_migrates_and_still_verifies(api, runner):
    from service.storage.db import database
    from service.storage.migrations import SchemaVersion, has_index

    api.get("/sources", role="admin")
    api.get("/sources", role="admin")
    with database.atomic():
        # The shape before migration 13: hash-chained entries, no seq, no tree heads.
        prev = hashchain.GENESIS
        for entry in entries():
            entry.prev_hash = prev
            entry.hash = prev = hashchain.link_hash(prev, audit.entry_fields(entry))
            entry.save()
        database.execute_sql('DROP TABLE "audit_tree_head"')
        if has_index("audit_entry", "audit_entry_seq"):
            database.execute_sql('DROP INDEX "audit_entry_seq"')
        database.execute_sql('ALTER TABLE "audit_entry" DROP COLUMN "seq"')
        SchemaVersion.delete().where(SchemaVersion.version == 13).execute()
    result = runner.invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert "applied migration seal_audit_log_in_a_merkle_tree" in result.output
    api.get("/sources", role="admin")  # recorded as a Merkle leaf from now on
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    result = runner.invoke(main, ["verify-audit"])
    assert result.exit_code == 0, result.output
    assert "2 hash-chained, 1 sealed under 1 signed tree heads" in result.output


def test_proofs_read_stored_subtrees_and_verify_checks_them(api, make, runner):
    from service.storage import merkle
    from service.storage.models import AuditNode

    for code in ("A", "B", "C", "D", "E", "F"):
        make.agency(code)
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    sealed = [e for e in entries() if e.seq is not None]
    size = len(sealed)
    assert size >= 6
    # Every aligned perfect subtree of two leaves or more is stored, with the right hash.
    leaves = [bytes.fromhex(e.hash) for e in sorted(sealed, key=lambda e: e.seq)]
    nodes = {(n.level, n.index): n.hash for n in AuditNode.select()}
    expected = {
        (level, start >> level)
        for level in range(1, size.bit_length())
        for start in range(0, size - (1 << level) + 1, 1 << level)
    }
    assert set(nodes) == expected
    for (level, index), h in nodes.items():
        start = index << level
        assert h == merkle.tree_hash(leaves[start : start + (1 << level)]).hex()
    root = bytes.fromhex(api.get("/audit/tree-heads", role="oversight").get_json()[0]["root_hash"])

    def proves(entry):
        proof = api.get(f"/audit/{entry.id}/proof", role="admin").get_json()
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        return merkle.verify_inclusion(leaves[entry.seq], entry.seq, size, path, root)

    assert all(proves(e) for e in sealed)
    assert api.get("/audit/verify", role="admin").get_json()["subtrees"] == len(expected)

    # A stored subtree changed: verify names it, and the proofs through it fail to verify.
    AuditNode.update(hash="00" * 32).where(
        (AuditNode.level == 1) & (AuditNode.index == 0)
    ).execute()
    body = api.get("/audit/verify", role="admin").get_json()
    assert body["valid"] is False and body["first_invalid_subtree"] == "level 1 index 0"
    assert not proves(next(e for e in sealed if e.seq == 2))  # its path holds leaves 0-1
    result = runner.invoke(main, ["verify-audit"])
    assert result.exit_code == 1 and "stored subtree level 1 index 0" in result.output

    # One missing (a table restored from an older backup): proofs compute it from the leaves,
    # verify reports the counts.
    AuditNode.delete().where((AuditNode.level == 1) & (AuditNode.index == 0)).execute()
    assert all(proves(e) for e in sealed)
    body = api.get("/audit/verify", role="admin").get_json()
    assert body["valid"] is False
    assert (
        body["first_invalid_subtree"]
        == f"{len(expected) - 1} subtrees stored, {len(expected)} in the tree"
    )
