"""Bulk import through POST /imports/{kind}: every kind in every format, modes, keys,
references and every way a body can be wrong."""

import csv
import io
import json

import pytest

from service.bulk.readers import READ_SIZE, read_rows
from service.storage.models import LegalHold, Source

FORMATS = ("csv", "ndjson", "json")
MEDIA = {"csv": "text/csv", "ndjson": "application/x-ndjson", "json": "application/json"}

AGENCIES = [
    {"code": "CBP", "name": "U.S. Customs and Border Protection", "jurisdiction": "federal"},
    {"code": "MPD", "name": "Minneapolis Police Department", "jurisdiction": "municipal"},
]
OFFICERS = [
    {
        "external_id": "o-1",
        "agency": "CBP",
        "badge_number": "C-101",
        "name": "Agent One",
        "camera_issued": True,
    },
    {"agency": "MPD", "badge_number": "M-7", "name": "Officer Seven", "camera_issued": False},
]
INCIDENTS = [
    {
        "external_id": "i-1",
        "title": "Shooting at 26th and Nicollet",
        "kind": "shooting",
        "started_at": "2026-01-24T09:00:00-06:00",
        "ended_at": "2026-01-24T09:30:00-06:00",
        "location": {
            "address": "26th St & Nicollet Ave",
            "city": "Minneapolis",
            "state": "MN",
            "latitude": 44.9565,
            "longitude": -93.2781,
        },
        "agencies": ["CBP", "MPD"],
        "status": "under_investigation",
    },
    {
        "external_id": "i-2",
        "title": "Arrest on Lake Street",
        "kind": "arrest",
        "started_at": "2025-06-01T12:00:00Z",
    },
]
INVOLVEMENTS = [
    {"incident_external_id": "i-1", "officer_external_id": "o-1", "role": "discharged_weapon"},
    {
        "incident_external_id": "i-1",
        "officer_agency": "MPD",
        "officer_badge": "M-7",
        "role": "witness",
        "camera_expected": False,
        "not_recorded_reason": "no camera issued",
    },
]
SOURCES = [
    {
        "external_id": "s-1",
        "incident_external_id": "i-1",
        "kind": "bodycam",
        "officer_external_id": "o-1",
        "device_id": "AXON-1",
        "recording_started_at": "2026-01-24T08:58:00-06:00",
        "recording_ended_at": "2026-01-24T09:20:00-06:00",
        "clock_offset_seconds": 30,
        "sha256": "A" * 64,
        "size_bytes": 123456789,
        "obtained_via": "agency_upload",
    },
    {
        "external_id": "s-2",
        "incident_external_id": "i-1",
        "kind": "media",
        "derived_from_external_id": "s-1",
        "obtained_via": "news_media",
        "retain_until": "2030-12-31",
        "notes": "broadcast copy",
    },
    {
        "external_id": "s-3",
        "incident_external_id": "i-2",
        "kind": "bystander",
        "recorded_by": "a neighbour",
        "sha256": "b" * 64,
    },
]
CATALOGUE = [
    ("agencies", AGENCIES),
    ("officers", OFFICERS),
    ("incidents", INCIDENTS),
    ("involvements", INVOLVEMENTS),
    ("sources", SOURCES),
]


def _flat(row):
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            flat[key] = ";".join(value)
        else:
            flat[key] = value
    return {
        k: ("" if v is None else str(v).lower() if isinstance(v, bool) else v)
        for k, v in flat.items()
    }


def encode(rows, fmt):
    if fmt == "json":
        return json.dumps(rows).encode()
    if fmt == "ndjson":
        return "".join(json.dumps(r) + "\n" for r in rows).encode()
    flat = [_flat(r) for r in rows]
    out = io.StringIO()
    writer = csv.DictWriter(out, list(dict.fromkeys(k for r in flat for k in r)))
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue().encode()


@pytest.fixture
def imp(api):
    """POST rows (or raw bytes) to /imports/KIND; the response."""

    def post(kind, rows, fmt="csv", role="importer", content_type=None, **query):
        body = rows if isinstance(rows, bytes) else encode(rows, fmt)
        params = "&".join(f"{k}={str(v).lower()}" for k, v in query.items())
        return api.post(
            f"/imports/{kind}" + (f"?{params}" if params else ""),
            data=body,
            content_type=content_type or MEDIA[fmt],
            role=role,
        )

    return post


def ok(response, **counts):
    body = response.get_json()
    assert response.status_code == 200, (body.get("message"), body.get("errors"))
    for name, value in counts.items():
        assert body[name] == value, (name, body)
    return body


def one(api, path):
    items = api.get(path).get_json()
    assert len(items) == 1, items
    return items[0]


def import_catalogue(imp, fmt="csv", upto="sources"):
    for kind, rows in CATALOGUE:
        ok(imp(kind, rows, fmt), received=len(rows), created=len(rows), rejected=0)
        if kind == upto:
            return


