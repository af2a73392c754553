"""Records read from the database (service.storage.models.BaseModel's shortcut for the rows
peewee reads, and its DateTimeField) are the records peewee itself makes from the same rows;
new records too; and the values a bulk insert passes as they are (storage.db.stored_as_is)
are those peewee would store unchanged."""

from datetime import date, datetime

import peewee
from hypothesis import example, given, settings
from hypothesis import strategies as st
from peewee import Model, fn

from service.domain import inventory
from service.storage.db import (
    Prepared,
    database,
    is_postgresql,
    one_of,
    pg_array,
    plain_rows,
    read_as_is,
    row_maker,
    stored_as_is,
)
from service.storage.models import (
    ALL_MODELS,
    Agency,
    DateTimeField,
    Incident,
    IncidentTag,
    Involvement,
    Officer,
    Source,
)


def peewees_own(model, row):
    record = model.__new__(model)
    Model.__init__(record, __no_default__=1, **row)
    return record


def test_rows_read_are_the_records_peewee_makes(app, make):
    make.agency("CBP")
    officer = make.officer("CBP")
    incident = make.incident(agencies=["CBP"], location={"city": "Minneapolis"})
    make.involve(incident["id"], officer["id"])
    make.source(incident["id"], officer_id=officer["id"], device_id="AXN-1", notes="n")
    for model in (Incident, Source, Involvement):
        order = model._meta.sorted_fields
        rows = list(model.select().order_by(*order).dicts())
        records = list(model.select().order_by(*order))
        assert rows and len(rows) == len(records)
        for row, record in zip(rows, records, strict=True):
            own = peewees_own(model, row)
            assert record.__data__ == own.__data__
            assert (record._dirty, record.__rel__) == (set(), {})
            assert own._dirty == set(row)  # peewee marks every field set (its cursor clears it)
    # A joined row: the related record is attached by peewee after the shortcut.
    (involvement,) = list(Involvement.select(Involvement, Officer).join(Officer))
    assert involvement.officer.name == officer["name"]
    assert involvement.__data__["officer"] == officer["id"]


def test_dates_are_read_as_peewee_reads_them():
    ours, peewees = DateTimeField(), peewee.DateTimeField()
    for text in (
        "2026-01-24 15:00:00",
        "2026-01-24 15:00:00.123456",
        "2026-01-24T15:00:00",
        "2026-01-24 15:00:00+02:00",
        "2026-01-24T15:00:00Z",
        "2026-01-24",
        "24/01/2026",  # not a date peewee can read: the text as it is
        "",
        None,
    ):
        assert ours.python_value(text) == peewees.python_value(text), text
    now = datetime(2026, 1, 24, 15, 0, 0, 7)  # PostgreSQL's driver gives datetimes
    assert ours.python_value(now) is now


def test_new_records_are_the_records_peewee_makes():
    incident = Incident(id=3, title="t", started_at=datetime(2026, 1, 24), city="Austin")
    officer = Officer(agency=2, badge_number="17")
    values = {
        "incident": incident,  # a record: set through its accessor
        "officer_id": 5,  # an id accessor
        "kind": "bodycam",
        "sha256": None,
        "clock_offset_seconds": 2.5,
    }
    for record, kwargs in (
        (Source(**values), values),
        (incident, {"id": 3, "title": "t", "started_at": datetime(2026, 1, 24), "city": "Austin"}),
        (officer, {"agency": 2, "badge_number": "17"}),
    ):
        model = type(record)
        own = model.__new__(model)
        Model.__init__(own, **kwargs)
        for data in (record.__data__, own.__data__):  # (the clock moved on meanwhile)
            data.pop("created_at", None), data.pop("updated_at", None)
        assert record.__data__ == own.__data__
        assert record._dirty == own._dirty and record.__rel__ == own.__rel__
    assert Source(**values).incident is incident


def test_values_stored_as_they_are_are_those_peewee_stores_unchanged():
    samples = {
        str: "text",
        int: 7,
        float: 2.5,
        bool: True,
        datetime: datetime(2026, 1, 24, 15, 0, 0, 7),
        date: date(2026, 1, 24),
    }
    kinds = set()
    for model in ALL_MODELS:
        for field in model._meta.sorted_fields:
            same = stored_as_is(field)
            if same is None:
                continue
            kinds.add(same)
            assert field.db_value(samples[same]) is samples[same], (model, field.name)
    assert kinds == set(samples)
    review_flags = next(m for m in ALL_MODELS if m.__name__ == "Review")._meta.fields["flags"]
    assert stored_as_is(review_flags) is None  # a list kept as text: always converted


