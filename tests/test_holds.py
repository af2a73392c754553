"""Legal holds: on incidents (present and future sources) or listed sources; release."""

import pytest
from freezegun import freeze_time

from service.domain import holds
from service.storage.db import database


@pytest.fixture
def incident(make):
    return make.incident()


def hold_on(api, role="investigator", **target):
    return api.create(
        "/holds",
        {
            "name": "DOJ preservation order",
            "authority": "DOJ",
            "reason": "civil rights investigation",
            **target,
        },
        role=role,
    )


def on_hold(api, source_id):
    return api.get(f"/sources/{source_id}").get_json()["legal_hold"]


def release(api, hold_id, role="admin"):
    return api.post(f"/holds/{hold_id}/release", role=role)


@freeze_time("2026-02-01T12:00:00Z")
def test_hold_on_an_incident_covers_present_and_future_sources(api, make, incident):
    present = make.source(incident["id"], "bodycam")
    other_incident = make.incident(title="Elsewhere")
    elsewhere = make.source(other_incident["id"], "bodycam")
    hold = hold_on(api, incident_id=incident["id"])
    assert hold == {
        "id": hold["id"],
        "name": "DOJ preservation order",
        "authority": "DOJ",
        "reason": "civil rights investigation",
        "incident_id": incident["id"],
        "source_ids": [],
        "active": True,
        "created_at": "2026-02-01T12:00:00Z",
        "created_by": "investigator",
        "released_at": None,
        "released_by": None,
        "release_reason": None,
    }
    assert on_hold(api, present["id"])
    assert not on_hold(api, elsewhere["id"])
    later = make.source(incident["id"], "bystander")  # added after the hold
    assert later["legal_hold"] is True
    assert (
        api.post(f"/sources/{later['id']}/disposal-requests", json={"reason": "x"}).status_code
        == 409
    )


def test_hold_on_listed_sources(api, make, incident):
    a, b, c = (make.source(incident["id"], "bystander") for _ in range(3))
    hold = hold_on(api, source_ids=[c["id"], a["id"], a["id"]])
    assert hold["source_ids"] == [a["id"], c["id"]]
    assert hold["incident_id"] is None
    assert [on_hold(api, s["id"]) for s in (a, b, c)] == [True, False, True]
    later = make.source(incident["id"], "media")
    assert later["legal_hold"] is False  # a listing does not reach new sources


def test_several_holds_on_one_source(api, make, incident):
    source = make.source(incident["id"], "bodycam")
    by_incident = hold_on(api, incident_id=incident["id"])
    by_listing = hold_on(api, source_ids=[source["id"]])
    r = release(api, by_incident["id"])
    assert r.status_code == 200
    assert r.get_json()["active"] is False
    assert on_hold(api, source["id"])  # still listed by the other hold
    assert release(api, by_listing["id"]).status_code == 200
    assert not on_hold(api, source["id"])


@freeze_time("2026-03-01T08:30:00Z")
def test_release_is_recorded_and_happens_once(api, make, incident):
    make.source(incident["id"], "bodycam")
    hold = hold_on(api, incident_id=incident["id"])
    released = release(api, hold["id"]).get_json()
    assert (released["released_at"], released["released_by"]) == ("2026-03-01T08:30:00Z", "admin")
    again = release(api, hold["id"])
    assert again.status_code == 409
    assert "already released" in again.get_json()["message"]
    assert api.get(f"/holds/{hold['id']}").get_json()["released_at"] == "2026-03-01T08:30:00Z"


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("investigator", 403), ("oversight", 403), ("importer", 403)],
)
def test_only_admins_release(api, incident, role, status):
    hold = hold_on(api, incident_id=incident["id"])
    r = release(api, hold["id"], role=role)
    assert r.status_code == status
    assert api.get(f"/holds/{hold['id']}").get_json()["active"] is (status != 200)


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 201), ("investigator", 201), ("oversight", 403), ("importer", 403)],
)
def test_who_places_holds(api, incident, role, status):
    r = api.post("/holds", json={"name": "Hold", "incident_id": incident["id"]}, role=role)
    assert r.status_code == status


