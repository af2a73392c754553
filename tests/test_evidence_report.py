"""The per-incident evidence report, JSON and printable HTML."""

import re

import pytest
from freezegun import freeze_time

from service.storage.db import database

SHA = "12" * 32


@pytest.fixture
def case(api, make):
    with freeze_time("2026-01-25T10:00:00Z"):
        incident = make.incident(title="Pretti shooting", case_number="DEMO-1")
        bodycam = make.source(incident["id"], "bodycam", sha256=SHA, external_id="bwc-1")
        clip = make.source(
            incident["id"], "bystander", sha256="34" * 32, recorded_by="<script>alert(1)</script>"
        )
        cctv = make.source(incident["id"], "surveillance")
        other = make.source(make.incident(title="Unrelated")["id"], "bodycam")
        for action, extra in [
            ("received", {"sha256_observed": SHA, "custodian": "HSI"}),
            ("checked_out", {"custodian": "Analyst A"}),
            ("returned", {"custodian": "HSI"}),
        ]:
            api.post(f"/sources/{bodycam['id']}/custody", json={"action": action, **extra})
        api.post(
            f"/sources/{clip['id']}/custody",
            json={"action": "received", "sha256_observed": SHA, "note": "<b>bold</b>"},
        )
        api.post(f"/sources/{cctv['id']}/custody", json={"action": "requested"})
        api.post(
            f"/sources/{bodycam['id']}/reviews",
            json={"status": "flagged", "flags": ["late_activation"], "notes": "Late"},
        )
        hold = api.create("/holds", {"name": "DOJ order", "incident_id": incident["id"]})
        listed = api.create("/holds", {"name": "Listed", "source_ids": [clip["id"]]})
        api.create("/holds", {"name": "Elsewhere", "source_ids": [other["id"]]})
    return {
        "incident": incident,
        "bodycam": bodycam,
        "clip": clip,
        "cctv": cctv,
        "holds": [hold["id"], listed["id"]],
    }


@freeze_time("2026-02-01T00:00:00Z")
def test_json_report(api, case):
    r = api.get(f"/incidents/{case['incident']['id']}/evidence-report", role="oversight")
    assert r.status_code == 200
    report = r.get_json()
    assert report["incident"]["title"] == "Pretti shooting"
    assert (report["generated_at"], report["generated_by"]) == ("2026-02-01T00:00:00Z", "oversight")
    assert [s["source"]["id"] for s in report["sources"]] == [
        case["bodycam"]["id"],
        case["clip"]["id"],
        case["cctv"]["id"],
    ]
    bodycam = report["sources"][0]
    assert [e["action"] for e in bodycam["custody"]] == ["received", "checked_out", "returned"]
    assert bodycam["custody"][0]["occurred_at"].endswith("Z")
    assert bodycam["verification"]["valid"] is True
    assert bodycam["verification"]["head_hash"] == bodycam["custody"][-1]["hash"]
    assert [r["flags"] for r in bodycam["reviews"]] == [["late_activation"]]
    assert [h["id"] for h in report["holds"]] == case["holds"]
    assert report["summary"] == {
        "sources": 3,
        "custody_events": 5,
        "chains_valid": 3,
        "chains_broken": 0,
        "broken_source_ids": [],
        "on_legal_hold": 3,
        "custody_status": {
            "identified": 0,
            "requested": 1,
            "in_custody": 2,
            "checked_out": 0,
            "released": 0,
            "disposed": 0,
        },
        "review_status": {
            "unreviewed": 2,
            "in_review": 0,
            "reviewed": 0,
            "flagged": 1,
            "excluded": 0,
        },
        "integrity": {"unverified": 1, "verified": 1, "mismatch": 1},
    }


def test_report_shows_a_broken_chain(api, case):
    database.execute_sql(
        f"UPDATE custody_event SET custodian = 'X' "
        f"WHERE source_id = {case['bodycam']['id']} AND seq = 2"
    )
    report = api.get(f"/incidents/{case['incident']['id']}/evidence-report?format=json").get_json()
    assert report["summary"]["broken_source_ids"] == [case["bodycam"]["id"]]
    assert report["sources"][0]["verification"]["first_invalid_seq"] == 2
    page = api.get(f"/incidents/{case['incident']['id']}/evidence-report?format=html")
    assert "BROKEN at event 2" in page.get_data(as_text=True)


def test_html_report_is_printable_self_contained_and_escaped(api, case):
    r = api.get(f"/incidents/{case['incident']['id']}/evidence-report?format=html")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "Pretti shooting" in page and "DEMO-1" in page
    assert "@media print" in page
    # The inline style is the one the page's Content-Security-Policy lets apply.
    nonce = re.search(r"style-src 'nonce-([^']+)'", r.headers["Content-Security-Policy"])[1]
    assert page.count("<style") == page.count(f'<style nonce="{nonce}">') == 1
    assert "DOJ order" in page and "late_activation" in page
    for event in api.get(f"/sources/{case['bodycam']['id']}/custody").get_json():
        assert event["hash"] in page
    # No external assets: no scripts, stylesheets, images or fonts fetched from anywhere.
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.I)
    assert not re.search(r"(src|href)\s*=", page, re.I)
    assert "url(" not in page and "@import" not in page
    # User text is text, never markup.
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_incident_without_sources(api, make):
    incident = make.incident()
    report = api.get(f"/incidents/{incident['id']}/evidence-report").get_json()
    assert report["sources"] == [] and report["holds"] == []
    page = api.get(f"/incidents/{incident['id']}/evidence-report?format=html")
    assert "No sources recorded" in page.get_data(as_text=True)


def test_unknown_incident_and_format(api, make):
    assert api.get("/incidents/999/evidence-report").status_code == 404
    incident = make.incident()
    assert api.get(f"/incidents/{incident['id']}/evidence-report?format=pdf").status_code == 422
    assert api.get(f"/incidents/{incident['id']}/evidence-report", role=None).status_code == 401


def test_openapi_documents_the_new_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/sources/{source_id}/custody",
        "/api/v1/sources/{source_id}/custody/verify",
        "/api/v1/sources/{source_id}/reviews",
        "/api/v1/holds",
        "/api/v1/holds/{hold_id}/release",
        "/api/v1/coverage/backlog",
        "/api/v1/incidents/{incident_id}/evidence-report",
    ):
        assert path in paths, path
    custody = paths["/api/v1/sources/{source_id}/custody"]
    assert set(custody) >= {"get", "post"} and not set(custody) & {"put", "patch", "delete"}
