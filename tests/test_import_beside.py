"""A source import in one transaction writes each run's new sources while it checks the next
(storage.db.beside: a second thread on the same connection, PostgreSQL only; SQLite writes
at once). The answers must not depend on it: a row that depends on one still waiting to be
written (its key, its sha256, its master) sees it written; a write that fails because a key
was taken after the lookups falls back to one row at a time; errors come in row order."""

import hashlib
import io
import re
import threading

import pytest

from service.bulk import importer
from service.bulk.importer import run_import
from service.storage.db import beside, database, is_postgresql
from service.storage.models import Agency, Incident, IncidentCounters, Source, SourceSearch


@pytest.fixture
def incident(app):
    agency = Agency.create(code="MPD", name="Minneapolis Police", jurisdiction="municipal")
    assert agency.id
    job = _import("incidents", "external_id,title,started_at\ni-1,Stop,2026-01-24T09:00:00Z\n")
    assert job.counts["created"] == 1, job.errors
    return Incident.get(Incident.external_id == "i-1")


def _import(kind, text, **options):
    return run_import(kind, io.BytesIO(text.encode()), "csv", actor="test", **options)


def _stored():
    return {
        s.external_id: (
            s.kind,
            s.notes,
            s.sha256,
            s.derived_from.external_id if s.derived_from_id else None,
        )
        for s in Source.select().order_by(Source.external_id)
    }


# ---------------------------------------------------------------- storage.db.beside


def test_beside_runs_on_the_callers_connection_and_transaction(app, incident):
    ran = []

    def write(external_id):
        ran.append((threading.get_ident(), database.connection()))
        with database.atomic():  # a savepoint of the caller's transaction
            Source.create(incident=incident.id, kind="bodycam", external_id=external_id)

    caller = (threading.get_ident(), database.connection())
    with database.atomic() as transaction:
        with beside() as writes:
            writes.submit(write, "s-1")
            writes.submit(write, "s-2")  # (after s-1's has ended)
        assert Source.select().count() == 2  # both written, seen by the caller
        transaction.rollback()
    assert Source.select().count() == 0  # nothing committed on its own
    assert [connection for _, connection in ran] == [caller[1], caller[1]]
    threads = {thread for thread, _ in ran}
    assert threads == ({caller[0]} if not is_postgresql() else threads - {caller[0]})
    assert len(threads) == 1


def test_beside_raises_the_functions_error_when_the_block_ends(app, incident):
    def fail():
        raise LookupError("from the writer")

    with database.atomic():
        with pytest.raises(LookupError, match="from the writer"):
            with beside() as writes:
                writes.submit(fail)
                writes.submit(lambda: None)  # (PostgreSQL: raises here, SQLite: above)
        with pytest.raises(LookupError):  # also in place of the block's own error
            with beside() as writes:
                writes.submit(fail)
                if is_postgresql():
                    raise ValueError("a statement failing after the writer's error")
    assert Source.select().count() == 0


def test_beside_needs_a_transaction(app):
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        with beside():
            pass


# ---------------------------------------------------------------- the import


HEADER = "external_id,incident_external_id,kind,notes,sha256,derived_from_external_id\n"
# A row depending on an earlier one in each way: the copy of s-1 (its master), s-1 again
# (an update), s-3 with s-1's sha256 in the same incident (refused), a kind the API refuses.
ROWS = [
    "{p}1,i-1,bodycam,first,{sha},",
    "{p}2,i-1,bystander,a copy,,{p}1",
    "{p}1,i-1,bodycam,first again,,",
    "{p}3,i-1,dashcam,same file,{sha},",
    "{p}4,i-1,hovercraft,,,",
    "{p}5,i-1,surveillance,,,",
    "{p}6,i-1,bodycam,,,{p}2",
]


def _text(prefix, rows=ROWS):
    """The rows with their keys starting with `prefix` (each import its own records)."""
    sha = hashlib.sha256(prefix.encode()).hexdigest()
    return HEADER + "".join(row.format(p=prefix, sha=sha) + "\n" for row in rows)


