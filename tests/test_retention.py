"""Incident tags, retention rules, and retain_until computed from them (and only extended by
clients)."""

import json

import pytest

from service.cli import main

# 2026-01-24T09:00-06:00 is 15:00 UTC on 24 January 2026.
STARTED = "2026-01-24T09:00:00-06:00"


@pytest.fixture
def agencies(make):
    make.agency("MPD", jurisdiction="municipal")
    make.agency("CBP", jurisdiction="federal")
    make.agency("HCSO", jurisdiction="county")


def rule(api, name, minimum_days, **extra):
    return api.create(
        "/retention-rules",
        {"name": name, "minimum_days": minimum_days, "citation": f"Test § {name}", **extra},
        role="admin",
    )


@pytest.fixture
def mn_rules(api, agencies):
    local = ["state", "county", "municipal"]
    return {
        "base": rule(api, "base", 90, state="MN", agency_jurisdictions=local),
        "year": rule(
            api,
            "year",
            365,
            state="MN",
            agency_jurisdictions=local,
            tags=["firearm_discharge", "complaint"],
        ),
        "forever": rule(
            api, "forever", None, state="MN", agency_jurisdictions=local, tags=["deadly_force"]
        ),
    }


def mn_incident(make, **extra):
    return make.incident(started_at=STARTED, location={"state": "MN"}, agencies=["MPD"], **extra)


def retention_of(api, source_id):
    s = api.get(f"/sources/{source_id}").get_json()
    return s["retain_until"], s["retain_indefinitely"]


def test_tags_are_listed_filtered_and_checked(api, make):
    a = make.incident(tags=["deadly_force", "firearm_discharge", "deadly_force"])
    make.incident(tags=["complaint"])
    assert a["tags"] == ["deadly_force", "firearm_discharge"]
    listed = api.get("/incidents?tag=deadly_force").get_json()
    assert [i["id"] for i in listed] == [a["id"]]
    assert listed[0]["tags"] == ["deadly_force", "firearm_discharge"]
    r = api.post("/incidents", json={"title": "x", "started_at": STARTED, "tags": ["shot"]})
    assert r.status_code == 422
    assert "tags" in r.get_json()["errors"]["json"]
    assert api.get("/incidents?tag=shot").status_code == 422
    patched = api.patch(f"/incidents/{a['id']}", json={"tags": []}).get_json()
    assert patched["tags"] == []
    assert api.get("/incidents?tag=deadly_force").get_json() == []


def test_rules_are_read_by_all_and_written_by_admins(api, agencies):
    body = {"name": "base", "state": "MN", "minimum_days": 90, "citation": "Minn. Stat."}
    assert api.post("/retention-rules", json=body).status_code == 403
    created = api.create("/retention-rules", body, role="admin")
    assert created == {
        "id": created["id"],
        "name": "base",
        "state": "MN",
        "agency_jurisdictions": [],
        "tags": [],
        "minimum_days": 90,
        "citation": "Minn. Stat.",
        "summary": None,
        "active": True,
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }
    assert api.get("/retention-rules", role="oversight").get_json() == [created]
    again = api.post("/retention-rules", json=body, role="admin")
    assert again.status_code == 409 and "base" in again.get_json()["message"]
    bad = api.post(
        "/retention-rules",
        json={**body, "name": "x", "minimum_days": -1, "tags": ["bad"]},
        role="admin",
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["json"]) == {"minimum_days", "tags"}
    assert api.post("/retention-rules", json={"name": "y"}, role="admin").status_code == 422
    assert len(api.get("/retention-rules").get_json()) == 1


def test_retain_until_is_the_longest_matching_rule(api, make, mn_rules):
    plain = make.source(mn_incident(make)["id"])
    fired = make.source(mn_incident(make, tags=["firearm_discharge"])["id"])
    died = make.source(mn_incident(make, tags=["deadly_force", "firearm_discharge"])["id"])
    federal = make.source(
        make.incident(started_at=STARTED, location={"state": "MN"}, agencies=["CBP"])["id"]
    )
    elsewhere = make.source(
        make.incident(started_at=STARTED, location={"state": "WI"}, agencies=["MPD"])["id"]
    )
    assert plain["retain_until"] == "2026-04-24" and plain["retain_indefinitely"] is False
    assert retention_of(api, fired["id"]) == ("2027-01-24", False)
    assert retention_of(api, died["id"]) == (None, True)
    assert retention_of(api, federal["id"]) == (None, False)  # the state law binds no federal agent
    assert retention_of(api, elsewhere["id"]) == (None, False)
    # a rule with no state, jurisdiction or tag matches every incident
    rule(api, "everyone", 30)
    assert retention_of(api, federal["id"]) == ("2026-02-23", False)
    assert retention_of(api, plain["id"]) == ("2026-04-24", False)


