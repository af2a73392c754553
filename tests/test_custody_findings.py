"""Custody records that cannot drift (issue 13, findings 1, 2, 7 and part of 10): the hash is
fixed once custody starts, a mismatch stays a finding until an admin resolves it, events keep
time order, and verification replays the rules against the source's status columns."""

import hashlib
import json

import pytest
from freezegun import freeze_time

from service.cli import main as cli
from service.storage.models import CustodyEvent, IntegrityResolution, Source

SHA = "ab" * 32
OTHER_SHA = "cd" * 32


@pytest.fixture
def source(make):
    incident = make.incident()
    return make.source(incident["id"], "bodycam", sha256=SHA)


def post(api, source_id, action, role="investigator", **fields):
    return api.post(f"/sources/{source_id}/custody", json={"action": action, **fields}, role=role)


def ok(api, source_id, action, **fields):
    r = post(api, source_id, action, **fields)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


# ---------------------------------------------------------------- finding 1


def test_a_mismatch_cannot_be_erased_by_changing_the_hash(api, source):
    sid = source["id"]
    ok(api, sid, "received")
    answer = ok(api, sid, "verified", sha256_observed=OTHER_SHA)
    assert (answer["integrity"], answer["custody_status"]) == ("mismatch", "in_custody")
    r = api.patch(f"/sources/{sid}", json={"sha256": OTHER_SHA})
    assert r.status_code == 409
    assert "sha256" in r.get_json()["message"] and "resolution" in r.get_json()["message"]
    assert api.get(f"/sources/{sid}").get_json()["sha256"] == SHA
    # a matching observation later does not clear the finding either
    assert ok(api, sid, "verified", sha256_observed=SHA)["integrity"] == "mismatch"


def test_only_an_admin_resolves_a_mismatch_and_both_hashes_are_kept(api, source):
    sid = source["id"]
    ok(api, sid, "received")
    ok(api, sid, "verified", sha256_observed=OTHER_SHA)
    url = f"/sources/{sid}/integrity/resolutions"
    body = {"reason": "the file was re-exported by the vendor", "sha256": OTHER_SHA}
    assert api.post(url, json=body, role="investigator").status_code == 403
    missing = api.post(url, json={}, role="admin")
    assert missing.status_code == 422 and "reason" in json.dumps(missing.get_json())
    r = api.post(url, json=body, role="admin")
    assert r.status_code == 201, r.get_json()
    resolution = r.get_json()
    assert resolution["previous_sha256"] == SHA
    assert resolution["observed_sha256"] == OTHER_SHA
    assert resolution["sha256"] == OTHER_SHA and resolution["mismatch_seq"] == 2
    assert resolution["integrity"] == "unverified" and resolution["actor"] == "admin"
    shown = api.get(f"/sources/{sid}").get_json()
    assert (shown["sha256"], shown["integrity"]) == (OTHER_SHA, "unverified")
    assert ok(api, sid, "verified", sha256_observed=OTHER_SHA)["integrity"] == "verified"
    assert [x["previous_sha256"] for x in api.get(url).get_json()] == [SHA]
    assert api.get(f"/sources/{sid}/custody/verify").get_json()["valid"] is True
    # nothing left to resolve
    assert api.post(url, json=body, role="admin").status_code == 409


# ---------------------------------------------------------------- finding 2


def test_custody_times_cannot_run_backwards_without_a_reason(api, source):
    sid = source["id"]
    ok(api, sid, "received", occurred_at="2026-01-24T10:00:00Z")
    r = post(api, sid, "checked_out", occurred_at="1970-01-01T00:00:00Z")
    assert r.status_code == 409
    assert "occurred_at" in r.get_json()["message"]
    assert "late_entry_reason" in r.get_json()["message"]
    late = ok(
        api,
        sid,
        "checked_out",
        occurred_at="2026-01-24T09:00:00Z",
        late_entry_reason="paper log transcribed the next day",
    )
    assert late["late_entry_reason"] == "paper log transcribed the next day"
    chain = api.get(f"/sources/{sid}/custody").get_json()
    assert chain[1]["late_entry_reason"] == "paper log transcribed the next day"
    assert chain[0]["late_entry_reason"] is None
    csv_text = api.get(f"/sources/{sid}/custody?format=csv").get_data(as_text=True)
    assert "late_entry_reason" in csv_text.splitlines()[0]
    assert "paper log transcribed the next day" in csv_text
    # the reason is covered by the hash: eleven members when given
    members = {
        k: chain[1][k]
        for k in (
            "source_id",
            "seq",
            "action",
            "custodian",
            "occurred_at",
            "location",
            "sha256_observed",
            "note",
            "actor",
            "recorded_at",
            "late_entry_reason",
        )
    }
    text = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert chain[1]["hash"] == hashlib.sha256((chain[0]["hash"] + text).encode()).hexdigest()
    CustodyEvent.update(late_entry_reason="another reason").where(
        (CustodyEvent.source == sid) & (CustodyEvent.seq == 2)
    ).execute()
    verdict = api.get(f"/sources/{sid}/custody/verify").get_json()
    assert (verdict["valid"], verdict["first_invalid_seq"]) == (False, 2)


