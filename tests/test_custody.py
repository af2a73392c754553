"""Chain of custody: the rules of API.md, integrity, and the tamper-evident hash chain."""

import csv
import hashlib
import io
import json

import pytest
from freezegun import freeze_time

from service.cli import main as cli
from service.domain import custody, inventory
from service.domain.errors import Conflict
from service.storage.db import database
from service.storage.models import AuditEntry, CustodyEvent, Source

SHA = "ab" * 32
OTHER_SHA = "cd" * 32
ZEROS = "0" * 64


@pytest.fixture
def source(make):
    incident = make.incident()
    return make.source(incident["id"], "bodycam", sha256=SHA)


def post_event(api, source_id, action, role="investigator", **fields):
    return api.post(f"/sources/{source_id}/custody", json={"action": action, **fields}, role=role)


def dispose(api, source_id):
    """`disposed` is appended by an admin's approval of a disposal request, never posted."""
    request = api.create(f"/sources/{source_id}/disposal-requests", {"reason": "done with"})
    r = api.post(f"/disposal-requests/{request['id']}/approve", role="admin")
    assert r.status_code == 200, r.get_json()
    return r


def append(api, source_id, *actions, **fields):
    """Append events that must be accepted (`disposed` through a disposal request and its
    approval); returns them."""
    events = []
    for action in actions:
        if action == "disposed":
            dispose(api, source_id)
            events.append(api.get(f"/sources/{source_id}/custody").get_json()[-1])
            continue
        r = post_event(api, source_id, action, **fields)
        assert r.status_code == 201, (action, r.get_json())
        events.append(r.get_json())
    return events


def status_of(api, source_id):
    return api.get(f"/sources/{source_id}").get_json()


# ---------------------------------------------------------------- the hash, as docs/custody.md says

DOC_FIELDS = (
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
)


def documented_hash(prev_hash, event):
    """docs/custody.md, followed by hand: ten members, keys sorted, no whitespace, UTF-8."""
    members = {key: event[key] for key in DOC_FIELDS}
    text = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def check_chain_by_hand(events):
    prev = ZEROS
    for n, event in enumerate(events, start=1):
        assert event["seq"] == n
        assert event["prev_hash"] == prev
        assert event["hash"] == documented_hash(prev, event), f"event {n}"
        prev = event["hash"]
    return prev


def test_chain_recomputes_from_the_documented_canonical_form(api, source):
    append(
        api,
        source["id"],
        "received",
        custodian="HSI evidence unit",
        occurred_at="2026-01-24T11:15:00.250-06:00",
        location="Minneapolis field office",
        sha256_observed=SHA.upper(),
    )
    append(
        api,
        source["id"],
        "checked_out",
        custodian="Reviewer Ünal — «room 2»",
        note='said "ok"\nline two\ttab',
    )
    append(api, source["id"], "returned", custodian="HSI evidence unit", note="")
    chain = api.get(f"/sources/{source['id']}/custody").get_json()
    assert [e["action"] for e in chain] == ["received", "checked_out", "returned"]
    assert chain[0]["occurred_at"] == "2026-01-24T17:15:00.250000Z"
    assert chain[0]["sha256_observed"] == SHA  # stored lowercase, as hashed
    assert chain[2]["note"] is None  # empty text is null, in storage and in the hash
    assert all(e["actor"] == "investigator" for e in chain)
    head = check_chain_by_hand(chain)
    verdict = api.get(f"/sources/{source['id']}/custody/verify").get_json()
    assert verdict == {
        "source_id": source["id"],
        "valid": True,
        "events": 3,
        "first_invalid_seq": None,
        "head_hash": head,
        "problem": None,
        "expected": {"custody_status": "in_custody", "integrity": "verified", "legal_hold": False},
        "recorded": {"custody_status": "in_custody", "integrity": "verified", "legal_hold": False},
    }


def test_the_canonical_form_is_byte_exact(api, source):
    """A literal canonical text written from the doc, not from the code."""
    with freeze_time("2026-02-01T12:00:00Z"):
        event = append(api, source["id"], "identified", occurred_at="2026-01-24T09:00:00-06:00")[0]
    text = (
        '{"action":"identified","actor":"investigator","custodian":null,'
        '"location":null,"note":null,"occurred_at":"2026-01-24T15:00:00Z",'
        '"recorded_at":"2026-02-01T12:00:00Z","seq":1,"sha256_observed":null,'
        f'"source_id":{source["id"]}}}'
    )
    assert event["hash"] == hashlib.sha256((ZEROS + text).encode()).hexdigest()


