"""Reports laid out: the coverage report (service/domain/reports.py) as CSV, JSON or a
self-contained printable HTML page, and an incident's evidence report as HTML.

Every number comes from the domain; this module only lays the answers out. Documents are
produced as a stream of text chunks, the incidents read a page at a time.
"""

import json

from flask import render_template, stream_template

from schemas.coverage import (
    CoverageFilters,
    LackingIncidentSchema,
    OfficerCoverageSchema,
    SummaryRowSchema,
)
from service.bulk.spreadsheet import csv_chunks
from service.domain import activation
from service.domain.reports import PAGE_SIZE
from service.domain.time import isoformat_z
from service.domain.vocabulary import SOURCE_KINDS
from service.web import templating

MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html",
}
SUMMARY_COLUMNS = (
    "key",
    "incidents",
    "with_bodycam",
    "without_bodycam",
    "bodycam_rate",
    "sources",
    "officers_expected",
    "officers_covered",
    "reviewed_rate",
)
INCIDENT_COLUMNS = (
    "id",
    "external_id",
    "title",
    "kind",
    "state",
    "started_at",
    "agencies",
) + tuple(f"sources_{kind}" for kind in SOURCE_KINDS)


DISCLOSURE_COLUMNS = (
    "incident_id",
    "title",
    "status",
    "days_late",
    "deadline",
    "released_at",
    "requester_kind",
    "request_id",
    "rule_id",
    "citation",
    "reason",
)


OFFICER_COLUMNS = (
    "incident_id",
    "incident_title",
    "started_at",
    "officer_id",
    "name",
    "badge_number",
    "agency",
    "role",
    "camera_expected",
    "covered",
    "bodycam_source_ids",
    "disposed_bodycam_source_ids",
    "not_recorded_reason",
    "activation_delay_seconds",
    "recording_at_start",
)


def officer_cells(row):
    shown = OfficerCoverageSchema().dump(row)
    return [
        ";".join(map(str, value)) if isinstance(value, list) else value
        for value in (shown[column] for column in OFFICER_COLUMNS)
    ]


def filters_given(report):
    """The filters a report was made with, named and written as a user gives them."""
    given = CoverageFilters().dump(report.filters)
    return {name: value for name, value in given.items() if value not in (None, "")}


# ---------------------------------------------------------------- file names


def filename(report, fmt, table="incidents"):
    """What and when: coverage-incidents-2026-11-27T1530Z.csv, coverage-report-....html."""
    stamp = report.generated_at.strftime("%Y-%m-%dT%H%MZ")
    if fmt == "csv":
        what = {
            "summary": f"summary-by-{report.group_by}",
            "disclosure": "disclosure",
            "officers": "officers",
        }.get(table, "incidents")
    else:
        what = "report"
    return f"coverage-{what}-{stamp}.{fmt}"


def content_disposition(report, fmt, table="incidents"):
    # The HTML report opens in the browser (and is saved under this name); data files download.
    kind = "inline" if fmt == "html" else "attachment"
    return f'{kind}; filename="{filename(report, fmt, table)}"'


# ---------------------------------------------------------------- CSV (service/spreadsheet.py)


def summary_cells(row):
    return [row.get(column) for column in SUMMARY_COLUMNS]


def incident_cells(item):
    counts = item.get("source_counts") or {}
    return [
        item["id"],
        item.get("external_id"),
        item["title"],
        item.get("kind"),
        item.get("state"),
        item["started_at"],
        ";".join(item.get("agencies") or []),
    ] + [counts.get(kind, 0) for kind in SOURCE_KINDS]


def disclosure_cells(row):
    return [
        isoformat_z(row[c]) if c in ("deadline", "released_at") and row[c] else row.get(c)
        for c in DISCLOSURE_COLUMNS
    ]


def csv_document(report, table="incidents"):
    if table == "disclosure":
        return csv_chunks(DISCLOSURE_COLUMNS, (disclosure_cells(r) for r in report.disclosure()))
    if table == "summary":
        return csv_chunks(SUMMARY_COLUMNS, (summary_cells(row) for row in report.summary))
    if table == "officers":
        return csv_chunks(
            OFFICER_COLUMNS, (officer_cells(row) for row in report.officers()), batch=PAGE_SIZE
        )
    return csv_chunks(
        INCIDENT_COLUMNS, (incident_cells(item) for item in report.lacking()), batch=PAGE_SIZE
    )


# ---------------------------------------------------------------- JSON


def json_document(report, table="incidents"):
    """{"generated_at", "generated_by", "group_by", "filters", "summary", "incidents"}, and
    "officers" (those without their own bodycam footage) with table=officers."""
    head = {
        "generated_at": isoformat_z(report.generated_at),
        "generated_by": report.generated_by,
        "group_by": report.group_by,
        "filters": filters_given(report),
        "summary": SummaryRowSchema(many=True).dump(report.summary),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "incidents": ['
    dump = LackingIncidentSchema().dump
    for n, item in enumerate(report.lacking()):
        yield ("," if n else "") + "\n" + json.dumps(dump(item), ensure_ascii=False)
    if table == "officers":
        yield '\n], "officers": ['
        dump = OfficerCoverageSchema().dump
        for n, row in enumerate(report.officers()):
            yield ("," if n else "") + "\n" + json.dumps(dump(row), ensure_ascii=False)
    yield "\n]}\n"


# ---------------------------------------------------------------- HTML


def html_document(report, table="incidents"):
    """The printable page (templates/coverage_report.html): self-contained, no assets; with
    table=officers, it lists the officers without their own bodycam footage too."""
    return stream_template(
        "coverage_report.html",
        report=report,
        filters=filters_given(report),
        officers=report.officers() if table == "officers" else None,
        **chart_data(report),
    )


def chart_data(report):
    """The figures the page's charts and totals are drawn from."""
    months = report.months
    return {
        "rate_rows": [
            (
                templating.group_label(row["key"]),
                row["bodycam_rate"],
                f"{row['with_bodycam']} of {row['incidents']} incidents",
            )
            for row in report.summary
        ],
        "month_points": [
            (row["key"], row["with_bodycam"], row["without_bodycam"]) for row in months
        ],
        # How late expected officers' cameras started, per officer's agency.
        "delay_rows": activation.delay_distribution(report.filters),
        "delay_buckets": activation.BUCKET_NAMES,
        # Each incident falls in exactly one month, so the months add up to the totals.
        "totals": {
            "incidents": sum(row["incidents"] for row in months),
            "with_bodycam": sum(row["with_bodycam"] for row in months),
            "without_bodycam": sum(row["without_bodycam"] for row in months),
        },
    }


def document(report, fmt, table="incidents"):
    """The report in `fmt` as an iterator of text chunks."""
    if fmt == "csv":
        return csv_document(report, table)
    if fmt == "json":
        return json_document(report, table)
    return html_document(report, table)


def evidence_report_html(report):
    """An incident's evidence report (service/domain/evidence_report.py) as the printable
    page: one self-contained HTML file whose inline style carries the response's CSP nonce
    (service/web/templating.py)."""
    return render_template("evidence_report.html", report=report)
