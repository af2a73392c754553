"""Incidents lacking coverage and the coverage summary, through HTTP, against hand-computed answers.

Five incidents (times UTC; custody and review as set below):

  I1 MN shooting     2026-01-24 15:00  CBP+USBP  o1 bodycam (in_custody, reviewed), a bystander
                                                  clip (checked_out, flagged); o2 expected, no
                                                  bodycam
  I2 MN arrest       2025-12-10 12:00  ICE       a bystander clip (unreviewed); o5 expected, none
  I3 IL use_of_force 2025-12-20 08:00  CBP       nothing at all
  I4 IL shooting     2026-01-05 10:00  ICE       o8's bodycam, disposed (reviewed)
  I5 -  arrest       2026-01-31 20:30-06:00 = 2026-02-01 02:30 UTC, no agency, no state;
                                                  o6 bodycam (identified, in_review); o7 has no
                                                  camera and none was expected

Newest first: I5, I1, I4, I3, I2.
"""

import json

import pytest

KINDS = ("bodycam", "dashcam", "officer_phone", "bystander", "surveillance", "media", "other")


@pytest.fixture
def world(make):
    for code in ("CBP", "USBP", "ICE"):
        make.agency(code)
    o = {
        n: make.officer(agency)["id"]
        for n, agency in ((1, "CBP"), (2, "USBP"), (5, "ICE"), (6, "CBP"), (8, "ICE"))
    }
    o[7] = make.officer("CBP", camera_issued=False)["id"]
    i = {}
    i[1] = make.incident(
        title="I1",
        kind="shooting",
        started_at="2026-01-24T15:00:00Z",
        location={"state": "MN"},
        agencies=["CBP", "USBP"],
        external_id="x-1",
    )
    i[2] = make.incident(
        title="I2",
        kind="arrest",
        started_at="2025-12-10T12:00:00Z",
        location={"state": "MN"},
        agencies=["ICE"],
    )
    i[3] = make.incident(
        title="I3",
        kind="use_of_force",
        started_at="2025-12-20T08:00:00Z",
        location={"state": "IL"},
        agencies=["CBP"],
    )
    i[4] = make.incident(
        title="I4",
        kind="shooting",
        started_at="2026-01-05T10:00:00Z",
        location={"state": "IL"},
        agencies=["ICE"],
    )
    i[5] = make.incident(title="I5", kind="arrest", started_at="2026-01-31T20:30:00-06:00")
    i = {n: incident["id"] for n, incident in i.items()}
    for n, officer in ((1, 1), (1, 2), (2, 5), (4, 8), (5, 6), (5, 7)):
        make.involve(i[n], o[officer])
    sources = {
        "a": make.source(i[1], "bodycam", officer_id=o[1]),
        "b": make.source(i[1], "bystander"),
        "c": make.source(i[2], "bystander"),
        "d": make.source(i[4], "bodycam", officer_id=o[8]),
        "e": make.source(i[5], "bodycam", officer_id=o[6]),
    }
    s = {name: source["id"] for name, source in sources.items()}
    make.custody(s["a"], "received")
    make.review(s["a"], "reviewed")
    make.custody(s["b"], "received", "checked_out")
    make.review(s["b"], "flagged", flags=["obstructed"])
    make.review(s["d"], "reviewed")
    make.custody(s["d"], "received", "disposed")
    make.review(s["e"], "in_review")
    return {"i": i, "o": o, "s": s}


def lacking(api, role="investigator", **params):
    r = api.get("/coverage/incidents", role=role, query_string=params)
    assert r.status_code == 200, r.get_json()
    return r


@pytest.fixture(params=["walk", "sort"])
def walk(request, monkeypatch):
    """Both ways SQLite reads a lacking list (service.domain.coverage.WALK_SHARE): walking the
    incidents newest first, or the counters' partial index sorted. Same answers."""
    from service.domain import coverage

    threshold = 1 if request.param == "walk" else 10**9
    monkeypatch.setattr(coverage, "_walk_from", lambda: threshold)
    return request.param