def test_every_change_the_rules_see_recomputes(api, make, mn_rules):
    incident = mn_incident(make)
    source = make.source(incident["id"])
    path = f"/incidents/{incident['id']}"
    api.patch(path, json={"tags": ["complaint"]})
    assert retention_of(api, source["id"]) == ("2027-01-24", False)
    api.patch(path, json={"started_at": "2026-03-01T12:00:00Z"})
    assert retention_of(api, source["id"]) == ("2027-03-01", False)
    api.patch(path, json={"agencies": ["CBP"]})
    assert retention_of(api, source["id"]) == (None, False)
    api.patch(path, json={"agencies": ["CBP", "HCSO"]})
    assert retention_of(api, source["id"]) == ("2027-03-01", False)
    api.patch(path, json={"location": {"state": "WI"}})
    assert retention_of(api, source["id"]) == (None, False)
    api.patch(path, json={"location": {"state": "MN"}, "tags": ["deadly_force"]})
    assert retention_of(api, source["id"]) == (None, True)
    # a rule deactivated, then changed
    forever = mn_rules["forever"]
    r = api.patch(f"/retention-rules/{forever['id']}", json={"active": False}, role="admin")
    assert r.status_code == 200
    assert retention_of(api, source["id"]) == ("2026-05-30", False)  # the 90-day base rule
    api.patch(f"/retention-rules/{mn_rules['base']['id']}", json={"minimum_days": 10}, role="admin")
    assert retention_of(api, source["id"]) == ("2026-03-11", False)
    # an agency's jurisdiction
    api.patch(path, json={"agencies": ["CBP"]})
    assert retention_of(api, source["id"]) == (None, False)
    api.patch("/agencies/CBP", json={"jurisdiction": "state"})
    assert retention_of(api, source["id"]) == ("2026-03-11", False)


def test_a_source_moved_to_another_incident_takes_its_retention(api, make, mn_rules):
    source = make.source(mn_incident(make)["id"])
    other = mn_incident(make, tags=["firearm_discharge"])
    moved = api.patch(f"/sources/{source['id']}", json={"incident_id": other["id"]}).get_json()
    assert moved["retain_until"] == "2027-01-24"


def test_clients_extend_but_never_shorten(api, make, mn_rules):
    incident = mn_incident(make, tags=["complaint"])
    source = make.source(incident["id"], retain_until="2030-01-01")
    assert source["retain_until"] == "2030-01-01"
    r = api.patch(f"/sources/{source['id']}", json={"retain_until": "2026-12-31"})
    assert r.status_code == 422
    message = r.get_json()["errors"]["json"]["retain_until"][0]
    assert "2027-01-24" in message and "'year'" in message and "Test § year" in message
    assert retention_of(api, source["id"]) == ("2030-01-01", False)
    r = api.post(
        f"/incidents/{incident['id']}/sources", json={"kind": "media", "retain_until": "2026-02-01"}
    )
    assert r.status_code == 422
    # the extension outlives a rule change; dropping it falls back to the rules
    api.patch(
        f"/retention-rules/{mn_rules['year']['id']}", json={"minimum_days": 5000}, role="admin"
    )
    assert retention_of(api, source["id"]) == ("2039-10-03", False)
    api.patch(
        f"/retention-rules/{mn_rules['year']['id']}", json={"minimum_days": 365}, role="admin"
    )
    assert retention_of(api, source["id"]) == ("2030-01-01", False)
    api.patch(f"/sources/{source['id']}", json={"retain_until": None})
    assert retention_of(api, source["id"]) == ("2027-01-24", False)
    # kept indefinitely: no end date at all
    api.patch(f"/incidents/{incident['id']}", json={"tags": ["deadly_force"]})
    r = api.patch(f"/sources/{source['id']}", json={"retain_until": "2099-01-01"})
    assert r.status_code == 422
    assert "indefinitely" in r.get_json()["message"] and "'forever'" in r.get_json()["message"]


def test_imports_compute_and_refuse_the_same(api, make, mn_rules):
    incident = mn_incident(make, external_id="i-1", tags=["firearm_discharge"])

    def post(kind, rows):
        body = "\n".join(json.dumps(r) for r in rows).encode()
        return api.post(
            f"/imports/{kind}",
            data=body,
            role="importer",
            headers={"Content-Type": "application/x-ndjson"},
        )

    r = post("sources", [{"external_id": "s-1", "incident_id": incident["id"], "kind": "bodycam"}])
    assert r.status_code == 200, r.get_json()
    source = api.get("/sources?external_id=s-1").get_json()[0]
    assert source["retain_until"] == "2027-01-24"
    r = post(
        "sources",
        [
            {
                "external_id": "s-2",
                "incident_id": incident["id"],
                "kind": "bodycam",
                "retain_until": "2026-06-01",
            }
        ],
    )
    assert r.status_code == 422
    assert "'year'" in r.get_json()["errors"][0]["message"]
    # an incident import that changes its tags recomputes its sources
    r = post(
        "incidents",
        [
            {
                "external_id": "i-1",
                "title": "Test incident",
                "started_at": STARTED,
                "tags": ["deadly_force"],
            }
        ],
    )
    assert r.status_code == 200, r.get_json()
    assert retention_of(api, source["id"]) == (None, True)


def test_load_defaults_is_idempotent_and_keeps_edits(runner, api, make):
    make.agency("MPD", jurisdiction="municipal")
    source = make.source(
        make.incident(
            started_at=STARTED, location={"state": "MN"}, agencies=["MPD"], tags=["deadly_force"]
        )["id"]
    )
    first = runner.invoke(main, ["rules", "load-defaults"])
    assert first.exit_code == 0, first.output
    assert "4 retention, 4 disclosure" in first.output
    assert retention_of(api, source["id"]) == (None, True)
    rules = api.get("/retention-rules").get_json()
    assert all(r["citation"] for r in rules)
    base = next(r for r in rules if r["citation"] == "Minn. Stat. § 13.825, subd. 3(a)")
    api.patch(f"/retention-rules/{base['id']}", json={"minimum_days": 120}, role="admin")
    second = runner.invoke(main, ["rules", "load-defaults"])
    assert "0 retention, 0 disclosure" in second.output
    assert api.get(f"/retention-rules/{base['id']}").get_json()["minimum_days"] == 120
    assert len(api.get("/retention-rules").get_json()) == 4