def test_nothing_is_received_before_the_recording_began(api, make):
    incident = make.incident()
    source = make.source(
        incident["id"],
        "bodycam",
        recording_started_at="2026-01-24T10:00:00Z",
        recording_ended_at="2026-01-24T10:30:00Z",
        clock_offset_seconds=60,
    )
    r = post(api, source["id"], "received", occurred_at="2026-01-24T10:00:30Z")
    assert r.status_code == 409 and "corrected start" in r.get_json()["message"]
    ok(api, source["id"], "received", occurred_at="2026-01-24T10:31:00Z")


# ---------------------------------------------------------------- finding 7


def test_a_status_column_edited_in_the_database_is_reported_and_not_trusted(
    api, make, source, runner
):
    sid = source["id"]
    ok(api, sid, "received")
    make.dispose(sid)  # a request and a second person's approval
    Source.update(custody_status="in_custody").where(Source.id == sid).execute()
    verdict = api.get(f"/sources/{sid}/custody/verify").get_json()
    assert verdict["valid"] is False
    assert "custody_status" in verdict["problem"]
    assert verdict["expected"]["custody_status"] == "disposed"
    assert verdict["recorded"]["custody_status"] == "in_custody"
    r = post(api, sid, "checked_out")
    assert r.status_code == 409 and "disposed" in r.get_json()["message"]
    result = runner.invoke(cli, ["verify-custody"])
    assert result.exit_code == 1
    assert f"source {sid}" in result.output and "custody_status" in result.output


def test_edited_integrity_and_hold_flags_are_reported(api, source, runner):
    sid = source["id"]
    ok(api, sid, "received", sha256_observed=OTHER_SHA)
    Source.update(integrity="verified", legal_hold=True).where(Source.id == sid).execute()
    verdict = api.get(f"/sources/{sid}/custody/verify").get_json()
    assert verdict["valid"] is False
    assert verdict["expected"]["integrity"] == "mismatch"
    assert verdict["expected"]["legal_hold"] is False
    assert "integrity" in verdict["problem"] and "legal_hold" in verdict["problem"]
    result = runner.invoke(cli, ["verify-custody", "--source", str(sid)])
    assert result.exit_code == 1 and "integrity" in result.output


def test_a_chain_breaking_the_rules_is_reported_with_the_event(api, source):
    sid = source["id"]
    ok(api, sid, "received")
    ok(api, sid, "checked_out")
    # rewrite event 2 as a `returned` (not allowed while in custody), hashes recomputed
    from service.domain import custody

    event = CustodyEvent.get((CustodyEvent.source == sid) & (CustodyEvent.seq == 2))
    event.action = "returned"
    event.hash = custody.chain_hash(event.prev_hash, custody.hashed_fields(event))
    event.save()
    Source.update(custody_head_hash=event.hash, custody_status="in_custody").where(
        Source.id == sid
    ).execute()
    verdict = api.get(f"/sources/{sid}/custody/verify").get_json()
    assert (verdict["valid"], verdict["first_invalid_seq"]) == (False, 2)
    assert "returned is allowed only while checked out" in verdict["problem"]


def test_resolution_rows_take_part_in_the_replay(api, source):
    sid = source["id"]
    ok(api, sid, "received", sha256_observed=OTHER_SHA)
    api.post(
        f"/sources/{sid}/integrity/resolutions", json={"reason": "wrong file noted"}, role="admin"
    )
    assert api.get(f"/sources/{sid}/custody/verify").get_json()["valid"] is True
    IntegrityResolution.delete().execute()  # a resolution removed in the database
    verdict = api.get(f"/sources/{sid}/custody/verify").get_json()
    assert verdict["valid"] is False and verdict["expected"]["integrity"] == "mismatch"


@freeze_time("2026-02-01T12:00:00Z")
def test_custody_answer_says_what_the_event_did(api, source):
    answer = ok(api, source["id"], "received", sha256_observed=SHA)
    assert (answer["custody_status"], answer["integrity"]) == ("in_custody", "verified")
    answer = ok(api, source["id"], "checked_out")
    assert (answer["custody_status"], answer["integrity"]) == ("checked_out", "verified")
