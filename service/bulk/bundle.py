"""A bundle import: records of every kind in one body (NDJSON or a JSON array), each naming
its kind in `record`, applied in dependency order (agencies, officers, incidents,
involvements, sources, custody) whatever their order in the file. A dry run checks a whole
export at once: the sources are checked against the incidents the same bundle would create.

Each kind goes through its own importer (service/bulk/importer.py), exactly as
`POST /imports/{kind}` would take it; rows keep their position in the bundle as their number.
"""

from contextlib import nullcontext

from service.bulk.importer import (
    BATCH_SIZE,
    KINDS,
    MAX_ERRORS,
    ImportJob,
    _Discard,
    batches_of,
    import_rows,
)
from service.bulk.readers import RowProblem, read_rows
from service.domain.errors import UnsupportedMediaType
from service.domain.vocabulary import IMPORT_KINDS
from service.storage.db import database

COUNTS = ("received", "created", "updated", "unchanged", "rejected")


class BundleJob:
    """The jobs of a bundle's kinds, answered as one."""

    def __init__(self, dry_run, partial):
        self.dry_run, self.partial = dry_run, partial
        self.jobs = {kind: ImportJob(kind, dry_run, partial) for kind in IMPORT_KINDS}
        self.unsorted = ImportJob("bundle", dry_run, partial)  # rows naming no known kind

    def all_jobs(self):
        return [self.unsorted, *self.jobs.values()]

    @property
    def counts(self):
        return {n: sum(job.counts[n] for job in self.all_jobs()) for n in COUNTS}

    def as_dict(self):
        errors = sorted((e for job in self.all_jobs() for e in job.errors), key=lambda e: e["row"])
        changes = sorted(
            (c for job in self.all_jobs() for c in job.changes), key=lambda c: c["row"]
        )
        return {
            "kind": "bundle",
            "mode": "partial" if self.partial else "atomic",
            "dry_run": self.dry_run,
            **self.counts,
            "errors_total": sum(job.errors_total for job in self.all_jobs()),
            "errors": errors[:MAX_ERRORS],
            "changes_total": sum(job.changes_total for job in self.all_jobs()),
            "changes": changes[:MAX_ERRORS],
            "records": {
                kind: dict(job.counts) for kind, job in self.jobs.items() if job.counts["received"]
            },
        }


def _sorted_rows(rows, bundle):
    """{kind: [(number, data)]}, file order kept within a kind; bad rows rejected."""
    by_kind = {kind: [] for kind in IMPORT_KINDS}
    for number, data in rows:
        bundle.unsorted.count("received")
        if isinstance(data, RowProblem):
            bundle.unsorted.reject(number, [(None, f"the row {data.message}")])
            continue
        kind = data.get("record")
        if kind not in KINDS:
            bundle.unsorted.reject(
                number, [("record", f"name the row's kind: one of {', '.join(IMPORT_KINDS)}")]
            )
            continue
        bundle.unsorted.counts["received"] -= 1  # counted by its kind's job
        by_kind[kind].append((number, {k: v for k, v in data.items() if k != "record"}))
    bundle.unsorted.end_batch()
    return by_kind


def run_bundle(
    stream,
    fmt,
    *,
    dry_run=False,
    partial=False,
    actor=None,
    role=None,
    batch_size=BATCH_SIZE,
    audit_fields=None,
):
    """Import a bundle (`fmt` "ndjson" or "json"). Returns the BundleJob. In atomic mode
    (and in a dry run) the whole bundle is one transaction: a rejected row anywhere means
    nothing is written."""
    if fmt == "csv":
        raise UnsupportedMediaType(
            "a bundle is NDJSON or a JSON array (one table cannot hold every kind); "
            "send application/x-ndjson or application/json"
        )
    bundle = BundleJob(dry_run, partial)
    by_kind = _sorted_rows(read_rows(stream, fmt), bundle)
    all_or_nothing = dry_run or not partial
    try:
        with database.atomic() if all_or_nothing else nullcontext():
            for kind in IMPORT_KINDS:
                importer, job = KINDS[kind](fmt, actor, role), bundle.jobs[kind]
                import_rows(
                    importer,
                    job,
                    batches_of(by_kind[kind], importer, job, batch_size),
                    committing=not all_or_nothing,
                    audit_fields=audit_fields,
                )
            if dry_run or (bundle.counts["rejected"] and not partial):
                raise _Discard()
    except _Discard:
        pass
    if bundle.counts["rejected"] and not partial:
        for job in bundle.all_jobs():
            job.counts.update(created=0, updated=0, unchanged=0)
    return bundle
