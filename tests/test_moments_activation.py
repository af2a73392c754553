"""Moments and activation through HTTP, against hand-computed answers.

The scene (2026-01-24, UTC), incident 15:00-15:30, agencies CBP and USBP:

    officer a (CBP)   bodycam 14:58-15:31               early: -120 s, on at start, on to the end
    officer b (CBP)   bodycam device 15:03-15:20, clock -60 s  -> true 15:02-15:19: +120 s late,
                                                              off 11 min before the end
    officer c (USBP)  no bodycam (a dashcam of theirs 15:00-15:30 does not count)
    officer d (USBP)  bodycam 15:05-15:25, disposed           -> counts as no bodycam
    officer e (CBP)   camera not expected (bodycam 15:10-15:12): never in moments' lists

Moments: "first contact" 15:01:30 (a on; b's device clock says 15:02:30 but true time 15:01:30
is before b's true start 15:02), "shots fired" 15:02:00 (a and b: b's corrected start is
exactly 15:02, spans are closed), "after" 15:40 (outside the window: nobody).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.storage.models import AuditEntry, Moment


def z(hhmmss, day="2026-01-24"):
    return f"{day}T{hhmmss}Z"


@pytest.fixture
def scene(make):
    make.agency("CBP")
    make.agency("USBP")
    incident = make.incident(
        agencies=["CBP", "USBP"], started_at=z("15:00:00"), ended_at=z("15:30:00")
    )
    iid = incident["id"]
    o = {
        k: make.officer(agency)["id"]
        for k, agency in zip("abcd", ["CBP", "CBP", "USBP", "USBP"], strict=True)
    }
    o["e"] = make.officer("CBP", camera_issued=False)["id"]
    for k in "abcde":
        make.involve(iid, o[k])

    def cam(officer, start, end, kind="bodycam", **extra):
        return make.source(
            iid,
            kind,
            officer_id=o[officer],
            recording_started_at=z(start),
            recording_ended_at=z(end),
            **extra,
        )["id"]

    s = {
        "a": cam("a", "14:58:00", "15:31:00"),
        "b": cam("b", "15:03:00", "15:20:00", clock_offset_seconds=-60),
        "c": cam("c", "15:00:00", "15:30:00", kind="dashcam"),
        "d": cam("d", "15:05:00", "15:25:00"),
        "e": cam("e", "15:10:00", "15:12:00"),
    }
    make.custody(s["d"], "disposed")
    return {"id": iid, "o": o, "s": s}


def moment(api, incident_id, label, at, **extra):
    return api.create(f"/incidents/{incident_id}/moments", {"label": label, "at": at, **extra})


def coverage(api, incident_id, **params):
    r = api.get(f"/incidents/{incident_id}/coverage", query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# ---------------------------------------------------------------- moments, the resource


def test_moments_are_created_listed_in_time_order_corrected_and_deleted(api, make):
    incident = make.incident()
    shots = moment(api, incident["id"], "shots fired", "2026-01-24T09:02:00-06:00", notes="3 shots")
    first = moment(api, incident["id"], "first contact", z("15:01:00"))
    assert shots["at"] == z("15:02:00") and shots["incident_id"] == incident["id"]
    listed = api.get(f"/incidents/{incident['id']}/moments")
    assert [m["label"] for m in listed.get_json()] == ["first contact", "shots fired"]
    changed = api.patch(f"/moments/{first['id']}", json={"label": "first contact (verbal)"})
    assert changed.status_code == 200 and changed.get_json()["label"] == "first contact (verbal)"
    assert changed.get_json()["at"] == z("15:01:00")
    assert api.delete(f"/moments/{shots['id']}").status_code == 204
    assert api.get(f"/moments/{shots['id']}").status_code == 404
    assert [m["id"] for m in api.get(f"/incidents/{incident['id']}/moments").get_json()] == [
        first["id"]
    ]


def test_moment_writes_are_audited(api, make):
    incident = make.incident()
    m = moment(api, incident["id"], "shots fired", z("15:02:00"))
    api.patch(f"/moments/{m['id']}", json={"notes": "per radio log"})
    api.delete(f"/moments/{m['id']}")
    entries = [
        (e.method, e.status, e.resource_id)
        for e in AuditEntry.select().where(AuditEntry.resource == "moments").order_by(AuditEntry.id)
    ]
    assert entries == [
        ("POST", 201, str(m["id"])),
        ("PATCH", 200, str(m["id"])),
        ("DELETE", 204, str(m["id"])),
    ]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"at": z("15:00:00")}, "label"),
        ({"label": "", "at": z("15:00:00")}, "label"),
        ({"label": "x"}, "at"),
        ({"label": "x", "at": "2026-01-24T15:00:00"}, "at"),  # no offset: ambiguous
        ({"label": "x", "at": "yesterday"}, "at"),
    ],
)
def test_bad_moments_are_refused_naming_the_field(api, make, body, field):
    incident = make.incident()
    r = api.post(f"/incidents/{incident['id']}/moments", json=body)
    assert r.status_code == 422 and field in r.get_json()["errors"]["json"]
    assert Moment.select().count() == 0


def test_moments_of_an_unknown_incident_or_moment_are_404(api):
    assert (
        api.post("/incidents/99/moments", json={"label": "x", "at": z("15:00:00")}).status_code
        == 404
    )
    assert api.patch("/moments/99", json={"label": "y"}).status_code == 404
    assert api.delete("/moments/99").status_code == 404


def test_other_roles_read_moments_but_do_not_write_them(api, make):
    incident = make.incident()
    m = moment(api, incident["id"], "x", z("15:00:00"))
    assert api.get(f"/moments/{m['id']}", role="oversight").status_code == 200
    assert api.delete(f"/moments/{m['id']}", role="oversight").status_code == 403
    assert api.get(f"/moments/{m['id']}").status_code == 200


# ---------------------------------------------------------------- moments in coverage


def test_moments_in_coverage_with_clock_offsets_and_closed_spans(api, scene):
    iid, o, s = scene["id"], scene["o"], scene["s"]
    first = moment(api, iid, "first contact", z("15:01:30"))
    shots = moment(api, iid, "shots fired", z("15:02:00"))
    after = moment(api, iid, "after", z("15:40:00"))
    body = coverage(api, iid)
    assert body["moments"] == [
        {
            "id": first["id"],
            "label": "first contact",
            "at": z("15:01:30"),
            "recording_source_ids": [s["a"], s["c"]],
            "officers_recording": [o["a"]],
            "officers_not_recording": sorted([o["b"], o["c"], o["d"]]),
        },
        {
            "id": shots["id"],
            "label": "shots fired",
            "at": z("15:02:00"),
            "recording_source_ids": [s["a"], s["b"], s["c"]],
            "officers_recording": sorted([o["a"], o["b"]]),
            "officers_not_recording": sorted([o["c"], o["d"]]),
        },
        {
            "id": after["id"],
            "label": "after",
            "at": z("15:40:00"),
            "recording_source_ids": [],
            "officers_recording": [],
            "officers_not_recording": sorted([o["a"], o["b"], o["c"], o["d"]]),
        },
    ]


def test_a_clock_offset_moves_an_officer_into_a_moment(api, make, scene):
    iid, o, s = scene["id"], scene["o"], scene["s"]
    m = moment(api, iid, "first contact", z("15:01:30"))
    # b's clock was in fact 90 s fast: true span 15:01:30-15:18:30, in at the moment.
    api.patch(f"/sources/{s['b']}", json={"clock_offset_seconds": -90})
    (answer,) = coverage(api, iid)["moments"]
    assert answer["id"] == m["id"]
    assert answer["officers_recording"] == sorted([o["a"], o["b"]])
    officers = {row["officer_id"]: row for row in coverage(api, iid)["officers"]}
    assert officers[o["b"]]["activation_delay_seconds"] == 90


def test_moments_respect_counting(api, make, scene):
    iid, o, s = scene["id"], scene["o"], scene["s"]
    make.custody(s["a"], "received")
    moment(api, iid, "shots fired", z("15:02:00"))
    (answer,) = coverage(api, iid, counting="in_custody")["moments"]
    assert answer["recording_source_ids"] == [s["a"]]
    assert answer["officers_recording"] == [o["a"]]


# ---------------------------------------------------------------- activation per officer


def test_activation_per_officer(api, scene):
    o = scene["o"]
    officers = {row["officer_id"]: row for row in coverage(api, scene["id"])["officers"]}

    def fields(k):
        row = officers[o[k]]
        return (
            row["activation_delay_seconds"],
            row["recording_at_start"],
            row["deactivated_before_end"],
        )

    assert fields("a") == (-120, True, False)  # already recording, past the end
    assert fields("b") == (120, False, True)  # 2 min late, off at 15:19
    assert fields("c") == (None, False, None)  # a dashcam is not a bodycam
    assert fields("d") == (None, False, None)  # disposed: never counts
    assert fields("e") == (600, False, True)


def test_activation_respects_counting(api, make, scene):
    o = scene["o"]
    make.custody(scene["s"]["b"], "received")
    officers = {
        row["officer_id"]: row
        for row in coverage(api, scene["id"], counting="in_custody")["officers"]
    }
    assert officers[o["a"]]["activation_delay_seconds"] is None
    assert officers[o["b"]]["activation_delay_seconds"] == 120


# ---------------------------------------------------------------- the summary


def test_summary_activation_rate_and_median(api, make, scene):
    # A second incident, USBP only: officer f on 30 s late, officer g 10 s early.
    second = make.incident(agencies=["USBP"], started_at=z("16:00:00"), ended_at=z("16:10:00"))
    for delay_start in ("16:00:30", "15:59:50"):
        officer = make.officer("USBP")["id"]
        make.involve(second["id"], officer)
        make.source(
            second["id"],
            "bodycam",
            officer_id=officer,
            recording_started_at=z(delay_start),
            recording_ended_at=z("16:05:00"),
        )
    rows = {r["key"]: r for r in api.get("/coverage/summary").get_json()}
    # CBP: incident 1's expected officers a, b, c, d (e not expected): a on at start -> 1/4;
    # delays of those with a bodycam: a -120, b +120 -> median 0.
    assert rows["CBP"]["officers_expected"] == 4
    assert rows["CBP"]["activation_rate"] == 0.25
    assert rows["CBP"]["median_activation_delay_seconds"] == 0
    # USBP: incident 1 (a, b, c, d) and 2 (f, g): a and g on at start -> 2/6;
    # delays -120, 120, 30, -10 -> median (-10 + 30) / 2 = 10.
    assert rows["USBP"]["officers_expected"] == 6
    assert rows["USBP"]["activation_rate"] == 0.3333
    assert rows["USBP"]["median_activation_delay_seconds"] == 10
    by_month = api.get("/coverage/summary", query_string={"group_by": "month"}).get_json()
    assert [(r["key"], r["activation_rate"]) for r in by_month] == [("2026-01", 0.3333)]


def test_summary_without_expected_officers_has_no_rate(api, make):
    make.agency("MPD")
    make.incident(agencies=["MPD"])
    (row,) = api.get("/coverage/summary").get_json()
    assert row["activation_rate"] is None and row["median_activation_delay_seconds"] is None


# ---------------------------------------------------------------- late activations


def test_late_activations_list_candidates_for_the_flag(api, scene):
    o, s = scene["o"], scene["s"]
    r = api.get("/coverage/activation", query_string={"late_by": 60})
    assert r.status_code == 200
    assert [(row["officer_id"], row["activation_delay_seconds"]) for row in r.get_json()] == [
        (o["b"], 120)
    ]
    (row,) = r.get_json()
    assert row["first_recording_at"] == z("15:02:00")
    assert row["bodycam_source_ids"] == [s["b"]]
    assert row["suggested_flag"] == "late_activation"
    assert row["incident_id"] == scene["id"] and row["agency"] == "CBP"
    # exactly 120 s late is not later than 120
    assert api.get("/coverage/activation", query_string={"late_by": 120}).get_json() == []
    everyone = api.get("/coverage/activation").get_json()
    assert [row["officer_id"] for row in everyone] == [o["b"]]  # e is not expected; a early
    assert api.get("/coverage/activation", query_string={"agency": "USBP"}).get_json() == [row]
    assert api.get("/coverage/activation", query_string={"kind": "arrest"}).get_json() == []


@pytest.mark.parametrize("late_by", ["-1", "soon", "1e12"])
def test_late_by_is_checked(api, late_by):
    r = api.get("/coverage/activation", query_string={"late_by": late_by})
    assert r.status_code == 422 and "late_by" in r.get_json()["errors"]["query"]


# ---------------------------------------------------------------- activation_of, the function


def test_activation_of_unit():
    from datetime import datetime

    from service.domain.activation import activation_of

    t = datetime(2026, 1, 24, 15, 0)
    end = datetime(2026, 1, 24, 15, 30)
    assert activation_of([], t, end) == {
        "activation_delay_seconds": None,
        "recording_at_start": False,
        "deactivated_before_end": None,
    }
    spans = [(datetime(2026, 1, 24, 15, 5), datetime(2026, 1, 24, 15, 30))]
    assert activation_of(spans, t, end) == {
        "activation_delay_seconds": 300.0,
        "recording_at_start": False,
        "deactivated_before_end": False,
    }
    spans.append((datetime(2026, 1, 24, 14, 59), datetime(2026, 1, 24, 15, 0)))
    assert activation_of(spans, t, end)["recording_at_start"] is True
    assert activation_of(spans, t, end)["activation_delay_seconds"] == -60.0
    assert activation_of([(datetime(2026, 1, 24, 15, 1), None)], t, end) == {
        "activation_delay_seconds": 60.0,
        "recording_at_start": False,
        "deactivated_before_end": None,
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(10**7), 10**7), max_size=40))
def test_the_summary_median_is_the_median_of_the_values_as_collected(values):
    """The summary collects each group's delays (kept to the millisecond) in one value per
    group, SQLite's text of them or PostgreSQL's list; the median taken from it is the median
    of the delays, whatever their order."""
    import statistics

    from service.domain.activation import _median, _values

    delays = [v / 1000 for v in values]
    expected = statistics.median(delays) if delays else None
    as_text = ",".join(repr(d) for d in delays) if delays else None
    assert _median(_values(as_text)) == expected
    assert _median(_values(list(reversed(delays)))) == expected
