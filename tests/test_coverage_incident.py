"""One incident's coverage and the instant query, through HTTP, against hand-computed answers.

The scenario (all times 2026-01-24, UTC), incident window 15:00-15:30 (1800 s):

    s1 bodycam  officer 1   15:00-15:10
    s2 bodycam  officer 4   device 15:12-15:20, clock 120 s fast  -> true 15:10-15:18
    s3 bystander            15:20-15:25
    s4 bystander            15:22-15:27   (overlaps s3)
    s5 surveillance         no recording span
    s6 dashcam              15:18-15:20   disposed: never counts

    union of spans:  15:00-15:18 and 15:20-15:27  -> 18 + 7 = 25 min = 1500 s, ratio 0.8333
    gaps:            15:18-15:20 and 15:27-15:30
Without s2's clock correction its span would leave a gap at 15:10-15:12.
"""

import pytest

from service.storage.models import AuditEntry

KINDS = ("bodycam", "dashcam", "officer_phone", "bystander", "surveillance", "media", "other")


def z(hhmmss, day="2026-01-24"):
    return f"{day}T{hhmmss}Z"


def counts(**nonzero):
    return {kind: nonzero.get(kind, 0) for kind in KINDS}


@pytest.fixture
def scene(make):
    make.agency("CBP")
    make.agency("USBP")
    incident = make.incident(
        agencies=["CBP", "USBP"], started_at=z("15:00:00"), ended_at=z("15:30:00")
    )
    iid = incident["id"]
    o1 = make.officer("CBP", name="Officer One")
    o2 = make.officer("USBP", name="Officer Two")
    o3 = make.officer("CBP", name="Officer Three", camera_issued=False)
    o4 = make.officer("USBP", name="Officer Four")
    make.involve(iid, o1["id"], role="discharged_weapon")
    make.involve(iid, o2["id"], not_recorded_reason="battery depleted")
    make.involve(iid, o3["id"], role="witness")
    make.involve(iid, o4["id"])
    s = {}
    s[1] = make.source(
        iid,
        "bodycam",
        officer_id=o1["id"],
        recording_started_at=z("15:00:00"),
        recording_ended_at=z("15:10:00"),
    )
    s[2] = make.source(
        iid,
        "bodycam",
        officer_id=o4["id"],
        clock_offset_seconds=-120,
        recording_started_at=z("15:12:00"),
        recording_ended_at=z("15:20:00"),
    )
    s[3] = make.source(
        iid, "bystander", recording_started_at=z("15:20:00"), recording_ended_at=z("15:25:00")
    )
    s[4] = make.source(
        iid, "bystander", recording_started_at=z("15:22:00"), recording_ended_at=z("15:27:00")
    )
    s[5] = make.source(iid, "surveillance")
    s[6] = make.source(
        iid,
        "dashcam",
        officer_id=o1["id"],
        recording_started_at=z("15:18:00"),
        recording_ended_at=z("15:20:00"),
    )
    make.custody(s[6]["id"], "disposed")
    ids = {n: source["id"] for n, source in s.items()}
    officers = {n: o["id"] for n, o in ((1, o1), (2, o2), (3, o3), (4, o4))}
    return {"id": iid, "s": ids, "o": officers}


