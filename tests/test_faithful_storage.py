"""Faithful storage and input (issue 13, findings 3, 4, 5): numbers read back exactly as
given, one text validation for every string (no NUL, no lone surrogate, no trailing newline
slipped past a pattern), numbers in bounds, and JSON nested too deep refused with a 400."""

import json

import pytest

from service.storage.db import database, is_postgresql
from service.storage.models import Agency, Incident, IncidentAgency, Source

SHA = "ab" * 32


@pytest.mark.parametrize(
    "offset", [1000000123.25, -3155760000.0 + 0.125, 0.1 + 0.2, 6.2e-128, 1e-300, -1e-300]
)
def test_extreme_numbers_read_back_exactly(api, make, offset):
    incident = make.incident()
    body = {
        "kind": "bodycam",
        "clock_offset_seconds": offset,
        "duration_seconds": 999999999.875,
        "recording_started_at": "2026-01-24T09:00:00Z",
    }
    r = api.post(f"/incidents/{incident['id']}/sources", json=body)
    assert r.status_code == 201, r.get_json()
    shown = api.get(f"/sources/{r.get_json()['id']}").get_json()
    assert shown["clock_offset_seconds"] == offset
    assert shown["duration_seconds"] == 999999999.875
    stored = Source.get_by_id(shown["id"])
    assert stored.clock_offset_seconds == offset


def test_coordinates_read_back_exactly(api):
    r = api.post(
        "/incidents",
        json={
            "title": "Exact place",
            "started_at": "2026-01-24T09:00:00Z",
            "location": {"latitude": 38.897699999999986, "longitude": -77.03655123456789},
        },
    )
    assert r.status_code == 201, r.get_json()
    location = api.get(f"/incidents/{r.get_json()['id']}").get_json()["location"]
    assert (location["latitude"], location["longitude"]) == (38.897699999999986, -77.03655123456789)


def test_the_columns_are_double_precision(app):
    # SQLite's REAL is an 8-byte IEEE float; PostgreSQL's `real` would be 4 bytes.
    wanted = "double precision" if is_postgresql() else "REAL"
    types = {
        (table, c.name): c.data_type
        for table in ("source", "incident")
        for c in database.get_columns(table)
    }
    for column in (
        ("source", "clock_offset_seconds"),
        ("source", "duration_seconds"),
        ("incident", "latitude"),
        ("incident", "longitude"),
    ):
        assert types[column] == wanted, column


@pytest.mark.parametrize("value", [5e-324, -1e-310])
def test_numbers_too_small_to_store_are_refused(api, make, value):
    incident = make.incident()
    r = api.post(
        f"/incidents/{incident['id']}/sources",
        json={"kind": "bodycam", "clock_offset_seconds": value},
    )
    assert r.status_code == 422
    assert "clock_offset_seconds" in json.dumps(r.get_json())
    assert Source.select().count() == 0


def test_a_trailing_newline_is_not_a_hash(api, make):
    incident = make.incident()
    make.source(incident["id"], "bodycam", sha256=SHA)
    r = api.post(
        f"/incidents/{incident['id']}/sources", json={"kind": "bodycam", "sha256": SHA + "\n"}
    )
    assert r.status_code == 422 and "sha256" in json.dumps(r.get_json())
    assert api.get(f"/sources?sha256={SHA}%0A").status_code == 422
    assert Source.select().count() == 1


def test_a_trailing_newline_is_not_an_agency_code(api, make):
    make.agency("MPD")
    r = api.post("/agencies", json={"code": "MPD\n", "name": "Look-alike"})
    assert r.status_code == 422 and "code" in json.dumps(r.get_json())
    r = api.post(
        "/incidents",
        json={"title": "x", "started_at": "2026-01-24T09:00:00Z", "agencies": ["MPD\n"]},
    )
    assert r.status_code == 422
    assert Agency.select().count() == 1 and Incident.select().count() == 0


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_unstorable_text_is_refused_everywhere(api, make, text):
    incident = make.incident()
    for body, url in [
        ({"kind": "bodycam", "notes": text}, f"/incidents/{incident['id']}/sources"),
        ({"kind": "bodycam", "sha256": text}, f"/incidents/{incident['id']}/sources"),
        ({"code": text, "name": "x"}, "/agencies"),
    ]:
        r = api.post(url, data=json.dumps(body), content_type="application/json")
        assert r.status_code == 422, (url, r.get_json())


