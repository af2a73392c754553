"""`evidence migrate-to URL`: an inventory copied into a new database, ids and chains kept.

The inventory copied is the suite's database: SQLite to PostgreSQL and to SQLite in the
SQLite run, PostgreSQL to both in the PostgreSQL run.
"""

import os

import pytest
from live import connected, throwaway_postgres

from service.cli import main
from service.storage.migrations import upgrade
from service.storage.models import ALL_MODELS, AuditEntry, CustodyEvent, Incident, Source


def _catalogue(make, api):
    make.agency("CBP")
    make.agency("MPD", jurisdiction="municipal")
    officers = [make.officer("CBP") for _ in range(3)]
    incidents = [make.incident(title=f"Incident {n}", agencies=["CBP", "MPD"]) for n in range(3)]
    for officer in officers:
        make.involve(incidents[0]["id"], officer["id"], camera_expected=True)
    for incident in incidents[1:]:
        make.involve(incident["id"], officers[0]["id"])
    sources = [
        make.source(
            i["id"],
            officer_id=officers[0]["id"],
            sha256=f"{n:064x}",
            recording_started_at="2026-01-24T09:00:00.250-06:00",
            recording_ended_at="2026-01-24T09:10:00-06:00",
            clock_offset_seconds=1.5,
            size_bytes=2**40,
        )
        for n, i in enumerate(incidents * 2)
    ]
    make.custody(sources[1]["id"], "received", "checked_out", "returned")
    make.custody(sources[2]["id"], "requested")
    make.review(sources[1]["id"], "reviewed")
    # A copy pointing at a master with a higher id: the copy sets such links afterwards.
    response = api.patch(
        f"/sources/{sources[0]['id']}", json={"derived_from_id": sources[-1]["id"]}
    )
    assert response.status_code == 200, response.get_json()
    return sources


def _contents(model):
    pk = model._meta.primary_key
    order = [model._meta.fields[n] for n in pk.field_names] if hasattr(pk, "field_names") else [pk]
    return list(model.select().order_by(*order).tuples())


def _everything():
    return {m._meta.table_name: _contents(m) for m in ALL_MODELS}


def _migrate_and_compare(runner, target_url):
    before = _everything()
    result = runner.invoke(main, ["migrate-to", target_url])
    assert result.exit_code == 0, result.output
    assert (
        "row counts and values match" in result.output and "audit chain verified" in result.output
    )
    assert "custody chain verified" in result.output
    with connected(target_url):
        after = _everything()
        for name in before:
            for a, b in zip(before[name], after[name], strict=True):
                assert a == b, (name, [(x, y) for x, y in zip(a, b, strict=True) if x != y])
        assert after == before
        # New rows get new ids: the sequences were moved past the copied ones.
        incident = Incident.create(
            title="After the move", started_at=Incident.select(Incident.started_at).scalar()
        )
        assert incident.id == max(row[0] for row in before["incident"]) + 1
    return before


def test_migrate_to_copies_everything_into_a_new_sqlite_file(runner, make, api, tmp_path):
    sources = _catalogue(make, api)
    before = _migrate_and_compare(runner, f"sqlite:///{tmp_path / 'moved.db'}")
    assert len(before["source"]) == len(sources) and before["audit_entry"]
    assert len(before["custody_event"]) == 4 and before["review"]


def test_migrate_to_postgresql(runner, make, api):
    admin_url = os.environ.get("EVIDENCE_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("EVIDENCE_TEST_POSTGRES_URL is unset: no PostgreSQL server to copy into")
    _catalogue(make, api)
    with throwaway_postgres(admin_url, "evidence_moved") as target_url:
        before = _migrate_and_compare(runner, target_url)
        with connected(target_url):
            master = Source.get_by_id(before["source"][0][0]).derived_from_id
            assert master == before["source"][-1][0]
            assert AuditEntry.select().count() == len(before["audit_entry"])


def test_migrate_to_refuses_a_database_that_has_rows(runner, make, api, tmp_path):
    _catalogue(make, api)
    target = f"sqlite:///{tmp_path / 'moved.db'}"
    assert runner.invoke(main, ["migrate-to", target]).exit_code == 0
    with connected(target):
        copied = _everything()
    again = runner.invoke(main, ["migrate-to", target])
    assert again.exit_code == 1
    assert "not empty" in again.output
    with connected(target):
        assert _everything() == copied


def test_migrate_to_keeps_nothing_when_a_chain_does_not_verify(runner, make, api, tmp_path):
    sources = _catalogue(make, api)
    CustodyEvent.update(custodian="someone else").where(
        (CustodyEvent.source == sources[1]["id"]) & (CustodyEvent.seq == 2)
    ).execute()
    target = f"sqlite:///{tmp_path / 'moved.db'}"
    result = runner.invoke(main, ["migrate-to", target])
    assert result.exit_code == 1
    assert "do not verify" in result.output and "custody" in result.output
    with connected(target):
        assert all(not rows for rows in _everything().values())


def test_migrate_to_compares_values_not_only_counts(runner, make, api, tmp_path):
    """A target that stores a value other than the one given (here a trigger rounding the
    clock offset, as a single-precision column would) is caught: nothing is kept."""
    _catalogue(make, api)
    target = f"sqlite:///{tmp_path / 'moved.db'}"
    with connected(target) as db:
        upgrade()
        db.execute_sql(
            "CREATE TRIGGER lossy AFTER INSERT ON source BEGIN "
            "UPDATE source SET clock_offset_seconds = 1.0 WHERE id = NEW.id; END"
        )
    result = runner.invoke(main, ["migrate-to", target])
    assert result.exit_code == 1
    assert "values differ" in result.output and "source" in result.output
    with connected(target):
        assert Source.select().count() == 0
