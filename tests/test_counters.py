"""Per-incident counters: kept by every write path in the write's own transaction, read by
the coverage lists and summary, checked against a recomputation from scratch.

The property test applies random sequences of writes through the API (sources recorded,
with or without a recording span, imported, moved and changed; custody events including
disposal; reviews; officers involved and their expectations changed; incidents' starts
moved) and then compares the stored counters with a
recomputation, and the lacking list with an answer worked out from the API's own lists.
"""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.cli import main
from service.domain import counters
from service.storage.db import database
from service.storage.models import IncidentCounters

KINDS = ("bodycam", "dashcam", "bystander")
ACTIONS = ("identified", "requested", "received", "checked_out", "returned", "disposed")
STATUSES = ("in_review", "reviewed", "flagged", "excluded")

index = st.integers(0, 5)
operation = st.one_of(
    st.tuples(
        st.just("source"),
        index,
        st.sampled_from(KINDS),
        st.one_of(st.none(), index),
        st.one_of(st.none(), st.integers(-3, 3)),  # its span: tens of minutes from 15:00
    ),
    st.tuples(st.just("import"), index, st.sampled_from(KINDS), st.one_of(st.none(), index)),
    st.tuples(st.just("custody"), index, st.sampled_from(ACTIONS)),
    st.tuples(st.just("review"), index, st.sampled_from(STATUSES)),
    st.tuples(st.just("move"), index, index),
    st.tuples(st.just("kind"), index, st.sampled_from(KINDS)),
    st.tuples(st.just("wearer"), index, st.one_of(st.none(), index)),
    st.tuples(st.just("involve"), index, index, st.booleans()),
    st.tuples(st.just("incident")),
    st.tuples(st.just("start"), index, st.integers(-3, 3)),  # an incident's started_at moved
)
# Incidents start at 15:00 UTC (conftest's make.incident); recordings and moves are tens of
# minutes around it, so that cameras are recording at the start or not (activation).
BASE = datetime(2026, 1, 24, 15, 0, tzinfo=UTC)


def _at(tens_of_minutes):
    return (BASE + timedelta(minutes=10 * tens_of_minutes)).isoformat()


class World:
    made = 0

    def __init__(self, api, make):
        World.made += 1
        self.tag = f"w{World.made}"
        self.api, self.make = api, make
        if api.get("/agencies/CBP").status_code == 404:
            make.agency("CBP")
        self.incidents = [make.incident(external_id=f"{self.tag}-i{n}")["id"] for n in range(2)]
        self.officers = [make.officer(external_id=f"{self.tag}-o{n}")["id"] for n in range(3)]
        self.sources = []
        self.n = 0

    def pick(self, items, i):
        return items[i % len(items)] if items else None

    def apply(self, op):
        api, name = self.api, op[0]
        self.n += 1
        if name == "incident":
            self.incidents.append(self.make.incident()["id"])
        elif name == "start":
            _, i, moved = op
            api.patch(f"/incidents/{self.pick(self.incidents, i)}", json={"started_at": _at(moved)})
        elif name == "source":
            _, i, kind, o, span = op
            body = {"kind": kind}
            if span is not None:
                body["recording_started_at"] = _at(span)
                body["recording_ended_at"] = _at(span + 2)
            if o is not None:
                body["officer_id"] = self.pick(self.officers, o)
            r = api.post(f"/incidents/{self.pick(self.incidents, i)}/sources", json=body)
            assert r.status_code in (201, 422), r.get_json()
            if r.status_code == 201:
                self.sources.append(r.get_json()["id"])
        elif name == "import":
            _, i, kind, o = op
            incident = self.pick(self.incidents[:2], i)
            row = {
                "external_id": f"{self.tag}-s{self.n}",
                "incident_external_id": f"{self.tag}-i{self.incidents.index(incident)}",
                "kind": kind,
            }
            if o is not None:
                row["officer_external_id"] = f"{self.tag}-o{o % 3}"
            r = api.post(
                "/imports/sources",
                data=json.dumps(row) + "\n",
                content_type="application/x-ndjson",
                role="importer",
            )
            assert r.status_code in (200, 422), r.get_json()
            listed = api.get(f"/sources?external_id={row['external_id']}").get_json()
            self.sources.extend(s["id"] for s in listed)
        elif not self.sources and name in ("custody", "review", "move", "kind", "wearer"):
            return
        elif name == "custody":
            _, s, action = op
            api.post(f"/sources/{self.pick(self.sources, s)}/custody", json={"action": action})
        elif name == "review":
            _, s, status = op
            body = {"status": status}
            if status == "flagged":
                body["flags"] = ["no_audio"]
            api.post(f"/sources/{self.pick(self.sources, s)}/reviews", json=body)
        elif name == "move":
            _, s, i = op
            api.patch(
                f"/sources/{self.pick(self.sources, s)}",
                json={"incident_id": self.pick(self.incidents, i)},
            )
        elif name == "kind":
            _, s, kind = op
            api.patch(f"/sources/{self.pick(self.sources, s)}", json={"kind": kind})
        elif name == "wearer":
            _, s, o = op
            officer = None if o is None else self.pick(self.officers, o)
            api.patch(f"/sources/{self.pick(self.sources, s)}", json={"officer_id": officer})
        elif name == "involve":
            _, i, o, expected = op
            incident, officer = self.pick(self.incidents, i), self.pick(self.officers, o)
            path = f"/incidents/{incident}/officers"
            r = api.post(path, json={"officer_id": officer, "camera_expected": expected})
            if r.status_code == 409:
                api.patch(f"{path}/{officer}", json={"camera_expected": expected})


