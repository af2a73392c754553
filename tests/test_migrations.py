"""Schema migrations: fresh databases, databases of an older shape, failures, re-runs."""

import pytest
from peewee import CharField, IntegerField

from service.cli import main
from service.storage import migrations
from service.storage.db import database
from service.storage.migrations import (
    SchemaVersion,
    add_column_if_missing,
    has_index,
    pending,
    upgrade,
)
from service.storage.models import SEARCH_INDEXES, BaseModel, Source


def _versions():
    return sorted(row.version for row in SchemaVersion.select())


def _drop_schema_version():
    database.execute_sql('DROP TABLE IF EXISTS "schema_version"')


def test_init_db_on_a_fresh_database_stamps_every_migration(runner, app):
    _drop_schema_version()
    # as if the file or database were new (the search index first: on PostgreSQL its rows
    # refer to incidents and sources)
    database.drop_tables([*SEARCH_INDEXES, *migrations.ALL_MODELS])
    result = runner.invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert "applied migration" not in result.output  # nothing to upgrade on a fresh database
    assert _versions() == [v for v, _ in migrations.MIGRATIONS]
    assert has_index("source", "source_sha256") and has_index("source", "source_device_id")
    assert pending() == []


def test_an_old_database_is_upgraded_without_losing_rows(runner, make, api):
    incident = make.incident()
    sha = "ab" * 32
    created = [
        make.source(incident["id"], sha256=sha, device_id="CAM-1"),
        make.source(incident["id"], kind="dashcam", device_id="CAM-2"),
    ]
    # The shape before migration 1: no schema_version table, no indexes on sha256/device_id;
    # before migration 2: incidents indexed on state and on kind alone.
    _drop_schema_version()
    database.execute_sql('DROP INDEX IF EXISTS "source_sha256"')
    database.execute_sql('DROP INDEX IF EXISTS "source_device_id"')
    database.execute_sql('DROP INDEX IF EXISTS "incident_state_started_at"')
    database.execute_sql('DROP INDEX IF EXISTS "incident_kind_started_at"')
    database.execute_sql('CREATE INDEX "incident_state" ON "incident" ("state")')
    database.execute_sql('CREATE INDEX "incident_kind" ON "incident" ("kind")')
    assert not has_index("source", "source_sha256")

    result = runner.invoke(main, ["init-db"])

    assert result.exit_code == 0, result.output
    assert "applied migration index_sources_by_file_and_device" in result.output
    assert "applied migration index_incident_lists_by_state_and_kind" in result.output
    assert has_index("source", "source_sha256") and has_index("source", "source_device_id")
    assert has_index("incident", "incident_state_started_at")
    assert has_index("incident", "incident_kind_started_at")
    assert not has_index("incident", "incident_state")
    assert not has_index("incident", "incident_kind")
    assert _versions() == [v for v, _ in migrations.MIGRATIONS]
    listed = api.get(f"/sources?sha256={sha}").get_json()
    assert [s["id"] for s in listed] == [created[0]["id"]]
    assert [i["id"] for i in api.get("/incidents?kind=shooting").get_json()] == [incident["id"]]
    assert Source.select().count() == 2
    again = runner.invoke(main, ["init-db"])
    assert again.exit_code == 0 and "applied migration" not in again.output


# Above any version a release will use (versions are not contiguous across branches).
TEST_VERSION = max(v for v, _ in migrations.MIGRATIONS) + 1000


class OldCamera(BaseModel):
    """A table as an older version made it."""

    serial = CharField(max_length=40)

    class Meta:
        table_name = "scratch_camera"


class Camera(BaseModel):
    """The same table in the newer version: one more column, with a default for old rows."""

    serial = CharField(max_length=40)
    model_name = CharField(max_length=40, default="unknown")
    lens_mm = IntegerField(null=True)

    class Meta:
        table_name = "scratch_camera"


@pytest.fixture
def old_camera_table(app):
    upgrade()
    test_versions = SchemaVersion.delete().where(SchemaVersion.version == TEST_VERSION)
    test_versions.execute()  # PostgreSQL keeps schema_version across the run's tests
    database.create_tables([OldCamera])
    OldCamera.insert_many([{"serial": f"S{n}"} for n in range(5)]).execute()
    yield
    database.drop_tables([OldCamera])  # the test's own scratch table
    test_versions.execute()


def add_camera_model(migrator):
    add_column_if_missing(migrator, Camera, "model_name")
    add_column_if_missing(migrator, Camera, "lens_mm")


def test_a_column_migration_keeps_rows_and_fills_the_default(old_camera_table):
    plan = [*migrations.MIGRATIONS, (TEST_VERSION, add_camera_model)]
    assert "add_camera_model" in upgrade(plan)
    rows = list(Camera.select().order_by(Camera.id).dicts())
    assert [r["serial"] for r in rows] == [f"S{n}" for n in range(5)]
    assert {r["model_name"] for r in rows} == {"unknown"}
    assert {r["lens_mm"] for r in rows} == {None}
    assert upgrade(plan) == []  # applied once
    assert pending(plan) == []


