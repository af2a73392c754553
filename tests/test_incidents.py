"""Incidents through the HTTP API: create, read, list, filter, page, update, and every refusal."""

import json

from freezegun import freeze_time


def test_create_incident_returns_201_with_utc_times_and_etag(api, make):
    make.agency("CBP")
    make.agency("USBP")
    with freeze_time("2026-02-01T12:00:00Z"):
        r = api.post(
            "/incidents",
            json={
                "title": "Pretti shooting",
                "kind": "shooting",
                "started_at": "2026-01-24T09:02:00-06:00",
                "ended_at": "2026-01-24T09:40:00-06:00",
                "location": {
                    "address": "26th St & Nicollet Ave",
                    "city": "Minneapolis",
                    "state": "MN",
                    "latitude": 44.95,
                    "longitude": -93.27,
                },
                "agencies": ["USBP", "CBP"],
                "external_id": "ext-1",
                "case_number": "C-1",
            },
        )
    assert r.status_code == 201
    body = r.get_json()
    assert body["started_at"] == "2026-01-24T15:02:00Z"
    assert body["ended_at"] == "2026-01-24T15:40:00Z"
    assert body["agencies"] == ["CBP", "USBP"]
    assert body["location"]["city"] == "Minneapolis"
    assert body["status"] == "open"
    assert body["created_at"] == body["updated_at"] == "2026-02-01T12:00:00Z"
    assert r.headers["ETag"]
    again = api.get(f"/incidents/{body['id']}")
    assert again.get_json() == body
    assert again.headers["ETag"] == r.headers["ETag"]


def test_timestamp_without_offset_is_422_naming_the_field(api):
    r = api.post("/incidents", json={"title": "x", "started_at": "2026-01-24T09:02:00"})
    assert r.status_code == 422
    assert "started_at" in r.get_json()["errors"]["json"]
    assert api.get("/incidents").headers["X-Pagination"]
    assert json.loads(api.get("/incidents").headers["X-Pagination"])["total"] == 0


def test_ended_before_started_is_422(api):
    r = api.post(
        "/incidents",
        json={
            "title": "x",
            "started_at": "2026-01-24T10:00:00Z",
            "ended_at": "2026-01-24T09:00:00Z",
        },
    )
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"]["ended_at"] == ["must not be before started_at"]


def test_unknown_enum_value_is_422_listing_the_choices(api):
    r = api.post(
        "/incidents", json={"title": "x", "started_at": "2026-01-24T10:00:00Z", "kind": "riot"}
    )
    assert r.status_code == 422
    assert "shooting" in r.get_json()["errors"]["json"]["kind"][0]


def test_unknown_agency_is_422_and_nothing_is_written(api):
    r = api.post(
        "/incidents",
        json={"title": "x", "started_at": "2026-01-24T10:00:00Z", "agencies": ["NOPE"]},
    )
    assert r.status_code == 422
    assert "NOPE" in r.get_json()["errors"]["json"]["agencies"][0]
    assert json.loads(api.get("/incidents").headers["X-Pagination"])["total"] == 0