def test_csv_export_recomputes_as_documented(api, source):
    append(
        api,
        source["id"],
        "received",
        custodian='=HYPERLINK("x")',
        note="'quoted",
        location="Salle d'écoute",
    )
    append(api, source["id"], "verified", sha256_observed=SHA, note="-3 frames, +2 @ end")
    append(api, source["id"], "copied", custodian=None)
    r = api.get(f"/sources/{source['id']}/custody?format=csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert list(rows[0]) == [*DOC_FIELDS, "late_entry_reason", "prev_hash", "hash"]
    assert all(row["late_entry_reason"] == "" for row in rows)  # empty: not hashed
    assert rows[0]["custodian"].startswith("'=")  # never a formula in a spreadsheet
    assert rows[1]["note"].startswith("'-")
    # The doc's recipe: empty cell is null, ints are ints, one leading ' removed.
    prev = ZEROS
    for n, row in enumerate(rows, start=1):
        event = {
            k: (None if row[k] == "" else row[k][1:] if row[k].startswith("'") else row[k])
            for k in DOC_FIELDS
        }
        event["source_id"], event["seq"] = int(event["source_id"]), int(event["seq"])
        assert event["seq"] == n and row["prev_hash"] == prev
        assert row["hash"] == documented_hash(prev, event)
        prev = row["hash"]
    assert rows[0]["note"] == "''quoted"


# ---------------------------------------------------------------- rules and transitions

TRANSITIONS = [
    # (events before, action, custody_status after)
    ((), "identified", "identified"),
    ((), "requested", "requested"),
    (("identified",), "requested", "requested"),
    ((), "received", "in_custody"),
    (("identified",), "received", "in_custody"),
    (("requested",), "received", "in_custody"),
    (("received", "released"), "received", "in_custody"),
    (("received",), "transferred", "in_custody"),
    (("received",), "checked_out", "checked_out"),
    (("received", "checked_out"), "returned", "in_custody"),
    (("received",), "copied", "in_custody"),
    (("received", "checked_out"), "copied", "checked_out"),
    (("received",), "verified", "in_custody"),
    (("received", "checked_out"), "verified", "checked_out"),
    (("received",), "released", "released"),
    ((), "disposed", "disposed"),
    (("identified",), "disposed", "disposed"),
    (("requested",), "disposed", "disposed"),
    (("received",), "disposed", "disposed"),
    (("received", "checked_out"), "disposed", "disposed"),
    (("received", "released"), "disposed", "disposed"),
]


@pytest.mark.parametrize(("before", "action", "after"), TRANSITIONS)
def test_allowed_transitions(api, source, before, action, after):
    append(api, source["id"], *before, custodian="Evidence room")
    event = append(api, source["id"], action, custodian="Evidence room")[0]
    assert event["seq"] == len(before) + 1
    assert status_of(api, source["id"])["custody_status"] == after


REFUSALS = [
    # (events before, action, words the message must contain)
    (("identified",), "identified", "identified is allowed only as the first event"),
    (("received",), "identified", "identified is allowed only as the first event"),
    (
        ("requested",),
        "requested",
        "requested is allowed only as the first event or after identified",
    ),
    (("received",), "requested", "requested is allowed only"),
    (
        ("received",),
        "received",
        "received is allowed only before the source was ever received, or after it was released",
    ),
    (("received", "checked_out"), "received", "received is allowed only"),
    ((), "transferred", "transferred is allowed only while in custody"),
    (("requested",), "transferred", "transferred is allowed only while in custody"),
    (("received", "checked_out"), "transferred", "transferred is allowed only while in custody"),
    ((), "checked_out", "checked_out is allowed only while in custody"),
    (("received", "checked_out"), "checked_out", "checked_out is allowed only while in custody"),
    (("received", "released"), "checked_out", "checked_out is allowed only while in custody"),
    (("received",), "returned", "returned is allowed only while checked out"),
    ((), "returned", "returned is allowed only while checked out"),
    (("identified",), "copied", "copied is allowed only while in custody or checked out"),
    (
        ("received", "released"),
        "verified",
        "verified is allowed only while in custody or checked out",
    ),
    (("requested",), "released", "released is allowed only while in custody"),
    (("received", "checked_out"), "released", "released is allowed only while in custody"),
]


@pytest.mark.parametrize(("before", "action", "words"), REFUSALS)
def test_refused_transitions_name_the_rule(api, source, before, action, words):
    append(api, source["id"], *before, custodian="Evidence room")
    status_before = status_of(api, source["id"])
    r = post_event(api, source["id"], action, custodian="Evidence room")
    assert r.status_code == 409
    body = r.get_json()
    assert body["status"] == "Conflict"
    assert body["message"].startswith("custody rule: ")
    assert words in body["message"]
    # Nothing was stored and the source did not move.
    assert len(api.get(f"/sources/{source['id']}/custody").get_json()) == len(before)
    assert status_of(api, source["id"]) == status_before


@pytest.mark.parametrize("action", sorted(custody.RULES))
def test_nothing_is_accepted_after_disposed(api, source, action):
    append(api, source["id"], "received", "disposed")
    r = post_event(api, source["id"], action, custodian="Anyone")
    assert r.status_code == 409
    assert "nothing is accepted after disposed" in r.get_json()["message"]


@pytest.mark.parametrize("before", [(), ("received",), ("received", "released")])
def test_disposed_is_never_posted_as_a_custody_event(api, source, before):
    append(api, source["id"], *before)
    for role in ("investigator", "admin"):
        r = post_event(api, source["id"], "disposed", role=role)
        assert r.status_code == 409
        assert r.get_json()["message"].startswith("disposal rule: ")
        assert "disposal request approved by a second person" in r.get_json()["message"]
    assert len(api.get(f"/sources/{source['id']}/custody").get_json()) == len(before)


def test_no_disposal_under_an_active_legal_hold(api, source):
    append(api, source["id"], "received")
    hold = api.create("/holds", {"name": "Preservation order", "source_ids": [source["id"]]})
    r = api.post(f"/sources/{source['id']}/disposal-requests", json={"reason": "done"})
    assert r.status_code == 409
    message = r.get_json()["message"]
    assert "no disposal under an active legal hold" in message
    assert f"legal hold(s) {hold['id']}" in message
    assert status_of(api, source["id"])["custody_status"] == "in_custody"
    assert api.post(f"/holds/{hold['id']}/release", role="admin").status_code == 200
    append(api, source["id"], "disposed")
    assert status_of(api, source["id"])["custody_status"] == "disposed"


def test_a_source_without_events_reads_as_identified(source):
    assert source["custody_status"] == "identified"


def test_transfer_names_the_new_custodian(api, source):
    append(api, source["id"], "received", custodian="HSI")
    r = post_event(api, source["id"], "transferred")
    assert r.status_code == 422
    assert "custodian" in r.get_json()["errors"]["json"]
    event = append(api, source["id"], "transferred", custodian="FBI laboratory")[0]
    assert event["custodian"] == "FBI laboratory"


# ---------------------------------------------------------------- fields, time, roles


@freeze_time("2026-03-01T10:00:00Z")
def test_occurred_at_defaults_to_now_and_recorded_at_is_the_servers(api, source):
    event = append(api, source["id"], "identified")[0]
    assert event["occurred_at"] == event["recorded_at"] == "2026-03-01T10:00:00Z"


@freeze_time("2026-03-01T10:00:00Z")
def test_occurred_at_in_the_future_is_refused(api, source):
    r = post_event(api, source["id"], "identified", occurred_at="2026-03-01T11:00:00Z")
    assert r.status_code == 422
    assert "occurred_at" in r.get_json()["errors"]["json"]
    append(api, source["id"], "identified", occurred_at="2026-03-01T10:04:00Z")  # clock skew


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"action": "lost"},
        {"action": "received", "occurred_at": "2026-01-24T09:00:00"},  # no offset
        {"action": "received", "sha256_observed": "xyz"},
        {"action": "received", "custodian": "x" * 301},
        {"action": "received", "note": "a\u0000b"},
        {"action": "received", "seq": 7},
        {"action": "received", "hash": ZEROS},
    ],
)
def test_invalid_events_are_422(api, source, body):
    r = api.post(f"/sources/{source['id']}/custody", json=body)
    assert r.status_code == 422, r.get_json()
    assert api.get(f"/sources/{source['id']}/custody").get_json() == []