def coverage_of(api, incident_id, role="investigator", **params):
    r = api.get(f"/incidents/{incident_id}/coverage", role=role, query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_window_timeline_gaps_and_ratio(api, scene):
    s = scene["s"]
    body = coverage_of(api, scene["id"])
    assert body["window"] == {"start": z("15:00:00"), "end": z("15:30:00")}
    assert body["timeline"] == {
        # s1 ends when the clock-corrected s2 starts: one bodycam interval.
        "bodycam": [{"start": z("15:00:00"), "end": z("15:18:00"), "source_ids": [s[1], s[2]]}],
        "bystander": [{"start": z("15:20:00"), "end": z("15:27:00"), "source_ids": [s[3], s[4]]}],
    }
    assert body["gaps"] == [
        {"start": z("15:18:00"), "end": z("15:20:00")},
        {"start": z("15:27:00"), "end": z("15:30:00")},
    ]
    assert body["covered_seconds"] == 1500
    assert body["window_seconds"] == 1800
    assert body["coverage_ratio"] == 0.8333
    assert body["source_counts"] == counts(bodycam=2, bystander=2, surveillance=1)
    assert body["sources_without_span"] == [s[5]]
    assert body["counting"] == "any"


def test_clock_offset_moves_a_camera_out_of_a_gap(api, make, scene):
    # The same recording without its clock correction would start at 15:12.
    incident = make.incident(started_at=z("15:00:00"), ended_at=z("15:20:00"))
    make.source(
        incident["id"],
        "bodycam",
        recording_started_at=z("15:00:00"),
        recording_ended_at=z("15:10:00"),
    )
    make.source(
        incident["id"],
        "bodycam",
        recording_started_at=z("15:12:00"),
        recording_ended_at=z("15:20:00"),
    )
    uncorrected = coverage_of(api, incident["id"])
    assert uncorrected["gaps"] == [{"start": z("15:10:00"), "end": z("15:12:00")}]
    corrected = coverage_of(api, scene["id"])
    assert {"start": z("15:10:00"), "end": z("15:12:00")} not in corrected["gaps"]
    assert corrected["gaps"][0]["start"] == z("15:18:00")


def test_officers_with_and_without_their_own_bodycam(api, scene):
    s, o = scene["s"], scene["o"]
    officers = {row["officer_id"]: row for row in coverage_of(api, scene["id"])["officers"]}
    assert officers[o[1]] == {
        "officer_id": o[1],
        "name": "Officer One",
        "badge_number": officers[o[1]]["badge_number"],
        "agency": "CBP",
        "role": "discharged_weapon",
        "camera_expected": True,
        "bodycam_source_ids": [s[1]],
        "covered": True,
        "disposed_bodycam_source_ids": [],
        "not_recorded_reason": None,
        # s1 15:00-15:10: on at started_at, off 20 minutes before the window's end
        "activation_delay_seconds": 0.0,
        "recording_at_start": True,
        "deactivated_before_end": True,
    }
    assert officers[o[2]]["camera_expected"] is True
    assert officers[o[2]]["covered"] is False
    assert officers[o[2]]["bodycam_source_ids"] == []
    assert officers[o[2]]["not_recorded_reason"] == "battery depleted"
    assert officers[o[3]]["camera_expected"] is False
    assert officers[o[3]]["covered"] is False
    assert officers[o[4]]["bodycam_source_ids"] == [s[2]]
    assert officers[o[4]]["covered"] is True
    assert [row["officer_id"] for row in coverage_of(api, scene["id"])["officers"]] == [
        o[1],
        o[2],
        o[3],
        o[4],
    ]


def test_a_disposed_bodycam_does_not_cover_its_officer(api, make, scene):
    make.custody(scene["s"][1], "received", "disposed")
    body = coverage_of(api, scene["id"])
    officer = next(row for row in body["officers"] if row["officer_id"] == scene["o"][1])
    assert officer["covered"] is False
    # destroyed footage stays visible: the officer's bodycam existed and was disposed of
    assert officer["disposed_bodycam_source_ids"] == [scene["s"][1]]
    assert body["disposed_bodycam_source_ids"] == [scene["s"][1]]
    assert body["disposed_counts"]["bodycam"] == 1 and body["disposed_counts"]["dashcam"] == 1
    assert body["source_counts"]["bodycam"] == 1  # s2 only
    assert body["timeline"]["bodycam"] == [
        {"start": z("15:10:00"), "end": z("15:18:00"), "source_ids": [scene["s"][2]]}
    ]
    assert body["gaps"][0] == {"start": z("15:00:00"), "end": z("15:10:00")}


def test_counting_in_custody_counts_only_sources_held(api, make, scene):
    s = scene["s"]
    make.custody(s[1], "received")
    make.custody(s[2], "requested")
    make.custody(s[3], "received", "checked_out")
    make.custody(s[4], "received", "released")
    body = coverage_of(api, scene["id"], counting="in_custody")
    assert body["counting"] == "in_custody"
    assert body["timeline"] == {
        "bodycam": [{"start": z("15:00:00"), "end": z("15:10:00"), "source_ids": [s[1]]}],
        "bystander": [{"start": z("15:20:00"), "end": z("15:25:00"), "source_ids": [s[3]]}],
    }
    assert body["covered_seconds"] == 900
    assert body["coverage_ratio"] == 0.5
    assert body["source_counts"] == counts(bodycam=1, bystander=1)
    assert body["sources_without_span"] == []  # s5 is only identified
    covered = {row["officer_id"]: row["covered"] for row in body["officers"]}
    assert covered == {
        scene["o"][1]: True,
        scene["o"][2]: False,
        scene["o"][3]: False,
        scene["o"][4]: False,
    }


def test_an_incident_with_no_sources(api, make):
    make.agency("ICE")
    officer = make.officer("ICE")
    incident = make.incident(agencies=["ICE"], started_at=z("10:00:00"))
    make.involve(incident["id"], officer["id"])
    body = coverage_of(api, incident["id"])
    assert body["window"] == {"start": z("10:00:00"), "end": z("10:00:00")}
    assert body["timeline"] == {}
    assert body["gaps"] == []
    assert body["covered_seconds"] == 0
    assert body["window_seconds"] == 0
    assert body["coverage_ratio"] is None
    assert body["source_counts"] == counts()
    assert body["sources_without_span"] == []
    assert [(o["officer_id"], o["covered"]) for o in body["officers"]] == [(officer["id"], False)]


def test_an_open_incident_takes_its_window_from_the_footage(api, make):
    # No ended_at: from the earlier of started_at (16:00) and the first footage (15:55)
    # to the last footage (16:20).
    incident = make.incident(started_at=z("16:00:00"))
    bystander = make.source(
        incident["id"],
        "bystander",
        recording_started_at=z("15:55:00"),
        recording_ended_at=z("16:05:00"),
    )
    bodycam = make.source(
        incident["id"],
        "bodycam",
        recording_started_at=z("16:10:00"),
        recording_ended_at=z("16:20:00"),
    )
    make.source(incident["id"], "media")  # no span: not part of the window
    body = coverage_of(api, incident["id"])
    assert body["window"] == {"start": z("15:55:00"), "end": z("16:20:00")}
    assert body["gaps"] == [{"start": z("16:05:00"), "end": z("16:10:00")}]
    assert body["covered_seconds"] == 1200
    assert body["window_seconds"] == 1500
    assert body["coverage_ratio"] == 0.8
    assert body["timeline"]["bystander"][0]["source_ids"] == [bystander["id"]]
    assert body["timeline"]["bodycam"][0]["source_ids"] == [bodycam["id"]]


def test_footage_outside_an_ended_incident_is_on_the_timeline_but_not_in_the_ratio(api, make):
    incident = make.incident(started_at=z("12:00:00"), ended_at=z("12:10:00"))
    make.source(
        incident["id"],
        "bystander",
        recording_started_at=z("11:50:00"),
        recording_ended_at=z("12:05:00"),
    )
    body = coverage_of(api, incident["id"])
    assert body["timeline"]["bystander"][0]["start"] == z("11:50:00")
    assert body["gaps"] == [{"start": z("12:05:00"), "end": z("12:10:00")}]
    assert body["covered_seconds"] == 300
    assert body["coverage_ratio"] == 0.5


def instant(api, incident_id, t, role="investigator", **params):
    r = api.get(f"/incidents/{incident_id}/coverage/at", role=role, query_string={"t": t, **params})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    return [source["id"] for source in body["sources"]], body


@pytest.mark.parametrize(
    "t, expected",
    [
        ("14:59:59", []),
        ("15:00:00", [1]),  # s1's first instant
        ("15:10:00", [1, 2]),  # s1's last instant is s2's (corrected) first
        ("15:10:01", [2]),
        ("15:18:00", [2]),  # s2's corrected end; disposed s6 starts here but never counts
        ("15:18:01", []),
        ("15:19:00", []),  # s2's device clock says recording; true time says not
        ("15:22:00", [3, 4]),  # overlapping bystander clips
        ("15:25:00", [3, 4]),
        ("15:27:00", [4]),
        ("15:27:01", []),
    ],
)
def test_sources_recording_at_an_instant(api, scene, t, expected):
    ids, body = instant(api, scene["id"], z(t))
    assert ids == [scene["s"][n] for n in expected]
    assert body["t"] == z(t)
    assert body["sources_without_span"] == [scene["s"][5]]


def test_instant_in_another_offset_is_the_same_instant(api, scene):
    ids, body = instant(api, scene["id"], "2026-01-24T09:10:00-06:00")
    assert ids == [scene["s"][1], scene["s"][2]]
    assert body["t"] == z("15:10:00")
    assert body["sources"][1]["corrected_started_at"] == z("15:10:00")


def test_instant_counting_in_custody(api, make, scene):
    make.custody(scene["s"][3], "received")
    ids, body = instant(api, scene["id"], z("15:22:00"), counting="in_custody")
    assert ids == [scene["s"][3]]
    assert body["sources_without_span"] == []


@pytest.mark.parametrize(
    "query, field",
    [
        ({}, "t"),
        ({"t": "2026-01-24T15:10:00"}, "t"),  # no offset: ambiguous
        ({"t": "yesterday"}, "t"),
        ({"t": "2026-01-24T15:10:00Z", "counting": "all"}, "counting"),
    ],
)
def test_instant_rejects_bad_parameters(api, scene, query, field):
    r = api.get(f"/incidents/{scene['id']}/coverage/at", query_string=query)
    assert r.status_code == 422
    assert field in r.get_json()["errors"]["query"]


def test_coverage_rejects_unknown_counting(api, scene):
    r = api.get(f"/incidents/{scene['id']}/coverage", query_string={"counting": "held"})
    assert r.status_code == 422
    assert "counting" in r.get_json()["errors"]["query"]


def test_unknown_incident_is_404(api):
    assert api.get("/incidents/999/coverage").status_code == 404
    r = api.get("/incidents/999/coverage/at", query_string={"t": z("15:00:00")})
    assert r.status_code == 404
    assert r.get_json()["code"] == 404


def test_every_role_reads_coverage_and_a_token_is_needed(api, scene):
    for role in ("admin", "investigator", "oversight", "importer"):
        assert api.get(f"/incidents/{scene['id']}/coverage", role=role).status_code == 200
    assert api.get(f"/incidents/{scene['id']}/coverage", role=None).status_code == 401


def test_the_instant_query_is_an_audited_read_of_sources(api, scene):
    # It answers with whole source records; the per-incident coverage only names ids.
    before = AuditEntry.select().count()
    api.get(f"/incidents/{scene['id']}/coverage", role="oversight")
    assert AuditEntry.select().count() == before
    instant(api, scene["id"], z("15:10:00"), role="oversight")
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (entry.path, entry.actor, entry.status) == (
        f"/api/v1/incidents/{scene['id']}/coverage/at?t=2026-01-24T15:10:00Z",
        "oversight",
        200,
    )
    assert (entry.resource, entry.resource_id) == ("coverage", str(scene["id"]))
