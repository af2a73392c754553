"""Coverage reports for oversight staff: what a report says, gathered from the coverage
engine, whatever its format (service/web/reports.py lays it out as CSV, JSON or HTML).

The API, the dashboard and the command line share it, so a report filed from any of them
says the same thing. The list of incidents is read from the database a page at a time,
never all at once.
"""

from dataclasses import dataclass, field
from datetime import datetime

from service.domain import coverage, disclosure, inventory, officer_coverage
from service.domain.time import utcnow

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
    _disclosure: object = field(repr=False, default=None)

    def lacking(self):
        """The incidents lacking bodycam footage, newest first (read a page at a time)."""
        return self._lacking()

    def disclosure(self):
        """The release obligations of the incidents, overdue first (disclosure.coverage)."""
        if self._disclosure is None:
            self._disclosure = disclosure.coverage(self.filters, now=self.generated_at)
        return self._disclosure

    def officers(self):
        """The officers without a bodycam source of their own in an incident they were
        involved in, one row per involvement, newest incident first (a page at a time)."""
        query = officer_coverage.officer_rows({**self.filters, "uncovered": True})
        counting = self.filters.get("counting") or "any"
        return a_page_at_a_time(
            query, lambda rows: officer_coverage.represent(rows, counting), officer_coverage.after
        )


def a_page_at_a_time(query, represent, seek):
    """Every row of `query` as `represent` answers it, read PAGE_SIZE rows at a time (a
    report may list every incident: never all of them in memory). `seek(query, last)` is
    the query past the record `last` (a keyset cursor): each page starts where the last one
    ended instead of counting past every row before it (an OFFSET)."""
    last = None
    while True:
        records = list((query if last is None else seek(query, last)).limit(PAGE_SIZE))
        rows = represent(records)
        yield from rows
        if len(records) < PAGE_SIZE:
            return
        last = records[-1]


def coverage_report(filters, group_by, generated_by, now=None):
    """Gather a report: `filters` as loaded by schemas.coverage.CoverageFilters."""
    query = coverage.lacking_incidents("bodycam", filters)
    counting = filters.get("counting") or "any"

    def lacking():
        return a_page_at_a_time(
            query,
            lambda rows: coverage.represent(rows, counting),
            lambda query, last: inventory.incidents_after(query, last.id),
        )

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
        filled.append(
            by_month.get(key)
            or {"key": key, "incidents": 0, "with_bodycam": 0, "without_bodycam": 0}
        )
        if key >= last:
            return filled
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