def test_unknown_source_is_404(api):
    assert post_event(api, 999, "received").status_code == 404
    assert api.get("/sources/999/custody").status_code == 404
    assert api.get("/sources/999/custody/verify").status_code == 404


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_custody_is_append_only_405(api, source, method):
    append(api, source["id"], "received")
    r = api.request(method, f"/sources/{source['id']}/custody", json={"action": "disposed"})
    assert r.status_code == 405
    assert r.get_json()["code"] == 405
    assert len(api.get(f"/sources/{source['id']}/custody").get_json()) == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 201), ("investigator", 201), ("oversight", 403), ("importer", 403)],
)
def test_who_may_append(api, source, role, status):
    assert post_event(api, source["id"], "received", role=role).status_code == status


@pytest.mark.parametrize("role", ["admin", "investigator", "oversight", "importer"])
def test_everyone_may_read_and_verify(api, source, role):
    assert api.get(f"/sources/{source['id']}/custody", role=role).status_code == 200
    assert api.get(f"/sources/{source['id']}/custody/verify", role=role).status_code == 200


def test_no_token_is_401(api, source):
    assert api.get(f"/sources/{source['id']}/custody", role=None).status_code == 401


def test_chain_list_is_paginated(api, source):
    append(api, source["id"], "received", *["verified"] * 4)
    r = api.get(f"/sources/{source['id']}/custody?page=2&page_size=2")
    assert [e["seq"] for e in r.get_json()] == [3, 4]
    assert json.loads(r.headers["X-Pagination"])["total"] == 5