# ---------------------------------------------------------------- every kind, every format


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_kind_in_each_format_and_again_unchanged(api, imp, fmt):
    import_catalogue(imp, fmt)

    assert api.get("/agencies/MPD").get_json()["jurisdiction"] == "municipal"
    assert one(api, "/officers?badge_number=M-7")["camera_issued"] is False
    incident = one(api, "/incidents?external_id=i-1")
    assert incident["agencies"] == ["CBP", "MPD"]
    assert incident["location"] == INCIDENTS[0]["location"]
    assert incident["started_at"] == "2026-01-24T15:00:00Z"
    assert incident["status"] == "under_investigation"
    assert one(api, "/incidents?external_id=i-2")["kind"] == "arrest"

    involved = {
        i["badge_number"]: i for i in api.get(f"/incidents/{incident['id']}/officers").get_json()
    }
    assert involved["C-101"]["role"] == "discharged_weapon"
    assert involved["C-101"]["camera_expected"] is True  # from the officer's camera_issued
    assert involved["M-7"]["not_recorded_reason"] == "no camera issued"

    master = one(api, "/sources?external_id=s-1")
    officer = one(api, "/officers?external_id=o-1")
    assert master["officer_id"] == officer["id"]
    assert master["sha256"] == "a" * 64
    assert master["corrected_started_at"] == "2026-01-24T14:58:30Z"
    assert master["size_bytes"] == 123456789
    copy = one(api, "/sources?external_id=s-2")
    assert copy["derived_from_id"] == master["id"]
    assert copy["retain_until"] == "2030-12-31"
    assert one(api, "/sources?external_id=s-3")["recorded_by"] == "a neighbour"

    for kind, rows in CATALOGUE:
        ok(
            imp(kind, rows, fmt),
            received=len(rows),
            created=0,
            updated=0,
            unchanged=len(rows),
            rejected=0,
        )


def test_the_answer_has_the_shape_of_the_contract(imp):
    body = ok(imp("agencies", AGENCIES))
    assert body == {
        "kind": "agencies",
        "mode": "atomic",
        "dry_run": False,
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors_total": 0,
        "errors": [],
        "changes_total": 0,
        "changes": [],
    }


# ---------------------------------------------------------------- updates


def test_a_changed_row_is_updated_and_other_fields_are_kept(api, imp):
    import_catalogue(imp, upto="involvements")
    incident = one(api, "/incidents?external_id=i-1")
    r = api.patch(f"/incidents/{incident['id']}", json={"description": "set through the API"})
    assert r.status_code == 200

    changed = [
        {
            "external_id": "i-1",
            "title": "Shooting (renamed)",
            "kind": "shooting",
            "started_at": "2026-01-24T09:00:00-06:00",
            "location": {"city": "St. Paul"},
            "agencies": ["MPD"],
        },
        {k: v for k, v in INCIDENTS[1].items()},
    ]
    ok(imp("incidents", changed, "json"), updated=1, unchanged=1)
    after = one(api, "/incidents?external_id=i-1")
    assert after["title"] == "Shooting (renamed)"
    assert after["location"]["city"] == "St. Paul"
    assert after["location"]["state"] == "MN"  # not in the row: kept
    assert after["agencies"] == ["MPD"]
    assert after["description"] == "set through the API"  # no such column: kept
    assert after["status"] == "under_investigation"


def test_agency_order_does_not_make_an_update(imp):
    import_catalogue(imp, upto="involvements")
    reordered = [dict(INCIDENTS[0], agencies=["MPD", "CBP"])]
    ok(imp("incidents", reordered), unchanged=1, updated=0)


def test_an_empty_cell_keeps_a_field_and_a_null_cell_clears_it(api, imp):
    import_catalogue(imp)
    before = one(api, "/sources?external_id=s-2")["notes"]
    csv_body = b"external_id,incident_external_id,kind,notes\ns-2,i-1,media,\n"
    ok(imp("sources", csv_body), unchanged=1)
    assert before and one(api, "/sources?external_id=s-2")["notes"] == before
    csv_body = b"external_id,incident_external_id,kind,notes\ns-2,i-1,media,\\N\n"
    ok(imp("sources", csv_body), updated=1)
    source = one(api, "/sources?external_id=s-2")
    assert source["notes"] is None
    assert source["retain_until"] == "2030-12-31"
    assert source["derived_from_id"] is not None


def test_officers_are_found_by_agency_and_badge_or_external_id(api, imp):
    import_catalogue(imp, upto="officers")
    renamed = [
        {"agency": "MPD", "badge_number": "M-7", "name": "Officer Seven Jr."},
        {"external_id": "o-1", "agency": "CBP", "badge_number": "C-102"},
    ]
    ok(imp("officers", renamed, "json"), updated=2, created=0)
    assert one(api, "/officers?badge_number=M-7")["name"] == "Officer Seven Jr."
    moved = one(api, "/officers?external_id=o-1")
    assert moved["badge_number"] == "C-102"
    assert moved["name"] == "Agent One"


