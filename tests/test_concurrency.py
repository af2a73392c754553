"""Many writers at once through the real server (gunicorn, 3 worker processes of 4 threads):
nothing lost, nothing duplicated, no 5xx, no "database is locked" reaching a client."""

import json
from concurrent.futures import ThreadPoolExecutor

from live import verified_chains

WRITERS = 8
SOURCES_EACH = 12
PATCHERS = 4
PATCHES_EACH = 5


def _setup(server, incidents=4):
    admin = server.client()
    status, _, _ = admin.request(
        "POST", "agencies", {"code": "CBP", "name": "CBP", "jurisdiction": "federal"}
    )
    assert status == 201
    ids = []
    for n in range(incidents):
        status, _, body = admin.request(
            "POST",
            "incidents",
            {
                "title": f"Incident {n}",
                "kind": "use_of_force",
                "started_at": "2026-01-24T09:00:00-06:00",
                "description": "0",
            },
        )
        assert status == 201, body
        ids.append(body["id"])
    admin.close()
    return ids


def _create_sources(server, writer, incident_ids, answers):
    client = server.client()
    try:
        for n in range(SOURCES_EACH):
            incident_id = incident_ids[(writer + n) % len(incident_ids)]
            body = {
                "kind": "bodycam",
                "external_id": f"w{writer}-{n}",
                "sha256": f"{writer:032x}{n:032x}",
                "device_id": f"CAM-{writer}",
            }
            answers.append(
                ("POST", *client.request("POST", f"incidents/{incident_id}/sources", body))
            )
    finally:
        client.close()


def _increment(server, incident_id, answers, done):
    """Read-modify-write of a counter kept in the description, guarded by If-Match."""
    client = server.client()
    try:
        while done[0] < PATCHES_EACH:
            status, headers, body = client.request("GET", f"incidents/{incident_id}")
            answers.append(("GET", status, headers, body))
            patched = client.request(
                "PATCH",
                f"incidents/{incident_id}",
                {"description": str(int(body["description"]) + 1)},
                {"If-Match": headers["ETag"]},
            )
            answers.append(("PATCH", *patched))
            if patched[0] == 200:
                done[0] += 1
    finally:
        client.close()


def test_concurrent_writers_lose_and_duplicate_nothing(live_server):
    incident_ids = _setup(live_server)
    answers = []  # list.append is atomic: threads share it safely
    counters = [[0] for _ in range(PATCHERS)]
    with ThreadPoolExecutor(WRITERS + PATCHERS) as pool:
        futures = [
            pool.submit(_create_sources, live_server, w, incident_ids, answers)
            for w in range(WRITERS)
        ]
        futures += [
            pool.submit(_increment, live_server, incident_ids[0], answers, counters[p])
            for p in range(PATCHERS)
        ]
        for future in futures:
            future.result()

    statuses = [(method, status) for method, status, _, _ in answers]
    assert not [a for a in answers if a[1] >= 500], "5xx answers"
    assert "database is locked" not in json.dumps([a[3] for a in answers])
    created = [
        body["id"] for method, status, _, body in answers if method == "POST" and status == 201
    ]
    assert len(created) == WRITERS * SOURCES_EACH, statuses
    assert len(set(created)) == len(created)
    assert {s for m, s in statuses if m == "PATCH"} <= {200, 412}

    reader = live_server.client()
    status, headers, listed = reader.request("GET", "sources?page_size=1000")
    assert status == 200
    assert json.loads(headers["X-Pagination"])["total"] == len(created)
    assert sorted(s["id"] for s in listed) == sorted(created)
    assert sorted(s["external_id"] for s in listed) == sorted(
        f"w{w}-{n}" for w in range(WRITERS) for n in range(SOURCES_EACH)
    )
    # Every acknowledged increment is in the counter: If-Match let no update be lost.
    _, _, incident = reader.request("GET", f"incidents/{incident_ids[0]}")
    assert int(incident["description"]) == PATCHERS * PATCHES_EACH
    reader.close()
    chains = verified_chains(live_server.database_url)
    assert chains["audit"] and all(chains.values()), chains


def test_concurrent_custody_appends_to_one_chain_keep_it_whole(live_server):
    incident_id = _setup(live_server, incidents=1)[0]
    client = live_server.client()
    status, _, source = client.request(
        "POST", f"incidents/{incident_id}/sources", {"kind": "bodycam"}
    )
    assert status == 201
    chain = f"sources/{source['id']}/custody"
    assert client.request("POST", chain, {"action": "received"})[0] == 201
    answers = []

    def append(writer):
        own = live_server.client()
        for n in range(6):
            answers.append(
                own.request("POST", chain, {"action": "copied", "note": f"copy {writer}.{n}"})
            )
        own.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(append, range(8)))

    assert [a[0] for a in answers] == [201] * 48, [a for a in answers if a[0] != 201][:3]
    status, _, events = client.request("GET", f"{chain}?page_size=1000")
    assert [e["seq"] for e in events] == list(range(1, 50))
    assert sorted(e["note"] for e in events[1:]) == sorted(
        f"copy {w}.{n}" for w in range(8) for n in range(6)
    )
    status, _, verdict = client.request("GET", f"{chain}/verify")
    client.close()
    assert verdict["valid"] and verdict["events"] == 49
    chains = verified_chains(live_server.database_url)
    assert chains == {"audit": True, "custody": True}
