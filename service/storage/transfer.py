"""Moving an inventory to another database (`evidence migrate-to URL`), usually SQLite to
PostgreSQL when a deployment outgrows one machine.

Tables are copied in dependency order, in batches, keeping every id (custody chains, audit
entries and outside systems refer to them). The source is read inside one transaction, so
the copy is a consistent snapshot; on SQLite that transaction holds the write lock, so writes
to the old database wait (and answer 503 after the busy timeout) rather than being missed.
The target is written inside one transaction too: a failed copy leaves it empty, and a
re-run starts again. Afterwards the row counts are compared table by table, then the values:
a checksum per table over its rows in key order, every column read back as the model reads
it, so a value the target rounded (a `real` column, a truncated text) is caught, not copied
silently; and the hash chains (audit log, custody) are verified on the target.
"""

import hashlib
from contextlib import contextmanager

from peewee import AutoField, PostgresqlDatabase, sort_models

from service.storage import fulltext
from service.storage.db import bulk_insert, database, make_database
from service.storage.migrations import pending, upgrade
from service.storage.models import ALL_MODELS


class TransferRefused(Exception):
    """The copy was not made, or not kept: the message says why (nothing was written)."""

    @property
    def message(self):
        return str(self)


@contextmanager
def bound_to(db):
    """Point the models (and the domain code using them) at `db` for a while; CLI use only."""
    previous = database.obj
    database.initialize(db)
    try:
        yield db
    finally:
        database.initialize(previous)


def _count(model, db):
    return model.select().count(db)


def _require_empty(target):
    tables = set(target.get_tables())
    filled = [
        m._meta.table_name for m in ALL_MODELS if m._meta.table_name in tables and _count(m, target)
    ]
    if filled:
        raise TransferRefused(
            f"the target database is not empty ({', '.join(filled)} have rows); "
            "migrate-to only copies into an empty database"
        )


def _self_references(model):
    return [f for f in model._meta.sorted_fields if getattr(f, "rel_model", None) is model]


def _position(fields, field):
    """Index of `field` in `fields` (list.index would compare with ==, which builds SQL)."""
    return next(i for i, f in enumerate(fields) if f is field)


def _batches(model, fields, db, batch_size):
    """Rows of `model` as tuples of `fields`, in primary key order, a batch at a time."""
    query = model.select(*fields).tuples()
    pk = model._meta.primary_key
    if isinstance(pk, AutoField):
        last = 0
        while True:
            rows = list(query.where(pk > last).order_by(pk).limit(batch_size).execute(db))
            if not rows:
                return
            yield rows
            last = rows[-1][_position(fields, pk)]
    else:  # composite keys (link tables) and foreign keys as keys, streamed in key order
        names = getattr(pk, "field_names", None)
        key = [model._meta.fields[name] for name in names] if names else [pk]
        batch = []
        for row in query.order_by(*key).execute(db).iterator():
            batch.append(row)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch


def _copy_table(model, source, target, batch_size):
    """Copy one table; self-references (a copy pointing at its master) are set afterwards,
    since a row may point at one with a higher id."""
    fields = model._meta.sorted_fields
    pk = model._meta.primary_key
    later = {_position(fields, f): f for f in _self_references(model)}
    at_pk = _position(fields, pk) if later else None
    copied = 0
    for rows in _batches(model, fields, source, batch_size):
        links = [
            (row[at_pk], {f: row[i] for i, f in later.items()})
            for row in rows
            if any(row[i] is not None for i in later)
        ]
        if later:
            rows = [tuple(None if i in later else v for i, v in enumerate(row)) for row in rows]
        bulk_insert(
            model,
            fields,
            [[f.db_value(v) for f, v in zip(fields, row, strict=True)] for row in rows],
            target,
        )
        for row_id, values in links:
            model.update(values).where(pk == row_id).execute(target)
        copied += len(rows)
    return copied


