"""The dashboard over HTTP: signing in and out, sessions, roles, CSRF, audit, pages.

(tests/test_dashboard_browser.py drives the same pages in a real browser.)
"""

import os
import re
import stat
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
import scenario
from freezegun import freeze_time

from service.domain.auth import revoke_token
from service.domain.time import utcnow
from service.storage.models import AuditEntry
from service.web import signin

HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client, path="/dashboard/login"):
    page = client.get(path).get_data(as_text=True)
    return HIDDEN_CSRF.search(page).group(1)


def sign_in(client, token, next_path=None):
    csrf = csrf_of(client)
    url = "/dashboard/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"token": token, "csrf_token": csrf})


@pytest.fixture
def oversight(client, tokens):
    """A client signed in as the oversight token."""
    response = sign_in(client, tokens["oversight"])
    assert response.status_code == 303
    return client


@pytest.fixture
def data(make):
    return scenario.build(make)


def test_pages_need_a_sign_in(client):
    for path in (
        "/dashboard/",
        "/dashboard/incidents",
        "/dashboard/incidents/1",
        "/dashboard/reports/coverage",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/dashboard/login?next=")


def test_signing_in_and_out(client, tokens, data):
    response = sign_in(client, tokens["oversight"], next_path="/dashboard/incidents")
    assert response.status_code == 303
    assert response.location == "/dashboard/incidents"
    page = client.get("/dashboard/incidents").get_data(as_text=True)
    assert "Signed in as <strong>oversight</strong>" in page
    csrf = HIDDEN_CSRF.search(page).group(1)
    response = client.post("/dashboard/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert "You have signed out" in client.get(response.location).get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_the_session_cookie_is_httponly_strict_and_scoped(client, tokens):
    response = sign_in(client, tokens["oversight"])
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("evidence_session=")
    )
    flags = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "path"} <= flags
    assert "SameSite=Strict" in header and "Path=/dashboard" in header
    assert "secure" not in flags
    cookie = SimpleCookie(header)["evidence_session"].value
    assert tokens["oversight"] not in cookie


def test_secure_cookies_when_configured(app, client, tokens):
    app.config["SESSION_COOKIE_SECURE"] = True
    header = sign_in(client, tokens["oversight"]).headers["Set-Cookie"]
    assert "Secure" in header


@pytest.mark.parametrize("role", ["admin", "investigator", "oversight"])
def test_roles_that_may_use_the_dashboard(client, tokens, role, data):
    assert sign_in(client, tokens[role]).status_code == 303
    assert client.get("/dashboard/").status_code == 200


def test_importers_are_refused(client, tokens):
    response = sign_in(client, tokens["importer"])
    assert response.status_code == 403
    assert "may not use the dashboard" in response.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302  # no session was started


@pytest.mark.parametrize("token", ["", "evi_not-a-token", "x" * 5000])
def test_bad_tokens_are_refused(client, token):
    response = sign_in(client, token)
    assert response.status_code == 401
    assert "not valid" in response.get_data(as_text=True)


