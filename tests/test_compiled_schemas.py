"""The bulk path's compiled loaders (schemas/compiled.py) decide exactly as the API's schemas:
the same rows accepted with the same values, the same rows refused with the same messages.

Two corpora: the fuzz corpus of the API's own request bodies (schemathesis, from the OpenAPI
document: what test_fuzz.py sends), and rows generated per import kind from each schema's
fields, mixing valid values, near misses (a timestamp without an offset, a hash with a
trailing newline, a number as text) and values of every other type.
"""

import string
from datetime import UTC, datetime, timedelta, timezone

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate
from schemathesis import GenerationMode

from schemas.agency import AgencySchema
from schemas.common import DayDate, UTCDateTime
from schemas.compiled import compile_load
from schemas.custody import CustodyEventSchema
from schemas.incident import IncidentSchema
from schemas.involvement import InvolvementSchema
from schemas.officer import OfficerSchema
from schemas.source import SourceSchema
from service.bulk.importer import KINDS

IMPORT_SCHEMAS = [
    AgencySchema,
    OfficerSchema,
    IncidentSchema,
    InvolvementSchema,
    SourceSchema,
    CustodyEventSchema,
]
# The create operation of each import kind in the OpenAPI document.
OPERATIONS = {
    ("POST", "/api/v1/agencies"): AgencySchema,
    ("POST", "/api/v1/officers"): OfficerSchema,
    ("POST", "/api/v1/incidents"): IncidentSchema,
    ("POST", "/api/v1/incidents/{incident_id}/officers"): InvolvementSchema,
    ("POST", "/api/v1/sources"): SourceSchema,
    ("POST", "/api/v1/sources/{source_id}/custody"): CustodyEventSchema,
}


