"""Reviews: history kept, the latest sets the source's review_status."""

import pytest
from freezegun import freeze_time


@pytest.fixture
def source(make):
    return make.source(make.incident()["id"], "bodycam")


def review(api, source_id, role="investigator", **body):
    return api.post(f"/sources/{source_id}/reviews", json=body, role=role)


def review_status(api, source_id):
    return api.get(f"/sources/{source_id}").get_json()["review_status"]


@freeze_time("2026-02-02T09:00:00Z")
def test_review_defaults_to_the_token_as_reviewer(api, source):
    assert review_status(api, source["id"]) == "unreviewed"
    r = review(api, source["id"], status="in_review")
    assert r.status_code == 201
    assert r.get_json() == {
        "id": r.get_json()["id"],
        "source_id": source["id"],
        "status": "in_review",
        "reviewer": "investigator",
        "notes": None,
        "flags": [],
        "actor": "investigator",
        "created_at": "2026-02-02T09:00:00Z",
    }
    assert review_status(api, source["id"]) == "in_review"


def test_history_is_kept_and_the_latest_decides(api, source):
    review(api, source["id"], status="in_review", reviewer="Analyst A")
    review(
        api,
        source["id"],
        status="flagged",
        reviewer="Analyst A",
        flags=["late_activation", "muted", "muted"],
        notes="Audio off for 40 s",
    )
    assert review_status(api, source["id"]) == "flagged"
    review(api, source["id"], status="reviewed", reviewer="Supervisor B", role="admin")
    assert review_status(api, source["id"]) == "reviewed"
    history = api.get(f"/sources/{source['id']}/reviews", role="oversight").get_json()
    assert [(h["status"], h["reviewer"]) for h in history] == [
        ("in_review", "Analyst A"),
        ("flagged", "Analyst A"),
        ("reviewed", "Supervisor B"),
    ]
    assert history[1]["flags"] == ["late_activation", "muted"]
    assert history[2]["actor"] == "admin"


def test_excluded(api, source):
    review(api, source["id"], status="excluded", notes="Duplicate of source 3")
    assert review_status(api, source["id"]) == "excluded"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "status"),
        ({"status": "unreviewed"}, "status"),
        ({"status": "done"}, "status"),
        ({"status": "flagged"}, "flags"),
        ({"status": "flagged", "flags": []}, "flags"),
        ({"status": "flagged", "flags": ["blurry"]}, "flags"),
        ({"status": "reviewed", "flags": "muted"}, "flags"),
        ({"status": "flagged", "flags": ["other"]}, "notes"),
        ({"status": "flagged", "flags": ["other"], "notes": "  "}, "notes"),
        ({"status": "reviewed", "reviewer": "x" * 201}, "reviewer"),
        ({"status": "reviewed", "notes": "\ud800"}, "notes"),
    ],
)
def test_invalid_reviews_are_422(api, source, body, field):
    r = review(api, source["id"], **body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]
    assert review_status(api, source["id"]) == "unreviewed"
    assert api.get(f"/sources/{source['id']}/reviews").get_json() == []


def test_other_flag_with_notes(api, source):
    r = review(api, source["id"], status="flagged", flags=["other"], notes="Lens fogged")
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 201), ("investigator", 201), ("oversight", 403), ("importer", 403)],
)
def test_who_may_review(api, source, role, status):
    assert review(api, source["id"], role=role, status="reviewed").status_code == status


def test_unknown_source_is_404(api):
    assert review(api, 999, status="reviewed").status_code == 404
    assert api.get("/sources/999/reviews").status_code == 404


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_reviews_are_append_only(api, source, method):
    assert (
        api.request(
            method, f"/sources/{source['id']}/reviews", json={"status": "reviewed"}
        ).status_code
        == 405
    )
