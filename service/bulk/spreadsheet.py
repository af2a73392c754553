"""CSV that is safe to open in a spreadsheet, and reversibly so.

A cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return) would be run
as a formula by spreadsheet programs; such a cell gets a leading `'`, as does a cell
that starts with `'` itself, so removing one leading `'` always gives the value back.
Empty cells are nulls.
"""

import csv
import io

from service.domain.time import isoformat_z

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return isoformat_z(value)
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(header, rows, batch=500):
    """A CSV document as text chunks of `batch` lines (for streaming): a `header` line, then
    one line per row of cells in `rows`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for n, cells in enumerate(rows, start=1):
        writer.writerow([spreadsheet_cell(cell) for cell in cells])
        if n % batch == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_text(columns, rows):
    """A CSV document: a header of `columns`, then one line per dict in `rows`."""
    return "".join(csv_chunks(columns, ([row.get(c) for c in columns] for row in rows)))


class SpreadsheetWriter:
    """Rows written one at a time to an open text file, as spreadsheet-safe CSV (the same
    cells as `csv_chunks`): for files written as they go, such as an import's errors."""

    def __init__(self, out, columns):
        self.columns = list(columns)
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._writer.writerow(self.columns)

    def write_row(self, cells):
        self._writer.writerow([spreadsheet_cell(cell) for cell in cells])

    def write_dict(self, row):
        self.write_row([row.get(column) for column in self.columns])
