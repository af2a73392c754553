"""The backlog (unreviewed, never received) and the retention query, on a frozen clock."""

import json

import pytest
from freezegun import freeze_time

from service.domain import backlog


def events(api, source_id, *actions):
    for action in actions:
        r = api.post(f"/sources/{source_id}/custody", json={"action": action})
        assert r.status_code == 201, r.get_json()


@pytest.fixture
def story(api, make):
    """Sources recorded on 1 January 2026 in every state the backlog cares about."""
    with freeze_time("2026-01-01T12:00:00Z"):
        incident = make.incident()
        other = make.incident(title="Other")
        s = {
            name: make.source(incident["id"], kind, **extra)
            for name, kind, extra in [
                ("unreviewed", "bodycam", {}),
                ("requested", "surveillance", {}),
                ("identified", "bystander", {}),
                ("reviewed", "bodycam", {}),
                ("disposed", "bodycam", {}),
                ("expiring", "dashcam", {"retain_until": "2026-03-01"}),
                ("expiring_held", "dashcam", {"retain_until": "2026-03-01"}),
                ("expired_disposed", "dashcam", {"retain_until": "2026-02-01"}),
                ("released", "media", {}),
                ("checked_out", "bodycam", {}),
            ]
        }
        s["other_incident"] = make.source(other["id"], "bodycam")
        events(api, s["unreviewed"]["id"], "received")
        events(api, s["requested"]["id"], "identified", "requested")
        events(api, s["reviewed"]["id"], "received")
        events(api, s["disposed"]["id"], "received")
        make.dispose(s["disposed"]["id"])
        events(api, s["expiring"]["id"], "received")
        events(api, s["expiring_held"]["id"], "received")
        events(api, s["expired_disposed"]["id"], "received")
        events(api, s["released"]["id"], "received", "released")
        events(api, s["checked_out"]["id"], "received", "checked_out")
        events(api, s["other_incident"]["id"], "received")
        for name in ("reviewed", "expiring", "expiring_held"):
            api.post(f"/sources/{s[name]['id']}/reviews", json={"status": "reviewed"})
        api.create("/holds", {"name": "Keep", "source_ids": [s["expiring_held"]["id"]]})
    with freeze_time("2026-02-02T12:00:00Z"):  # disposed once its retain_until had passed
        make.dispose(s["expired_disposed"]["id"])
    s["incident_id"] = incident["id"]
    return s


def listed(api, query=""):
    r = api.get("/coverage/backlog" + query, role="oversight")
    assert r.status_code == 200, r.get_json()
    return r


def names(story, response):
    by_id = {v["id"]: k for k, v in story.items() if isinstance(v, dict)}
    return {by_id[item["id"]]: item["reasons"] for item in response.get_json()}


def test_nothing_is_overdue_before_n_days(api, story):
    with freeze_time("2026-01-31T12:00:00Z"):  # exactly 30 days: not older than 30
        assert names(story, listed(api, "?older_than_days=30")) == {}
    with freeze_time("2026-01-31T12:00:01Z"):
        assert names(story, listed(api, "?older_than_days=30")) == {
            "unreviewed": ["unreviewed"],
            "checked_out": ["unreviewed"],
            "other_incident": ["unreviewed"],
            "requested": ["not_received"],
            "identified": ["not_received"],
        }


@freeze_time("2026-03-01T23:59:59Z")
def test_retain_until_is_kept_through_its_day(api, story):
    assert "expiring" not in names(story, listed(api, "?reason=due_for_disposal"))


@freeze_time("2026-03-02T00:00:00Z")
def test_past_retain_until_and_not_on_hold_is_due(api, story):
    due = listed(api, "?reason=due_for_disposal&older_than_days=1000")
    # A hold keeps a source past retain_until; disposed sources are done with.
    assert names(story, due) == {"expiring": ["due_for_disposal"]}
    assert [s.id for s in backlog.due_for_disposal()] == [story["expiring"]["id"]]


@freeze_time("2026-03-02T00:00:00Z")
def test_whole_backlog_with_reasons_age_and_order(api, story):
    r = listed(api, "?older_than_days=30")
    items = r.get_json()
    assert names(story, r) == {
        "unreviewed": ["unreviewed"],
        "checked_out": ["unreviewed"],
        "other_incident": ["unreviewed"],
        "requested": ["not_received"],
        "identified": ["not_received"],
        "expiring": ["due_for_disposal"],
    }
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)  # oldest first
    assert {i["age_days"] for i in items} == {59}  # 59.5 days, whole days counted
    assert items[0]["custody_status"] and "legal_hold" in items[0]
    assert json.loads(r.headers["X-Pagination"])["total"] == 6


@freeze_time("2026-03-02T00:00:00Z")
def test_a_source_may_be_in_several_parts(api, make):
    with freeze_time("2026-01-01T00:00:00Z"):
        source = make.source(make.incident()["id"], "bodycam", retain_until="2026-02-01")
    assert listed(api).get_json()[0]["reasons"] == ["not_received", "due_for_disposal"]
    assert source["legal_hold"] is False


@freeze_time("2026-03-02T00:00:00Z")
def test_filters_and_paging(api, story):
    assert set(names(story, listed(api, "?reason=unreviewed"))) == {
        "unreviewed",
        "checked_out",
        "other_incident",
    }
    assert set(names(story, listed(api, "?reason=not_received&kind=surveillance"))) == {"requested"}
    assert "other_incident" not in names(story, listed(api, f"?incident_id={story['incident_id']}"))
    page = listed(api, "?page=2&page_size=4")
    assert len(page.get_json()) == 2


@freeze_time("2026-03-02T00:00:00Z")
def test_summary_counts(api, story):
    r = api.get("/coverage/backlog/summary?older_than_days=30", role="oversight")
    assert r.get_json() == {
        "older_than_days": 30,
        "as_of": "2026-03-02T00:00:00Z",
        "unreviewed": 3,
        "not_received": 2,
        "due_for_disposal": 1,
    }
    r = api.get(f"/coverage/backlog/summary?older_than_days=90&incident_id={story['incident_id']}")
    assert r.get_json()["unreviewed"] == 0
    assert r.get_json()["due_for_disposal"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "?older_than_days=-1",
        "?older_than_days=abc",
        "?older_than_days=99999",
        "?reason=late",
        "?kind=drone",
        "?page=0",
        "?incident_id=0",
    ],
)
def test_invalid_backlog_queries_are_422(api, query):
    assert api.get("/coverage/backlog" + query).status_code == 422


def test_backlog_needs_a_token(api):
    assert api.get("/coverage/backlog", role=None).status_code == 401