def titles(response):
    return [item["title"] for item in response.get_json()]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"lacking": "bodycam"}, ["I4", "I3", "I2"]),
        ({}, ["I4", "I3", "I2"]),  # bodycam is the default question
        ({"lacking": "any"}, ["I4", "I3"]),  # I4's only source is disposed
        ({"lacking": "officer_bodycam"}, ["I1", "I4", "I2"]),
        ({"lacking": "bodycam", "counting": "in_custody"}, ["I5", "I4", "I3", "I2"]),
        ({"lacking": "any", "counting": "in_custody"}, ["I5", "I4", "I3", "I2"]),
        ({"lacking": "officer_bodycam", "counting": "in_custody"}, ["I5", "I1", "I4", "I2"]),
        ({"lacking": "bodycam", "agency": "CBP"}, ["I3"]),
        ({"lacking": "bodycam", "agency": "ICE"}, ["I4", "I2"]),
        ({"lacking": "bodycam", "agency": "FBI"}, []),  # unknown agency: nothing
        ({"lacking": "bodycam", "state": "MN"}, ["I2"]),
        ({"lacking": "bodycam", "kind": "shooting"}, ["I4"]),
        (
            {"lacking": "bodycam", "from": "2025-12-15T00:00:00Z", "to": "2026-01-06T00:00:00Z"},
            ["I4", "I3"],
        ),
        ({"lacking": "bodycam", "to": "2025-12-20T08:00:00Z"}, ["I2"]),  # `to` is exclusive
        ({"lacking": "bodycam", "from": "2025-12-20T02:00:00-06:00"}, ["I4", "I3"]),  # inclusive
        ({"lacking": "officer_bodycam", "state": "MN", "kind": "shooting"}, ["I1"]),
    ],
)
def test_incidents_lacking_coverage(api, world, walk, params, expected):
    r = lacking(api, **params)
    assert titles(r) == expected
    assert json.loads(r.headers["X-Pagination"])["total"] == len(expected)


def test_lacking_items_carry_agencies_and_counted_sources(api, world):
    items = {item["title"]: item for item in lacking(api, lacking="officer_bodycam").get_json()}
    zero = dict.fromkeys(KINDS, 0)
    assert items["I1"] == {
        "id": world["i"][1],
        "external_id": "x-1",
        "title": "I1",
        "kind": "shooting",
        "state": "MN",
        "started_at": "2026-01-24T15:00:00Z",
        "agencies": ["CBP", "USBP"],
        "source_counts": {**zero, "bodycam": 1, "bystander": 1},
        "disposed_counts": zero,
        "disposed_bodycam_source_ids": [],
    }
    assert items["I2"]["source_counts"] == {**zero, "bystander": 1}
    assert items["I4"]["source_counts"] == zero  # the disposed bodycam is not counted
    # ... but it stays visible
    assert items["I4"]["disposed_counts"] == {**zero, "bodycam": 1}
    assert items["I4"]["disposed_bodycam_source_ids"] == [world["s"]["d"]]
    held = {
        item["title"]: item
        for item in lacking(api, lacking="officer_bodycam", counting="in_custody").get_json()
    }
    assert held["I2"]["source_counts"] == zero  # its clip is only identified
    assert held["I5"]["agencies"] == []
    assert held["I5"]["started_at"] == "2026-02-01T02:30:00Z"


