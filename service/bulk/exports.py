"""Records written out in bulk, as files for people outside the service: the audit log as
spreadsheet-safe CSV or a JSON array (`evidence audit export`)."""

import json

from service.bulk.spreadsheet import SpreadsheetWriter
from service.domain import audit
from service.storage.models import AuditEntry


def export_audit(filters, fmt, out):
    """Write the audit entries `filters` select (oldest first) as CSV or a JSON array to the
    text stream `out`, reading them a few at a time."""
    rows = (audit.export_row(e) for e in audit.entries(filters).order_by(AuditEntry.id).iterator())
    if fmt == "csv":
        writer = SpreadsheetWriter(out, audit.EXPORT_FIELDS)
        for row in rows:
            writer.write_dict(row)
        return
    out.write("[")
    for n, row in enumerate(rows):
        out.write(("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False))
    out.write("\n]\n")
