"""Disclosure: rules, records requests, release decisions, and the deadlines they make."""

import pytest
from freezegun import freeze_time

STARTED = "2026-01-24T15:00:00Z"
NOW = "2026-02-10T12:00:00Z"
LOCAL = ["state", "county", "municipal"]


@pytest.fixture
def world(api, make):
    make.agency("MPD", jurisdiction="municipal")
    make.agency("CBP", jurisdiction="federal")
    public = api.create(
        "/disclosure-rules",
        {
            "name": "MN public release",
            "state": "MN",
            "agency_jurisdictions": LOCAL,
            "tags": ["deadly_force"],
            "requester_kind": None,
            "deadline_days": 14,
            "counted_from": "incident",
            "citation": "Minn. Stat. § 13.825, subd. 2(d)",
        },
        role="admin",
    )
    kin = api.create(
        "/disclosure-rules",
        {
            "name": "MN next of kin",
            "state": "MN",
            "agency_jurisdictions": LOCAL,
            "tags": ["deadly_force"],
            "requester_kind": "next_of_kin",
            "deadline_days": 5,
            "counted_from": "request",
            "citation": "Minn. Stat. § 13.825, subd. 2(b)",
        },
        role="admin",
    )

    def incident(title, agencies=("MPD",), started_at=STARTED):
        return make.incident(
            title=title,
            started_at=started_at,
            location={"state": "MN"},
            agencies=list(agencies),
            tags=["deadly_force"],
        )["id"]

    i = {
        "overdue": incident("Overdue"),
        "met": incident("Met"),
        "late": incident("Late"),
        "due": incident("Due", started_at="2026-02-05T15:00:00Z"),
        "federal": incident("Federal", agencies=("CBP",)),
    }
    with freeze_time(NOW):
        decide(api, i["met"], "released", "2026-02-01T15:00:00Z")
        decide(api, i["late"], "released_redacted", "2026-02-09T15:00:00Z")
    return {"i": i, "public": public, "kin": kin}


def decide(api, incident_id, kind, at, **extra):
    return api.create(
        f"/incidents/{incident_id}/disclosures",
        {"kind": kind, "decided_at": at, "basis": "test", **extra},
    )


def obligations(api, **params):
    r = api.get("/coverage/disclosure", query_string=params, role="oversight")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@freeze_time(NOW)
def test_statuses_overdue_first(api, world):
    i, public = world["i"], world["public"]
    rows = obligations(api)
    assert [(r["incident_id"], r["status"]) for r in rows] == [
        (i["overdue"], "overdue"),
        (i["due"], "due"),
        (i["late"], "late"),
        (i["met"], "met"),
        (i["federal"], "no_rule"),
    ]
    overdue = rows[0]
    assert overdue == {
        "incident_id": i["overdue"],
        "title": "Overdue",
        "rule_id": public["id"],
        "citation": "Minn. Stat. § 13.825, subd. 2(d)",
        "requester_kind": None,
        "request_id": None,
        "deadline": "2026-02-07T15:00:00Z",
        "released_at": None,
        "days_late": 3,
        "status": "overdue",
        "reason": None,
    }
    assert rows[1]["deadline"] == "2026-02-19T15:00:00Z" and rows[1]["days_late"] is None
    assert rows[2]["released_at"] == "2026-02-09T15:00:00Z" and rows[2]["days_late"] == 2
    assert rows[3]["released_at"] == "2026-02-01T15:00:00Z" and rows[3]["days_late"] is None
    federal = rows[4]
    assert federal["rule_id"] is None and federal["deadline"] is None
    assert "no state rule applies" in federal["reason"]
    assert "CBP" in federal["reason"] and "federal" in federal["reason"]
    assert [r["incident_id"] for r in obligations(api, status="overdue")] == [i["overdue"]]
    assert [r["incident_id"] for r in obligations(api, status="no_rule")] == [i["federal"]]
    assert api.get("/coverage/disclosure?status=soon").status_code == 422


