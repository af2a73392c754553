"""The API's schemas (schemas.base.Schema) dump records exactly as marshmallow does: they
only read the records' attributes by a shorter path."""

from types import SimpleNamespace

import marshmallow
from marshmallow import fields

from schemas.base import _ANY, Schema, _given_back
from schemas.incident import IncidentSchema
from schemas.involvement import InvolvementSchema
from schemas.source import SourceSchema
from service.storage.models import Incident, Involvement, Source


def marshmallows_own(schema, record):
    """`record` as marshmallow's own Schema dumps it with `schema`'s fields."""
    return marshmallow.Schema._serialize(schema, record)


def test_records_dump_as_marshmallow_dumps_them(app, make):
    make.agency("CBP")
    make.agency("ICE")
    officer = make.officer("CBP")
    incident = make.incident(
        agencies=["ICE", "CBP"],
        tags=["firearm_discharge", "complaint"],
        location={"address": "1 Main St", "city": "Minneapolis", "state": "MN", "latitude": 44.9},
        description="seen from the street",
    )
    make.incident(title="Bare incident")
    make.involve(incident["id"], officer["id"])
    make.source(
        incident["id"],
        officer_id=officer["id"],
        device_id="AXN-1",
        recording_started_at="2026-01-24T09:00:00-06:00",
        recording_ended_at="2026-01-24T09:10:00-06:00",
        clock_offset_seconds=-30,
        sha256="a" * 64,
        size_bytes=123,
        storage_uri="s3://bucket/a.mp4",
        obtained_via="agency_upload",
        retain_until="2033-01-24",
        notes="first copy",
    )
    make.source(incident["id"], kind="bystander")
    cases = [
        (IncidentSchema(), list(Incident.select())),
        (SourceSchema(), list(Source.select())),
        (InvolvementSchema(), list(Involvement.select())),  # dotted attributes: officer.name
    ]
    for schema, records in cases:
        assert len(records) >= 1
        for record in records:
            assert schema.dump(record) == marshmallows_own(schema, record)
        assert schema.dump(records, many=True) == [marshmallows_own(schema, r) for r in records]
    # A search answer carries each row's distance; a plain list does not (the key is left out).
    source = cases[1][1][0]
    assert "distance_m" not in SourceSchema().dump(source)
    source.distance_m = 12.5
    assert (
        SourceSchema().dump(source)["distance_m"]
        == marshmallows_own(SourceSchema(), source)["distance_m"]
    )


class Sample(Schema):
    name = fields.String()
    count = fields.Integer(dump_default=3)
    made = fields.Integer(dump_default=lambda: 4)
    renamed = fields.String(attribute="other", data_key="shown")
    inner_value = fields.String(attribute="inner.value")
    constant = fields.Constant("always")


def test_defaults_renames_and_missing_attributes_dump_as_marshmallow_dumps_them():
    full = SimpleNamespace(name="a", count=1, made=2, other="b", inner=SimpleNamespace(value="c"))
    empty = SimpleNamespace()
    as_dict = {"name": "a", "other": "b", "inner": {"value": "c"}}
    schema = Sample()
    assert schema.dump(full) == {
        "name": "a",
        "count": 1,
        "made": 2,
        "shown": "b",
        "inner_value": "c",
        "constant": "always",
    }
    assert schema.dump(empty) == {"count": 3, "made": 4, "constant": "always"}
    for record in (full, empty, as_dict):
        assert schema.dump(record) == marshmallows_own(schema, record)
    assert Sample(only=("name",)).dump(full) == {"name": "a"}