def test_an_update_that_breaks_a_rule_is_rejected_with_the_rule(api, imp):
    import_catalogue(imp, upto="officers")
    # o-1 may not take the badge MPD's officer has... once it moves to MPD.
    taken = [{"external_id": "o-1", "agency": "MPD", "badge_number": "M-7"}]
    r = imp("officers", taken)
    assert r.status_code == 422
    [error] = r.get_json()["errors"]
    assert error["row"] == 1 and error["field"] == "badge_number"
    assert "already" in error["message"]


# ---------------------------------------------------------------- modes


def test_atomic_mode_writes_nothing_when_a_row_is_bad(api, imp):
    import_catalogue(imp, upto="involvements")
    rows = [dict(SOURCES[0]), dict(SOURCES[2], kind="hologram"), dict(SOURCES[1])]
    r = imp("sources", rows)
    body = r.get_json()
    assert r.status_code == 422
    assert body["code"] == 422 and "nothing was written" in body["message"]
    assert body["received"] == 3 and body["rejected"] == 1
    assert body["created"] == body["updated"] == body["unchanged"] == 0
    assert body["errors"] == [{"row": 2, "field": "kind", "message": body["errors"][0]["message"]}]
    assert "Must be one of" in body["errors"][0]["message"]
    assert api.get("/sources").get_json() == []


def test_partial_mode_writes_exactly_the_good_rows(api, imp):
    import_catalogue(imp, upto="involvements")
    rows = [dict(SOURCES[0]), dict(SOURCES[2], sha256="not a hash"), dict(SOURCES[1])]
    body = ok(imp("sources", rows, mode="partial"), received=3, created=2, rejected=1)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "sha256")]
    assert sorted(s["external_id"] for s in api.get("/sources").get_json()) == ["s-1", "s-2"]


def test_a_dry_run_writes_nothing_but_checks_rows_against_earlier_rows(api, imp):
    import_catalogue(imp, upto="involvements")
    # s-2 is a copy of s-1, which only exists earlier in the same file.
    body = ok(imp("sources", SOURCES, dry_run=True), received=3, created=3, rejected=0)
    assert body["dry_run"] is True
    assert api.get("/sources").get_json() == []

    twice = [SOURCES[0], dict(SOURCES[1], sha256="a" * 64)]  # same file, same incident
    r = imp("sources", twice, dry_run=True)
    assert r.status_code == 422
    [error] = r.get_json()["errors"]
    assert (error["row"], error["field"]) == (2, "sha256")
    assert api.get("/sources").get_json() == []


def test_a_partial_dry_run_counts_what_would_be_written(api, imp):
    body = ok(
        imp(
            "agencies",
            [AGENCIES[0], {"code": "bad code", "name": "x"}],
            mode="partial",
            dry_run=True,
        ),
        created=1,
        rejected=1,
    )
    assert body["dry_run"] is True and body["mode"] == "partial"
    assert api.get("/agencies").get_json() == []


def test_same_key_twice_in_one_file_updates_the_first(api, imp):
    import_catalogue(imp, upto="involvements")
    rows = [SOURCES[0], dict(SOURCES[0], device_id="AXON-2")]
    ok(imp("sources", rows), created=1, updated=1)
    assert one(api, "/sources?external_id=s-1")["device_id"] == "AXON-2"


def test_sources_get_the_legal_hold_of_their_incident(api, imp):
    import_catalogue(imp, upto="involvements")
    incident = one(api, "/incidents?external_id=i-1")
    LegalHold.create(name="preservation order", incident=incident["id"])
    ok(imp("sources", SOURCES), created=3)
    assert one(api, "/sources?external_id=s-1")["legal_hold"] is True
    assert one(api, "/sources?external_id=s-3")["legal_hold"] is False


def test_imported_and_posted_sources_obey_the_same_rules(api, imp):
    import_catalogue(imp, upto="involvements")
    incident = one(api, "/incidents?external_id=i-1")
    posted = api.post(
        "/sources", json={"incident_id": incident["id"], "kind": "bodycam", "sha256": "a" * 64}
    ).get_json()
    r = imp("sources", [SOURCES[0]], "json")
    [error] = r.get_json()["errors"]
    assert error["field"] == "sha256"
    assert error["message"] == (
        f"incident {incident['id']} already has source {posted['id']} with sha256 {'a' * 64}"
    )
    late = dict(
        SOURCES[2],
        recording_started_at="2025-06-01T13:00:00Z",
        recording_ended_at="2025-06-01T12:00:00Z",
    )
    [error] = imp("sources", [late], "json").get_json()["errors"]
    assert (error["field"], error["message"]) == (
        "recording_ended_at",
        "must not be before recording_started_at",
    )