def test_plain_rows_hold_what_the_records_hold(app, api, make):
    """storage.db.plain_rows (a list page's rows without records) gives each field's value
    as the model's records hold it, for every model with rows: nulls, foreign keys (under
    their `_id` name), timestamps, dates, booleans, numbers and lists of names alike."""
    make.agency("CBP")
    officer = make.officer("CBP", camera_issued=True)
    incident = make.incident(
        agencies=["CBP"], tags=["complaint"], started_at="2026-01-24T15:00:00Z"
    )
    make.involve(incident["id"], officer["id"])
    full = make.source(
        incident["id"],
        officer_id=officer["id"],
        device_id="AXN-1",
        recording_started_at="2026-01-24T09:00:00.250-06:00",
        recording_ended_at="2026-01-24T09:10:00-06:00",
        clock_offset_seconds=-30.5,
        sha256="a" * 64,
        size_bytes=2**40,
        retain_until="2033-01-24",
        notes="first copy",
    )
    make.source(incident["id"], kind="bystander")
    r = api.post(
        f"/sources/{full['id']}/reviews",
        json={"status": "reviewed", "flags": ["muted", "late_upload"]},
    )
    assert r.status_code == 201, r.get_json()
    checked = 0
    for model in ALL_MODELS:
        order = model._meta.sorted_fields
        records = list(model.select().order_by(*order))
        rows = plain_rows(model.select().order_by(*order))
        assert rows is not None and len(rows) == len(records), model
        for row, record in zip(rows, records, strict=True):
            names = [getattr(f, "object_id_name", f.name) for f in model._meta.sorted_fields]
            assert list(row) == names
            for name in names:
                value = getattr(record, name)
                assert row[name] == value and type(row[name]) is type(value), (model, name)
                checked += value is not None
    assert checked > 100
    # Not a select of the model's own fields alone: left to the records' path.
    assert plain_rows(Source.select(Source.id, Incident.title).join(Incident)) is None
    assert plain_rows(Source.select(Source.id, Source.size_bytes * 2)) is None
    assert plain_rows(Source.select().where(Source.id == full["id"])) == plain_rows(
        Source.select().where(Source.id == full["id"])
    )


def test_values_read_as_is_are_those_peewee_reads_unchanged():
    samples = {
        str: "text",
        int: 7,
        float: 2.5,
        bool: True,
        datetime: datetime(2026, 1, 24, 9),
        date: date(2026, 1, 24),
    }
    for model in ALL_MODELS:
        for field in model._meta.sorted_fields:
            same = read_as_is(field)
            if same is not None:
                value = samples[same]
                assert field.python_value(value) is value, (model, field.name)
                assert field.python_value(None) is None, (model, field.name)


def test_prepared_reads_make_the_records_peewee_makes(app, make):
    """A Prepared read of a model's own fields makes its records (or tuples) itself, without
    peewee's cursor wrapper: the same records, clean, and the same tuples."""
    make.agency("CBP")
    incident = make.incident(agencies=["CBP"], tags=["complaint", "deadly_force"])
    source = make.source(incident["id"], recording_started_at="2026-01-24T09:00:00.5Z")
    for model, ident in ((Incident, incident["id"]), (Source, source["id"])):
        read = Prepared(lambda value, model=model: model.select().where(model.id == value), 987)
        (record,) = read.rows(ident)
        (own,) = list(model.select().where(model.id == ident))
        assert type(record) is model and record.__data__ == own.__data__
        assert (record._dirty, record.__rel__) == (set(), {})
        assert read.first(ident + 1000) is None
    tags = Prepared(
        lambda value: (
            IncidentTag.select(IncidentTag.tag)
            .where(IncidentTag.incident == value)
            .order_by(IncidentTag.tag)
            .tuples()
        ),
        987,
    )
    assert tags.rows(incident["id"]) == [("complaint",), ("deadly_force",)]