def test_a_nul_in_an_import_key_is_a_row_error(api, make):
    make.incident()
    rows = [
        {"external_id": "ok-1", "title": "A", "started_at": "2026-01-24T09:00:00Z"},
        {"external_id": "bad\x00key", "title": "B", "started_at": "2026-01-24T09:00:00Z"},
    ]
    r = api.post("/imports/incidents?mode=partial", json=rows, role="importer")
    assert r.status_code in (200, 207, 422), r.get_json()
    text = json.dumps(r.get_json())
    assert "NUL" in text and "external_id" in text
    refs = [
        {"external_id": "s-1", "incident_external_id": "x\x00y", "kind": "bodycam"},
    ]
    r = api.post("/imports/sources", json=refs, role="importer")
    assert r.status_code == 422 and "NUL" in json.dumps(r.get_json())
    assert Incident.select().count() == 2


def deep(n):
    return "[" * n + "]" * n


@pytest.mark.parametrize(
    "url", ["/incidents", "/agencies", "/imports/incidents", "/holds", "/sources"]
)
def test_json_nested_too_deep_is_a_clear_400(api, url):
    r = api.post(url, data=deep(1000), content_type="application/json", role="admin")
    assert r.status_code == 400
    assert "nested" in r.get_json()["message"]


def test_bad_json_says_so_plainly(api):
    r = api.post("/incidents", data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["message"].startswith("the body is not valid JSON")


def test_migration_9_widens_columns_an_older_version_made(app):
    from service.storage.migrations import SchemaVersion, upgrade

    if is_postgresql():
        database.execute_sql('ALTER TABLE "source" ALTER COLUMN "clock_offset_seconds" TYPE real')
    SchemaVersion.delete().where(SchemaVersion.version == 9).execute()
    assert "store_numbers_in_double_precision" in upgrade()
    column = next(c for c in database.get_columns("source") if c.name == "clock_offset_seconds")
    assert column.data_type == ("double precision" if is_postgresql() else "REAL")


@pytest.mark.parametrize("offset", [0.1 + 0.2, 6.2e-128, -3155760000.0 + 0.125, 30])
def test_imported_values_read_back_exactly_as_posted_ones(api, make, offset):
    # An import writes its rows another way (on PostgreSQL a COPY in binary form): each value
    # must read back as the same value posted through the API.
    incident = make.incident()
    fields = {
        "kind": "bodycam",
        "device_id": "AXON-Ünï 7",
        "recording_started_at": "2026-01-24T08:58:00.123456-06:00",
        "recording_ended_at": "2026-01-24T15:20:00.5Z",
        "clock_offset_seconds": offset,
        "duration_seconds": 999999999.875,
        "size_bytes": 2**53 + 1,
        "notes": 'tab\there, "quoted", back\\slash, \u00e9t\u00e9 \u2014 \U0001f4f7',
        "retain_until": "2031-02-28",
    }
    posted = api.create(f"/incidents/{incident['id']}/sources", {**fields, "sha256": "a" * 64})
    row = {**fields, "external_id": "imported-1", "incident_id": incident["id"], "sha256": "b" * 64}
    r = api.post(
        "/imports/sources",
        data=json.dumps(row) + "\n",
        content_type="application/x-ndjson",
        role="importer",
    )
    assert r.status_code == 200 and r.get_json()["created"] == 1, r.get_json()["errors"]
    imported = api.get("/sources?external_id=imported-1").get_json()[0]
    differing = {"id", "external_id", "sha256", "created_at", "updated_at"}
    assert {k: v for k, v in imported.items() if k not in differing} == {
        k: v for k, v in posted.items() if k not in differing
    }
    assert imported["size_bytes"] == 2**53 + 1
    assert imported["clock_offset_seconds"] == offset


def test_a_bulk_insert_asks_the_column_types_again_after_a_migration(app, make):
    # COPY in binary form sends each value in its column's type as the catalog gave it; once a
    # migration changes a type (here integer -> bigint, 4 bytes -> 8), a COPY using the old
    # type would be refused. upgrade() makes the next COPY ask again.
    from service.storage.db import bulk_insert, forget_column_types
    from service.storage.migrations import upgrade

    incident = make.incident()
    agencies = [Agency.get(code=make.agency(code=code)["code"]).id for code in ("TYA", "TYB")]
    columns = [IncidentAgency.incident, IncidentAgency.agency]
    bulk_insert(IncidentAgency, columns, [[incident["id"], agencies[0]]])
    widened = 'ALTER TABLE "incident_agency" ALTER COLUMN "agency_id" TYPE {}'
    if is_postgresql():  # (SQLite has no column types to change: the rest runs the same)
        database.execute_sql(widened.format("bigint"))
    try:
        upgrade()
        bulk_insert(IncidentAgency, columns, [[incident["id"], agencies[1]]])
    finally:
        if is_postgresql():
            database.execute_sql(widened.format("integer"))
        forget_column_types()
    stored = {link.agency_id for link in IncidentAgency.select()}
    assert stored == set(agencies)