# ---------------------------------------------------------------- references


@pytest.mark.parametrize(
    "kind,row,field,message",
    [
        (
            "sources",
            {"external_id": "x", "incident_external_id": "nope", "kind": "bodycam"},
            "incident_external_id",
            "no incident has external_id 'nope'",
        ),
        (
            "sources",
            {"external_id": "x", "incident_id": 999, "kind": "bodycam"},
            "incident_id",
            "incident 999 does not exist",
        ),
        (
            "sources",
            {
                "external_id": "x",
                "incident_external_id": "i-1",
                "kind": "bodycam",
                "officer_agency": "CBP",
                "officer_badge": "404",
            },
            "officer_badge",
            "no officer of agency 'CBP' has badge '404'",
        ),
        (
            "sources",
            {
                "external_id": "x",
                "incident_external_id": "i-1",
                "kind": "bodycam",
                "officer_external_id": "ghost",
            },
            "officer_external_id",
            "no officer has external_id 'ghost'",
        ),
        (
            "sources",
            {
                "external_id": "x",
                "incident_external_id": "i-1",
                "kind": "media",
                "derived_from_external_id": "s-404",
            },
            "derived_from_external_id",
            "no source has external_id 's-404'",
        ),
        (
            "sources",
            {"external_id": "x", "kind": "bodycam"},
            "incident_external_id",
            "Missing data: give incident_external_id or incident_id",
        ),
        (
            "sources",
            {
                "external_id": "x",
                "incident_external_id": "i-1",
                "incident_id": 1,
                "kind": "bodycam",
            },
            "incident_external_id",
            "give one of incident_external_id, incident_id, not both",
        ),
        (
            "involvements",
            {"incident_external_id": "i-1", "officer_id": 999},
            "officer_id",
            "officer 999 does not exist",
        ),
        (
            "involvements",
            {"incident_external_id": "i-1", "officer_agency": "CBP"},
            "officer_badge",
            "give both officer_agency and officer_badge",
        ),
        (
            "involvements",
            {"incident_id": "abc", "officer_external_id": "o-1"},
            "incident_id",
            "must be a positive whole number",
        ),
        (
            "officers",
            {"agency": "FBI", "badge_number": "1"},
            "agency",
            "unknown agency code(s): FBI",
        ),
        (
            "incidents",
            {
                "external_id": "i-9",
                "title": "t",
                "started_at": "2026-01-01T00:00:00Z",
                "agencies": ["CBP", "ICE"],
            },
            "agencies",
            "unknown agency code(s): ICE",
        ),
    ],
)
def test_a_dangling_reference_is_an_error_naming_the_field(imp, kind, row, field, message):
    import_catalogue(imp, upto="involvements")
    r = imp(kind, [row], "json")
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    assert {"row": 1, "field": field, "message": message} in errors, errors


def test_references_by_id_work_too(api, imp):
    import_catalogue(imp, upto="officers")
    incident = api.create("/incidents", {"title": "t", "started_at": "2026-01-01T00:00:00Z"})
    officer = one(api, "/officers?external_id=o-1")
    ok(
        imp("involvements", [{"incident_id": incident["id"], "officer_id": officer["id"]}]),
        created=1,
    )
    ok(
        imp(
            "sources",
            [
                {
                    "external_id": "s-9",
                    "incident_id": incident["id"],
                    "kind": "dashcam",
                    "officer_id": officer["id"],
                }
            ],
        ),
        created=1,
    )


# ---------------------------------------------------------------- field errors


def test_one_error_per_bad_field_with_csv_names(imp):
    import_catalogue(imp, upto="agencies")
    body = (
        b"external_id,title,started_at,location_latitude,agencies\n"
        b"i-1,,2026-01-24T09:00:00,91,CBP;bad code\n"
    )
    r = imp("incidents", body)
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.get_json()["errors"]}
    assert set(errors) == {"title", "started_at", "location_latitude", "agencies"}
    assert "UTC offset" in errors["started_at"]
    assert errors["agencies"].startswith("item 2:")
    nested = imp(
        "incidents",
        [
            {
                "external_id": "i-1",
                "title": "t",
                "started_at": "2026-01-24T09:00:00Z",
                "location": {"latitude": 91},
            }
        ],
        "json",
    )
    assert nested.get_json()["errors"][0]["field"] == "location.latitude"


def test_json_rows_with_unknown_fields_are_rejected_and_read_only_ones_ignored(imp):
    r = imp("agencies", [{"code": "CBP", "name": "x", "colour": "blue"}], "ndjson")
    assert r.get_json()["errors"] == [{"row": 1, "field": "colour", "message": "Unknown field."}]
    import_catalogue(imp, upto="involvements")
    exported = [dict(INCIDENTS[1], id=77, created_at="2020-01-01T00:00:00Z")]
    ok(imp("incidents", exported, "json"), unchanged=1)