# ---------------------------------------------------------------- integrity


def test_matching_hash_verifies_and_a_mismatch_is_a_recorded_finding(api, source):
    append(api, source["id"], "received", sha256_observed=SHA.upper())
    assert status_of(api, source["id"])["integrity"] == "verified"
    r = post_event(api, source["id"], "verified", sha256_observed=OTHER_SHA)
    assert r.status_code == 201  # a finding, not an error
    assert r.get_json()["sha256_observed"] == OTHER_SHA
    assert status_of(api, source["id"])["integrity"] == "mismatch"
    append(api, source["id"], "copied")  # no observation: integrity unchanged
    assert status_of(api, source["id"])["integrity"] == "mismatch"
    later = append(api, source["id"], "verified", sha256_observed=SHA)[0]
    # A mismatch stays the finding until an admin resolves it (finding 1).
    assert later["integrity"] == "mismatch"
    assert status_of(api, source["id"])["integrity"] == "mismatch"


def test_observation_without_a_source_hash_changes_nothing(api, make):
    incident = make.incident()
    source = make.source(incident["id"], "bystander")
    append(api, source["id"], "received", sha256_observed=SHA)
    assert status_of(api, source["id"])["integrity"] == "unverified"


def test_changing_the_source_hash_unverifies_it(api, source):
    r = api.patch(f"/sources/{source['id']}", json={"sha256": OTHER_SHA})
    assert r.status_code == 200 and r.get_json()["integrity"] == "unverified"
    append(api, source["id"], "received", sha256_observed=OTHER_SHA)
    assert (
        api.patch(f"/sources/{source['id']}", json={"sha256": OTHER_SHA}).get_json()["integrity"]
        == "verified"
    )  # unchanged hash: still verified


def test_status_and_integrity_change_with_the_event_only(api, source):
    """A refused event leaves the source exactly as it was (same transaction)."""
    append(api, source["id"], "received")
    before = api.get(f"/sources/{source['id']}")
    r = post_event(api, source["id"], "returned", sha256_observed=OTHER_SHA)
    assert r.status_code == 409
    after = api.get(f"/sources/{source['id']}")
    assert after.headers["ETag"] == before.headers["ETag"]


# ---------------------------------------------------------------- tampering in the database


def _sql(statement):
    """Run SQL as someone with database access would, bypassing the service."""
    database.execute_sql(statement)


def _chain_of_five(api, source):
    append(api, source["id"], "received", custodian="HSI")
    append(api, source["id"], "checked_out", custodian="Reviewer A")
    append(api, source["id"], "returned", custodian="HSI")
    append(api, source["id"], "transferred", custodian="FBI laboratory")
    append(api, source["id"], "verified", sha256_observed=SHA)
    assert api.get(f"/sources/{source['id']}/custody/verify").get_json()["valid"]


def _verdict(api, source):
    r = api.get(f"/sources/{source['id']}/custody/verify")
    assert r.status_code == 200
    return r.get_json()