def test_sign_in_needs_the_forms_csrf_token(client, tokens):
    client.get("/dashboard/login")
    response = client.post("/dashboard/login", data={"token": tokens["oversight"]})
    assert response.status_code == 400
    response = client.post(
        "/dashboard/login", data={"token": tokens["oversight"], "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 302


def test_sign_out_needs_the_csrf_token(oversight):
    assert oversight.post("/dashboard/logout").status_code == 400
    assert oversight.get("/dashboard/").status_code == 200  # still signed in


def test_signing_in_starts_a_fresh_csrf_token(client, tokens):
    before = csrf_of(client)
    sign_in(client, tokens["oversight"])
    assert csrf_of(client, "/dashboard/") != before


def test_revoking_the_token_ends_the_session_at_once(oversight, data):
    assert oversight.get("/dashboard/").status_code == 200
    revoke_token("oversight")
    response = oversight.get("/dashboard/")
    assert response.status_code == 302 and "/dashboard/login" in response.location


def test_an_expired_token_ends_the_session(oversight, tokens):
    from service.storage.models import ApiToken

    ApiToken.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        ApiToken.name == "oversight"
    ).execute()
    assert oversight.get("/dashboard/").status_code == 302


def test_sessions_last_session_hours_at_most(app, oversight, data):
    app.config["SESSION_HOURS"] = 2
    with freeze_time(utcnow() + timedelta(hours=1, minutes=59)):
        assert oversight.get("/dashboard/").status_code == 200
    with freeze_time(utcnow() + timedelta(hours=2, minutes=1)):
        assert oversight.get("/dashboard/").status_code == 302


def test_a_session_names_one_token_only(app, tokens):
    from service.domain.auth import token_in_session
    from service.storage.models import ApiToken

    token = ApiToken.get(ApiToken.name == "oversight")
    assert token_in_session(token.id, token.token_hash[:16]).name == "oversight"
    assert token_in_session(token.id, "0" * 16) is None
    assert token_in_session(token.id, "") is None
    assert token_in_session("1", token.token_hash[:16]) is None


@pytest.mark.parametrize(
    "target",
    ["https://example.invalid/", "//example.invalid/x", "/api/v1/audit", "/dashboard/\\\\evil"],
)
def test_no_open_redirect_after_sign_in(client, tokens, target):
    response = sign_in(client, tokens["oversight"], next_path=target)
    assert response.location == "/dashboard/"


def test_every_page_is_audited_with_who_looked(oversight, tokens, data):
    incident_id = data["covered"]["id"]
    for path in (
        "/dashboard/",
        "/dashboard/incidents?lacking=any",
        f"/dashboard/incidents/{incident_id}",
    ):
        assert oversight.get(path).status_code == 200
    entries = list(
        AuditEntry.select().where(AuditEntry.path.startswith("/dashboard")).order_by(AuditEntry.id)
    )
    assert [(e.method, e.path, e.actor, e.status) for e in entries[-3:]] == [
        ("GET", "/dashboard/", "oversight", 200),
        ("GET", "/dashboard/incidents?lacking=any", "oversight", 200),
        ("GET", f"/dashboard/incidents/{incident_id}", "oversight", 200),
    ]
    sign_ins = [e for e in entries if e.path == "/dashboard/login" and e.method == "POST"]
    assert [(e.actor, e.status) for e in sign_ins] == [("oversight", 303)]


def test_failed_sign_ins_are_audited(client, tokens):
    sign_in(client, "evi_wrong")
    sign_in(client, tokens["importer"])
    entries = AuditEntry.select().where(AuditEntry.method == "POST").order_by(AuditEntry.id)
    assert [(e.actor, e.status) for e in entries] == [(None, 401), ("importer", 403)]


def test_pages_fit_the_content_security_policy(client, tokens, data):
    incident_id = data["covered"]["id"]
    for path in (
        "/dashboard/login",
        "/dashboard/",
        "/dashboard/incidents",
        f"/dashboard/incidents/{incident_id}",
        "/dashboard/incidents/999",
        "/dashboard/backlog",
        "/dashboard/reports/coverage?format=html",
    ):
        if path == "/dashboard/":
            sign_in(client, tokens["oversight"])
        response = client.get(path)
        page = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        assert nonce, path
        assert f'<style nonce="{nonce.group(1)}">' in page, path
        assert " style=" not in page, path
        assert "<script" not in page, path
        assert re.findall(r"<link [^>]*>", page) == ['<link rel="icon" href="data:,">'], path
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_overview_shows_coverage_by_agency_and_month(oversight, data):
    page = oversight.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'id="total-incidents">3<', page)
    assert re.search(r'id="total-without">1<', page) is None  # 2 of 3 lack bodycam
    assert re.search(r'id="total-without">2<', page)
    assert '<tr data-key="CBP">' in page and '<tr data-key="ICE">' in page
    assert 'class="chart rate-bars"' in page and 'class="chart month-lines"' in page
    assert "/dashboard/reports/coverage?format=html" in page


def test_overview_filters(oversight, data):
    page = oversight.get("/dashboard/?agency=ICE&from=2026-01-01&to=2026-01-31")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r'id="total-incidents">1<', text)
    assert "format=html&amp;agency=ICE&amp;from=2026-01-01&amp;to=2026-01-31" in text