def test_release_of_unknown_hold_is_404(api):
    assert release(api, 999).status_code == 404
    assert api.get("/holds/999").status_code == 404


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_holds_are_not_edited_or_deleted(api, incident, method):
    hold = hold_on(api, incident_id=incident["id"])
    assert (
        api.request(method, f"/holds/{hold['id']}", json={"name": "x"}, role="admin").status_code
        == 405
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "H"}, "incident_id"),
        ({"name": "H", "incident_id": 1, "source_ids": [1]}, "incident_id"),
        ({"name": "H", "incident_id": 999}, "incident_id"),
        ({"name": "H", "source_ids": [1, 998, 999]}, "source_ids"),
        ({"name": "", "incident_id": 1}, "name"),
        ({"incident_id": 1}, "name"),
        ({"name": "H", "source_ids": ["x"]}, "source_ids"),
        ({"name": "H", "incident_id": 1, "active": False}, "active"),
    ],
)
def test_invalid_holds_are_422(api, make, incident, body, field):
    make.source(incident["id"], "bodycam")
    r = api.post("/holds", json=body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]
    assert api.get("/holds").get_json() == []


def test_unknown_listed_sources_are_named(api, make, incident):
    make.source(incident["id"], "bodycam")
    r = api.post("/holds", json={"name": "H", "source_ids": [1, 998, 999]})
    assert "998, 999" in r.get_json()["message"]


def test_list_and_filter_holds(api, make, incident):
    a = make.source(incident["id"], "bodycam")
    other = make.incident(title="Other")
    b = make.source(other["id"], "bodycam")
    h1 = hold_on(api, incident_id=incident["id"])
    h2 = hold_on(api, source_ids=[b["id"]])
    h3 = hold_on(api, incident_id=other["id"])
    release(api, h3["id"])

    def ids(query):
        r = api.get("/holds" + query, role="oversight")
        assert r.status_code == 200
        return [h["id"] for h in r.get_json()]

    assert ids("") == [h3["id"], h2["id"], h1["id"]]
    assert ids("?active=true") == [h2["id"], h1["id"]]
    assert ids(f"?incident_id={incident['id']}") == [h1["id"]]
    assert ids(f"?source_id={a['id']}") == [h1["id"]]
    assert ids(f"?source_id={b['id']}") == [h3["id"], h2["id"]]
    assert ids(f"?source_id={b['id']}&active=true") == [h2["id"]]
    assert ids("?source_id=999") == []


def test_moving_a_source_follows_the_holds_of_its_incident(api, make, incident):
    """Moved into a held incident it is held; the hold then keeps it (only an admin moves it
    out, and the hold goes with it: tests/test_holds_hold.py)."""
    source = make.source(incident["id"], "bodycam")
    held = make.incident(title="Held")
    hold_on(api, incident_id=held["id"])
    moved = api.patch(f"/sources/{source['id']}", json={"incident_id": held["id"]}).get_json()
    assert moved["legal_hold"] is True
    back = api.patch(f"/sources/{source['id']}", json={"incident_id": incident["id"]})
    assert back.status_code == 409
    back = api.patch(
        f"/sources/{source['id']}", json={"incident_id": incident["id"]}, role="admin"
    ).get_json()
    assert back["legal_hold"] is True


def test_hold_never_shortens_retention(api, make, incident):
    source = make.source(incident["id"], "bodycam", retain_until="2030-01-01")
    hold = hold_on(api, incident_id=incident["id"])
    release(api, hold["id"])
    assert api.get(f"/sources/{source['id']}").get_json()["retain_until"] == "2030-01-01"


def test_refresh_legal_hold_recomputes_from_the_holds(app, api, make, incident):
    """The flag is derived: recomputing it from the holds gives what was kept in step."""
    sources = [make.source(incident["id"], "bystander") for _ in range(3)]
    hold_on(api, source_ids=[sources[1]["id"]])
    ids = [s["id"] for s in sources]
    with database.atomic():
        holds.Source.update(legal_hold=True).execute()  # scramble
        holds.refresh_legal_hold(ids)
    assert [on_hold(api, i) for i in ids] == [False, True, False]