def typed(value):
    """A value with its types spelled out (1 == 1.0 == True in Python, not here)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def outcome(load, data):
    try:
        return "accepted", typed(load(data))
    except ValidationError as exc:
        return "refused", exc.messages


def assert_same(schema, loader, data):
    assert outcome(loader, data) == outcome(schema.load, data), data


# ---------------------------------------------------------------- the fuzz corpus


def fuzz_bodies(app):
    """{schema class: request bodies} drawn from the OpenAPI document, valid and invalid."""
    document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    bodies = {}
    for result in document.get_all_operations():
        operation = result.ok()
        schema_class = OPERATIONS.get((operation.method.upper(), operation.path))
        if schema_class is None:
            continue
        drawn = bodies.setdefault(schema_class, [])
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            draw_bodies(operation, mode, drawn)
    return bodies


def draw_bodies(operation, mode, drawn):
    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def draw(case):
        drawn.append(case.body)

    draw()


def test_the_fuzz_corpus_gets_the_api_schemas_answers(app):
    bodies = fuzz_bodies(app)
    assert set(bodies) == set(IMPORT_SCHEMAS)
    for schema_class, drawn in bodies.items():
        for schema in (schema_class(), schema_class(partial=True)):
            loader = compile_load(schema)
            for body in drawn:
                assert_same(schema, loader, body)
            # Both paths were taken: valid bodies by the compiled steps, the rest by the schema.
            assert loader.fast > 0 and loader.asked > 0, (schema_class, loader.fast, loader.asked)


# ---------------------------------------------------------------- rows per import kind

TEXT = st.text(max_size=12)
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.sampled_from(["", " ", "\x00", "\ud800", "null", "1e400", " 12 ", "1_000", "0x10", "-0"]),
    st.lists(TEXT, max_size=3),
    st.dictionaries(TEXT, TEXT, max_size=2),
)
OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=-6)), timezone(timedelta(hours=5, minutes=30))]
)


def timestamp_texts():
    aware = st.datetimes(timezones=OFFSETS).map(lambda d: d.isoformat())
    near_misses = st.sampled_from(
        [
            "2026-01-24T09:05:12",  # no offset
            "2026-01-24 09:05:12Z",
            "2026-01-24T09:05:12z",
            "2026-02-30T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "20260124T090512Z",
            "2026-01-24T09:05:12+24:00",
            "2026-01-24",
            "2026-01-24T09:05:12.123456789Z",
        ]
    )
    return st.one_of(aware, aware, near_misses)


def for_field(field, plausible=False):
    """Values aimed at `field`: plausible ones and, unless `plausible`, near misses and
    values of any type."""
    good, off = [], []
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            choices = list(validator.choices)
            good.append(st.sampled_from(choices))
            off.append(st.sampled_from(choices).map(str.upper))
        if isinstance(validator, validate.Regexp):
            hexes = st.text(alphabet="0123456789abcdefABCDEF", min_size=63, max_size=65)
            good.append(st.from_regex(validator.regex, fullmatch=True))
            off += [hexes, hexes.map(lambda s: s + "\n")]
        if isinstance(validator, validate.Range):
            low = validator.min if validator.min is not None else -(10**12)
            high = validator.max if validator.max is not None else 10**12
            off.append(st.integers(int(low) - 1, int(high) + 1))
        if isinstance(validator, validate.Length) and validator.max:
            good.append(st.text(string.ascii_letters, min_size=validator.min or 0, max_size=10))
            off.append(st.text(string.ascii_letters, max_size=validator.max + 1))
    if isinstance(field, UTCDateTime):
        years = {"min_value": datetime(1950, 1, 1), "max_value": datetime(2090, 1, 1)}
        good.append(st.datetimes(**years, timezones=OFFSETS).map(lambda d: d.isoformat()))
        off.append(timestamp_texts())
    elif isinstance(field, DayDate):
        good.append(st.dates().map(str))
        off.append(st.sampled_from(["2026-02-30", "26-01-01", "2026-1-1"]))
    elif isinstance(field, fields.Float):
        good += [st.floats(-1000, 1000), st.floats(-1000, 1000).map(str)]
        off += [
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from(["nan", "inf", "1e-320", "5e-324", " 3.5 "]),
        ]
    elif isinstance(field, fields.Integer):
        good.append(st.integers(1, 10**6))
        off += [st.integers(-5, 10**6), st.integers(0, 10**6).map(str)]
    elif isinstance(field, fields.Boolean):
        good.append(st.booleans())
        off.append(st.sampled_from(["true", "False", "1", "yes", 0, 1]))
    elif isinstance(field, fields.List):
        good.append(st.lists(for_field(field.inner, plausible=True), max_size=3))
        off.append(st.lists(for_field(field.inner), max_size=3))
    elif isinstance(field, fields.Nested):
        good.append(rows_of(field.schema, plausible=True))
        off.append(rows_of(field.schema))
    elif isinstance(field, fields.String) and not good:
        good.append(st.text(string.printable, max_size=10))
    if field.allow_none:
        good.append(st.none())
    if plausible:
        return st.one_of(*good)
    return st.one_of(*good, *off, ANYTHING)


def _attr(schema, key):
    return next(n for n, f in schema.load_fields.items() if (f.data_key or n) == key)


def rows_of(schema, plausible=False):
    """Rows for `schema`: plausible ones (any subset of the fields, values aimed at each)
    and, unless `plausible`, rows mixing them with near misses, junk and unknown columns."""
    aimed = {
        (field.data_key or name): for_field(field, plausible=True)
        for name, field in schema.load_fields.items()
    }
    required = {k: aimed.pop(k) for k in list(aimed) if schema.fields[_attr(schema, k)].required}
    valid_looking = st.fixed_dictionaries(required, optional=aimed)
    if plausible:
        return valid_looking
    mixed = {
        (field.data_key or name): for_field(field) for name, field in schema.load_fields.items()
    }
    return st.one_of(
        valid_looking, st.fixed_dictionaries({}, optional={**mixed, "unknown_column": TEXT})
    )


def compare_on_generated_rows(schema, loader):
    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(row=rows_of(schema))
    def same(row):
        assert_same(schema, loader, row)

    same()


def test_rows_of_every_import_kind_get_the_api_schemas_answers():
    for schema_class in IMPORT_SCHEMAS:
        for schema in (schema_class(), schema_class(partial=True)):
            loader = compile_load(schema)
            compare_on_generated_rows(schema, loader)
            assert loader.fast > 0 and loader.asked > 0, (schema_class, loader.fast, loader.asked)


def test_a_valid_source_row_never_needs_the_schema():
    schema = SourceSchema()
    loader = compile_load(schema)
    row = {
        "external_id": "S-1",
        "incident_id": 7,
        "kind": "bodycam",
        "device_id": "DEV-1",
        "recording_started_at": "2025-01-02T10:00:00-05:00",
        "recording_ended_at": "2025-01-02T10:09:30-05:00",
        "clock_offset_seconds": "-2.5",
        "sha256": "ab" * 32,
        "size_bytes": 12345,
        "storage_uri": "s3://evidence/1.mp4",
        "obtained_via": "agency_upload",
        "notes": None,
    }
    assert outcome(loader, row) == outcome(schema.load, row)
    assert (loader.fast, loader.asked) == (1, 0)
    assert loader(row)["clock_offset_seconds"] == -2.5


def test_a_refused_row_carries_the_schemas_messages():
    loader = compile_load(SourceSchema())
    row = {"kind": "drone", "recording_started_at": "2025-01-02T10:00:00", "sha256": "0" * 63}
    try:
        loader(row)
    except ValidationError as exc:
        messages = exc.messages
    assert set(messages) == {"kind", "recording_started_at", "sha256"}
    assert messages["sha256"] == ["Must be 64 hexadecimal characters."]
    assert loader.asked == 1


def test_what_a_schema_adds_beyond_fields_is_not_compiled():
    from marshmallow import post_load

    class Shouting(Schema):
        name = fields.String()

        @post_load
        def shout(self, data, **kwargs):
            return {"name": data["name"].upper()}

    loader = compile_load(Shouting())
    assert loader({"name": "a"}) == {"name": "A"}
    assert (loader.fast, loader.asked) == (0, 1)


def test_every_import_kind_loads_through_compiled_steps():
    for kind in KINDS.values():
        importer = kind("csv")
        assert importer.create_load.steps is not None, kind.name
        assert importer.update_load.steps is not None, kind.name


class Inner(Schema):
    label = fields.String(validate=validate.Length(max=5))
    weight = fields.Float(allow_none=True, validate=validate.Range(0, 1))


class EveryShape(Schema):
    """Each shape of field the compiled steps take beyond those of the import schemas:
    exact and minimum lengths, exclusive bounds, a validator answering False, nullable list
    items, whole numbers that are not strict, booleans, a nested schema, callable and plain
    defaults, a data key and an attribute of their own."""

    code = fields.String(validate=validate.Length(equal=3))
    title = fields.String(required=True)
    share = fields.Float(
        load_default=0.5,
        validate=validate.Range(0, 1, min_inclusive=False, max_inclusive=False),
    )
    count = fields.Integer(validate=[validate.Range(max=10), lambda v: v != 7])
    flag = fields.Boolean(load_default=False)
    names = fields.List(
        fields.String(allow_none=True, validate=validate.OneOf(["a", "b"])),
        validate=validate.Length(min=1),
    )
    levels = fields.List(fields.Integer(validate=validate.Range(1, 3)), load_default=list)
    inner = fields.Nested(Inner, allow_none=True)
    renamed = fields.String(data_key="other-name", attribute="renamed_to")


def test_every_compiled_shape_gets_the_schemas_answers():
    for schema in (EveryShape(), EveryShape(partial=True)):
        loader = compile_load(schema)
        assert loader.steps is not None
        compare_on_generated_rows(schema, loader)
        assert loader.fast > 0 and loader.asked > 0, (loader.fast, loader.asked)


def test_the_compiled_function_decides_each_field_by_its_validators():
    schema = EveryShape()
    loader = compile_load(schema)
    valid = {
        "title": "t",
        "code": "abc",
        "share": "0.25",
        "count": 3,
        "names": ["a", None],
        "levels": [1],
    }
    for row in (
        valid,
        {**valid, "code": "abcd"},  # Length(equal=3)
        {**valid, "share": 1.0},  # an exclusive bound
        {**valid, "count": 7},  # a validator answering False
        {**valid, "names": []},  # Length(min=1) of a list
        {**valid, "names": ["c"]},  # OneOf of an item
        {**valid, "levels": [4]},  # Range of an item
        {**valid, "inner": {"label": "toolong"}},  # a nested field's validator
    ):
        assert_same(schema, loader, row)
    assert (loader.fast, loader.asked) == (1, 7)
    assert loader(valid) == {
        "title": "t",
        "code": "abc",
        "share": 0.25,
        "count": 3,
        "flag": False,
        "names": ["a", None],
        "levels": [1],
    }


def test_a_timestamp_is_judged_by_its_validators_too():
    """Timestamps load through the field's own `_deserialize`, its validators run by the
    compiled step: an implausible year is the schema's to refuse."""
    schema = IncidentSchema()
    loader = compile_load(schema)
    row = {"title": "t", "started_at": "2025-01-02T10:00:00-05:00"}
    assert loader(row)["started_at"] == datetime(2025, 1, 2, 15, 0)
    for started_at in ("1850-01-02T10:00:00Z", "2025-01-02T10:00:00", "2025-13-01T00:00:00Z"):
        assert_same(schema, loader, {**row, "started_at": started_at})
    assert (loader.fast, loader.asked) == (1, 3)