def test_lacking_list_and_its_filters(oversight, data):
    page = oversight.get("/dashboard/incidents").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<tr data-incident-id="(\d+)">', page)]
    assert ids == [data["filmed"]["id"], data["unfilmed"]["id"]]
    assert f'href="/dashboard/incidents/{data["filmed"]["id"]}"' in page
    page = oversight.get("/dashboard/incidents?lacking=any").get_data(as_text=True)
    assert re.findall(r'<tr data-incident-id="(\d+)">', page) == [str(data["unfilmed"]["id"])]
    page = oversight.get("/dashboard/incidents?lacking=officer_bodycam").get_data(as_text=True)
    assert re.findall(r'<tr data-incident-id="(\d+)">', page) == [str(data["covered"]["id"])]
    # `to` is a whole day, included.
    page = oversight.get("/dashboard/incidents?from=2026-01-07&to=2026-01-07")
    assert re.findall(r'<tr data-incident-id="(\d+)">', page.get_data(as_text=True)) == [
        str(data["filmed"]["id"])
    ]


def test_lacking_list_pages(oversight, make, monkeypatch):
    from service.web import dashboard

    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    make.agency("CBP")
    for day in range(1, 6):
        make.incident(title=f"day {day}", started_at=f"2026-03-{day:02d}T10:00:00Z")
    page = oversight.get("/dashboard/incidents?kind=shooting&page=3").get_data(as_text=True)
    assert "page 3 of 3" in page
    assert re.findall(r'<tr data-incident-id="(\d+)">', page) == ["1"]
    assert 'href="/dashboard/incidents?page=2&amp;kind=shooting"' in page


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday",
        "lacking=nothing",
        "kind=party",
        "counting=all",
        "page=0",
        "agency=" + "X" * 80,
    ],
)
def test_bad_filters_show_what_is_wrong(oversight, query):
    response = oversight.get(f"/dashboard/incidents?{query}")
    assert response.status_code == 422
    assert 'id="filter-errors"' in response.get_data(as_text=True)
    assert oversight.get(f"/dashboard/?{query}").status_code in (200, 422)


def test_incident_page_shows_officers_and_gaps(oversight, data):
    page = oversight.get(f"/dashboard/incidents/{data['covered']['id']}").get_data(as_text=True)
    gaps = re.findall(r'<rect class="gap"[^>]*data-start="([^"]+)" data-end="([^"]+)"', page)
    assert gaps == [
        ("2026-01-24T15:10:00Z", "2026-01-24T15:15:00Z"),
        ("2026-01-24T15:20:00Z", "2026-01-24T15:30:00Z"),
    ]
    listed = re.findall(r'<li data-start="([^"]+)" data-end="([^"]+)">', page)
    assert listed == gaps
    # The bodycam's span is corrected by its clock offset (+60 s).
    spans = re.findall(
        r'<rect class="span (\w+)"[^>]*data-start="([^"]+)" data-end="([^"]+)"', page
    )
    assert spans == [
        ("bodycam", "2026-01-24T15:00:00Z", "2026-01-24T15:10:00Z"),
        ("bystander", "2026-01-24T15:15:00Z", "2026-01-24T15:20:00Z"),
    ]
    officer_a, officer_b = data["officer_a"]["id"], data["officer_b"]["id"]
    assert f'data-officer-id="{officer_a}" data-covered="yes"' in page
    assert f'data-officer-id="{officer_b}" data-covered="no"' in page
    assert "battery died" in page
    assert re.search(r'id="coverage-ratio">50%<', page)
    assert re.search(r'id="officers-covered">1 / 2<', page)


def test_incident_page_counting_in_custody(oversight, data):
    page = oversight.get(f"/dashboard/incidents/{data['covered']['id']}?counting=in_custody")
    text = page.get_data(as_text=True)
    assert 'class="span ' not in text  # nothing is in custody yet
    assert re.findall(r'<rect class="gap"[^>]*data-start="([^"]+)"', text) == [
        "2026-01-24T15:00:00Z"
    ]