def test_a_valid_delay_is_not_overdue_until_it_ends(api, world):
    incident_id = world["i"]["overdue"]
    with freeze_time(NOW):
        r = api.post(
            f"/incidents/{incident_id}/disclosures",
            json={"kind": "delayed", "decided_at": "2026-02-06T12:00:00Z", "basis": "CLEO"},
        )
        assert r.status_code == 422 and "until" in r.get_json()["message"]
        decide(api, incident_id, "delayed", "2026-02-06T12:00:00Z", until="2026-02-20T12:00:00Z")
        due = obligations(api, state="MN", status="due")
        assert [r["incident_id"] for r in due] == [world["i"]["due"], incident_id]  # by deadline
        row = due[1]
        assert row["deadline"] == "2026-02-20T12:00:00Z"
        assert row["reason"].startswith("delayed on 2026-02-06")
    with freeze_time("2026-02-21T12:00:00Z"):
        row = obligations(api, status="overdue")[0]
        assert row["incident_id"] == incident_id and row["days_late"] == 14


def test_next_of_kin_requests_are_counted_from_the_request(api, world):
    incident_id = world["i"]["met"]
    with freeze_time(NOW):
        request = api.create(
            f"/incidents/{incident_id}/disclosure-requests",
            {
                "requester_kind": "next_of_kin",
                "requester": "The family's attorney",
                "received_at": "2026-02-03T09:00:00Z",
            },
        )
        assert request["status"] == "met"  # the public release of 1 February reached them
        other = api.create(
            f"/incidents/{world['i']['overdue']}/disclosure-requests",
            {"requester_kind": "next_of_kin", "received_at": "2026-02-04T09:00:00Z"},
        )
        assert other["status"] == "overdue"
        assert other["deadline"] == "2026-02-09T09:00:00Z"
        media = api.create(
            f"/incidents/{world['i']['overdue']}/disclosure-requests",
            {"requester_kind": "media", "received_at": "2026-02-04T09:00:00Z"},
        )
        assert media["status"] == "no_rule"
        listed = api.get("/disclosure-requests?overdue=true").get_json()
        assert [r["id"] for r in listed] == [other["id"]]
        by_incident = api.get(f"/disclosure-requests?incident_id={incident_id}").get_json()
        assert [r["id"] for r in by_incident] == [request["id"]]
        rows = obligations(api, status="overdue")
        assert {(r["incident_id"], r["request_id"]) for r in rows} == {
            (world["i"]["overdue"], None),
            (world["i"]["overdue"], other["id"]),
        }
        # a release answering the request meets it, late
        decide(
            api,
            world["i"]["overdue"],
            "released",
            "2026-02-10T11:00:00Z",
            request_id=other["id"],
        )
        row = next(r for r in obligations(api) if r["request_id"] == other["id"])
        assert row["status"] == "late" and row["days_late"] == 2
        # the public obligation is still overdue: a release to the family is not public
        assert obligations(api, status="overdue")[0]["request_id"] is None


@freeze_time(NOW)
def test_decisions_are_checked_and_append_only(api, world, make):
    incident_id = world["i"]["due"]
    other = make.incident(title="Other")
    request = api.create(
        f"/incidents/{other['id']}/disclosure-requests",
        {"requester_kind": "public", "received_at": "2026-02-04T09:00:00Z"},
    )
    cases = [
        ({"kind": "released", "decided_at": "2026-03-01T00:00:00Z"}, "decided_at"),
        ({"kind": "leaked", "decided_at": "2026-02-01T00:00:00Z"}, "kind"),
        (
            {"kind": "released", "decided_at": "2026-02-01T00:00:00Z", "request_id": request["id"]},
            "request_id",
        ),
        ({"kind": "released", "decided_at": "2026-02-01T00:00:00Z", "until": NOW}, "until"),
        (
            {"kind": "released", "decided_at": "2026-02-01T00:00:00Z", "source_ids": [999]},
            "source_ids",
        ),
    ]
    for body, field in cases:
        r = api.post(f"/incidents/{incident_id}/disclosures", json=body)
        assert r.status_code == 422, body
        assert field in r.get_json()["message"] or field in str(r.get_json()["errors"])
    assert api.get(f"/incidents/{incident_id}/disclosures").get_json() == []
    decide(api, incident_id, "released", "2026-02-08T00:00:00Z")
    assert len(api.get(f"/incidents/{incident_id}/disclosures").get_json()) == 1
    assert api.post("/incidents/999/disclosures", json=cases[1][0]).status_code in (404, 422)
    r = api.post(
        f"/incidents/{incident_id}/disclosure-requests",
        json={"requester_kind": "neighbour", "received_at": NOW},
    )
    assert r.status_code == 422