def test_changed_custodian_is_caught_at_its_seq(api, source):
    _chain_of_five(api, source)
    _sql(
        f"UPDATE custody_event SET custodian = 'Someone else' "
        f"WHERE source_id = {source['id']} AND seq = 3"
    )
    verdict = _verdict(api, source)
    assert (verdict["valid"], verdict["events"], verdict["first_invalid_seq"]) == (False, 5, 3)
    assert "changed" in verdict["problem"]


def test_changed_time_is_caught(api, source):
    _chain_of_five(api, source)
    _sql(
        f"UPDATE custody_event SET occurred_at = '2020-01-01 00:00:00' "
        f"WHERE source_id = {source['id']} AND seq = 1"
    )
    assert _verdict(api, source)["first_invalid_seq"] == 1


def test_deleted_event_is_caught_where_it_was(api, source):
    _chain_of_five(api, source)
    _sql(f"DELETE FROM custody_event WHERE source_id = {source['id']} AND seq = 2")
    verdict = _verdict(api, source)
    assert (verdict["valid"], verdict["events"], verdict["first_invalid_seq"]) == (False, 4, 2)
    assert "missing" in verdict["problem"]


def test_deleted_last_event_is_caught(api, source):
    _chain_of_five(api, source)
    _sql(f"DELETE FROM custody_event WHERE source_id = {source['id']} AND seq = 5")
    verdict = _verdict(api, source)
    assert (verdict["valid"], verdict["events"], verdict["first_invalid_seq"]) == (False, 4, 5)
    # Appending afterwards does not paper over the hole.
    append(api, source["id"], "copied")
    assert _verdict(api, source)["first_invalid_seq"] == 5


def test_reordered_events_are_caught_at_the_first_moved_seq(api, source):
    _chain_of_five(api, source)
    where = f"WHERE source_id = {source['id']} AND seq ="
    _sql(f"UPDATE custody_event SET seq = 100 {where} 2")
    _sql(f"UPDATE custody_event SET seq = 2 {where} 3")
    _sql(f"UPDATE custody_event SET seq = 3 {where} 100")
    verdict = _verdict(api, source)
    assert (verdict["valid"], verdict["events"], verdict["first_invalid_seq"]) == (False, 5, 2)


def test_renumbered_event_is_caught(api, source):
    _chain_of_five(api, source)
    _sql(f"UPDATE custody_event SET seq = 9 WHERE source_id = {source['id']} AND seq = 4")
    assert _verdict(api, source)["first_invalid_seq"] == 4


def test_chain_rewritten_with_recomputed_hashes_is_caught(api, source):
    """Hashes recomputed after an edit: every link holds, but not the recorded head."""
    _chain_of_five(api, source)
    events = list(
        CustodyEvent.select().where(CustodyEvent.source == source["id"]).order_by(CustodyEvent.seq)
    )
    prev = ZEROS
    for event in events:
        if event.seq == 4:
            event.custodian = "Nobody"
        event.prev_hash = prev
        event.hash = custody.chain_hash(prev, custody.hashed_fields(event))
        CustodyEvent.update(
            custodian=event.custodian, prev_hash=event.prev_hash, hash=event.hash
        ).where(CustodyEvent.id == event.id).execute()
        prev = event.hash
    verdict = _verdict(api, source)
    assert not verdict["valid"]
    assert verdict["first_invalid_seq"] == 1
    assert "rewritten" in verdict["problem"]


def test_event_inserted_behind_the_services_back_is_caught(api, source):
    _chain_of_five(api, source)
    last = CustodyEvent.get((CustodyEvent.source == source["id"]) & (CustodyEvent.seq == 5))
    forged = CustodyEvent(
        source=source["id"],
        seq=6,
        action="disposed",
        occurred_at=last.occurred_at,
        actor="intruder",
        recorded_at=last.recorded_at,
        prev_hash=last.hash,
    )
    forged.hash = custody.chain_hash(last.hash, custody.hashed_fields(forged))
    forged.save(force_insert=True)
    assert _verdict(api, source)["first_invalid_seq"] == 6


def test_empty_chain_is_valid(api, source):
    assert _verdict(api, source) == {
        "source_id": source["id"],
        "valid": True,
        "events": 0,
        "first_invalid_seq": None,
        "head_hash": None,
        "problem": None,
        "expected": {
            "custody_status": "identified",
            "integrity": "unverified",
            "legal_hold": False,
        },
        "recorded": {
            "custody_status": "identified",
            "integrity": "unverified",
            "legal_hold": False,
        },
    }