def test_unknown_incident_is_an_html_404(oversight):
    response = oversight.get("/dashboard/incidents/999")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "incident 999 not found" in response.get_data(as_text=True)


def test_reports_from_the_dashboard(oversight, data):
    response = oversight.get("/dashboard/reports/coverage?format=csv&kind=arrest")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Lake Street arrest" in response.get_data(as_text=True)
    assert "generated_by" in oversight.get("/dashboard/reports/coverage").get_json()
    bad = oversight.get("/dashboard/reports/coverage?format=doc")
    assert bad.status_code == 422 and "format" in bad.get_data(as_text=True)


def test_the_api_has_no_session(client, tokens, api):
    sign_in(client, tokens["oversight"])
    # The cookie is scoped to /dashboard; the API wants its bearer token regardless.
    assert client.get("/api/v1/incidents").status_code == 401


def test_secret_key_file_is_made_once_and_private(tmp_path):
    path = tmp_path / "var" / "secret_key"
    key = signin.persistent_secret_key(str(path))
    assert len(key) >= 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert signin.persistent_secret_key(str(path)) == key
    assert os.listdir(path.parent) == ["secret_key"]
    path.write_text("short\n")
    with pytest.raises(RuntimeError, match="shorter"):
        signin.persistent_secret_key(str(path))


def test_sessions_survive_a_new_app_with_the_same_key_file(app, client, tokens):
    sign_in(client, tokens["oversight"])
    app.secret_key = None  # as a restarted process: read again from the file
    assert client.get("/dashboard/").status_code == 200


def test_backlog_page(oversight, api, data):
    api.create(
        f"/sources/{data['bodycam']['id']}/custody",
        {
            "action": "received",
            "custodian": "HSI evidence room",
            "occurred_at": "2026-01-25T10:00:00Z",
        },
    )
    response = oversight.get("/dashboard/backlog?older_than_days=0")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The bodycam is held and unreviewed; both bystander clips were never received.
    assert re.search(r'id="count-unreviewed">1<', page)
    assert re.search(r'id="count-not_received">2<', page)
    assert re.search(r'id="count-due_for_disposal">0<', page)
    rows = re.findall(r'<tr data-source-id="(\d+)">', page)
    assert sorted(map(int, rows)) == sorted(
        [data["bodycam"]["id"], data["bystander"]["id"], data["bystander"]["id"] + 1]
    )
    page = oversight.get("/dashboard/backlog?older_than_days=0&reason=unreviewed")
    assert re.findall(r'<tr data-source-id="(\d+)">', page.get_data(as_text=True)) == [
        str(data["bodycam"]["id"])
    ]
    # Counted from when each source entered the inventory: nothing is 30 days old yet.
    page = oversight.get("/dashboard/backlog").get_data(as_text=True)
    assert re.search(r'id="count-unreviewed">0<', page)
    assert oversight.get("/dashboard/backlog?older_than_days=-1").status_code == 422


def test_disclosure_page_and_a_disposed_source(api, make, client, tokens):
    from freezegun import freeze_time

    world = scenario.governance(api, make)
    with freeze_time("2026-02-10T12:00:00Z"):
        assert sign_in(client, tokens["oversight"]).status_code == 303
        r = client.get("/dashboard/disclosure")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Disclosure deadlines" in html
    assert html.index("Lake Street death") < html.index("Federal operation")  # overdue first
    assert 'data-status="overdue"' in html and 'data-status="no_rule"' in html
    assert "no state rule applies" in html
    assert sign_in(client, tokens["oversight"]).status_code == 303
    r = client.get(f"/dashboard/incidents/{world['overdue']['id']}")
    html = r.get_data(as_text=True)
    assert "footage existed and was destroyed" in html
    assert "not covered" not in html
    assert f'<tr class="disposed" data-source-id="{world["bodycam"]["id"]}">' in html
    assert "uploaded twice" in html and "investigator" in html and ">admin<" in html
    r = client.get("/dashboard/disclosure?status=soon")
    assert r.status_code == 422