def test_answers_made_of_dicts_dump_as_marshmallow_dumps_them(api, make):
    """The domain's answers are plain dicts (nested lists of dicts): an incident's coverage
    with officers, moments, a timeline and gaps dumps as marshmallow's own path dumps it."""
    from schemas.coverage import IncidentCoverageSchema
    from service.domain.coverage import incident_coverage

    make.agency("CBP")
    officer = make.officer("CBP")
    incident = make.incident(agencies=["CBP"], started_at="2026-01-24T15:00:00Z")
    make.involve(incident["id"], officer["id"])
    make.source(
        incident["id"],
        officer_id=officer["id"],
        recording_started_at="2026-01-24T14:58:00Z",
        recording_ended_at="2026-01-24T15:20:00Z",
    )
    make.source(incident["id"], kind="bystander")
    r = api.post(
        f"/incidents/{incident['id']}/moments",
        json={"label": "shots", "at": "2026-01-24T15:01:00Z"},
    )
    assert r.status_code == 201, r.get_json()
    answer = incident_coverage(incident["id"])
    assert answer["officers"] and answer["moments"] and answer["timeline"]

    def slowly(schema, value):
        if isinstance(value, list):
            return [slowly(schema, v) for v in value]
        out = marshmallows_own(schema, value)
        for name, field in schema.dump_fields.items():
            inner = getattr(field, "inner", field)
            if isinstance(inner, fields.Nested) and value.get(name) is not None:
                out[name] = slowly(inner.schema, value[name])
            elif isinstance(field, fields.Dict) and isinstance(field.value_field, fields.List):
                nested = field.value_field.inner.schema
                out[name] = {k: slowly(nested, v) for k, v in value[name].items()}
        return out

    schema = IncidentCoverageSchema()
    assert schema.dump(answer) == slowly(schema, answer)
    # a key absent from a dict: the dump default, as marshmallow gives it
    assert Sample().dump({"name": "x"}) == marshmallows_own(Sample(), {"name": "x"})


def test_values_given_back_unchanged_are_those_marshmallow_gives_back():
    """schemas.base skips a field's `_serialize` for a null and for a value of the type the
    field gives back unchanged: marshmallow's own answer for each is that very value."""
    samples = [None, "text", "", 0, 7, -(2**40), 2.5, float("inf"), True, False]
    checked = 0
    for schema in (SourceSchema(), IncidentSchema(), InvolvementSchema(), Sample()):
        for field in schema.dump_fields.values():
            same = _given_back(field)
            if same is None:
                continue
            for value in samples:
                if value is None or same is _ANY or type(value) is same:
                    assert field._serialize(value, "x", None) is value, (field, value)
                    checked += 1
    assert checked > 50
    # Fields that change what they are given are called for every value.
    assert _given_back(fields.Integer(as_string=True)) is None
    assert _given_back(fields.DateTime()) is None
    assert _given_back(fields.Decimal()) is None


def test_list_pages_dump_as_the_records_do(api, make):
    """A list of sources reads its page as plain rows (storage.db.plain_rows): each item is
    what a read of that source answers, whichever way the page is asked for."""
    make.agency("CBP")
    officer = make.officer("CBP")
    incident = make.incident(agencies=["CBP"])
    make.involve(incident["id"], officer["id"])
    make.source(
        incident["id"],
        officer_id=officer["id"],
        recording_started_at="2026-01-24T09:00:00.5-06:00",
        recording_ended_at="2026-01-24T09:10:00-06:00",
        clock_offset_seconds=12,
        sha256="b" * 64,
        size_bytes=99,
        retain_until="2033-01-24",
        notes="n",
    )
    for kind in ("bystander", "dashcam", "surveillance"):
        make.source(incident["id"], kind=kind)
    pages = [
        api.get("/sources").get_json(),
        api.get(f"/incidents/{incident['id']}/sources").get_json(),
        api.get("/sources?page_size=2").get_json()
        + api.get("/sources?page=2&page_size=2").get_json(),
        api.get("/sources?after=0&page_size=3").get_json(),
        api.get("/sources?kind=bodycam").get_json(),
    ]
    for page in pages:
        assert page
        for item in page:
            assert item == api.get(f"/sources/{item['id']}").get_json()
    assert len(pages[0]) == len(pages[2]) == 4


def test_the_audit_log_lists_what_its_records_dump(api, make):
    """The audit log's pages are read as plain rows too: each item is its entry's record as
    the schema dumps it, on pages by number and by cursor."""
    from schemas.audit import AuditEntrySchema
    from service.storage.models import AuditEntry

    make.source(make.incident()["id"], "bodycam")
    api.get("/sources")  # an audited read
    schema = AuditEntrySchema()
    for path in ("/audit", "/audit?page_size=2&page=2", "/audit?after=1000000&page_size=3"):
        page = api.get(path, role="oversight").get_json()
        assert page, path
        records = {
            e.id: e for e in AuditEntry.select().where(AuditEntry.id.in_([i["id"] for i in page]))
        }
        assert page == [schema.dump(records[item["id"]]) for item in page]