def _stored_of(prefix):
    return {
        key[len(prefix) :]: (*value[:2], bool(value[2]), value[3] and value[3][len(prefix) :])
        for key, value in _stored().items()
        if key.startswith(prefix)
    }


def _answer(job):
    """An import's answer with what differs between keys (record ids, sha256) left out."""
    return {
        **job,
        "mode": None,
        "dry_run": None,
        "errors": [
            (e["row"], e["field"], re.sub(r"source \d+ with sha256 \w+", "...", e["message"]))
            for e in job["errors"]
        ],
        "changes": [(c["row"], c["fields"]) for c in job["changes"]],
    }


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_rows_depending_on_rows_still_being_written_see_them(incident, batch_size):
    """The same counts, errors, changes and records in any batches as in one batch (where
    the runs of a batch are written one after another)."""
    one = _import("sources", _text("a-"), partial=True).as_dict()
    once = _stored_of("a-")
    batched = _import("sources", _text("b-"), batch_size=batch_size, partial=True).as_dict()
    assert _stored_of("b-") == once
    assert _answer(batched) == _answer(one)
    assert one["created"] == 4 and one["updated"] == 1 and one["rejected"] == 2
    assert [e["row"] for e in one["errors"]] == [4, 5]
    assert once["1"][1] == "first again" and once["6"][3] == "2"
    # In one transaction (where writes go beside the checks), the same decisions...
    atomic = _import("sources", _text("c-"), batch_size=batch_size, dry_run=True).as_dict()
    assert _answer(atomic)["errors"] == _answer(one)["errors"]
    assert atomic["rejected"] == 2 and not _stored_of("c-")
    # ...and the same records.
    fixed = [row for i, row in enumerate(ROWS) if i not in (3, 4)]
    job = _import("sources", _text("d-", fixed), batch_size=batch_size)
    assert (job.counts["created"], job.counts["updated"]) == (4, 1), job.errors
    assert _stored_of("d-") == {k: v for k, v in once.items() if k not in ("3", "4")}


def test_a_key_taken_after_the_lookups_rejects_that_row_alone(incident, monkeypatch):
    """Another writer takes s-1's key once the lookups of its batch are made: the batch's
    write fails (on PostgreSQL while the second batch is checked), its rows go in one by
    one, s-1 alone is refused; the errors stay in row order although row 2's was found
    first."""
    looked_up = importer.BatchSourceFacts.look_up_all
    calls = []

    def and_taken_meanwhile(facts):
        looked_up(facts)
        calls.append(1)
        if len(calls) == 1:  # once the first batch's lookups found no s-1
            Source.create(incident=incident.id, kind="bystander", external_id="s-1")

    monkeypatch.setattr(importer.BatchSourceFacts, "look_up_all", and_taken_meanwhile)
    text = HEADER + "s-1,i-1,bodycam,,,\ns-2,i-1,hovercraft,,,\ns-3,i-1,bodycam,,,\n"
    seen = []
    job = _import("sources", text, batch_size=2, partial=False, on_error=seen.append)
    assert [e["row"] for e in job.errors] == [1, 2] == [e["row"] for e in seen]
    assert "saved at the same time" in job.errors[0]["message"], job.errors
    assert job.errors[1]["field"] == "kind"
    assert job.counts["rejected"] == 2 and job.counts["received"] == 3
    assert Source.select().count() == 0  # (atomic: a rejected row writes nothing)


def test_an_import_of_new_sources_writes_them_with_their_index_and_counters(incident):
    rows = "".join(f"s-{k},i-1,bystander,note {k},,\n" for k in range(25))
    job = _import("sources", HEADER + rows, batch_size=4)
    assert job.counts["created"] == 25, job.errors
    ids = {s.id for s in Source.select()}
    assert len(ids) == 25
    assert {row.rowid for row in SourceSearch.select()} == ids
    assert IncidentCounters.get(IncidentCounters.incident == incident.id).sources == 25