def test_incidents_and_sources_need_their_external_id(imp):
    r = imp("incidents", [{"title": "t", "started_at": "2026-01-01T00:00:00Z"}], "json")
    [error] = r.get_json()["errors"]
    assert error["field"] == "external_id" and "Missing data" in error["message"]


def test_the_error_list_is_capped_and_the_total_counted(imp):
    rows = [{"code": "bad code", "name": ""}] * 1005
    r = imp("agencies", rows, mode="partial")
    body = r.get_json()
    assert body["rejected"] == 1005
    assert body["errors_total"] == 1005 * 2
    assert len(body["errors"]) == 1000
    assert body["errors"][-1]["row"] == 500


# ---------------------------------------------------------------- bad bodies


@pytest.mark.parametrize(
    "fmt,body",
    [
        ("csv", b""),
        ("csv", b"\n\n"),
        ("ndjson", b""),
        ("ndjson", b"\n  \n"),
        ("json", b""),
        ("json", b"   "),
    ],
)
def test_an_empty_body_is_400(imp, fmt, body):
    r = imp("agencies", body, fmt)
    assert r.status_code == 400
    assert "empty" in r.get_json()["message"]


def test_a_csv_without_the_required_columns_is_422_naming_them(imp):
    r = imp("sources", b"external_id,kind\ns-1,bodycam\n")
    body = r.get_json()
    assert r.status_code == 422
    assert body["message"] == ("columns: missing column(s): incident_external_id or incident_id")
    r = imp("incidents", b"title\nx\n")
    assert "missing column(s): started_at; external_id" in r.get_json()["message"]


def test_a_csv_with_unknown_or_repeated_columns_is_422(imp):
    r = imp("agencies", b"code,name,colour\nCBP,x,blue\n")
    assert r.status_code == 422 and "unknown column(s): colour" in r.get_json()["message"]
    r = imp("agencies", b"code,name,name\nCBP,x,y\n")
    assert r.status_code == 422 and "repeated column(s): name" in r.get_json()["message"]


def test_undecodable_bytes_are_400(api, imp):
    for fmt, body in (
        ("csv", b"code,name\nCBP,Caf\xe9\n"),
        ("ndjson", b'{"code": "CBP", "name": "Caf\xe9"}\n'),
        ("json", b'[{"code": "CBP", "name": "Caf\xe9"}]'),
    ):
        r = imp("agencies", body, fmt)
        assert r.status_code == 400, fmt
        assert "not UTF-8" in r.get_json()["message"]
    assert api.get("/agencies").get_json() == []


def test_a_byte_order_mark_is_fine(imp):
    ok(imp("agencies", b"\xef\xbb\xbfcode,name\nCBP,x\n"), created=1)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "multipart/form-data",
        "text/csv; charset=latin-1",
        "",
    ],
)
def test_another_content_type_is_415(imp, content_type):
    r = imp("agencies", b"code,name\nCBP,x\n", content_type=content_type or None)
    if not content_type:
        r = imp("agencies", b"code,name\nCBP,x\n", content_type="application/octet-stream")
    assert r.status_code == 415
    assert "text/csv" in r.get_json()["message"]


def test_charset_utf8_is_accepted(imp):
    ok(imp("agencies", b"code,name\nCBP,x\n", content_type="text/csv; charset=UTF-8"), created=1)


def test_a_body_over_the_limit_is_413(app, api, imp):
    app.config["MAX_IMPORT_BYTES"] = 64
    body = encode(AGENCIES, "csv")
    assert len(body) > 64
    r = imp("agencies", body)
    assert r.status_code == 413
    assert "limit of 64 bytes" in r.get_json()["message"]
    # A streamed body without Content-Length is cut off at the limit as well.
    streamed = api.client.post(
        "/api/v1/imports/agencies",
        input_stream=io.BytesIO(body),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {api.tokens['importer']}"},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )
    assert streamed.status_code == 413
    assert api.get("/agencies").get_json() == []


@pytest.mark.parametrize(
    "body,problem",
    [
        (b'{"code": "CBP"}', "must start with '['"),
        (b'[{"code": "CBP", "name": "x"},', "ends before its closing ']'"),
        (b'[{"code": "CBP", "name": "x"} {"code": "ICE"}]', "expected ',' or ']'"),
        (b'[{"code": "CBP", "name": "x"}] []', "text follows the closing ']'"),
        (b'[{"code": "CBP", "name": "x"}, {"code": ', "Expecting value"),
        (b"[" + b"[" * 100000 + b"]" * 100000 + b"]", "nested too deeply"),
    ],
)
def test_a_broken_json_array_is_400(api, imp, body, problem):
    r = imp("agencies", body, "json")
    assert r.status_code == 400, r.get_json()
    assert problem in r.get_json()["message"]
    assert api.get("/agencies").get_json() == []


def test_bad_rows_inside_a_readable_body_are_row_errors(imp):
    ndjson = b'{"code": "CBP", "name": "x"}\nnot json\n[1, 2]\n{"code": "MPD", "name": "y"}\n'
    body = ok(imp("agencies", ndjson, "ndjson", mode="partial"), created=2, rejected=2)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, None), (3, None)]
    assert body["errors"][0]["message"].startswith("the row is not valid JSON")
    assert body["errors"][1]["message"] == "the row must be a JSON object, not list"
    array = b'[{"code": "ICE", "name": "z"}, 5, "x"]'
    body = ok(imp("agencies", array, "json", mode="partial"), created=1, rejected=2)
    csv_body = b"code,name\nFBI,x\nHSI\nATF,y,extra\n"
    body = ok(imp("agencies", csv_body, mode="partial"), created=1, rejected=2)
    assert body["errors"][0]["message"] == "the row has 1 cells where the header has 2 columns"