def fix_sequences(target):
    """Inserting explicit ids leaves PostgreSQL's sequences at 1: move them past the ids."""
    if not isinstance(target, PostgresqlDatabase):
        return  # SQLite's rowid follows the largest id by itself
    for model in ALL_MODELS:
        pk = model._meta.primary_key
        if isinstance(pk, AutoField):
            table = model._meta.table_name
            target.execute_sql(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f'COALESCE(MAX("{pk.column_name}"), 1), MAX("{pk.column_name}") IS NOT NULL) '
                f'FROM "{table}"',
                (f'"{table}"', pk.column_name),
            )


def _snapshot(db):
    """A consistent read of the whole source while it is copied."""
    transaction = db.atomic()
    transaction.__enter__()
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    return transaction


def table_checksum(model, db, batch_size=1000):
    """SHA-256 over `model`'s rows in key order, each value as the model reads it back
    (repr: a float keeps all its digits, a datetime its microseconds)."""
    digest = hashlib.sha256()
    fields = model._meta.sorted_fields
    for rows in _batches(model, fields, db, batch_size):
        for row in rows:
            digest.update(repr(tuple(row)).encode("utf-8"))
            digest.update(b"\n")
    return digest.hexdigest()


def _check_copy(expected, found, chains, sums=None):
    differ = [n for n in expected if expected[n] != found[n]]
    if differ:
        raise TransferRefused(
            "row counts differ after the copy, nothing was kept: "
            + ", ".join(f"{n} {expected[n]} -> {found[n]}" for n in differ)
        )
    changed = [n for n, (before, after) in (sums or {}).items() if before != after]
    if changed:
        raise TransferRefused(
            "values differ after the copy (the target did not store them as they were), "
            "nothing was kept: " + ", ".join(changed)
        )
    broken = [n for n, ok in chains.items() if not ok]
    if broken:
        raise TransferRefused(
            "hash chains do not verify after the copy, nothing was kept: "
            + ", ".join(broken)
            + " (see `evidence verify-audit` and "
            "`evidence verify-custody` on this database)"
        )


def copy_inventory(target_url, batch_size=1000, progress=None, chain_checks=None):
    """Copy the connected (configured) inventory into the empty database at `target_url`.

    `chain_checks()` verifies the hash chains of the bound database ({name: valid}); the
    domain supplies it (service.domain.chains), storage knowing nothing of the chains' rules.
    Returns {"tables": {name: rows}, "chains": {name: valid}}; raises TransferRefused when the
    target is not empty, the source needs migrating first, or the copy does not verify.
    """
    source = database.obj
    if pending():
        raise TransferRefused(
            "the source database has pending migrations: run `evidence init-db` on it first"
        )
    target = make_database(target_url)
    target.connect(reuse_if_open=True)
    try:
        _require_empty(target)
        with bound_to(target):
            upgrade()
        snapshot = _snapshot(source)
        try:
            # Checked before the target commits: a copy that does not verify leaves it empty.
            with target.atomic():
                for model in sort_models(ALL_MODELS):
                    rows = _copy_table(model, source, target, batch_size)
                    if progress:
                        progress(model._meta.table_name, rows)
                fix_sequences(target)
                with bound_to(target):
                    fulltext.rebuild_all()  # the search index is derived: built, not copied
                expected = {m._meta.table_name: _count(m, source) for m in ALL_MODELS}
                before = {m._meta.table_name: table_checksum(m, source) for m in ALL_MODELS}
                with bound_to(target):
                    found = {m._meta.table_name: _count(m, target) for m in ALL_MODELS}
                    after = {m._meta.table_name: table_checksum(m, target) for m in ALL_MODELS}
                    chains = chain_checks() if chain_checks else {}
                sums = {name: (before[name], after[name]) for name in before}
                _check_copy(expected, found, chains, sums)
        finally:
            snapshot.__exit__(None, None, None)
        return {"tables": found, "chains": chains}
    finally:
        target.close()
        close_all = getattr(target, "close_all", None)
        if close_all:
            close_all()
