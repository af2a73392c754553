"""Rows inserted together by a thread of the process (storage.db.GroupedInserts), as audited
reads' entries are: each caller returns once its row is committed, or with the error that
kept it out; rows waiting while a group is written go in the next group; a row that fails
alone fails its caller alone."""

import threading
import time

import pytest
from peewee import CharField, DatabaseError, IntegrityError, Model, OperationalError

from service.storage import db as storage
from service.storage.db import GroupedInserts, database
from service.storage.models import Agency, AuditEntry

FIELDS = [Agency.code, Agency.name, Agency.jurisdiction]


def _in_threads(inserter, rows):
    """Insert each of `rows` from its own thread; {code: None or the error raised}."""
    outcome = {}

    def insert(row):
        try:
            inserter.insert(row)
        except Exception as error:  # noqa: BLE001 (what the caller got is the result)
            outcome[row[0]] = error
        else:
            # Committed before insert returned: this thread's own connection sees it.
            outcome[row[0]] = Agency.select().where(Agency.code == row[0]).count() == 1
        finally:
            database.close()

    threads = [threading.Thread(target=insert, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


def test_each_caller_returns_once_its_row_is_committed(app):
    rows = [(f"A{n}", f"Agency {n}", "municipal") for n in range(12)]
    outcome = _in_threads(GroupedInserts(Agency, FIELDS), rows)
    assert outcome == {code: True for code, _, _ in rows}
    assert Agency.select().count() == 12


def test_rows_waiting_while_a_group_is_written_go_in_one_group(app, monkeypatch):
    inserter = GroupedInserts(Agency, FIELDS)
    groups = []
    first_written = threading.Event()
    written = storage.execute_many

    def recorded(sql, rows, db=None):
        rows = list(rows)
        groups.append(len(rows))
        if len(groups) == 1:  # the first group waits until the others are all queued
            deadline = time.monotonic() + 10
            while len(inserter._queue) < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            first_written.set()
        return written(sql, rows, db)

    monkeypatch.setattr(storage, "execute_many", recorded)
    first = threading.Thread(target=lambda: _in_threads(inserter, [("F", "First", "other")]))
    first.start()
    deadline = time.monotonic() + 10
    while not groups and time.monotonic() < deadline:
        time.sleep(0.01)
    outcome = _in_threads(inserter, [(f"B{n}", "Next", "other") for n in range(5)])
    first.join(30)
    assert first_written.is_set()
    assert groups == [1, 5]
    assert set(outcome.values()) == {True}


def test_a_row_that_fails_alone_fails_its_caller_alone(app):
    Agency.create(code="TAKEN", name="Already there")
    inserter = GroupedInserts(Agency, FIELDS)
    rows = [(f"C{n}", "Fine", "other") for n in range(6)] + [("TAKEN", "Again", "other")]
    outcome = _in_threads(inserter, rows)
    assert isinstance(outcome.pop("TAKEN"), IntegrityError)
    assert set(outcome.values()) == {True}
    assert Agency.select().where(Agency.name == "Fine").count() == 6


class Missing(Model):
    """A table the database does not have."""

    actor = CharField()

    class Meta:
        database = database
        table_name = "no_such_table"


def test_a_database_error_reaches_every_caller_and_the_next_group_is_written(app):
    outcome = _in_threads(GroupedInserts(Missing, [Missing.actor]), [("a",), ("b",), ("c",)])
    assert sorted(outcome) == ["a", "b", "c"]
    assert all(isinstance(error, DatabaseError) for error in outcome.values()), outcome
    inserter = GroupedInserts(Agency, FIELDS)
    inserter.insert(("AFTER", "After the error", "other"))
    assert Agency.select().where(Agency.code == "AFTER").count() == 1


def test_a_caller_does_not_wait_forever(app, monkeypatch):
    inserter = GroupedInserts(Agency, FIELDS, wait_seconds=0.2)
    release = threading.Event()
    monkeypatch.setattr(inserter, "_write", lambda group: release.wait(5))
    with pytest.raises(OperationalError, match="not written within"):
        inserter.insert(("SLOW", "Slow", "other"))
    release.set()


def test_audited_reads_from_many_threads_all_leave_their_entry(app, tokens):
    before = AuditEntry.select().count()
    answers = []

    def read():
        with app.test_client() as client:
            answer = client.get(
                "/api/v1/sources", headers={"Authorization": f"Bearer {tokens['oversight']}"}
            )
            answers.append(answer.status_code)
        database.close()

    threads = [threading.Thread(target=read) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200] * 10
    entries = list(AuditEntry.select().order_by(AuditEntry.id))[before:]
    assert [(e.method, e.resource, e.status) for e in entries] == [("GET", "sources", 200)] * 10
    assert len({e.hash for e in entries}) == 10