@freeze_time(NOW)
def test_summary_rows_carry_disclosure_figures(api, world):
    rows = {r["key"]: r for r in api.get("/coverage/summary?group_by=state").get_json()}
    mn = rows["MN"]
    # met, late and overdue have a verdict (due has not): one in three on time
    assert mn["disclosure_on_time_rate"] == 0.3333
    # 8 days (met) and 16 days (late) from the incident to the first release
    assert mn["median_days_to_release"] == 12.0


@freeze_time(NOW)
@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_summary_figures_are_the_same_in_batches(api, world, monkeypatch, batch):
    """A summary row may stand for every incident of a large catalogue: its disclosure figures
    are gathered BATCH incidents at a time, with the same answer whatever the batch."""
    from service.domain import disclosure

    monkeypatch.setattr(disclosure, "BATCH", batch)
    rows = {r["key"]: r for r in api.get("/coverage/summary?group_by=state").get_json()}
    assert (rows["MN"]["disclosure_on_time_rate"], rows["MN"]["median_days_to_release"]) == (
        0.3333,
        12.0,
    )


@freeze_time(NOW)
def test_figures_over_more_incidents_than_a_statement_binds(app, world):
    """More incident ids than SQLite (32,766) or PostgreSQL (65,535) takes as parameters of
    one statement: no error, and ids without an incident change nothing."""
    from service.domain import disclosure
    from service.storage.db import database

    ids = list(world["i"].values()) + list(range(10**7, 10**7 + 70_000))
    with app.app_context():
        database.connect(reuse_if_open=True)
        assert disclosure.figures(ids) == disclosure.figures(list(world["i"].values()))
        assert disclosure.figures(ids)["disclosure_on_time_rate"] == 0.3333


def test_the_demo_tells_the_disclosure_story(runner, api):
    from service.cli import main

    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    incidents = {i["external_id"]: i for i in api.get("/incidents?page_size=100").get_json()}
    for name in ("demo-pretti", "demo-good"):
        assert incidents[name]["tags"] == ["deadly_force", "firearm_discharge"]
    rows = obligations(api, page_size=200)
    status = {}
    for row in rows:
        status.setdefault(row["incident_id"], set()).add(row["status"])
    assert status[incidents["demo-mpd-overdue"]["id"]] == {"overdue"}
    assert status[incidents["demo-mpd-on-time"]["id"]] == {"met"}
    assert status[incidents["demo-mpd-late"]["id"]] == {"late"}
    pretti = next(r for r in rows if r["incident_id"] == incidents["demo-pretti"]["id"])
    assert pretti["status"] == "no_rule" and "federal" in pretti["reason"]
    kin = [r for r in rows if r["requester_kind"] == "next_of_kin"]
    assert {r["status"] for r in kin} == {"overdue", "met"}
    # Pretti's footage is kept indefinitely? No: a federal operation, no state rule binds it.
    pretti_sources = api.get(f"/incidents/{incidents['demo-pretti']['id']}/sources").get_json()
    assert all(s["retain_indefinitely"] is False for s in pretti_sources)
    mpd = api.get(f"/incidents/{incidents['demo-mpd-late']['id']}/sources").get_json()
    assert [s["retain_indefinitely"] for s in mpd] == [True]


@freeze_time(NOW)
def test_reports_carry_the_disclosure_table(api, world):
    import csv
    import io

    r = api.get("/reports/coverage?format=csv&table=disclosure", role="oversight")
    assert r.status_code == 200
    assert "coverage-disclosure-" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(int(row["incident_id"]), row["status"]) for row in rows] == [
        (world["i"]["overdue"], "overdue"),
        (world["i"]["due"], "due"),
        (world["i"]["late"], "late"),
        (world["i"]["met"], "met"),
        (world["i"]["federal"], "no_rule"),
    ]
    assert rows[0]["days_late"] == "3" and rows[0]["deadline"] == "2026-02-07T15:00:00Z"
    assert "federal" in rows[4]["reason"]
    html = api.get("/reports/coverage?format=html", role="oversight").get_data(as_text=True)
    section = html[html.index('id="disclosure"') :]
    assert section.index("Overdue") < section.index("Federal")
    assert 'data-status="overdue"' in section
