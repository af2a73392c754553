"""A small coverage scenario shared by the report and dashboard tests.

Incident "Nicollet shooting" (CBP, 15:00-15:30Z): officer A's bodycam covers 15:00-15:10
(its clock ran a minute slow: recorded 14:59-15:09, offset +60 s), a bystander clip
15:15-15:20; so nobody recorded 15:10-15:15 and 15:20-15:30. Officer B was expected to wear
a camera and has none ("battery died"). Two ICE incidents lack bodycam footage: one with a
bystander clip, one with nothing at all; one of them has a title a spreadsheet would run.

`governance` is a second, separate world for the disclosure and disposal pages.
"""

from datetime import datetime

GAPS = [
    (datetime(2026, 1, 24, 15, 10), datetime(2026, 1, 24, 15, 15)),
    (datetime(2026, 1, 24, 15, 20), datetime(2026, 1, 24, 15, 30)),
]
FORMULA_TITLE = '=HYPERLINK("http://example.invalid","click")'


def build(make):
    make.agency("CBP")
    make.agency("ICE")
    officer_a = make.officer("CBP", name="Officer A")
    officer_b = make.officer("CBP", name="Officer B")
    covered = make.incident(
        title="Nicollet shooting",
        agencies=["CBP"],
        started_at="2026-01-24T15:00:00Z",
        ended_at="2026-01-24T15:30:00Z",
        location={"city": "Minneapolis", "state": "MN"},
    )
    make.involve(covered["id"], officer_a["id"], role="discharged_weapon", camera_expected=True)
    make.involve(
        covered["id"],
        officer_b["id"],
        role="assisting",
        camera_expected=True,
        not_recorded_reason="battery died",
    )
    bodycam = make.source(
        covered["id"],
        "bodycam",
        officer_id=officer_a["id"],
        recording_started_at="2026-01-24T14:59:00Z",
        recording_ended_at="2026-01-24T15:09:00Z",
        clock_offset_seconds=60,
    )
    bystander = make.source(
        covered["id"],
        "bystander",
        recorded_by="a neighbour",
        recording_started_at="2026-01-24T15:15:00Z",
        recording_ended_at="2026-01-24T15:20:00Z",
    )
    filmed = make.incident(
        title="Lake Street arrest",
        kind="arrest",
        agencies=["ICE"],
        location={"state": "MN"},
        started_at="2026-01-07T17:00:00Z",
    )
    make.source(
        filmed["id"],
        "bystander",
        recorded_by="passer-by",
        recording_started_at="2026-01-07T17:01:00Z",
        recording_ended_at="2026-01-07T17:04:00Z",
    )
    unfilmed = make.incident(
        title=FORMULA_TITLE,
        kind="use_of_force",
        agencies=["ICE"],
        started_at="2025-11-03T12:00:00Z",
    )
    return {
        "covered": covered,
        "filmed": filmed,
        "unfilmed": unfilmed,
        "bodycam": bodycam,
        "bystander": bystander,
        "officer_a": officer_a,
        "officer_b": officer_b,
    }


def governance(api, make):
    """A Minneapolis police death whose public release is overdue (a 14-day rule), a federal
    one no rule applies to, and the dead man's officer whose only bodycam was disposed of
    (received and disposed of on 2026-02-10)."""
    from freezegun import freeze_time

    make.agency("MPD", jurisdiction="municipal")
    make.agency("CBP", jurisdiction="federal")
    api.create(
        "/disclosure-rules",
        {
            "name": "MN public release",
            "state": "MN",
            "agency_jurisdictions": ["municipal"],
            "tags": ["deadly_force"],
            "deadline_days": 14,
            "citation": "Minn. Stat. § 13.825, subd. 2(d)",
        },
        role="admin",
    )
    overdue = make.incident(
        title="Lake Street death",
        started_at="2026-01-24T15:00:00Z",
        location={"state": "MN"},
        agencies=["MPD"],
        tags=["deadly_force"],
    )
    federal = make.incident(
        title="Federal operation",
        started_at="2026-01-24T15:00:00Z",
        location={"state": "MN"},
        agencies=["CBP"],
        tags=["deadly_force"],
    )
    officer = make.officer("MPD", name="Officer Gone")
    make.involve(overdue["id"], officer["id"], camera_expected=True)
    bodycam = make.source(overdue["id"], "bodycam", officer_id=officer["id"])
    with freeze_time("2026-02-10T12:00:00Z"):
        make.custody(bodycam["id"], "received")
        make.dispose(bodycam["id"], reason="uploaded twice")
    return {"overdue": overdue, "federal": federal, "officer": officer, "bodycam": bodycam}
