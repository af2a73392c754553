"""CSV that is safe to open in a spreadsheet, and reversibly so.

A cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return) would be run
as a formula by spreadsheet programs; such a cell gets a leading `'`, as does a cell
that starts with `'` itself, so removing one leading `'` always gives the value back.
Empty cells are nulls.
"""

import csv
import io

from .timeutil import isoformat_z

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
