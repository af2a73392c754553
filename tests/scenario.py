"""A small coverage scenario shared by the report and dashboard tests.

Incident "Nicollet shooting" (CBP, 15:00-15:30Z): officer A's bodycam covers 15:00-15:10
(its clock ran a minute slow: recorded 14:59-15:09, offset +60 s), a bystander clip
15:15-15:20; so nobody recorded 15:10-15:15 and 15:20-15:30. Officer B was expected to wear
a camera and has none ("battery died"). Two ICE incidents lack bodycam footage: one with a
bystander clip, one with nothing at all; one of them has a title a spreadsheet would run.
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