def test_a_json_array_split_across_reads_is_read_whole():
    # Rows larger than one read of the stream, and a value cut at a read's boundary.
    big = [{"a": "x" * 200_000}, {"b": 1.25}, {"c": "y" * 70_000}]
    rows = list(read_rows(io.BytesIO(json.dumps(big).encode()), "json"))
    assert [data for _, data in rows] == big
    for pad in range(READ_SIZE - 24, READ_SIZE + 4):
        body = ('[{"p": "' + "x" * pad + '"}, 1234567890123]').encode()
        rows = list(read_rows(io.BytesIO(body), "json"))
        assert len(rows) == 2, pad
        assert rows[1][1].message == "must be a JSON object, not int"


def test_unknown_kind_is_404_and_bad_query_is_422(imp, api):
    r = api.post("/imports/cats", data=b"a\n1\n", content_type="text/csv", role="importer")
    assert r.status_code == 404
    r = imp("agencies", AGENCIES, mode="sometimes")
    assert r.status_code == 422 and "mode" in r.get_json()["errors"]["query"]


def test_imports_are_for_admin_and_importer(imp, api):
    assert imp("agencies", AGENCIES, role="investigator").status_code == 403
    assert imp("agencies", AGENCIES, role="oversight").status_code == 403
    ok(imp("agencies", AGENCIES, role="admin"), created=2)


def test_an_import_is_audited(api, imp):
    ok(imp("agencies", AGENCIES), created=2)
    entries = api.get("/audit?resource=imports", role="admin").get_json()
    assert [(e["method"], e["status"], e["actor"]) for e in entries] == [("POST", 200, "importer")]
    assert Source.select().count() == 0


# ---------------------------------------------------------------- custody

CUSTODY = [
    {
        "source_external_id": "s-1",
        "action": "received",
        "custodian": "HSI evidence unit",
        "occurred_at": "2026-01-25T09:30:00-06:00",
        "sha256_observed": "a" * 64,
    },
    {
        "source_external_id": "s-1",
        "action": "checked_out",
        "custodian": "reviewer",
        "occurred_at": "2026-01-26T10:00:00-06:00",
        "note": "review",
    },
    {
        "source_external_id": "s-1",
        "action": "returned",
        "custodian": "HSI evidence unit",
        "occurred_at": "2026-01-26T16:00:00-06:00",
    },
    {
        "source_external_id": "s-3",
        "action": "requested",
        "occurred_at": "2025-06-02T10:00:00Z",
        "location": "Lake Street",
    },
]


def _chain(api, external_id):
    source = one(api, f"/sources?external_id={external_id}")
    events = api.get(f"/sources/{source['id']}/custody").get_json()
    verdict = api.get(f"/sources/{source['id']}/custody/verify").get_json()
    return source, events, verdict