def _lacking_from_lists(api, counting):
    """The incidents lacking bodycam footage, worked out from /incidents and /sources."""
    incidents = {i["id"] for i in api.get("/incidents?page_size=1000").get_json()}
    sources = api.get("/sources?page_size=1000").get_json()
    held = ("in_custody", "checked_out")
    covered = {
        s["incident_id"]
        for s in sources
        if s["kind"] == "bodycam"
        and (
            s["custody_status"] in held
            if counting == "in_custody"
            else s["custody_status"] != "disposed"
        )
    }
    return incidents - covered


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_random_writes_keep_the_counters_equal_to_a_recomputation(api, make, ops):
    world = World(api, make)
    for op in ops:
        world.apply(op)
        assert counters.check()["drifted"] == 0, (op, counters.check())
    for counting in ("any", "in_custody"):
        listed = api.get(
            f"/coverage/incidents?lacking=bodycam&counting={counting}&page_size=1000",
            role="oversight",
        ).get_json()
        assert {i["id"] for i in listed} == _lacking_from_lists(api, counting)


def test_check_counters_reports_drift_and_repairs_it(api, make, runner):
    incident = make.incident()
    make.source(incident["id"])
    assert runner.invoke(main, ["check-counters"]).exit_code == 0
    with database.atomic():
        IncidentCounters.update(bodycam_counted=0).where(
            IncidentCounters.incident == incident["id"]
        ).execute()
    # The drift shows (the stored figure is what the lists read)...
    lacking = api.get("/coverage/incidents?lacking=bodycam", role="oversight").get_json()
    assert [i["id"] for i in lacking] == [incident["id"]]
    result = runner.invoke(main, ["check-counters"])
    assert result.exit_code == 1
    assert f"incident {incident['id']}: bodycam_counted stored 0, computed 1" in result.output
    # ...until repaired.
    assert runner.invoke(main, ["check-counters", "--repair"]).exit_code == 1
    assert runner.invoke(main, ["check-counters"]).exit_code == 0
    assert api.get("/coverage/incidents?lacking=bodycam", role="oversight").get_json() == []


