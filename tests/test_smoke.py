def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ok"


def test_create_and_read_incident(api, make):
    make.agency("CBP")
    incident = make.incident(agencies=["CBP"])
    r = api.get(f"/incidents/{incident['id']}")
    assert r.status_code == 200
    assert r.get_json()["agencies"] == ["CBP"]
