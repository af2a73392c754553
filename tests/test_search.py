"""Search across incidents and sources through HTTP, against hand-computed answers.

Distances: one degree of latitude along a meridian is R * pi / 180 = 111,195.08 m
(R = 6,371,008.8 m, the mean radius), so 0.01 degree north is 1,111.95 m.
"""

import json

import pytest

from service.cli import main
from service.storage import fulltext
from service.storage.db import database
from service.storage.migrations import SchemaVersion


def z(hhmmss, day="2026-01-24"):
    return f"{day}T{hhmmss}Z"


def listed(api, path, **params):
    r = api.get(path, query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def ids(items):
    return [item["id"] for item in items]


def test_fold_lowers_case_and_drops_accents():
    assert fulltext.fold("Éric NAÏVE Ñandú Straße") == "eric naive nandu strasse"
    assert fulltext.words("Café-Olé, 3 shots!") == ["cafe", "ole", "3", "shots"]


# ---------------------------------------------------------------- q


@pytest.fixture
def texts(make):
    i = {
        "cafe": make.incident(title="Shooting at Café Olé", description="Near the MARKET."),
        "pickup": make.incident(
            title="Traffic stop", description="A red pickup; the pickup fled; pickup found."
        ),
        "other": make.incident(title="Arrest", description="A red sedan and one pickup."),
    }
    return {k: v["id"] for k, v in i.items()}


@pytest.mark.parametrize(
    "q, expected",
    [
        ("cafe", ["cafe"]),
        ("CAFÉ olé", ["cafe"]),
        ("market", ["cafe"]),  # description
        ("shooting café", ["cafe"]),
        ("cafe sedan", []),  # every word must appear
        # both have "red pickup"; "pickup" three times ranks before once
        ("red pickup", ["pickup", "other"]),
        ("Pickup", ["pickup", "other"]),
    ],
)
def test_q_finds_incidents_by_words_accents_and_case_ignored(api, texts, q, expected):
    assert ids(listed(api, "/incidents", q=q)) == [texts[k] for k in expected]


def test_q_follows_changes_to_an_incident(api, texts):
    api.patch(f"/incidents/{texts['cafe']}", json={"title": "Shooting at Bar Zoé"})
    assert listed(api, "/incidents", q="cafe") == []
    assert ids(listed(api, "/incidents", q="zoe")) == [texts["cafe"]]
    assert ids(listed(api, "/incidents", q="market")) == [texts["cafe"]]


def test_q_finds_sources_by_notes_and_recorded_by(api, make):
    incident = make.incident()["id"]
    a = make.source(incident, "bystander", notes="Shows a RED pickup leaving", recorded_by="José")
    b = make.source(incident, "bystander", recorded_by="Jose Martínez")
    make.source(incident, "bystander", notes="blue van")
    assert ids(listed(api, "/sources", q="red pickup")) == [a["id"]]
    assert sorted(ids(listed(api, "/sources", q="jose"))) == sorted([a["id"], b["id"]])
    assert ids(listed(api, "/sources", q="martinez")) == [b["id"]]
    api.patch(f"/sources/{b['id']}", json={"notes": "a red pickup too"})
    assert sorted(ids(listed(api, "/sources", q="pickup"))) == sorted([a["id"], b["id"]])
    assert ids(listed(api, f"/incidents/{incident}/sources", q="van")) == [
        ids(listed(api, "/sources", q="blue"))[0]
    ]


def test_imported_sources_are_searchable(api, make):
    incident = make.incident(external_id="inc-1")["id"]
    body = json.dumps(
        [
            {"external_id": "s-1", "incident_external_id": "inc-1", "kind": "bystander",
             "notes": "Red pickup at the corner"},
            {"external_id": "s-2", "incident_external_id": "inc-1", "kind": "bystander",
             "notes": "Dog barking", "recorded_by": "Renée"},
        ]
    )  # fmt: skip
    r = api.post("/imports/sources", data=body, content_type="application/json", role="importer")
    assert r.status_code == 200 and r.get_json()["created"] == 2, r.get_json()
    (found,) = listed(api, "/sources", q="pickup")
    assert found["external_id"] == "s-1" and found["incident_id"] == incident
    assert [s["external_id"] for s in listed(api, "/sources", q="renee")] == ["s-2"]


@pytest.mark.parametrize("path", ["/incidents", "/sources"])
@pytest.mark.parametrize("q", ["", "!!!", "x" * 501])
def test_q_without_words_is_422(api, path, q):
    r = api.get(path, query_string={"q": q})
    assert r.status_code == 422 and "q" in r.get_json()["errors"]["query"]


# ---------------------------------------------------------------- officer, device, time


@pytest.fixture
def footage(make):
    make.agency("CBP")
    o1, o2, o3 = (make.officer("CBP")["id"] for _ in range(3))
    i1 = make.incident(title="one", started_at=z("15:00:00"))["id"]
    i2 = make.incident(title="two", started_at=z("18:00:00"))["id"]
    make.involve(i1, o1)
    make.involve(i2, o2)  # a source's officer is one involved in its incident
    make.involve(i2, o3)  # o3 took part in i2 but recorded nothing
    s = {
        # device clock 120 s slow: true span 15:02-15:10
        "a": make.source(
            i1,
            officer_id=o1,
            device_id="AXON-1",
            clock_offset_seconds=120,
            recording_started_at=z("15:00:00"),
            recording_ended_at=z("15:08:00"),
        )["id"],
        "b": make.source(
            i2,
            officer_id=o2,
            device_id="AXON-2",
            recording_started_at=z("18:00:00"),
            recording_ended_at=z("18:30:00"),
        )["id"],
        "c": make.source(i2, "bystander", device_id="AXON-1")["id"],  # no span
    }
    return {"o": (o1, o2, o3), "i": (i1, i2), "s": s}


def test_officer_and_device_filters(api, footage):
    (o1, o2, o3), (i1, i2), s = footage["o"], footage["i"], footage["s"]
    assert ids(listed(api, "/incidents", officer_id=o1)) == [i1]
    assert ids(listed(api, "/incidents", officer_id=o2)) == [i2]  # wore a camera there
    assert ids(listed(api, "/incidents", officer_id=o3)) == [i2]  # took part
    assert ids(listed(api, "/incidents", device_id="AXON-1")) == [i2, i1]
    assert ids(listed(api, "/sources", device_id="AXON-1")) == [s["a"], s["c"]]
    assert ids(listed(api, "/sources", officer_id=o2)) == [s["b"]]
    assert listed(api, "/sources", officer_id=o3) == []


@pytest.mark.parametrize(
    "window, sources, incidents",
    [
        # a's corrected span is 15:02-15:10 (its device said 15:00-15:08)
        ({"recorded_from": z("15:09:00"), "recorded_to": z("15:20:00")}, ["a"], [0]),
        ({"recorded_from": z("15:10:00")}, ["a", "b"], [1, 0]),  # touching counts
        ({"recorded_from": z("15:10:01"), "recorded_to": z("17:59:59")}, [], []),
        ({"recorded_to": z("15:01:00")}, [], []),  # before the correction: 15:00-15:08
        ({"recorded_to": z("15:02:00")}, ["a"], [0]),
        ({"recorded_from": z("18:10:00"), "recorded_to": z("18:10:00")}, ["b"], [1]),
    ],
)
def test_recorded_window_overlaps_corrected_spans(api, footage, window, sources, incidents):
    s, i = footage["s"], footage["i"]
    assert ids(listed(api, "/sources", **window)) == [s[k] for k in sources]
    assert ids(listed(api, "/incidents", **window)) == [i[n] for n in incidents]


def test_a_window_ending_before_it_starts_is_422(api):
    r = api.get(
        "/sources", query_string={"recorded_from": z("16:00:00"), "recorded_to": z("15:00:00")}
    )
    assert r.status_code == 422 and "recorded_to" in r.get_json()["errors"]["query"]


# ---------------------------------------------------------------- near


@pytest.fixture
def places(make):
    def at(title, lat, lon):
        return make.incident(title=title, location={"latitude": lat, "longitude": lon})["id"]

    return {
        "centre": at("centre", 45.0, -93.0),
        "north": at("north", 45.01, -93.0),  # 1,111.95 m north
        "south": at("south", 44.995, -93.0),  # 555.98 m south
        # in the bounding box of a 1,000 m circle, outside the circle: 889.6 m north and
        # 0.0113 degree east (888.5 m at this latitude): 1,257 m away
        "corner": at("corner", 45.008, -92.9887),
        "chicago": at("Chicago", 41.8781, -87.6298),
        "nowhere": make.incident(title="no location")["id"],
    }


def test_near_finds_incidents_within_the_distance_nearest_first(api, places):
    found = listed(api, "/incidents", near="45.0,-93.0,1000")
    assert ids(found) == [places["centre"], places["south"]]
    assert [round(i["distance_m"], 1) for i in found] == [0.0, 556.0]  # 0.005 degree: 555.975 m
    wider = listed(api, "/incidents", near="45.0,-93.0,1200")
    assert ids(wider) == [places["centre"], places["south"], places["north"]]
    assert round(wider[2]["distance_m"], 2) == 1111.95
    assert "distance_m" not in listed(api, "/incidents")[0]


def test_near_at_the_edge_and_across_states(api, places):
    assert ids(listed(api, "/incidents", near="45.0,-93.0,1111.9")) == [
        places["centre"],
        places["south"],
    ]
    assert places["north"] in ids(listed(api, "/incidents", near="45.0,-93.0,1112"))
    assert places["corner"] in ids(listed(api, "/incidents", near="45.0,-93.0,1300"))
    # Minneapolis area to Chicago: about 570 km
    (first, *_) = listed(api, "/incidents", near="41.8781,-87.6298,10")
    assert first["id"] == places["chicago"] and first["distance_m"] == 0
    far = ids(listed(api, "/incidents", near="41.8781,-87.6298,600000"))
    assert far[0] == places["chicago"] and places["centre"] in far
    assert places["centre"] not in ids(listed(api, "/incidents", near="41.8781,-87.6298,500000"))


def test_near_on_sources_is_their_incidents_location(api, make, places):
    s = make.source(places["south"], "bystander")["id"]
    make.source(places["chicago"], "bystander")
    (found,) = listed(api, "/sources", near="45.0,-93.0,1000")
    assert found["id"] == s and round(found["distance_m"], 2) == 555.98


@pytest.mark.parametrize(
    "near",
    ["45,-93", "45,-93,abc", "91,0,10", "0,181,10", "0,0,0", "0,0,-5", "nan,0,1", "1,2,3,4", ""],
)
@pytest.mark.parametrize("path", ["/incidents", "/sources"])
def test_malformed_near_is_422(api, path, near):
    r = api.get(path, query_string={"near": near})
    assert r.status_code == 422 and "near" in r.get_json()["errors"]["query"]


# ---------------------------------------------------------------- together, paged


def test_filters_combine_and_paginate(api, make, places):
    for n in range(3):
        make.incident(
            title=f"red pickup {n}",
            description="pickup " * n,
            location={"latitude": 45.0 + n * 0.001, "longitude": -93.0},
        )
    make.incident(title="red pickup far", location={"latitude": 41.0, "longitude": -87.0})
    r = api.get(
        "/incidents", query_string={"q": "red pickup", "near": "45,-93,1000", "page_size": 2}
    )
    assert r.status_code == 200
    assert json.loads(r.headers["X-Pagination"])["total"] == 3
    # best match first: the most "pickup" words
    assert [i["title"] for i in r.get_json()] == ["red pickup 2", "red pickup 1"]
    page2 = api.get(
        "/incidents",
        query_string={"q": "red pickup", "near": "45,-93,1000", "page_size": 2, "page": 2},
    )
    assert [i["title"] for i in page2.get_json()] == ["red pickup 0"]
    assert round(page2.get_json()[0]["distance_m"], 2) == 0


# ---------------------------------------------------------------- an officer's incidents


def test_an_officers_incidents_with_their_coverage(api, make):
    make.agency("CBP")
    officer = make.officer("CBP")["id"]
    late = make.incident(title="late", started_at=z("15:00:00"), ended_at=z("15:30:00"))["id"]
    none = make.incident(title="none", started_at=z("16:00:00"))["id"]
    make.incident(title="not theirs")
    make.involve(late, officer, role="primary")
    make.involve(none, officer, not_recorded_reason="no camera issued")
    cam = make.source(
        late,
        officer_id=officer,
        recording_started_at=z("15:00:45"),
        recording_ended_at=z("15:30:00"),
    )["id"]
    r = api.get(f"/officers/{officer}/incidents")
    assert r.status_code == 200
    assert r.get_json() == [
        {
            "incident_id": none,
            "title": "none",
            "kind": "shooting",
            "started_at": z("16:00:00"),
            "ended_at": None,
            "role": "assisting",
            "camera_expected": True,
            "not_recorded_reason": "no camera issued",
            "bodycam_source_ids": [],
            "covered": False,
            "activation_delay_seconds": None,
            "recording_at_start": False,
            "deactivated_before_end": None,
        },
        {
            "incident_id": late,
            "title": "late",
            "kind": "shooting",
            "started_at": z("15:00:00"),
            "ended_at": z("15:30:00"),
            "role": "primary",
            "camera_expected": True,
            "not_recorded_reason": None,
            "bodycam_source_ids": [cam],
            "covered": True,
            "activation_delay_seconds": 45.0,
            "recording_at_start": False,
            "deactivated_before_end": False,
        },
    ]
    assert api.get("/officers/999/incidents").status_code == 404


# ---------------------------------------------------------------- an older database


def test_the_migration_indexes_what_an_older_database_holds(api, make, runner):
    incident = make.incident(title="Señal roja", description="pickup")["id"]
    source = make.source(incident, "bystander", notes="Red PICKUP")["id"]
    # The shape before version 19: no search tables.
    database.execute_sql('DROP TABLE "incident_search"')
    database.execute_sql('DROP TABLE "source_search"')
    SchemaVersion.delete().where(SchemaVersion.version == 19).execute()
    result = runner.invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert ids(listed(api, "/incidents", q="senal ROJA")) == [incident]
    assert ids(listed(api, "/sources", q="red pickup")) == [source]


@pytest.mark.parametrize("path", ["/incidents", "/sources"])
@pytest.mark.parametrize("ranked", [{"q": "pickup"}, {"near": "44.97,-93.26,500"}])
def test_a_cursor_is_refused_with_a_ranked_order(api, path, ranked):
    """q and near answer best match or nearest first: after= (a cursor in the usual order)
    would skip or repeat answers there, so it is refused, naming both."""
    r = api.get(path, query_string={**ranked, "after": 5})
    assert r.status_code == 422
    assert "after" in r.get_json()["errors"]["query"]
    assert next(iter(ranked)) in r.get_json()["message"]
    assert api.get(path, query_string={**ranked, "page": 2}).status_code == 200