def test_counters_of_an_incident_follow_its_writes(api, make):
    incident = make.incident()
    make.agency()
    officer = make.officer()
    make.involve(incident["id"], officer["id"], camera_expected=True)
    row = IncidentCounters.get_by_id(incident["id"])
    assert (row.officers_expected, row.uncovered_counted, row.bodycam_counted) == (1, 1, 0)
    cam = make.source(
        incident["id"],
        officer_id=officer["id"],
        recording_started_at="2026-01-07T10:00:00Z",
        clock_offset_seconds=60,
    )
    row = IncidentCounters.get_by_id(incident["id"])
    assert (row.uncovered_counted, row.bodycam_counted, row.sources_held) == (0, 1, 0)
    assert row.first_bodycam_at.isoformat() == "2026-01-07T10:01:00"
    make.custody(cam["id"], "received")
    make.review(cam["id"], "reviewed")
    row = IncidentCounters.get_by_id(incident["id"])
    assert (row.sources_held, row.bodycam_held, row.reviewed_counted) == (1, 1, 1)
    make.custody(cam["id"], "disposed")
    row = IncidentCounters.get_by_id(incident["id"])
    assert (row.sources_counted, row.sources_disposed, row.uncovered_counted) == (0, 1, 1)
    assert row.first_bodycam_at is None


def test_an_older_database_gets_its_counters_filled_by_the_migration(api, make, runner):
    from service.storage.migrations import SchemaVersion

    covered, bare = make.incident(), make.incident()
    make.source(covered["id"])
    # The shape before migration 12: no counters table, the migration not applied.
    with database.atomic():
        database.execute_sql('DROP TABLE "incident_counters"')
        SchemaVersion.delete().where(SchemaVersion.version == 12).execute()
    result = runner.invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert "applied migration count_coverage_per_incident" in result.output
    assert IncidentCounters.get_by_id(covered["id"]).bodycam_counted == 1
    lacking = api.get("/coverage/incidents?lacking=bodycam", role="oversight").get_json()
    assert [i["id"] for i in lacking] == [bare["id"]]
    assert runner.invoke(main, ["check-counters"]).exit_code == 0


def test_activation_is_kept_with_the_counters_and_follows_the_incidents_start(api, make, runner):
    from service.storage.models import InvolvementActivation

    make.agency("CBP")
    incident = make.incident(agencies=["CBP"], location={"state": "MN"})
    officer = make.officer("CBP")
    make.involve(incident["id"], officer["id"], camera_expected=True)
    make.source(
        incident["id"],
        kind="bodycam",
        officer_id=officer["id"],
        recording_started_at=_at(-1),  # 14:50 to 15:10 around a 15:00 start
        recording_ended_at=_at(1),
    )

    def figures():
        (row,) = api.get("/coverage/summary?group_by=state", role="oversight").get_json()
        return row["activation_rate"], row["median_activation_delay_seconds"]

    assert figures() == (1.0, -600.0)
    api.patch(f"/incidents/{incident['id']}", json={"started_at": _at(2)})  # 15:20
    assert figures() == (0.0, -1800.0)
    assert counters.check()["drifted"] == 0
    # A kept row changed behind the service's back: check-counters names it, --repair mends it.
    InvolvementActivation.update(at_start_counted=True).execute()
    assert figures()[0] == 1.0
    result = runner.invoke(main, ["check-counters"])
    assert result.exit_code == 1 and "activation of involvement" in result.output, result.output
    assert runner.invoke(main, ["check-counters", "--repair"]).exit_code in (0, 1)
    assert figures() == (0.0, -1800.0) and counters.check()["drifted"] == 0


def test_new_incidents_start_at_zero_and_a_started_row_is_left_alone(api, make):
    from service.storage import counters as stored

    incidents = [make.incident()["id"] for _ in range(3)]
    IncidentCounters.delete().where(IncidentCounters.incident != incidents[0]).execute()
    IncidentCounters.update(sources=7).where(IncidentCounters.incident == incidents[0]).execute()
    stored.start(incidents)
    rows = {row.incident_id: row for row in IncidentCounters.select()}
    assert set(rows) == set(incidents)
    assert rows[incidents[0]].sources == 7
    for incident in incidents[1:]:
        row = rows[incident]
        assert row.first_bodycam_at is None
        assert all(getattr(row, name) == 0 for name in stored.FIELDS if name != "first_bodycam_at")
