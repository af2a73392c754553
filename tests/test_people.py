"""Agencies, officers and their involvement in incidents."""


def test_agency_create_read_update_and_refusals(api):
    r = api.post(
        "/agencies",
        json={"code": "CBP", "name": "Customs and Border Protection", "jurisdiction": "federal"},
    )
    assert r.status_code == 201
    assert api.post("/agencies", json={"code": "CBP", "name": "again"}).status_code == 409
    assert api.post("/agencies", json={"code": "cbp!", "name": "x"}).status_code == 422
    r = api.post("/agencies", json={"code": "X", "name": "x", "jurisdiction": "galactic"})
    assert r.status_code == 422 and "jurisdiction" in r.get_json()["errors"]["json"]
    r = api.patch("/agencies/CBP", json={"name": "U.S. CBP"})
    assert r.status_code == 200 and r.get_json()["name"] == "U.S. CBP"
    assert api.patch("/agencies/CBP", json={"code": "ZZZ"}).status_code == 422
    assert api.get("/agencies/NOPE").status_code == 404
    assert [a["code"] for a in api.get("/agencies").get_json()] == ["CBP"]


def test_officer_badge_is_unique_per_agency(api, make):
    make.agency("CBP")
    make.agency("ICE")
    first = api.create("/officers", {"agency": "CBP", "badge_number": "7"})
    r = api.post("/officers", json={"agency": "CBP", "badge_number": "7"})
    assert r.status_code == 409
    assert str(first["id"]) in r.get_json()["message"]
    api.create("/officers", {"agency": "ICE", "badge_number": "7"})
    r = api.post("/officers", json={"agency": "FBI", "badge_number": "8"})
    assert r.status_code == 422 and "agency" in r.get_json()["errors"]["json"]
    assert len(api.get("/officers?agency=CBP").get_json()) == 1
    assert len(api.get("/officers?badge_number=7").get_json()) == 2


def test_officer_update(api, make):
    make.agency("CBP")
    make.agency("ICE")
    officer = make.officer("CBP", camera_issued=False)
    r = api.patch(f"/officers/{officer['id']}", json={"agency": "ICE", "camera_issued": True})
    assert r.status_code == 200
    assert (r.get_json()["agency"], r.get_json()["camera_issued"]) == ("ICE", True)
    assert api.get("/officers/999").status_code == 404


def test_involvement_defaults_camera_expected_from_officer(api, make):
    make.agency("CBP")
    with_camera = make.officer("CBP", camera_issued=True)
    without = make.officer("CBP", camera_issued=False)
    incident = make.incident()
    path = f"/incidents/{incident['id']}/officers"
    a = make.involve(incident["id"], with_camera["id"], role="discharged_weapon")
    b = make.involve(incident["id"], without["id"])
    assert (a["camera_expected"], a["role"], a["agency"]) == (True, "discharged_weapon", "CBP")
    assert (b["camera_expected"], b["role"]) == (False, "assisting")
    assert api.post(path, json={"officer_id": with_camera["id"]}).status_code == 409
    r = api.post(path, json={"officer_id": 999})
    assert r.status_code == 422 and "officer_id" in r.get_json()["errors"]["json"]
    r = api.post(path, json={"officer_id": without["id"], "role": "bystander"})
    assert r.status_code == 422
    assert len(api.get(path).get_json()) == 2
    assert len(api.get(path + "?role=discharged_weapon").get_json()) == 1
    r = api.patch(
        f"{path}/{without['id']}", json={"camera_expected": True, "not_recorded_reason": "battery"}
    )
    assert r.status_code == 200
    assert r.get_json()["not_recorded_reason"] == "battery"
    assert api.get(f"{path}/{999}").status_code == 404
    assert api.post("/incidents/999/officers", json={"officer_id": 1}).status_code == 404