def test_malformed_json_is_400_and_wrong_content_type_415(api):
    r = api.post("/incidents", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["code"] == 400
    r = api.post("/incidents", data="title=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = api.post("/incidents", json=[1, 2])
    assert r.status_code == 422


def test_unknown_field_is_422(api):
    r = api.post(
        "/incidents", json={"title": "x", "started_at": "2026-01-24T10:00:00Z", "colour": "red"}
    )
    assert r.status_code == 422
    assert "colour" in r.get_json()["errors"]["json"]


def test_duplicate_external_id_is_409(api, make):
    make.incident(external_id="e-1")
    r = api.post(
        "/incidents",
        json={"title": "x", "started_at": "2026-01-24T10:00:00Z", "external_id": "e-1"},
    )
    assert r.status_code == 409
    assert "e-1" in r.get_json()["message"]


def test_unknown_incident_is_404(api):
    r = api.get("/incidents/999")
    assert r.status_code == 404
    assert r.get_json()["code"] == 404


def test_list_filters_and_pagination(api, make):
    make.agency("ICE")
    make.agency("MPD")
    for day in range(1, 8):
        make.incident(
            title=f"i{day}",
            started_at=f"2026-01-0{day}T12:00:00Z",
            kind="arrest" if day % 2 else "shooting",
            location={"state": "MN" if day < 4 else "IL"},
            agencies=["ICE"] if day < 5 else ["MPD"],
        )
    r = api.get("/incidents?page=2&page_size=3")
    meta = json.loads(r.headers["X-Pagination"])
    assert meta["total"] == 7 and meta["total_pages"] == 3 and meta["page"] == 2
    assert [i["title"] for i in r.get_json()] == ["i4", "i3", "i2"]  # newest first
    shootings = api.get("/incidents?kind=shooting").get_json()
    assert {i["title"] for i in shootings} == {"i2", "i4", "i6"}
    assert {i["title"] for i in api.get("/incidents?state=MN").get_json()} == {"i1", "i2", "i3"}
    assert {i["title"] for i in api.get("/incidents?agency=MPD").get_json()} == {"i5", "i6", "i7"}
    r = api.get("/incidents?from=2026-01-03T00:00:00Z&to=2026-01-05T00:00:00Z")
    assert {i["title"] for i in r.get_json()} == {"i3", "i4"}


def test_bad_list_parameters_are_422(api):
    for query in (
        "page=0",
        "page_size=1001",
        "page=abc",
        "kind=riot",
        "from=2026-01-01",
        "page=99999999999999999999",
    ):
        r = api.get(f"/incidents?{query}")
        assert r.status_code == 422, query
        assert r.get_json()["errors"]["query"], query


def test_patch_merges_location_replaces_agencies_and_moves_updated_at(api, make):
    make.agency("ICE")
    make.agency("HSI")
    with freeze_time("2026-02-01T00:00:00Z"):
        incident = make.incident(location={"city": "Minneapolis", "state": "MN"}, agencies=["ICE"])
    with freeze_time("2026-02-02T00:00:00Z"):
        r = api.patch(
            f"/incidents/{incident['id']}",
            json={
                "location": {"address": "26th St"},
                "agencies": ["HSI"],
                "status": "under_investigation",
            },
        )
    assert r.status_code == 200
    body = r.get_json()
    assert body["location"]["address"] == "26th St"
    assert body["location"]["city"] == "Minneapolis"
    assert body["agencies"] == ["HSI"]
    assert body["status"] == "under_investigation"
    assert body["created_at"] == "2026-02-01T00:00:00Z"
    assert body["updated_at"] == "2026-02-02T00:00:00Z"


def test_patch_checks_order_against_stored_values(api, make):
    incident = make.incident(started_at="2026-01-24T10:00:00Z")
    r = api.patch(f"/incidents/{incident['id']}", json={"ended_at": "2026-01-24T09:00:00Z"})
    assert r.status_code == 422
    assert api.get(f"/incidents/{incident['id']}").get_json()["ended_at"] is None


def test_patch_with_stale_if_match_is_412_and_changes_nothing(api, make):
    incident = make.incident(title="first")
    path = f"/incidents/{incident['id']}"
    etag = api.get(path).headers["ETag"]
    r = api.patch(path, json={"title": "second"}, headers={"If-Match": etag})
    assert r.status_code == 200
    new_etag = r.headers["ETag"]
    assert new_etag != etag
    r = api.patch(path, json={"title": "third"}, headers={"If-Match": etag})
    assert r.status_code == 412
    assert api.get(path).get_json()["title"] == "second"
    r = api.patch(path, json={"title": "third"}, headers={"If-Match": new_etag})
    assert r.status_code == 200


def test_incidents_have_no_delete(api, make):
    incident = make.incident()
    assert api.delete(f"/incidents/{incident['id']}").status_code == 405
    assert api.get(f"/incidents/{incident['id']}").status_code == 200
