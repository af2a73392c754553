"""An import that reads its rows aside (the command line's: service.bulk.aside) decides exactly
as one that reads them itself: the same counts, errors, records; the same error for a file
it cannot read; and no process left behind however it ends."""

import io
import json
import multiprocessing
import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compiled_schemas import assert_same, rows_of, typed

from service.bulk import aside
from service.bulk.importer import KINDS, Row, run_import
from service.domain.errors import DomainError, Invalid
from service.storage.models import Incident, IncidentAgency, Source

pytestmark = pytest.mark.skipif(not aside.available(), reason="this platform cannot fork")

INCIDENTS = (
    "external_id,title,started_at,location_state,agencies,kind\n"
    "i-1,One,2026-01-24T09:00:00-06:00,MN,MPD,shooting\n"
    "i-2,Two,2026-01-24T09:00:00,MN,MPD,\n"  # no offset: refused
    "i-3,Three,2026-01-25T09:00:00Z,MN,XYZ,\n"  # no such agency
    "i-4,,2026-01-25T09:00:00Z,MN,MPD,\n"  # no title
    "i-1,One again,2026-01-24T09:00:00-06:00,MN,MPD,\n"  # the same key: an update
    ",No key,2026-01-24T09:00:00-06:00,MN,MPD,\n"
    "i-5,Five,2026-01-26T09:00:00+01:00,IL,MPD;FBI,\n"
    "i-6,Six,not a time,IL,,\n"
    "i-7,Seven,2026-01-27T09:00:00Z,IL,FBI,\n"
)
SOURCES = (
    "external_id,incident_external_id,kind,officer_badge,officer_agency,recording_started_at,"
    "recording_ended_at,sha256,derived_from_external_id\n"
    "s-1,i-1,bodycam,,,2026-01-24T09:00:00-06:00,2026-01-24T09:10:00-06:00,,\n"
    "s-2,i-1,bodycam,999,MPD,,,,\n"  # no such officer
    "s-3,i-9,dashcam,,,,,,\n"  # no such incident
    "s-4,i-5,telepathy,,,,,,\n"  # no such kind
    "s-5,i-5,bystander,,,2026-01-24T10:00:00Z,2026-01-24T09:00:00Z,,\n"  # ends first
    f"s-6,i-5,bystander,,,,,{'a' * 64},\n"
    f"s-7,i-5,bystander,,,,,{'a' * 64},\n"  # the same file twice in an incident
    "s-8,i-7,surveillance,,,,,,s-6\n"  # a copy of another incident's master
    "s-9,i-7,surveillance,,,,,,s-6\n"
    "s-1,i-1,bodycam,,,2026-01-24T09:00:00-06:00,2026-01-24T09:20:00-06:00,,\n"
    "s-10,i-1,officer_phone,100,MPD,,,,s-404\n"  # no such master
)


@pytest.fixture
def catalogue(app, make):
    make.agency("MPD", jurisdiction="municipal")
    make.agency("FBI", jurisdiction="federal")
    make.officer("MPD", badge_number="100")


def _import(kind, text, read_aside, fmt="csv", **options):
    return run_import(
        kind, io.BytesIO(text.encode()), fmt, actor="test", read_aside=read_aside, **options
    )


def _records(prefix):
    incidents = Incident.select().where(Incident.external_id.startswith(prefix + "i-"))
    sources = Source.select().where(Source.external_id.startswith(prefix + "s-"))
    return {
        "incidents": [
            (i.external_id, i.title, i.kind, i.started_at, i.state)
            for i in incidents.order_by(Incident.external_id)
        ],
        "agencies": sorted(
            (link.incident.external_id, link.agency.code)
            for link in IncidentAgency.select().where(IncidentAgency.incident.in_(incidents))
        ),
        "sources": [
            (s.external_id, s.incident.external_id, s.kind, s.officer_id, bool(s.derived_from_id))
            for s in sources.order_by(Source.external_id)
        ],
    }


def _both_ways(steps):
    """Run `steps` (kind, text, options) reading aside, then again reading in process under
    other keys (x-i-1 for i-1, ...); the answers and the records each way, under the keys of
    the files."""
    results = []
    for prefix, read_aside in (("", True), ("x-", False)):
        jobs = [
            _import(kind, _keyed(text, prefix), read_aside, **options).as_dict()
            for kind, text, options in steps
        ]
        text = _keyed(json.dumps([jobs, _records(prefix)], default=str), prefix, back=True)
        # (the records' ids differ: the two ways write into one database)
        text = re.sub(r"\b(incident|officer|source) \d+", r"\1 #", text)
        results.append(json.loads(re.sub(r'("id": )\d+', r"\1-1", text)))
    return results


def _keyed(text, prefix, back=False):
    for key in ("i-", "s-"):
        text = text.replace(prefix + key, key) if back else re.sub(rf"\b{key}", prefix + key, text)
    return text


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_rows_read_aside_get_the_same_answers_and_records(catalogue, batch_size):
    steps = [
        ("incidents", INCIDENTS, {"partial": True, "batch_size": batch_size}),
        ("sources", SOURCES, {"partial": True, "batch_size": batch_size}),
    ]
    aside_way, in_process = _both_ways(steps)
    assert aside_way == in_process
    jobs, records = aside_way
    assert (jobs[0]["created"], jobs[0]["updated"], jobs[0]["rejected"]) == (3, 1, 5)
    assert (jobs[1]["created"], jobs[1]["updated"], jobs[1]["rejected"]) == (4, 1, 6)
    assert [s[0] for s in records["sources"]] == ["s-1", "s-6", "s-8", "s-9"]


