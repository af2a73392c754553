"""Coverage reports: CSV, JSON and HTML through the API and the command line."""

import csv
import io
import json
import re

import pytest
import scenario
from freezegun import freeze_time

from service.bulk import spreadsheet
from service.cli import main
from service.domain.reports import every_month
from service.storage.models import AuditEntry
from service.web import charts, reports

REPORT = "/reports/coverage"


@pytest.fixture
def data(make):
    return scenario.build(make)


def parse_csv(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def as_cell(value):
    return "" if value is None else str(value)


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("group_by", ["agency", "month", "kind", "state"])
def test_summary_csv_is_the_coverage_summary(api, data, group_by):
    response = api.get(f"{REPORT}?format=csv&table=summary&group_by={group_by}", role="oversight")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    summary = api.get(f"/coverage/summary?group_by={group_by}", role="oversight").get_json()
    rows = parse_csv(response)
    assert [list(row) for row in rows][:1] == [list(reports.SUMMARY_COLUMNS)]
    assert rows == [{k: as_cell(row[k]) for k in reports.SUMMARY_COLUMNS} for row in summary]
    assert len(rows) >= 2


def test_incidents_csv_lists_the_incidents_lacking_bodycam(api, data):
    response = api.get(f"{REPORT}?format=csv", role="oversight")
    rows = parse_csv(response)
    lacking = api.get("/coverage/incidents?lacking=bodycam").get_json()
    assert [int(row["id"]) for row in rows] == [item["id"] for item in lacking]
    assert {int(row["id"]) for row in rows} == {data["filmed"]["id"], data["unfilmed"]["id"]}
    filmed = next(row for row in rows if int(row["id"]) == data["filmed"]["id"])
    assert filmed["agencies"] == "ICE"
    assert filmed["sources_bystander"] == "1"
    assert filmed["sources_bodycam"] == "0"
    assert filmed["started_at"] == "2026-01-07T17:00:00Z"


def test_filters_narrow_the_csv(api, data):
    rows = parse_csv(api.get(f"{REPORT}?format=csv&kind=arrest"))
    assert [int(row["id"]) for row in rows] == [data["filmed"]["id"]]
    rows = parse_csv(api.get(f"{REPORT}?format=csv&table=summary&agency=CBP&group_by=agency"))
    assert [row["key"] for row in rows] == ["CBP"]
    assert rows[0]["with_bodycam"] == "1"


def test_a_cell_never_starts_a_formula(api, make):
    make.agency("CBP")
    titles = ["=1+2", "+1", "-1", "@SUM(A1)", "\tTab", "\rReturn", "a=b", "'quoted", "plain"]
    for n, title in enumerate(titles):
        make.incident(title=title, started_at=f"2026-01-{n + 1:02d}T10:00:00Z", agencies=["CBP"])
    rows = parse_csv(api.get(f"{REPORT}?format=csv"))
    shown = {row["title"] for row in rows}
    # A leading quote of the data's own gets one more, so that dropping one always gives
    # the value back.
    assert shown == {
        "'=1+2",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tTab",
        "'\rReturn",
        "a=b",
        "''quoted",
        "plain",
    }
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


@pytest.mark.parametrize(
    "value,cell",
    [
        ("=cmd", "'=cmd"),
        ("+x", "'+x"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'x", "''x"),
        ("x=1", "x=1"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (0.25, "0.25"),
        ('Ünïcode, "quoted"', 'Ünïcode, "quoted"'),
    ],
)
def test_spreadsheet_cell(value, cell):
    assert spreadsheet.spreadsheet_cell(value) == cell


@freeze_time("2026-11-27T15:30:12Z")
@pytest.mark.parametrize(
    "query,name,disposition",
    [
        ("format=csv", "coverage-incidents-2026-11-27T1530Z.csv", "attachment"),
        (
            "format=csv&table=summary&group_by=month",
            "coverage-summary-by-month-2026-11-27T1530Z.csv",
            "attachment",
        ),
        ("format=json", "coverage-report-2026-11-27T1530Z.json", "attachment"),
        ("format=html", "coverage-report-2026-11-27T1530Z.html", "inline"),
    ],
)
def test_file_names_say_what_and_when(api, query, name, disposition):
    response = api.get(f"{REPORT}?{query}", role="oversight")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'{disposition}; filename="{name}"'


# ---------------------------------------------------------------- JSON


@freeze_time("2026-11-27T15:30:00Z")
def test_json_shape(api, data):
    response = api.get(f"{REPORT}?group_by=kind&counting=in_custody", role="oversight")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == [
        "generated_at",
        "generated_by",
        "group_by",
        "filters",
        "summary",
        "incidents",
    ]
    assert body["generated_at"] == "2026-11-27T15:30:00Z"
    assert body["generated_by"] == "oversight"
    assert body["group_by"] == "kind"
    assert body["filters"] == {"counting": "in_custody"}
    assert (
        body["summary"] == api.get("/coverage/summary?group_by=kind&counting=in_custody").get_json()
    )
    # Nothing is in custody in the scenario, so with counting=in_custody every incident lacks.
    lacking = api.get("/coverage/incidents?lacking=bodycam&counting=in_custody").get_json()
    assert body["incidents"] == lacking
    assert len(body["incidents"]) == 3


def test_json_lists_more_than_one_page_of_incidents(api, make, monkeypatch):
    monkeypatch.setattr(reports, "PAGE_SIZE", 2)
    make.agency("CBP")
    for day in range(1, 6):
        make.incident(title=f"day {day}", started_at=f"2026-03-{day:02d}T10:00:00Z")
    # two more at the same time as day 3: a page may end between them (keyset on time, id)
    for title in ("tie a", "tie b"):
        make.incident(title=title, started_at="2026-03-03T10:00:00Z")
    body = api.get(REPORT).get_json()
    assert [item["title"] for item in body["incidents"]] == [
        "day 5",
        "day 4",
        "tie b",
        "tie a",
        "day 3",
        "day 2",
        "day 1",
    ]
    assert len(parse_csv(api.get(f"{REPORT}?format=csv"))) == 7


def test_empty_report(api):
    body = api.get(REPORT).get_json()
    assert body["summary"] == [] and body["incidents"] == []
    assert parse_csv(api.get(f"{REPORT}?format=csv")) == []
    assert "No incidents match" in api.get(f"{REPORT}?format=html").get_data(as_text=True)


@pytest.mark.parametrize(
    "query,field",
    [
        ("format=pdf", "format"),
        ("table=cameras", "table"),
        ("group_by=city", "group_by"),
        ("from=2026-01-01", "from"),
        ("counting=all", "counting"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_refused(api, query, field):
    response = api.get(f"{REPORT}?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


def test_every_role_may_read_reports_and_each_read_is_audited(api, data):
    for role in ("admin", "investigator", "oversight", "importer"):
        assert api.get(f"{REPORT}?format=csv", role=role).status_code == 200
    entries = AuditEntry.select().where(AuditEntry.path.startswith("/api/v1/reports/coverage"))
    assert sorted(e.actor for e in entries) == ["admin", "importer", "investigator", "oversight"]
    assert api.get(REPORT, role=None).status_code == 401


# ---------------------------------------------------------------- HTML


def html_of(api, query=""):
    response = api.get(f"{REPORT}?format=html&{query}", role="oversight")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response, response.get_data(as_text=True)


def test_html_has_the_numbers_filters_and_charts(api, data):
    _, page = html_of(api, "group_by=agency&state=MN")
    assert re.search(r'id="total-incidents">2<', page)
    assert re.search(r'id="total-with">1<', page)
    assert re.search(r'id="total-without">1<', page)
    assert "<dt>state</dt><dd>MN</dd>" in page
    # The summary table: CBP 1 of 1 with bodycam, ICE 0 of 1.
    cbp = re.search(r'<tr data-key="CBP">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="num"[^>]*>([^<]*)</td>', cbp)[:4] == ["1", "1", "0", "100%"]
    ice = re.search(r'<tr data-key="ICE">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="num"[^>]*>([^<]*)</td>', ice)[:4] == ["1", "0", "1", "0%"]
    # A bar per agency, two lines over the months, the lacking list.
    assert page.count('class="bar"') == 2
    assert 'data-rate="1.0"' in page and 'data-rate="0.0"' in page
    assert page.count('class="point ') == 2  # one month (January 2026): a point per line
    assert "Incidents lacking bodycam footage (1)" in page
    assert "Lake Street arrest" in page


def test_html_months_run_without_holes(api, data):
    _, page = html_of(api)
    months = re.findall(r'<tr><th scope="row">(\d{4}-\d{2})</th>', page)
    assert months == ["2025-11", "2025-12", "2026-01"]
    assert page.count("<polyline") == 2
    assert page.count('class="point with"') == 3


def test_html_is_self_contained_and_fits_the_csp(api, data):
    response, page = html_of(api)
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<style nonce="{nonce}">' in page
    assert " style=" not in page and "<script" not in page
    assert re.findall(r"<link [^>]*>", page) == ['<link rel="icon" href="data:,">']
    # No external assets: the only URL-looking strings are the SVG namespace and escaped data.
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith("data:"), url
    assert "@media print" in page and "break-before: page" in page
    # Data is escaped, never markup.
    assert "=HYPERLINK(&#34;http://example.invalid&#34;,&#34;click&#34;)" in page


# ---------------------------------------------------------------- command line


@freeze_time("2026-11-27T15:30:00Z")
@pytest.mark.parametrize(
    "fmt,extra", [("csv", []), ("csv", ["--table", "summary"]), ("json", []), ("html", [])]
)
def test_cli_writes_the_same_documents(api, runner, data, tmp_path, fmt, extra):
    out = tmp_path / f"report.{fmt}"
    args = [
        "report",
        "coverage",
        "--format",
        fmt,
        "--group-by",
        "month",
        "--agency",
        "ICE",
        "-o",
        str(out),
    ] + extra
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    query = f"format={fmt}&group_by=month&agency=ICE" + ("&table=summary" if extra else "")
    online = api.get(f"{REPORT}?{query}", role="oversight").get_data(as_text=True)
    written = out.read_bytes().decode("utf-8")
    if fmt == "json":
        offline, online = json.loads(written), json.loads(online)
        assert offline.pop("generated_by") == "command line"
        online.pop("generated_by")
        assert offline == online
    elif fmt == "html":
        assert "Lake Street arrest" in written
        assert re.search(r'id="total-incidents">2<', written)
    else:
        assert written == online
    assert f"wrote {out}" in result.output


def test_cli_writes_to_stdout_and_refuses_bad_filters(runner, data):
    result = runner.invoke(main, ["report", "coverage", "--format", "csv"])
    assert result.exit_code == 0
    assert result.output.startswith("id,external_id,title,")
    result = runner.invoke(main, ["report", "coverage", "--from", "2026-01-01"])
    assert result.exit_code != 0
    assert "from" in result.output


# ---------------------------------------------------------------- parts


def test_every_month_fills_the_quiet_months():
    rows = [
        {"key": "2025-11", "incidents": 2, "with_bodycam": 1, "without_bodycam": 1},
        {"key": "2026-02", "incidents": 1, "with_bodycam": 1, "without_bodycam": 0},
    ]
    filled = every_month(rows)
    assert [row["key"] for row in filled] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert filled[1]["incidents"] == 0 and filled[0] is rows[0]
    assert every_month([]) == []


def test_charts_escape_labels_and_mark_gaps():
    svg = charts.rate_bars([("<b>", 0.5, "1 of 2"), ("none", None, "")], "t & t")
    assert "&lt;b&gt;" in svg and "<b>" not in svg and "t &amp; t" in svg
    assert 'width="160"' in svg and "no incidents" in svg  # half of the 320 units of 100%
    start, end = scenario.GAPS[0][0].replace(minute=0), scenario.GAPS[1][1]
    rows = [{"id": 1, "kind": "bodycam", "label": "#1", "spans": [(start, scenario.GAPS[0][0])]}]
    svg = charts.timeline((start, end), rows, scenario.GAPS, "timeline")
    assert svg.count('class="gap"') == 2
    assert 'data-start="2026-01-24T15:10:00Z" data-end="2026-01-24T15:15:00Z"' in svg
    assert ">15:00<" in svg and ">15:30<" in svg
    assert " style=" not in svg


@pytest.mark.parametrize(
    "seconds,text",
    [
        (45, "45 s"),
        (725, "12 min 5 s"),
        (600, "10 min"),
        (12000, "3 h 20 min"),
        (187200, "2 d 4 h"),
    ],
)
def test_duration_text(seconds, text):
    assert charts.duration_text(seconds) == text