def test_incident_page_draws_moments_and_officer_lanes(oversight, api, data):
    incident = data["covered"]["id"]
    late = api.create(
        f"/incidents/{incident}/moments", {"label": "shots fired", "at": "2026-01-24T15:05:00Z"}
    )
    page = oversight.get(f"/dashboard/incidents/{incident}").get_data(as_text=True)
    assert re.findall(r'<g class="moment" data-moment-id="(\d+)" data-at="([^"]+)"', page) == [
        (str(late["id"]), "2026-01-24T15:05:00Z")
    ]
    lanes = re.findall(
        r'<g class="officer-lane" data-officer-id="(\d+)" data-late-start="(\w+)" '
        r'data-early-stop="(\w+)"',
        page,
    )
    assert lanes == [
        (str(data["officer_a"]["id"]), "no", "yes"),  # 15:00-15:10 of 15:00-15:30
        (str(data["officer_b"]["id"]), "no", "no"),  # no bodycam
    ]
    assert "stopped early" in page


def test_incident_page_shows_a_late_start(oversight, api, make, data):
    incident = data["covered"]["id"]
    officer = make.officer("CBP", name="Officer Late")["id"]
    make.involve(incident, officer)
    make.source(
        incident,
        officer_id=officer,
        recording_started_at="2026-01-24T15:03:00Z",
        recording_ended_at="2026-01-24T15:30:00Z",
    )
    page = oversight.get(f"/dashboard/incidents/{incident}").get_data(as_text=True)
    assert f'data-officer-id="{officer}" data-late-start="yes" data-early-stop="no"' in page
    late = re.search(r'<rect class="late-start"[^>]*data-start="([^"]+)" data-end="([^"]+)"', page)
    assert late.groups() == ("2026-01-24T15:00:00Z", "2026-01-24T15:03:00Z")
    assert "started 3 min late" in page


def test_overview_and_report_chart_activation_delay_per_agency(oversight, data):
    for path in ("/dashboard/", "/dashboard/reports/coverage?format=html"):
        page = oversight.get(path).get_data(as_text=True)
        assert 'class="chart distribution-bars"' in page, path
        # CBP: officer A already recording at the start, officer B without a bodycam.
        segments = re.findall(
            r'<g class="distribution-row" data-group="(\w+)">(.*?)</g>', page, re.S
        )
        assert [(g, re.findall(r'data-bucket="([^"]+)" data-count="(\d+)"', body))
                for g, body in segments] == [
            ("CBP", [("already recording", "1"), ("no bodycam", "1")])
        ]  # fmt: skip
        cells = re.findall(r'<tr data-agency="CBP">.*?</tr>', page, re.S)
        assert len(cells) == 1 and re.findall(r'data-bucket="[^"]+">(\d+)<', cells[0]) == [
            "1", "0", "0", "0", "0", "0", "1"
        ]  # fmt: skip


def test_the_lacking_page_leads_to_the_officers_without_their_own_footage(oversight, data):
    lacking = oversight.get("/dashboard/incidents").get_data(as_text=True)
    assert 'id="officers-link"' in lacking
    page = oversight.get("/dashboard/officers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Officer B was involved in the covered incident with no bodycam of their own; Officer A
    # wore one.
    rows = re.findall(r'<tr data-incident-id="(\d+)" data-officer-id="(\d+)">', html)
    assert rows == [(str(data["covered"]["id"]), str(data["officer_b"]["id"]))]
    assert "Officer B" in html and "Officer A" not in html
    assert oversight.get("/dashboard/officers?agency=nope!").status_code == 422


def test_an_estimated_total_reads_about(app, oversight, make):
    """Past the exact-count limit a list's total is an estimate: the page says so."""
    make.agency("CBP")
    for day in range(1, 5):
        make.incident(title=f"day {day}", started_at=f"2026-03-{day:02d}T10:00:00Z")
    exact = oversight.get("/dashboard/incidents?agency=CBP").get_data(as_text=True)
    assert "about <strong>" not in exact
    app.config["EXACT_COUNT_LIMIT"] = 2
    page = oversight.get("/dashboard/incidents?kind=shooting").get_data(as_text=True)
    assert re.search(r'id="lacking-total" role="status">about <strong>\d+</strong>', page)