# ---------------------------------------------------------------- the command line


def test_verify_custody_cli(api, make, runner, database_url, monkeypatch):
    monkeypatch.setenv("EVIDENCE_DATABASE_URL", database_url)
    incident = make.incident()
    sources = [make.source(incident["id"], "bodycam", sha256=f"{n:064x}") for n in (1, 2, 3)]
    for s in sources:
        append(api, s["id"], "received", "checked_out", "returned")
    result = runner.invoke(cli, ["verify-custody"])
    assert result.exit_code == 0, result.output
    assert "3 chain(s) checked, 0 broken" in result.output

    _sql(
        f"UPDATE custody_event SET note = 'edited' WHERE source_id = {sources[1]['id']} AND seq = 2"
    )
    result = runner.invoke(cli, ["verify-custody"])
    assert result.exit_code == 1
    assert f"source {sources[1]['id']}: BROKEN at seq 2" in result.output
    assert "3 chain(s) checked, 1 broken" in result.output

    result = runner.invoke(cli, ["verify-custody", "--source", str(sources[0]["id"])])
    assert result.exit_code == 0
    assert "1 chain(s) checked, 0 broken" in result.output


def test_verify_all_batches_cover_every_chain(app, api, make):
    incident = make.incident()
    ids = []
    for _ in range(5):
        s = make.source(incident["id"], "bystander")
        append(api, s["id"], "received")
        ids.append(s["id"])
    _sql(f"DELETE FROM custody_event WHERE source_id = {ids[3]}")  # cut to nothing
    verdicts = list(custody.verify_all(batch_size=2))
    assert [v["source_id"] for v in verdicts] == ids
    assert [v["valid"] for v in verdicts] == [True, True, True, False, True]
    assert verdicts[3]["first_invalid_seq"] == 1


# ---------------------------------------------------------------- the domain function


def test_append_event_is_the_importers_entry_point(app, api, source):
    """append_event(source, values, actor) with a Source or an id, outside a request."""
    with database.atomic():
        first = custody.append_event(source["id"], {"action": "requested"}, "importer-bot")
        row = Source.get_by_id(source["id"])
        second = custody.append_event(
            row, {"action": "received", "custodian": "HSI", "sha256_observed": SHA}, "importer-bot"
        )
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    row = Source.get_by_id(source["id"])
    assert (row.custody_status, row.integrity) == ("in_custody", "verified")
    with pytest.raises(Conflict, match="custody rule: requested"):
        with database.atomic():
            custody.append_event(row, {"action": "requested"}, "importer-bot")
    assert custody.verify_chain(source["id"])["valid"]


def test_updating_a_stale_source_keeps_its_custody(app, api, source):
    """Source updates write only the columns they own, never the chain's head or statuses."""
    stale = Source.get_by_id(source["id"])
    append(api, source["id"], "received", sha256_observed=SHA)
    api.post(f"/sources/{source['id']}/reviews", json={"status": "reviewed"})
    with database.atomic():
        inventory.update_source(stale, {"notes": "catalogued again", "retain_until": None})
    row = Source.get_by_id(source["id"])
    assert (row.custody_status, row.integrity, row.review_status, row.custody_last_seq) == (
        "in_custody",
        "verified",
        "reviewed",
        1,
    )
    assert row.notes == "catalogued again"
    append(api, source["id"], "checked_out")
    assert custody.verify_chain(source["id"])["valid"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_timestamps_outside_the_calendar_in_utc_are_422(api, source, when):
    assert post_event(api, source["id"], "identified", occurred_at=when).status_code == 422


def test_custody_writes_refusals_and_reads_are_audited(api, source):
    before = AuditEntry.select().count()
    append(api, source["id"], "received")
    post_event(api, source["id"], "returned")  # refused: 409
    api.get(f"/sources/{source['id']}/custody", role="oversight")
    api.get(f"/sources/{source['id']}/custody/verify", role="oversight")
    audited = list(AuditEntry.select().order_by(AuditEntry.id).offset(before))
    assert [(e.method, e.status, e.resource, e.resource_id, e.actor) for e in audited] == [
        ("POST", 201, "custody", str(source["id"]), "investigator"),
        ("POST", 409, "custody", str(source["id"]), "investigator"),
        ("GET", 200, "custody", str(source["id"]), "oversight"),
        ("GET", 200, "custody", str(source["id"]), "oversight"),
    ]