@pytest.mark.parametrize("fmt", FORMATS)
def test_custody_rows_append_events_in_file_order_through_the_chain(api, imp, fmt):
    import_catalogue(imp)
    ok(imp("custody", CUSTODY, fmt), received=4, created=4, rejected=0)
    source, events, verdict = _chain(api, "s-1")
    assert [e["action"] for e in events] == ["received", "checked_out", "returned"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["actor"] == "importer"
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert (source["custody_status"], source["integrity"]) == ("in_custody", "verified")
    assert verdict["valid"] is True and verdict["events"] == 3
    assert one(api, "/sources?external_id=s-3")["custody_status"] == "requested"

    ok(imp("custody", CUSTODY, fmt), received=4, created=0, unchanged=4)
    assert len(_chain(api, "s-1")[1]) == 3


def test_a_custody_row_against_the_rules_is_refused_with_the_rule(api, imp):
    import_catalogue(imp)
    early_return = [CUSTODY[0], dict(CUSTODY[2], occurred_at="2026-01-25T10:00:00-06:00")]
    r = imp("custody", early_return)
    assert r.status_code == 422
    [error] = r.get_json()["errors"]
    assert error["row"] == 2 and error["field"] is None
    assert error["message"].startswith("custody rule: returned is allowed only while checked out")
    assert _chain(api, "s-1")[1] == []

    body = ok(imp("custody", early_return + CUSTODY[1:3], mode="partial"), created=3, rejected=1)
    assert body["errors"][0]["row"] == 2
    assert [e["action"] for e in _chain(api, "s-1")[1]] == ["received", "checked_out", "returned"]


def test_a_custody_dry_run_follows_the_chain_and_writes_nothing(api, imp):
    import_catalogue(imp)
    ok(imp("custody", CUSTODY, dry_run=True), created=4, rejected=0)
    assert _chain(api, "s-1")[1] == []
    assert one(api, "/sources?external_id=s-1")["custody_status"] == "identified"


def test_recorded_custody_events_cannot_be_changed_by_an_import(api, imp):
    import_catalogue(imp)
    ok(imp("custody", CUSTODY[:1]), created=1)
    r = imp("custody", [dict(CUSTODY[0], custodian="someone else")])
    [error] = r.get_json()["errors"]
    assert error["field"] == "custodian"
    assert "append-only: event 1 of source" in error["message"]


def test_custody_rows_need_a_source_and_a_time(imp):
    import_catalogue(imp)
    r = imp(
        "custody",
        [
            {
                "source_external_id": "s-404",
                "action": "received",
                "occurred_at": "2026-01-25T09:30:00Z",
            },
            {"source_external_id": "s-1", "action": "received"},
            {"action": "received", "occurred_at": "2026-01-25T09:30:00Z"},
        ],
        "json",
    )
    errors = [(e["row"], e["field"]) for e in r.get_json()["errors"]]
    assert errors == [(1, "source_external_id"), (2, "occurred_at"), (3, "source_external_id")]


def test_incidents_in_batches_refuse_as_the_api_does_and_link_their_agencies(api, make, imp):
    make.agency("CBP")
    make.agency("ICE")
    started = "2026-01-24T09:00:00-06:00"
    bad_rows = [
        {"title": "t", "started_at": started, "agencies": ["NOPE"]},
        {"title": "t", "started_at": started, "ended_at": "2026-01-24T08:00:00-06:00"},
        {"title": "", "started_at": started},
    ]
    api_errors = []
    for body in bad_rows:
        r = api.post("/incidents", json=body)
        assert r.status_code == 422
        api_errors.append(r.get_json()["errors"]["json"])
    rows = [
        {"external_id": "b-1", "title": "one", "started_at": started, "agencies": ["CBP", "ICE"]},
        *({"external_id": f"bad-{n}", **body} for n, body in enumerate(bad_rows)),
        {"external_id": "b-2", "title": "two", "started_at": started},
        {"external_id": "b-1", "title": "one, renamed", "started_at": started},
    ]
    body = ok(imp("incidents", rows, fmt="ndjson", mode="partial"), created=2, updated=1)
    import_errors = {}
    for error in body["errors"]:
        import_errors.setdefault(error["row"], {})[error["field"]] = [error["message"]]
    assert [import_errors[n] for n in (2, 3, 4)] == api_errors
    first = one(api, "/incidents?external_id=b-1")
    assert first["title"] == "one, renamed" and first["agencies"] == ["CBP", "ICE"]
    assert one(api, "/incidents?external_id=b-2")["agencies"] == []
    lacking = api.get("/coverage/incidents?lacking=bodycam", role="oversight").get_json()
    assert {i["external_id"] for i in lacking} == {"b-1", "b-2"}
    # imported again: nothing changes
    ok(imp("incidents", rows[-2:], fmt="ndjson"), created=0, updated=0, unchanged=2)


# ---------------------------------------------------------------- involvements in batches


def test_involvements_go_in_batches_with_the_apis_rules(api, imp):
    import_catalogue(imp, upto="incidents")
    rows = [
        # new, camera expected as the officer was issued one (o-1: yes)
        {"incident_external_id": "i-2", "officer_external_id": "o-1"},
        # new, then the same pair again in the file: the second row updates it
        {"incident_external_id": "i-1", "officer_agency": "MPD", "officer_badge": "M-7"},
        {
            "incident_external_id": "i-1",
            "officer_agency": "MPD",
            "officer_badge": "M-7",
            "role": "witness",
        },
        # refused by the schema, and an unknown officer
        {"incident_external_id": "i-1", "officer_external_id": "o-1", "role": "bystander"},
        {"incident_external_id": "i-2", "officer_external_id": "o-404"},
    ]
    r = imp("involvements", rows, "json", mode="partial")
    body = ok(r, received=5, created=2, updated=1, rejected=2)
    assert {e["row"] for e in body["errors"]} == {4, 5}, body["errors"]
    assert [c["row"] for c in body["changes"]] == [3]

    i1 = one(api, "/incidents?external_id=i-1")
    i2 = one(api, "/incidents?external_id=i-2")
    on_i2 = api.get(f"/incidents/{i2['id']}/officers").get_json()
    assert [(o["badge_number"], o["role"], o["camera_expected"]) for o in on_i2] == [
        ("C-101", "assisting", True)
    ]
    on_i1 = api.get(f"/incidents/{i1['id']}/officers").get_json()
    assert [(o["badge_number"], o["role"], o["camera_expected"]) for o in on_i1] == [
        ("M-7", "witness", False)
    ]
    # The counters followed: i-2 expects one camera and has no footage of it.
    by_kind = {r["key"]: r for r in api.get("/coverage/summary?group_by=kind").get_json()}
    assert (by_kind["arrest"]["officers_expected"], by_kind["arrest"]["officers_covered"]) == (1, 0)
    lacking = api.get("/coverage/incidents?lacking=officer_bodycam").get_json()
    assert i2["id"] in {i["id"] for i in lacking}
    # Again: nothing new, nothing changed.
    again = ok(imp("involvements", rows[:3], "json"), created=0, updated=0, unchanged=3)
    assert again["rejected"] == 0


def test_custody_in_batches_follows_each_chain_as_row_by_row_would(api, imp, runner, tmp_path):
    from service.cli import main

    import_catalogue(imp)
    s1 = one(api, "/sources?external_id=s-1")
    # An event recorded through the API first: the import continues its chain.
    api.post(
        f"/sources/{s1['id']}/custody",
        json={"action": "received", "custodian": "unit", "occurred_at": "2026-01-25T09:00:00Z"},
    )
    rows = [
        # s-1 and s-3 interleaved; batches of 3 rows (below): chains cross batches, and rows
        # 4 and 5 (one event twice) share one
        {
            "source_external_id": "s-1",
            "action": "checked_out",
            "custodian": "a",
            "occurred_at": "2026-01-26T10:00:00Z",
        },
        {"source_external_id": "s-3", "action": "requested", "occurred_at": "2025-06-02T10:00:00Z"},
        # against the rules: s-1 is checked out, not in custody
        {
            "source_external_id": "s-1",
            "action": "checked_out",
            "custodian": "b",
            "occurred_at": "2026-01-26T11:00:00Z",
        },
        # the same event twice in the file: the second is unchanged
        {
            "source_external_id": "s-1",
            "action": "returned",
            "custodian": "unit",
            "occurred_at": "2026-01-26T16:00:00Z",
        },
        {
            "source_external_id": "s-1",
            "action": "returned",
            "custodian": "unit",
            "occurred_at": "2026-01-26T16:00:00Z",
        },
        # back in time without a reason
        {
            "source_external_id": "s-1",
            "action": "checked_out",
            "custodian": "c",
            "occurred_at": "2026-01-26T12:00:00Z",
        },
        # ...and with one
        {
            "source_external_id": "s-1",
            "action": "checked_out",
            "custodian": "c",
            "occurred_at": "2026-01-26T12:00:00Z",
            "late_entry_reason": "logged on paper",
        },
        # a disposal is never a custody row
        {"source_external_id": "s-3", "action": "disposed", "occurred_at": "2025-06-03T10:00:00Z"},
    ]
    path = tmp_path / "custody.json"
    path.write_text(json.dumps(rows))
    result = runner.invoke(main, ["import", "custody", str(path), "--partial", "--batch-size", "3"])
    assert result.exit_code == 1, result.output  # some rows rejected
    assert "8 received, 4 created, 0 updated, 1 unchanged, 3 rejected" in result.output
    errors = {
        int(line.split(":")[0][len("row ") :]): line.split(": ", 1)[1]
        for line in result.output.splitlines()
        if line.startswith("row ")
    }
    assert set(errors) == {3, 6, 8}, result.output
    assert "custody rule: checked_out is allowed only while in custody" in errors[3]
    assert "custody order: occurred_at 2026-01-26T12:00:00Z is before event 3" in errors[6]
    assert "disposal rule:" in errors[8]
    source, events, verdict = _chain(api, "s-1")
    assert [(e["seq"], e["action"], e["custodian"]) for e in events] == [
        (1, "received", "unit"),
        (2, "checked_out", "a"),
        (3, "returned", "unit"),
        (4, "checked_out", "c"),
    ]
    assert events[3]["late_entry_reason"] == "logged on paper"
    assert verdict["valid"] is True and verdict["events"] == 4
    assert source["custody_status"] == "checked_out"
    s3, events3, verdict3 = _chain(api, "s-3")
    assert [e["action"] for e in events3] == ["requested"] and verdict3["valid"]
    assert s3["custody_status"] == "requested"
    # The counters follow the chain (s-1 is held: checked out).
    result = runner.invoke(main, ["check-counters"])
    assert result.exit_code == 0 and "counters agree" in result.output, result.output
