"""Paging: keyset cursors (`after=`) beside page numbers, and totals that say when they are
estimated."""

import json

import pytest

from service.storage.db import database


def _walk(api, path, page_size, role="investigator"):
    """Every item of a list, following X-Pagination's next_after; and the headers seen."""
    items, headers, after = [], [], None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}page_size={page_size}" + (f"&after={after}" if after else "")
        r = api.get(url, role=role)
        assert r.status_code == 200, r.get_json()
        meta = json.loads(r.headers["X-Pagination"])
        headers.append(meta)
        items.extend(r.get_json())
        after = meta.get("next_after")
        if after is None:
            return items, headers


def _pages(api, path, page_size, role="investigator"):
    items, page = [], 1
    while True:
        sep = "&" if "?" in path else "?"
        r = api.get(f"{path}{sep}page_size={page_size}&page={page}", role=role)
        meta = json.loads(r.headers["X-Pagination"])
        items.extend(r.get_json())
        if "next_page" not in meta:
            return items
        page += 1


def test_sources_by_cursor_are_the_pages_in_order(api, make):
    incident = make.incident()
    ids = [make.source(incident["id"])["id"] for _ in range(7)]
    items, headers = _walk(api, "/sources", 3)
    assert [s["id"] for s in items] == ids
    assert len(headers) == 3
    assert headers[0]["next_after"] == ids[2] and headers[1]["next_after"] == ids[5]
    assert all(h["total"] == 7 and "page" not in h for h in headers[1:])
    assert "total_estimated" not in headers[0]
    # the incident's own list, filtered, walks the same way
    items, _ = _walk(api, f"/incidents/{incident['id']}/sources?kind=bodycam", 2)
    assert [s["id"] for s in items] == ids


def test_incidents_by_cursor_follow_newest_first_with_ties(api, make):
    made = [make.incident(started_at=f"2024-05-0{1 + i % 3}T10:00:00Z")["id"] for i in range(8)]
    assert len(made) == 8
    walked, _ = _walk(api, "/incidents", 3)
    assert [i["id"] for i in walked] == [i["id"] for i in _pages(api, "/incidents", 3)]
    assert len({i["id"] for i in walked}) == 8


def test_page_header_offers_next_after_and_a_cursor_to_an_unknown_incident_is_422(api, make):
    for _ in range(3):
        make.incident()
    meta = json.loads(api.get("/incidents?page_size=2").headers["X-Pagination"])
    assert meta["next_page"] == 2 and "next_after" in meta
    r = api.get("/incidents?after=999999")
    assert r.status_code == 422 and "after" in json.dumps(r.get_json())
    r = api.get("/incidents?after=abc")
    assert r.status_code == 422 and "after" in r.get_json()["errors"]["query"]


def test_after_with_a_page_number_is_refused(api, make):
    make.incident()
    r = api.get("/sources?after=1&page=2")
    assert r.status_code == 422 and "page" in json.dumps(r.get_json())


def test_custody_and_audit_by_cursor(api, make):
    incident = make.incident()
    source = make.source(incident["id"])
    make.custody(source["id"], "identified", "requested", "received", "checked_out")
    events, _ = _walk(api, f"/sources/{source['id']}/custody", 3)
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    entries, _ = _walk(api, "/audit", 4, role="admin")
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    assert len(ids) >= 8


def test_lacking_list_by_cursor(api, make):
    for _ in range(5):
        make.incident()
    walked, _ = _walk(api, "/coverage/incidents?lacking=bodycam", 2, role="oversight")
    paged = _pages(api, "/coverage/incidents?lacking=bodycam", 2, role="oversight")
    assert [i["id"] for i in walked] == [i["id"] for i in paged] and len(walked) == 5


@pytest.mark.parametrize("limit", [3])
def test_a_long_filtered_list_says_its_total_is_estimated(api, make, app, limit, postgres_url):
    app.config["EXACT_COUNT_LIMIT"] = limit
    incident = make.incident()
    for _ in range(5):
        make.source(incident["id"], kind="media")
    meta = json.loads(api.get("/sources?kind=media").headers["X-Pagination"])
    assert meta["total_estimated"] is True and meta["total"] >= limit + 1
    # a list within the limit, and a whole table, are counted exactly
    meta = json.loads(api.get("/sources?kind=bodycam").headers["X-Pagination"])
    assert meta["total"] == 0 and "total_estimated" not in meta
    meta = json.loads(api.get("/sources").headers["X-Pagination"])
    if postgres_url:  # PostgreSQL would read every row to count a whole table
        assert meta["total_estimated"] is True and meta["total"] >= limit + 1
        # Once its catalogue sizes the table (ANALYZE, VACUUM), that size is the estimate,
        # read without counting; within the limit the table is still counted exactly.
        database.execute_sql("ANALYZE source")
        meta = json.loads(api.get("/sources").headers["X-Pagination"])
        assert meta["total_estimated"] is True and meta["total"] == 5
        app.config["EXACT_COUNT_LIMIT"] = 5
        meta = json.loads(api.get("/sources").headers["X-Pagination"])
        assert meta["total"] == 5 and "total_estimated" not in meta
    else:  # SQLite counts a whole table from its b-tree
        assert meta["total"] == 5 and "total_estimated" not in meta