def test_an_atomic_import_read_aside_writes_nothing_when_a_row_is_refused(catalogue):
    aside_way, in_process = _both_ways([("incidents", INCIDENTS, {})])
    assert aside_way == in_process
    jobs, records = aside_way
    assert jobs[0]["rejected"] == 5 and jobs[0]["created"] == 0
    assert records["incidents"] == []


def test_ndjson_read_aside_gets_the_same_answers(catalogue):
    text = (
        '{"external_id": "i-1", "title": "One", "started_at": "2026-01-24T09:00:00Z", '
        '"agencies": ["MPD"]}\n'
        '{"external_id": "i-2", "title": 7, "started_at": "2026-01-24T09:00:00Z"}\n'
        "not json\n"
        '["a list"]\n'
        '{"external_id": "i-3", "title": "Three", "started_at": "2026-01-24T09:00:00Z", '
        '"location": {"state": 5}}\n'
    )
    aside_way, in_process = _both_ways([("incidents", text, {"fmt": "ndjson", "partial": True})])
    assert aside_way == in_process
    assert aside_way[0][0]["created"] == 1 and aside_way[0][0]["rejected"] == 4


@pytest.mark.parametrize(
    "text",
    [
        "external_id,title,colour\ni-1,One,red\n",  # an unknown column
        "title\nOne\n",  # no key column
        "",  # empty
        "external_id,title,started_at\ni-1,One,2026-01-24T09:00:00Z\ni-2,\xff\xfe\n",
    ],
)
def test_a_file_it_cannot_read_gets_the_same_error_either_way(catalogue, text):
    errors = []
    for read_aside in (True, False):
        data = text.encode("latin-1") if "\xff" in text else text.encode()
        with pytest.raises(DomainError) as caught:
            run_import("incidents", io.BytesIO(data), "csv", read_aside=read_aside)
        exc = caught.value
        errors.append((type(exc), exc.message, exc.errors, vars(exc)))
    assert errors[0] == errors[1]
    assert Incident.select().count() == 0
    assert multiprocessing.active_children() == []


# ---------------------------------------------------------------- the preload


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_preloaded_row_loads_as_its_values_would_once_resolved(kind):
    """RecordKind.preload + load_new == create_load(values with the references' ids), on
    generated rows (valid, near misses, junk) of each kind; a kind whose schema requires a
    reference is not preloaded at all."""
    importer = KINDS[kind]("csv")
    schema = importer.create_schema
    targets = sorted(importer.targets_in_schema)
    if not importer.preloadable:
        row = Row(1, {}, "_")
        importer.preload([row])
        assert row.preloaded is None
        assert any(schema.load_fields[t].required for t in targets)
        return

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(values=rows_of(schema), ids=st.lists(st.integers(1, 2**31 - 1), min_size=3))
    def same(values, ids):
        row = Row(1, dict(values), "_")
        for target in targets[: len(ids)]:
            if target in values or ids[0] % 2:
                row.refs[target] = (target, "key")
        importer.preload([row])
        assert row.preloaded is not None
        for target, ident in zip(targets, ids, strict=False):  # resolution, later
            if target in row.refs:
                row.values[target] = ident
        resolved = dict(row.values)
        assert_same(schema, lambda _: importer.load_new(row), resolved)

    same()


def test_a_preload_is_used_once(catalogue):
    importer = KINDS["incidents"]("csv")
    row = Row(1, {"external_id": "i-1", "title": "One", "started_at": "2026-01-24T09:00:00Z"}, "_")
    importer.preload([row])
    first = importer.load_new(row)
    first["title"] = "changed by its caller"
    assert typed(importer.load_new(row)) == typed(importer.create_load(row.values))


# ---------------------------------------------------------------- the process aside


def _items(n, fail_at=None, die_at=None):
    def make():
        for k in range(n):
            if k == fail_at:
                raise Invalid("columns", f"refused at {k}", location="body")
            if k == die_at:
                os._exit(3)
            yield k

    return make


def test_items_come_in_order_and_the_child_ends():
    assert list(aside.items(_items(50), ahead=2)) == list(range(50))
    assert multiprocessing.active_children() == []


def test_an_error_in_the_child_is_raised_in_the_parent_as_it_was():
    got = []
    with pytest.raises(Invalid) as caught:
        for item in aside.items(_items(10, fail_at=4)):
            got.append(item)
    assert got == [0, 1, 2, 3]
    assert (caught.value.field, caught.value.problem, caught.value.status) == (
        "columns",
        "refused at 4",
        Invalid("columns", "x").status,
    )
    assert multiprocessing.active_children() == []


def test_a_child_that_dies_is_an_error_not_a_wait(monkeypatch):
    monkeypatch.setattr(aside, "POLL_SECONDS", 0.05)
    with pytest.raises(aside.AsideFailed, match="exit code 3"):
        list(aside.items(_items(10, die_at=2)))
    assert multiprocessing.active_children() == []


def test_stopping_early_ends_the_child():
    items = aside.items(_items(10_000), ahead=1)
    assert next(items) == 0
    items.close()
    assert multiprocessing.active_children() == []


def test_an_error_that_cannot_travel_arrives_with_its_traceback():
    class Local(Exception):  # (a class defined in a function cannot be pickled)
        pass

    def make():
        yield 1
        raise Local("only here")

    with pytest.raises(aside.AsideFailed, match="only here"):
        list(aside.items(make))
