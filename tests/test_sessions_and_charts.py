"""Sessions and charts (issue 13, finding 12): signing out ends the session on the server (a
copied cookie stops working), and incident dates outside 1900-2100 are refused so that charts
span the data's real range."""

import re

from test_dashboard import HIDDEN_CSRF, sign_in

from service.storage.models import DashboardSession, Incident


def test_a_cookie_copied_before_sign_out_no_longer_works(app, client, tokens):
    assert sign_in(client, tokens["oversight"]).status_code == 303
    cookie = client.get_cookie("evidence_session", path="/dashboard")
    assert cookie is not None
    stolen = app.test_client()
    stolen.set_cookie("evidence_session", cookie.value, path="/dashboard")
    assert stolen.get("/dashboard/").status_code == 200
    page = client.get("/dashboard/").get_data(as_text=True)
    csrf = HIDDEN_CSRF.search(page).group(1)
    assert client.post("/dashboard/logout", data={"csrf_token": csrf}).status_code == 303
    assert stolen.get("/dashboard/").status_code == 302  # back to the sign-in page
    [row] = DashboardSession.select()
    assert row.ended_at is not None and len(row.session_hash) == 64


def test_incident_dates_outside_1900_to_2100_are_refused(api):
    for when in ("0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "2101-01-01T00:00:00Z"):
        r = api.post("/incidents", json={"title": "x", "started_at": when})
        assert r.status_code == 422, when
        assert "started_at" in r.get_json()["message"] and "1900" in r.get_json()["message"]
    ok = api.post("/incidents", json={"title": "x", "started_at": "1900-01-01T00:00:00Z"})
    assert ok.status_code == 201
    r = api.patch(f"/incidents/{ok.get_json()['id']}", json={"ended_at": "2200-01-01T00:00:00Z"})
    assert r.status_code == 422 and "ended_at" in r.get_json()["message"]
    assert Incident.select().count() == 1


def test_the_month_chart_spans_the_data(api):
    api.post("/incidents", json={"title": "old", "started_at": "1900-01-01T00:00:00Z"})
    api.post("/incidents", json={"title": "new", "started_at": "1901-12-01T00:00:00Z"})
    html = api.get("/reports/coverage?format=html&group_by=month").get_data(as_text=True)
    months = set(re.findall(r"\b(19\d\d-\d\d)\b", html))
    assert min(months) == "1900-01" and max(months) == "1901-12"
    assert len(months) == 24