def test_a_failing_migration_leaves_nothing_half_done(old_camera_table):
    def half_then_fail(migrator):
        add_column_if_missing(migrator, Camera, "model_name")
        raise RuntimeError("the second step failed")

    plan = [*migrations.MIGRATIONS, (TEST_VERSION, half_then_fail)]
    with pytest.raises(RuntimeError):
        upgrade(plan)
    columns = {c.name for c in database.get_columns("scratch_camera")}
    assert "model_name" not in columns  # rolled back with the failed migration
    assert [v for v, _ in pending(plan)] == [TEST_VERSION]
    assert OldCamera.select().count() == 5


def test_custody_chain_heads_are_filled_from_the_events_recorded(runner, make, api):
    incident = make.incident()
    chained = make.source(incident["id"])
    events = make.custody(chained["id"], "received", "checked_out", "returned")
    bare = make.source(incident["id"], kind="dashcam")
    # The shape at version 2: no chain head on sources, the coverage index of before.
    SchemaVersion.delete().where(SchemaVersion.version >= 3).execute()
    database.execute_sql('ALTER TABLE "source" DROP COLUMN "custody_last_seq"')
    database.execute_sql('ALTER TABLE "source" DROP COLUMN "custody_head_hash"')
    database.execute_sql(
        'CREATE INDEX "source_incident_id_kind_custody_status" '
        'ON "source" ("incident_id", "kind", "custody_status")'
    )

    result = runner.invoke(main, ["init-db"])

    assert result.exit_code == 0, result.output
    assert "applied migration record_custody_chain_heads" in result.output
    heads = {
        s.id: (s.custody_last_seq, s.custody_head_hash)
        for s in Source.select(Source.id, Source.custody_last_seq, Source.custody_head_hash)
    }
    assert heads == {chained["id"]: (3, events[-1]["hash"]), bare["id"]: (0, None)}
    assert not has_index("source", "source_incident_id_kind_custody_status")
    verdict = api.get(f"/sources/{chained['id']}/custody/verify").get_json()
    assert verdict["valid"] and verdict["events"] == 3
    assert (
        api.post(f"/sources/{chained['id']}/custody", json={"action": "checked_out"}).status_code
        == 201
    )


def test_retention_columns_are_added_and_old_dates_kept_as_extensions(runner, make, api):
    make.agency("MPD", jurisdiction="municipal")
    incident = make.incident(
        started_at="2026-01-24T15:00:00Z", location={"state": "MN"}, agencies=["MPD"]
    )
    dated = make.source(incident["id"], retain_until="2026-03-01")
    undated = make.source(incident["id"], kind="dashcam")
    # The shape at version 3: no governance tables, no computed retention on sources.
    SchemaVersion.delete().where(SchemaVersion.version >= 4).execute()
    for table in (
        "disclosure",
        "disclosure_request",
        "disclosure_rule",
        "disposal_request",
        "retention_rule",
        "incident_tag",
    ):
        database.execute_sql(f'DROP TABLE "{table}"')
    database.execute_sql('ALTER TABLE "source" DROP COLUMN "retain_indefinitely"')
    database.execute_sql('ALTER TABLE "source" DROP COLUMN "retain_extended_until"')

    result = runner.invoke(main, ["init-db"])

    assert result.exit_code == 0, result.output
    assert "applied migration compute_retention" in result.output
    by_id = {s["id"]: s for s in api.get("/sources").get_json()}
    assert by_id[dated["id"]]["retain_until"] == "2026-03-01"
    assert by_id[undated["id"]]["retain_indefinitely"] is False
    # the rules, once loaded, never shorten the date a client had written; they set the rest
    assert runner.invoke(main, ["rules", "load-defaults"]).exit_code == 0
    by_id = {s["id"]: s for s in api.get("/sources").get_json()}
    assert by_id[dated["id"]]["retain_until"] == "2026-04-24"  # 90 days: later than 1 March
    assert by_id[undated["id"]]["retain_until"] == "2026-04-24"
    api.patch(f"/incidents/{incident['id']}", json={"tags": ["deadly_force"]})
    assert api.get(f"/sources/{dated['id']}").get_json()["retain_indefinitely"] is True
    assert api.get("/incidents?tag=deadly_force").get_json()[0]["id"] == incident["id"]


def test_the_subtrees_of_a_log_sealed_before_they_were_kept_are_computed(runner, make, api):
    from service.storage.models import AuditNode

    for code in ("A", "B", "C", "D", "E"):
        make.agency(code)
    assert runner.invoke(main, ["audit", "seal"]).exit_code == 0
    stored = sorted((n.level, n.index, n.hash) for n in AuditNode.select())
    assert stored  # five leaves: subtrees of 2 and 4 leaves
    # The shape at version 20: the table is not there yet.
    SchemaVersion.delete().where(SchemaVersion.version >= 21).execute()
    database.execute_sql('DROP TABLE "audit_node"')

    result = runner.invoke(main, ["init-db"])

    assert result.exit_code == 0, result.output
    assert "applied migration store_audit_subtrees" in result.output
    assert sorted((n.level, n.index, n.hash) for n in AuditNode.select()) == stored
    body = api.get("/audit/verify", role="admin").get_json()
    assert body["valid"] and body["subtrees"] == len(stored)