def test_an_incident_read_with_its_lists_is_the_record_and_its_lists(app, api, make):
    """inventory.read_incident (an incident's page: the record, its agencies and its tags in
    one statement) gives what get_incident and its two lists give, in their order, empty
    lists included; a missing id is a 404 as before."""
    for code in ("NYPD", "A-2", "A1", "A_1", "CBP"):
        make.agency(code)
    whole = make.incident(
        agencies=["NYPD", "A-2", "A1", "A_1", "CBP"],
        tags=["great_bodily_harm", "complaint", "firearm_discharge"],
        location={"city": "Minneapolis", "latitude": 44.9778, "longitude": -93.265},
    )
    bare = make.incident()
    for created in (whole, bare):
        read = inventory.read_incident(created["id"])
        own = inventory.get_incident(created["id"])
        assert read.__data__ == own.__data__ and read._dirty == set()
        assert (read.agencies, read.tags) == (own.agencies, own.tags)
        assert api.get(f"/incidents/{created['id']}").json == created
    assert bare["agencies"] == [] and bare["tags"] == []
    missing = api.get(f"/incidents/{bare['id'] + 1000}")
    assert missing.status_code == 404
    assert missing.json["message"] == f"incident {bare['id'] + 1000} not found"


def test_prepared_reads_of_joined_fields_make_peewees_rows(app, make):
    """A Prepared read selecting fields of joined models (some aliased) as dicts or tuples
    makes its rows itself: the same values, names and types as peewee's cursor wrapper; a
    selection with anything but fields is left to peewee."""
    make.agency("CBP")
    first, second = make.officer("CBP"), make.officer("CBP")
    incident = make.incident(agencies=["CBP"])
    make.involve(incident["id"], first["id"], camera_expected=False)
    make.involve(incident["id"], second["id"], not_recorded_reason="camera failed")
    columns = (
        Involvement.officer.alias("officer_id"),
        Officer.name,
        Agency.code.alias("agency"),
        Involvement.camera_expected,
        Involvement.not_recorded_reason,
        Incident.started_at,
    )

    def joined(value):
        return (
            Involvement.select(*columns)
            .join(Officer)
            .join(Agency)
            .switch(Involvement)
            .join(Incident)
            .where(Involvement.incident == value)
            .order_by(Involvement.officer)
        )

    for shape in ("dicts", "tuples"):
        read = Prepared(lambda value, shape=shape: getattr(joined(value), shape)(), 987)
        assert row_maker(getattr(joined(1), shape)()) is not None
        ours, peewees = read.rows(incident["id"]), list(getattr(joined(incident["id"]), shape)())
        assert len(ours) == 2 and ours == peewees
        assert [type(v) for row in ours for v in _values(row)] == [
            type(v) for row in peewees for v in _values(row)
        ]
    (row, _) = Prepared(lambda value: joined(value).dicts(), 987).rows(incident["id"])
    assert row["officer_id"] == first["id"] and row["agency"] == "CBP"
    assert row["camera_expected"] is False and isinstance(row["started_at"], datetime)
    counted = Involvement.select(Involvement.officer, fn.COUNT(Involvement.id)).tuples()
    assert row_maker(counted) is None


def _values(row):
    return list(row.values()) if isinstance(row, dict) else list(row)


# Text as it can be stored (storable_text refuses control characters), with what PostgreSQL's
# array syntax gives meaning to: quotes, backslashes, braces, commas, spaces, NULL.
TRICKY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\{},; NULLé\u00a0'), st.characters(blacklist_categories=("Cc", "Cs"))
    ),
    max_size=30,
)


def test_keys_looked_up_as_one_parameter_are_found_whatever_they_hold(app):
    """storage.db.one_of binds the keys as one parameter (on PostgreSQL a text array written
    as its literal, pg_array): every stored key comes back, and no other."""

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(keys=st.lists(TRICKY_TEXT.filter(lambda t: t.strip()), min_size=1, max_size=8))
    def found(keys):
        stored = sorted(set(keys))
        with database.atomic() as transaction:
            for key in stored:
                Agency.create(code=key[:32], name="x")
            wanted = [k[:32] for k in keys] + ["not stored"]
            got = sorted(a.code for a in Agency.select().where(one_of(Agency.code, wanted)))
            assert got == sorted({k[:32] for k in stored})
            transaction.rollback()

    found()


def test_a_text_array_parameter_holds_exactly_its_values(app):
    if not is_postgresql():
        assert pg_array("text", ["a"]) == '{"a"}'  # (PostgreSQL's syntax: used there only)
        return

    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(values=st.lists(st.one_of(st.none(), TRICKY_TEXT), max_size=10))
    @example(values=["a\\b", '"', '\\"', "NULL", None, "{,}", " ", "", "é"])
    def same(values):
        cursor = database.execute_sql(
            "SELECT array_agg(v ORDER BY n) FROM unnest(%s::text[]) WITH ORDINALITY AS u(v, n)",
            [pg_array("text", values)],
        )
        assert (cursor.fetchone()[0] or []) == values

    same()
