"""Coverage reports for oversight staff: the coverage summary per group and the incidents
lacking bodycam footage, as CSV, JSON or a self-contained printable HTML page.

Every number comes from the coverage engine (service/coverage.py); this module only lays
the answers out. The API, the dashboard and the command line share it, so a report filed
from any of them says the same thing. Documents are produced as a stream of text chunks:
the list of incidents is read from the database a page at a time, never all at once.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from flask import stream_template

from schemas.coverage import CoverageFilters, LackingIncidentSchema, SummaryRowSchema

from . import coverage, templating
from .models import SOURCE_KINDS
from .spreadsheet import csv_chunks
from .timeutil import isoformat_z, utcnow

FORMATS = ("csv", "json", "html")
TABLES = ("incidents", "summary")
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html",
}
SUMMARY_COLUMNS = ("key", "incidents", "with_bodycam", "without_bodycam", "bodycam_rate",
                   "sources", "officers_expected", "officers_covered", "reviewed_rate")
INCIDENT_COLUMNS = ("id", "external_id", "title", "kind", "state", "started_at",
                    "agencies") + tuple(f"sources_{kind}" for kind in SOURCE_KINDS)
# Incidents read from the database at a time while a report is written.
PAGE_SIZE = 500


@dataclass
class CoverageReport:
    """What a coverage report says, whatever its format."""

    filters: dict
    group_by: str
    generated_at: datetime
    generated_by: str
    summary: list
    months: list
    lacking_total: int
    _lacking: object = field(repr=False, default=None)

    def lacking(self):
        """The incidents lacking bodycam footage, newest first (read a page at a time)."""
        return self._lacking()


def coverage_report(filters, group_by, generated_by, now=None):
    """Gather a report: `filters` as loaded by schemas.coverage.CoverageFilters."""
    query = coverage.lacking_incidents("bodycam", filters)
    counting = filters.get("counting") or "any"

    def lacking():
        page = 1
        while True:
            rows = coverage.represent(query.paginate(page, PAGE_SIZE), counting)
            yield from rows
            if len(rows) < PAGE_SIZE:
                return
            page += 1

    return CoverageReport(
        filters=filters,
        group_by=group_by,
        generated_at=(now or utcnow()).replace(microsecond=0),
        generated_by=generated_by,
        summary=coverage.summary(group_by, filters),
        months=every_month(coverage.summary("month", filters)),
        lacking_total=query.count(),
        _lacking=lacking,
    )


def every_month(rows):
    """Month rows (key YYYY-MM) with the months between them that had no incident, as zeros,
    so that a line drawn through them does not skip a quiet month."""
    by_month = {row["key"]: row for row in rows if row["key"]}
    if not by_month:
        return []
    first, last = min(by_month), max(by_month)
    year, month = int(first[:4]), int(first[5:7])
    filled = []
    while True:
        key = f"{year:04d}-{month:02d}"
        filled.append(by_month.get(key) or {"key": key, "incidents": 0, "with_bodycam": 0,
                                            "without_bodycam": 0})
        if key >= last:
            return filled
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def filters_given(report):
    """The filters a report was made with, named and written as a user gives them."""
    given = CoverageFilters().dump(report.filters)
    return {name: value for name, value in given.items() if value not in (None, "")}


# ---------------------------------------------------------------- file names


def filename(report, fmt, table="incidents"):
    """What and when: coverage-incidents-2026-11-27T1530Z.csv, coverage-report-....html."""
    stamp = report.generated_at.strftime("%Y-%m-%dT%H%MZ")
    if fmt == "csv":
        what = f"summary-by-{report.group_by}" if table == "summary" else "incidents"
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
    return [item["id"], item.get("external_id"), item["title"], item.get("kind"),
            item.get("state"), item["started_at"], ";".join(item.get("agencies") or [])] + [
        counts.get(kind, 0) for kind in SOURCE_KINDS]


def csv_document(report, table="incidents"):
    if table == "summary":
        return csv_chunks(SUMMARY_COLUMNS, (summary_cells(row) for row in report.summary))
    return csv_chunks(INCIDENT_COLUMNS, (incident_cells(item) for item in report.lacking()),
                      batch=PAGE_SIZE)


# ---------------------------------------------------------------- JSON


def json_document(report):
    """{"generated_at", "generated_by", "group_by", "filters", "summary", "incidents"}."""
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
    yield "\n]}\n"


# ---------------------------------------------------------------- HTML


def html_document(report):
    """The printable page (templates/coverage_report.html): self-contained, no assets."""
    return stream_template("coverage_report.html", report=report,
                           filters=filters_given(report), **chart_data(report))


def chart_data(report):
    """The figures the page's charts and totals are drawn from."""
    months = report.months
    return {
        "rate_rows": [(templating.group_label(row["key"]), row["bodycam_rate"],
                       f"{row['with_bodycam']} of {row['incidents']} incidents")
                      for row in report.summary],
        "month_points": [(row["key"], row["with_bodycam"], row["without_bodycam"])
                         for row in months],
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
        return json_document(report)
    return html_document(report)