def test_lacking_is_paginated(api, world, walk):
    r = lacking(api, lacking="bodycam", page=2, page_size=2)
    assert titles(r) == ["I2"]
    meta = json.loads(r.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (3, 2, 2)
    first = lacking(api, lacking="bodycam", page_size=2)
    assert titles(first) == ["I4", "I3"]
    after = json.loads(first.headers["X-Pagination"])["next_after"]
    assert titles(lacking(api, lacking="bodycam", page_size=2, after=after)) == ["I2"]


def summary(api, role="investigator", **params):
    r = api.get("/coverage/summary", role=role, query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


FIELDS = (
    "key",
    "incidents",
    "with_bodycam",
    "without_bodycam",
    "bodycam_rate",
    "sources",
    "officers_expected",
    "officers_covered",
    "reviewed_rate",
)


def rows(*values):
    return [dict(zip(FIELDS, row, strict=True)) for row in values]


# An incident of two agencies counts in both rows; I5 has none.
BY_AGENCY = rows(
    ("CBP", 2, 1, 1, 0.5, 2, 2, 1, 1.0),
    ("ICE", 2, 0, 2, 0.0, 1, 2, 0, 0.0),
    ("USBP", 1, 1, 0, 1.0, 2, 2, 1, 1.0),
    (None, 1, 1, 0, 1.0, 1, 1, 1, 0.0),
)


@pytest.mark.parametrize(
    "params, expected",
    [
        (
            {"group_by": "state"},
            rows(
                ("IL", 2, 0, 2, 0.0, 0, 1, 0, None),
                ("MN", 2, 1, 1, 0.5, 3, 3, 1, 0.6667),
                (None, 1, 1, 0, 1.0, 1, 1, 1, 0.0),
            ),
        ),
        ({"group_by": "agency"}, BY_AGENCY),
        ({}, BY_AGENCY),  # agency is the default grouping
        # Months of started_at in UTC: I5 began on 31 January in Minnesota, 1 February in UTC.
        (
            {"group_by": "month"},
            rows(
                ("2025-12", 2, 0, 2, 0.0, 1, 1, 0, 0.0),
                ("2026-01", 2, 1, 1, 0.5, 2, 3, 1, 1.0),
                ("2026-02", 1, 1, 0, 1.0, 1, 1, 1, 0.0),
            ),
        ),
        (
            {"group_by": "kind"},
            rows(
                ("arrest", 2, 1, 1, 0.5, 2, 2, 1, 0.0),
                ("shooting", 2, 1, 1, 0.5, 2, 3, 1, 1.0),
                ("use_of_force", 1, 0, 1, 0.0, 0, 0, 0, None),
            ),
        ),
        (
            {"group_by": "state", "counting": "in_custody"},
            rows(
                ("IL", 2, 0, 2, 0.0, 0, 1, 0, None),
                ("MN", 2, 1, 1, 0.5, 2, 3, 1, 1.0),
                (None, 1, 0, 1, 0.0, 0, 1, 0, None),
            ),
        ),
        (
            {"group_by": "kind", "state": "MN"},
            rows(
                ("arrest", 1, 0, 1, 0.0, 1, 1, 0, 0.0),
                ("shooting", 1, 1, 0, 1.0, 2, 2, 1, 1.0),
            ),
        ),
        # The agency filter picks incidents; their other agencies still get their rows.
        (
            {"group_by": "agency", "agency": "CBP"},
            rows(
                ("CBP", 2, 1, 1, 0.5, 2, 2, 1, 1.0),
                ("USBP", 1, 1, 0, 1.0, 2, 2, 1, 1.0),
            ),
        ),
        (
            {"group_by": "month", "from": "2026-01-01T00:00:00Z"},
            rows(
                ("2026-01", 2, 1, 1, 0.5, 2, 3, 1, 1.0),
                ("2026-02", 1, 1, 0, 1.0, 1, 1, 1, 0.0),
            ),
        ),
        (
            {"group_by": "state", "kind": "shooting", "to": "2026-01-06T00:00:00Z"},
            rows(
                ("IL", 1, 0, 1, 0.0, 0, 1, 0, None),
            ),
        ),
        ({"group_by": "state", "state": "TX"}, []),
    ],
)
def test_summary(api, world, params, expected):
    # (activation figures: tests/test_moments_activation.py; these sources have no spans)
    assert [{k: row[k] for k in FIELDS} for row in summary(api, **params)] == expected


def test_summary_rows_count_disposed_sources(api, world):
    by_state = {row["key"]: row for row in summary(api, group_by="state")}
    assert {k: row["disposed_sources"] for k, row in by_state.items()} == {
        "IL": 1,
        "MN": 0,
        None: 0,
    }
    # no disclosure rule applies to any of them
    assert {row["disclosure_on_time_rate"] for row in by_state.values()} == {None}
    assert {row["median_days_to_release"] for row in by_state.values()} == {None}


@pytest.mark.parametrize(
    "path, query, field",
    [
        ("/coverage/incidents", {"lacking": "footage"}, "lacking"),
        ("/coverage/incidents", {"counting": "some"}, "counting"),
        ("/coverage/incidents", {"from": "2026-01-01"}, "from"),
        ("/coverage/incidents", {"to": "2026-01-01T00:00:00"}, "to"),
        ("/coverage/incidents", {"kind": "riot"}, "kind"),
        ("/coverage/incidents", {"agency": "cbp; drop"}, "agency"),
        ("/coverage/incidents", {"page_size": "5000"}, "page_size"),
        ("/coverage/summary", {"group_by": "officer"}, "group_by"),
        ("/coverage/summary", {"from": "soon"}, "from"),
        ("/coverage/summary", {"counting": "in-custody"}, "counting"),
    ],
)
def test_invalid_parameters_are_422_naming_the_parameter(api, path, query, field):
    r = api.get(path, query_string=query)
    assert r.status_code == 422
    body = r.get_json()
    assert body["code"] == 422
    assert field in body["errors"]["query"]


def test_every_role_reads_the_lists_and_a_token_is_needed(api, world):
    for role in ("admin", "investigator", "oversight", "importer"):
        assert lacking(api, role=role).status_code == 200
        assert summary(api, role=role, group_by="state")
    assert api.get("/coverage/incidents", role=None).status_code == 401
    assert api.get("/coverage/summary", role=None).status_code == 401


def test_empty_catalogue(api):
    assert summary(api, group_by="month") == []
    r = lacking(api)
    assert r.get_json() == []
    assert json.loads(r.headers["X-Pagination"])["total"] == 0
