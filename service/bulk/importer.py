"""Bulk import of one kind of record from CSV, NDJSON or a JSON array (API and CLI).

Every row goes through the marshmallow schema the API uses for that resource and
then through the same domain rules (service.domain.inventory, service.domain.custody), so an
imported record is exactly what the API would have accepted. Rows find their record again by a key
(`external_id`; an agency's `code`; an officer's agency and badge; an involvement's
incident and officer), so importing a file twice leaves everything `unchanged`.
Other records are referenced by external keys (`incident_external_id`,
`officer_external_id`, `officer_agency` + `officer_badge`, ...) or by ids.

Transactions: atomic mode (the default) and dry runs run in one transaction,
rolled back when any row was rejected (atomic) or always (dry run), so rows that
depend on earlier rows of the same file are checked against them. Partial mode
commits batch by batch: a killed import leaves whole batches, and importing the
same file again completes it. Within a batch each row is applied on its own
savepoint, so a rejected row leaves nothing behind; sources, the kind imported by
the hundred thousand, are checked against lookups made once per batch and
inserted many at a time.
"""

import gc
import json
import threading
from contextlib import ExitStack, contextmanager, nullcontext

from marshmallow import ValidationError, fields
from marshmallow.utils import missing as MISSING
from peewee import SQL, DataError, IntegrityError, NodeList, Tuple, chunked

from schemas.agency import AgencySchema
from schemas.common import storable_problem
from schemas.compiled import compile_load
from schemas.custody import CustodyEventSchema
from schemas.incident import IncidentSchema
from schemas.involvement import InvolvementSchema
from schemas.officer import OfficerSchema
from schemas.source import SourceSchema
from service.bulk import aside
from service.bulk.readers import RowProblem, read_rows
from service.domain import audit, counters, custody, holds, inventory, retention, search
from service.domain.errors import DomainError, Invalid
from service.storage.db import (
    AtOnce,
    beside,
    bulk_insert,
    database,
    db_rows,
    execute_many,
    for_update,
    is_postgresql,
    one_of,
    unnest,
)
from service.storage.models import (
    Agency,
    CustodyEvent,
    Incident,
    IncidentAgency,
    Involvement,
    Officer,
    Source,
)

BATCH_SIZE = 1000
MAX_ERRORS = 1000
CONFLICT_AT_ONCE = "conflicts with a record saved at the same time; import the row again"


class RowRejected(Exception):
    """A row that cannot be imported: `problems` is a list of (field, message)."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


class _Discard(Exception):
    """Rolls back an import's transaction (dry run, or atomic mode with rejected rows)."""


# ---------------------------------------------------------------- the result


class ImportJob:
    """Counts and errors of one import, in the shape of the API's answer."""

    def __init__(self, kind, dry_run, partial, on_error=None):
        self.kind = kind
        self.dry_run = dry_run
        self.partial = partial
        self.on_error = on_error
        self.counts = dict(received=0, created=0, updated=0, unchanged=0, rejected=0)
        self.errors = []
        self.errors_total = 0
        self.changes = []  # the first MAX_ERRORS updates: {row, id, fields}
        self.changes_total = 0
        self._batch_errors = []
        self.committed = 0  # rows written and committed (partial mode)

    def count(self, outcome, n=1):
        self.counts[outcome] += n

    def reject(self, row_number, problems):
        self.counts["rejected"] += 1
        for field, message in problems:
            self._batch_errors.append({"row": row_number, "field": field, "message": message})

    def end_batch(self, unsettled_from=None):
        """Report the batch's errors in row order (rows are checked in several passes);
        those of rows from `unsettled_from` on wait for the next batch's (rows still being
        written, of which a row before may yet be rejected)."""
        self._batch_errors.sort(key=lambda error: error["row"])
        held = []
        if unsettled_from is not None:
            held = [e for e in self._batch_errors if e["row"] >= unsettled_from]
            self._batch_errors = [e for e in self._batch_errors if e["row"] < unsettled_from]
        for error in self._batch_errors:
            self.errors_total += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(error)
            if self.on_error:
                self.on_error(error)
        self._batch_errors = held

    def attempt(self, row, apply, *args):
        """Apply one row on its own savepoint; a failure rejects the row and undoes it."""
        try:
            with database.atomic():
                outcome = apply(*args)
        except (RowRejected, ValidationError, DomainError, IntegrityError, DataError) as exc:
            self.reject(row.number, problems_of(exc, row.separator))
        else:
            self.count(outcome)
            if outcome == "updated" and getattr(row, "changed", None):
                self.changed(row.number, *row.changed)

    def changed(self, row_number, record_id, names):
        """An update: which record, which fields (the answer's `changes`)."""
        self.changes_total += 1
        if len(self.changes) < MAX_ERRORS:
            self.changes.append({"row": row_number, "id": record_id, "fields": sorted(names)})

    @property
    def written(self):
        return self.counts["created"] + self.counts["updated"]

    def as_dict(self):
        return {
            "kind": self.kind,
            "mode": "partial" if self.partial else "atomic",
            "dry_run": self.dry_run,
            **self.counts,
            "errors_total": self.errors_total,
            "errors": self.errors,
            "changes_total": self.changes_total,
            "changes": self.changes,
        }


def problems_of(exc, separator="."):
    """(field, message) pairs for one rejected row; field None for the row as a whole."""
    if isinstance(exc, RowRejected):
        return exc.problems
    if isinstance(exc, ValidationError):
        return list(_flatten(exc.messages, separator))
    if isinstance(exc, Invalid):
        return [(exc.field, exc.problem)]
    if isinstance(exc, DomainError):
        named = (exc.errors or {}).get("json") or {}
        return [(field, exc.message) for field in named] or [(None, exc.message)]
    if isinstance(exc, IntegrityError):
        return [(None, CONFLICT_AT_ONCE)]
    return [(None, "a value does not fit its column")]


def _flatten(messages, separator, prefix=""):
    for key, value in messages.items():
        if key == "_schema":
            yield (prefix.rstrip(separator) or None), _joined(value)
        elif isinstance(value, dict) and all(isinstance(k, int) for k in value):
            items = "; ".join(f"item {k + 1}: {_joined(v)}" for k, v in sorted(value.items()))
            yield prefix + str(key), items
        elif isinstance(value, dict):
            yield from _flatten(value, separator, f"{prefix}{key}{separator}")
        else:
            yield prefix + str(key), _joined(value)


def _joined(messages):
    if isinstance(messages, dict):
        return "; ".join(_joined(v) for v in messages.values())
    return " ".join(messages) if isinstance(messages, list) else str(messages)


# ---------------------------------------------------------------- lookups by the batch

# A batch looks up a thousand keys at once, bound as one parameter (storage.db.one_of).


def pair_in(columns, pairs, types):
    """`(a, b) IN pairs` for two columns: pairs, not two lists, which SQLite would probe in
    every combination. `types`: the columns' PostgreSQL types (e.g. "integer", "text")."""
    pairs = list(pairs)
    if is_postgresql():
        rows, params = unnest(types, pairs)
        matched = SQL(f"IN (SELECT * FROM {rows})", params)
    else:
        matched = SQL(
            "IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') "
            "FROM json_each(?))",
            [json.dumps(pairs)],
        )
    return NodeList((Tuple(*columns), matched))


# ---------------------------------------------------------------- rows and references


class Row:
    """One data row: its number, its values for the schema, its references."""

    __slots__ = (
        "number",
        "values",
        "refs",
        "ids",
        "problems",
        "separator",
        "changed",
        "preloaded",
    )

    def __init__(self, number, values, separator):
        self.number = number
        self.values = values
        self.separator = separator
        self.refs = {}  # target -> (column, key) as the row gave it
        self.ids = {}  # target -> id found
        self.problems = []
        self.changed = None  # (record id, field names) once the row updated a record
        # The values loaded for a new record by the process that prepared the row, its
        # references left out (RecordKind.preload), or a LoadFailed; None: not loaded yet.
        self.preloaded = None


class LoadFailed:
    """A preload the schema refused: its messages, as ValidationError.messages."""

    __slots__ = ("messages",)

    def __init__(self, messages):
        self.messages = messages


def _given(value):
    return value not in (None, "")


def _as_id(value):
    """A positive whole number from JSON or a CSV cell, or None."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None


class Reference:
    """A row's pointer to another record: `{prefix}_external_id` or `{prefix}_id`."""

    def __init__(self, prefix, model, what, required=False):
        self.model = model
        self.what = what
        self.required = required
        self.target = f"{prefix}_id"
        self.external_column = f"{prefix}_external_id"
        self.columns = (self.external_column, self.target)

    def alternatives(self):
        """The ways of giving this reference, for messages and the CSV header check."""
        return [self.external_column, self.target]

    def take(self, values, required=None):
        """Remove the reference's columns from `values`; (column, key) or None."""
        given = [
            (column, value) for column in self.columns if _given(value := values.pop(column, None))
        ]
        if len(given) > 1:
            columns = ", ".join(sorted(column for column, _ in given))
            raise RowRejected([(self.external_column, f"give one of {columns}, not both")])
        if not given:
            if self.required if required is None else required:
                raise RowRejected(
                    [
                        (
                            self.external_column,
                            "Missing data: give " + " or ".join(self.alternatives()),
                        )
                    ]
                )
            return None
        ((column, value),) = given
        return column, self._key(column, value)

    def _key(self, column, value):
        if column == self.target:
            ident = _as_id(value)
            if ident is None:
                raise RowRejected([(column, "must be a positive whole number")])
            return ident
        if not isinstance(value, str) or len(value) > 200:
            raise RowRejected([(column, "must be text of at most 200 characters")])
        problem = storable_problem(value)
        if problem:
            raise RowRejected([(column, problem)])
        return value.strip()

    def lookup(self, wanted):
        """{(column, key): id} for the wanted references that exist (one query per column)."""
        model, found = self.model, {}
        ids = [key for column, key in wanted if column == self.target]
        for chunk in chunked(ids, BATCH_SIZE):
            for (ident,) in model.select(model.id).where(one_of(model.id, chunk)).tuples():
                found[(self.target, ident)] = ident
        external = [key for column, key in wanted if column == self.external_column]
        for chunk in chunked(external, BATCH_SIZE):
            query = model.select(model.external_id, model.id).where(
                one_of(model.external_id, chunk)
            )
            for key, ident in query.tuples():
                found[(self.external_column, key)] = ident
        return found

    def not_found(self, column, key):
        if column == self.target:
            return f"{self.what} {key} does not exist"
        return f"no {self.what} has external_id {key!r}"


class OfficerReference(Reference):
    """An officer also goes by agency code and badge number."""

    pair = ("officer_agency", "officer_badge")

    def __init__(self, required=False):
        super().__init__("officer", Officer, "officer", required)
        self.columns = (*self.columns, *self.pair)

    def alternatives(self):
        return [self.external_column, " + ".join(self.pair), self.target]

    def take(self, values):
        agency, badge = (values.pop(c, None) for c in self.pair)
        pair_given = _given(agency) or _given(badge)
        taken = super().take(values, required=self.required and not pair_given)
        if not pair_given:
            return taken
        if taken is not None:
            raise RowRejected(
                [(taken[0], "give one of " + ", ".join(self.alternatives()) + ", not several")]
            )
        if not (_given(agency) and _given(badge)):
            raise RowRejected([("officer_badge", "give both officer_agency and officer_badge")])
        if not all(isinstance(v, str) for v in (agency, badge)):
            raise RowRejected([("officer_badge", "officer_agency and officer_badge are text")])
        for column, value in zip(self.pair, (agency, badge), strict=True):
            problem = storable_problem(value)
            if problem:
                raise RowRejected([(column, problem)])
        return "officer_badge", (agency.strip(), badge.strip())

    def lookup(self, wanted):
        found = super().lookup(wanted)
        pairs = [key for column, key in wanted if column == "officer_badge"]
        for chunk in chunked(pairs, BATCH_SIZE):
            query = (
                Officer.select(Agency.code, Officer.badge_number, Officer.id)
                .join(Agency)
                .where(Tuple(Agency.code, Officer.badge_number).in_(chunk))
            )
            for code, badge, ident in query.tuples():
                found[("officer_badge", (code, badge))] = ident
        return found

    def not_found(self, column, key):
        if column == "officer_badge":
            return f"no officer of agency {key[0]!r} has badge {key[1]!r}"
        return super().not_found(column, key)


# ---------------------------------------------------------------- CSV cells


class CsvCells:
    """A kind's CSV cells as schema input.

    Nested fields are flattened (`location_city`), lists are `;`-separated, strict
    whole-number fields get ints, and an empty cell is null, or absent for a field
    that cannot be null (so its default applies on create and an update keeps it).
    """

    def __init__(self, schema, extra_columns):
        # column -> (name, name within it or None, convert or None: text, see `values`)
        self.columns = {}
        for name, field in schema.load_fields.items():
            key = field.data_key or name
            if isinstance(field, fields.Nested):
                for sub_name, sub in field.schema.load_fields.items():
                    sub_key = sub.data_key or sub_name
                    self.columns[f"{key}_{sub_key}"] = (key, sub_key, _converter(sub))
            else:
                self.columns[key] = (key, None, _converter(field))
        for column in extra_columns:
            self.columns[column] = (column, None, _text_or_none)

    def values(self, cells):
        values = {}
        columns = self.columns
        for column, cell in cells.items():
            spec = columns.get(column)
            if spec is None:
                continue  # a read-only column (the header check refused unknown ones)
            key, sub_key, convert = spec
            cell = cell.strip()
            if convert is None:  # text (most cells, spared two calls): as _converter's
                if not cell:
                    continue
                value = None if cell == NULL_CELL else cell
            else:
                value = convert(cell)
                if value is MISSING:
                    continue
            if sub_key is None:
                values[key] = value
            else:
                values.setdefault(key, {})[sub_key] = value
        return values


def _text_or_none(cell):
    return cell or None


# A CSV cell that clears a field on update (PostgreSQL's COPY spelling of null); an empty
# cell leaves the field as it is.
NULL_CELL = "\\N"


def _converter(field):
    """A cell's value for `field`: `NULL_CELL` null, an empty cell MISSING, any other its
    conversion (a list's items split on `;`, a strict whole number read); None for a field
    whose conversion is the text itself (CsvCells.values does the same without calling
    anything)."""
    if isinstance(field, fields.List):

        def convert(cell):
            return [i.strip() for i in cell.split(";") if i.strip()]

    elif isinstance(field, fields.Integer) and field.strict:

        def convert(cell):
            try:
                return int(cell)
            except ValueError:
                return cell  # the schema names the problem

    else:
        return None

    def cell_value(cell):
        if cell == NULL_CELL:
            return None
        return MISSING if not cell else convert(cell)

    return cell_value


# ---------------------------------------------------------------- kinds


class RecordKind:
    """How rows of one kind become records: the schema, the key, the domain calls."""

    name = ""
    schema_class = None
    references = ()
    # Fields a row must carry for imports to find the record again.
    required_keys = ()
    # Key fields an update never clears (an empty cell does not unlink a record).
    key_fields = ()

    def __init__(self, fmt, actor=None, role=None):
        self.actor = actor
        self.role = role
        self.separator = "_" if fmt == "csv" else "."
        self.create_schema = self.schema_class()
        self.update_schema = self.schema_class(partial=True)
        # The same decisions and messages as the schemas' load, compiled (schemas/compiled.py).
        self.create_load = compile_load(self.create_schema)
        self.update_load = compile_load(self.update_schema)
        load_fields = self.create_schema.load_fields
        reference_columns = list(dict.fromkeys(c for ref in self.references for c in ref.columns))
        self.read_only = (
            set(self.create_schema.dump_fields) - set(load_fields) - set(reference_columns)
        )
        self.targets_in_schema = {r.target for r in self.references if r.target in load_fields}
        self.preloadable = not self.targets_in_schema or not (
            any(self.create_schema._hooks.values())
            or any(load_fields[t].required for t in self.targets_in_schema)
        )
        self.csv = CsvCells(self.create_schema, reference_columns) if fmt == "csv" else None
        self.transaction_ended()

    def transaction_ended(self):
        """Forget what held only while the transaction lasted (import_batch calls this when a
        batch was its own transaction, or failed)."""
        # {target: {(column, key): id}}: references to records this transaction holds locked
        # (they cannot change before it ends), not looked up again.
        self.resolved = {}

    # -- the CSV header

    def check_columns(self, header):
        allowed = set(self.csv.columns) | self.read_only
        unknown = [c for c in header if c not in allowed]
        if unknown:
            raise Invalid(
                "columns",
                f"unknown column(s): {', '.join(unknown)}; the columns of "
                f"{self.name} are: {', '.join(self.csv.columns)}",
                location="body",
            )
        needed = [
            name
            for name, field in self.create_schema.load_fields.items()
            if field.required and name not in self.targets_in_schema
        ]
        needed += [k for k in self.required_keys if k not in needed]
        missing = [c for c in needed if c not in header]
        for ref in self.references:
            if ref.required and not any(c in header for c in ref.columns):
                missing.append(" or ".join(ref.alternatives()))
        if missing:
            raise Invalid("columns", f"missing column(s): {'; '.join(missing)}", location="body")

    # -- one row

    def prepare(self, number, data):
        """The row's values and references, before any lookup."""
        if isinstance(data, RowProblem):
            raise RowRejected([(None, f"the row {data.message}")])
        if self.csv is not None:
            values = self.csv.values(data)
        else:
            values = {k: v for k, v in data.items() if k not in self.read_only}
        for key in self.required_keys:
            if not _given(values.get(key)):
                raise RowRejected(
                    [
                        (
                            key,
                            "Missing data for required field "
                            "(imports find the record again by it).",
                        )
                    ]
                )
            if not isinstance(values[key], str):
                raise RowRejected([(key, "Not a valid string.")])
            problem = storable_problem(values[key])
            if problem:
                raise RowRejected([(key, problem)])
        row = Row(number, values, self.separator)
        for ref in self.references:
            try:
                taken = ref.take(values)
            except RowRejected as exc:
                row.problems += exc.problems
                continue
            if taken is not None:
                row.refs[ref.target] = taken
        if row.problems:
            raise RowRejected(row.problems)
        return row

    def preload(self, rows):
        """Load each row's values for a new record ahead, where the rows are prepared (the
        process reading the file, beside the one writing): its references are left out,
        since their ids are known only once looked up (load_new puts them in). A schema
        with no check across fields (none of the imported kinds has one) loads every field
        on its own, so the result is the one `create_load(row.values)` gives later. Kinds
        whose schema requires a reference, or checks across fields, are left to load_new."""
        if not self.preloadable:
            return
        targets = self.targets_in_schema
        for row in rows:
            values = row.values
            if targets:
                values = {k: v for k, v in values.items() if k not in targets or k not in row.refs}
            try:
                row.preloaded = self.create_load(values)
            except ValidationError as exc:
                row.preloaded = LoadFailed(exc.messages)

    def load_new(self, row):
        """`create_load(row.values)` for the row as it stands (its references resolved):
        from its preload when it has one."""
        loaded = row.preloaded
        if loaded is None:
            return self.create_load(row.values)
        row.preloaded = None  # (used once: the caller may change what it gets)
        if isinstance(loaded, LoadFailed):
            raise ValidationError(loaded.messages)
        for target in self.targets_in_schema:
            if target in row.refs:
                loaded[target] = row.values[target]
        return loaded

    def resolve_references(self, rows, job):
        """Rows whose references all exist, their ids filled in; the others rejected."""
        for ref in self.references:
            wanted = {row.refs[ref.target] for row in rows if ref.target in row.refs}
            resolved = self.resolved.get(ref.target, {})
            found = {key: resolved[key] for key in wanted if key in resolved}
            wanted -= found.keys()
            if wanted:
                found.update(ref.lookup(wanted))
            for row in rows:
                taken = row.refs.get(ref.target)
                if taken is None:
                    continue
                ident = found.get(taken)
                if ident is None:
                    row.problems.append((taken[0], ref.not_found(*taken)))
                    continue
                row.ids[ref.target] = ident
                if ref.target in self.targets_in_schema:
                    row.values[ref.target] = ident
        good = []
        for row in rows:
            if row.problems:
                job.reject(row.number, row.problems)
            else:
                good.append(row)
        return good

    # -- a batch

    def process(self, rows, job):
        for row in self.resolve_references(rows, job):
            job.attempt(row, self.upsert, row)

    def writing_beside(self):
        """A block within which a kind may leave a batch's writes to finish while the next
        batch is checked (an import in one transaction); `finish` ends them."""
        return nullcontext()

    def finish(self, job):
        """Write what the batches before left to write (after the last batch)."""

    def unsettled_from(self):
        """The number of the first row whose write is not settled yet (None: none is)."""

    def upsert(self, row):
        existing = self.find(row)
        if existing is None:
            self.create(row, self.load_new(row))
            return "created"
        values = self.update_load(row.values)
        for key in self.key_fields:
            if values.get(key) is None:
                values.pop(key, None)
        changes = self.changes(existing, self.comparable(values))
        if not changes:
            return "unchanged"
        self.update(existing, changes)
        row.changed = (existing.id, list(changes))
        return "updated"

    def comparable(self, values):
        return values

    def changes(self, record, values):
        """The loaded `values` that would change `record` as the API shows it."""
        return changes_between(
            self.create_schema.dump(record), self.update_schema.dump(values), values
        )

    def find(self, row):
        """The record the row's key names, locked for the update, or None."""
        raise NotImplementedError

    def create(self, row, values):
        self.create_record(values)

    # The API's own domain functions, set by each kind: create_record(values),
    # update(record, changes).
    create_record = update = None


def changes_between(shown, given, values):
    """The `values` (as loaded) whose form `given` (as the schema writes them) differs from
    `shown` (the record as the API shows it): nested objects field by field, lists as sets
    (an incident's agencies have no order)."""
    changes = {}
    for key, value in given.items():
        now = shown.get(key)
        if isinstance(value, dict):
            changed = [k for k, v in value.items() if (now or {}).get(k) != v]
            if changed:
                changes[key] = {k: values[key][k] for k in changed}
        elif isinstance(value, list):
            if sorted(set(value)) != sorted(set(now or ())):
                changes[key] = values[key]
        elif now != value:
            changes[key] = values[key]
    return changes


def _text_key(values, name):
    value = values.get(name)
    return value if isinstance(value, str) else None


def _locked_first(query):
    return for_update(query).first()


class AgencyImport(RecordKind):
    name = "agencies"
    schema_class = AgencySchema
    create_record = staticmethod(inventory.create_agency)
    update = staticmethod(inventory.update_agency)

    def find(self, row):
        code = _text_key(row.values, "code")
        if not code:
            return None
        return _locked_first(Agency.select().where(Agency.code == code))


class OfficerImport(RecordKind):
    name = "officers"
    schema_class = OfficerSchema
    key_fields = ("external_id",)
    create_record = staticmethod(inventory.create_officer)
    update = staticmethod(inventory.update_officer)

    def find(self, row):
        external_id = _text_key(row.values, "external_id")
        if external_id:
            officer = _locked_first(Officer.select().where(Officer.external_id == external_id))
            if officer is not None:
                return officer
        agency, badge = _text_key(row.values, "agency"), _text_key(row.values, "badge_number")
        if agency and badge:
            return _locked_first(
                Officer.select()
                .join(Agency)
                .where((Agency.code == agency) & (Officer.badge_number == badge))
            )
        return None


class WrittenBeside:
    """A kind whose checked new records of one run are written while the next run is
    checked, in an import in one transaction on PostgreSQL (`writing_beside`): a second
    thread sends the run's COPY and what goes with it on the import's own connection, inside
    its transaction (storage.db.beside), so the server inserts, indexes and checks one run's
    rows while Python checks the next. A connection runs one statement at a time, so the
    next run's lookups are made before the write starts (`start_write` after them); a run
    depending on a record still waiting to be written (`waiting_keys`) has it written
    first. Elsewhere (partial mode, SQLite) each run is written at once.

    The kind gives `write_new(new)` (inserts the run's [(row, ...)], on the second thread:
    no counters noted there), `written_new(new, job)` (once it succeeded) and
    `write_each(new, job)` (once it failed with an IntegrityError, rolled back: one row at a
    time). Sources use it; incidents gained nothing measurable from it (100,000 incidents:
    7.3-7.8 s either way on PostgreSQL), so they are written as before."""

    _writes = None  # the second thread (storage.db.beside), while writing_beside
    _waiting = _writing = ()  # the run checked and waiting, the run being written
    _writer = None  # what runs the write under way: _writes, or an AtOnce

    @contextmanager
    def writing_beside(self):
        if not is_postgresql():  # (each run written before the next run's lookups, as ever)
            yield
            return
        with beside() as writes:
            self._writes = writes
            try:
                yield
            finally:
                self._writes = None
                self._waiting = self._writing = ()

    def write_later(self, new, job):
        """The run's checked new records, to be written once the next run's lookups are
        made (at once without a second thread)."""
        self._waiting = tuple(new)
        if self._writes is None:
            self.finish(job)

    def waiting_keys(self, keys_of):
        """The keys (`keys_of(row)`, a set) of the rows not yet written."""
        keys = set()
        for item in self._waiting + self._writing:
            keys |= keys_of(item[0])
        return keys

    def finish(self, job):
        """Write the run still waiting, and wait for the write under way."""
        self.start_write()
        self.wait_written(job)

    def unsettled_from(self):
        return min((item[0].number for item in self._waiting + self._writing), default=None)

    def start_write(self):
        """The run waiting, given to be written (on the second thread when there is one)."""
        if not self._waiting:
            return
        self._writing, self._waiting = self._waiting, ()
        self._writer = self._writes or AtOnce()
        self._writer.submit(self._write_on_savepoint, self._writing)

    def _write_on_savepoint(self, new):
        with database.atomic():
            self.write_new(new)

    def wait_written(self, job):
        """Wait for the write under way; then `written_new`, or `write_each` if it failed."""
        if not self._writing:
            return
        written, self._writing = self._writing, ()
        try:
            self._writer.wait()
        except IntegrityError:
            self.write_each(written, job)
        else:
            self.written_new(written, job)


class BatchedCreates(RecordKind):
    """New records go in batches: one lookup of the batch's keys (and of what the domain's
    checks need, `batch_facts`), the checks of the domain function that makes a new record
    (`new_record`), one COPY/executemany per table (`insert_new`). Updates, and a batch that
    meets a conflict written meanwhile, go row by row through the API's functions."""

    def key(self, row):
        raise NotImplementedError

    def stored_keys(self, keys):
        """Those of `keys` already stored (their records locked for the update)."""
        raise NotImplementedError

    def batch_facts(self, loaded):
        """What `new_record` needs to know of other records, looked up once for the batch's
        loaded (row, values) pairs."""
        return None

    def new_record(self, row, values, facts):
        """The new record (unsaved) after the domain's checks, as `insert_new` takes it."""
        raise NotImplementedError

    def insert_new(self, new):
        """Insert the (row, values, new record) triples, inside a transaction."""
        raise NotImplementedError

    def process(self, rows, job):
        run, seen = [], set()
        for row in self.resolve_references(rows, job):
            key = self.key(row)
            if key in seen:  # the same record twice in a batch: the second updates it
                self._process_run(run, job)
                run, seen = [], set()
            run.append(row)
            seen.add(key)
        if run:
            self._process_run(run, job)

    def _process_run(self, rows, job):
        stored = self.stored_keys([self.key(row) for row in rows])
        loaded = []
        for row in rows:
            if self.key(row) in stored:
                job.attempt(row, self.upsert, row)
                continue
            try:
                loaded.append((row, self.load_new(row)))
            except ValidationError as exc:
                job.reject(row.number, problems_of(exc, row.separator))
        facts = self.batch_facts(loaded)
        new = []
        for row, values in loaded:
            try:
                new.append((row, values, self.new_record(row, values, facts)))
            except DomainError as exc:
                job.reject(row.number, problems_of(exc, row.separator))
        if not new:
            return
        try:
            with database.atomic():
                self.insert_new(new)
        except IntegrityError:
            for row, values, _ in new:
                job.attempt(row, self._create_one, row, values)
        else:
            job.count("created", len(new))

    def _create_one(self, row, values):
        self.create(row, values)
        return "created"


def insert_records(model, records, key=None):
    """Insert unsaved `records` of `model` at once (storage.db.bulk_insert: COPY or one
    prepared statement). With `key`, a unique field, each record gets its id back (COPY
    returns none): one lookup by the keys."""
    records = list(records)
    fields = [f for f in model._meta.sorted_fields if f.name != "id"]
    bulk_insert(model, fields, db_rows(fields, (record.__data__ for record in records)))
    if key is not None:
        keys = [getattr(record, key.name) for record in records]
        ids = dict(model.select(key, model.id).where(one_of(key, keys)).tuples())
        for record in records:
            record.id = ids[getattr(record, key.name)]


class IncidentImport(BatchedCreates):
    name = "incidents"
    schema_class = IncidentSchema
    required_keys = key_fields = ("external_id",)
    create_record = staticmethod(inventory.create_incident)
    update = staticmethod(inventory.update_incident)

    def key(self, row):
        return row.values["external_id"]

    def find(self, row):
        return _locked_first(
            Incident.select().where(Incident.external_id == row.values["external_id"])
        )

    def stored_keys(self, keys):
        query = Incident.select(Incident.id, Incident.external_id)
        return {i.external_id for i in for_update(query.where(one_of(Incident.external_id, keys)))}

    def batch_facts(self, loaded):
        """The agencies the batch names, by code."""
        codes = {c for _, values in loaded for c in values.get("agencies") or ()}
        return {a.code: a for a in Agency.select().where(one_of(Agency.code, codes))}

    def new_record(self, row, values, facts):
        return inventory.new_incident(values, facts)

    def insert_new(self, new):
        insert_records(Incident, (incident for _, _, (incident, _) in new), Incident.external_id)
        links = [
            (incident.id, agency.id) for _, _, (incident, agencies) in new for agency in agencies
        ]
        if links:
            bulk_insert(IncidentAgency, [IncidentAgency.incident, IncidentAgency.agency], links)
        inventory.incidents_created([(incident, values) for _, values, (incident, _) in new])


class InvolvementImport(BatchedCreates):
    name = "involvements"
    schema_class = InvolvementSchema
    references = (
        Reference("incident", Incident, "incident", required=True),
        OfficerReference(required=True),
    )

    def key(self, row):
        return (row.ids["incident_id"], row.ids["officer_id"])

    def find(self, row):
        return _locked_first(
            Involvement.select().where(
                (Involvement.incident == row.ids["incident_id"])
                & (Involvement.officer == row.ids["officer_id"])
            )
        )

    def stored_keys(self, keys):
        query = Involvement.select(Involvement.incident, Involvement.officer).where(
            pair_in((Involvement.incident, Involvement.officer), keys, ("integer", "integer"))
        )
        return set(for_update(query).tuples())

    def batch_facts(self, loaded):
        """The batch's officers, by id."""
        ids = {row.ids["officer_id"] for row, _ in loaded}
        return {o.id: o for o in Officer.select().where(one_of(Officer.id, ids))}

    def new_record(self, row, values, facts):
        officer = facts[row.ids["officer_id"]]
        return inventory.new_involvement(row.ids["incident_id"], officer, values)

    def insert_new(self, new):
        insert_records(Involvement, (involvement for _, _, involvement in new))
        counters.changed(involvement.incident_id for _, _, involvement in new)

    def create(self, row, values):
        inventory.involve_officer(inventory.get_incident(row.ids["incident_id"]), values)

    update = staticmethod(inventory.update_involvement)

    def comparable(self, values):
        # No value means "as the officer's camera_issued", which only applies on create.
        if values.get("camera_expected") is None:
            values.pop("camera_expected", None)
        return values


class SourceImport(WrittenBeside, RecordKind):
    """Sources come by the hundred thousand: checked against lookups made once per
    batch (the same rules, asked through inventory.SourceFacts) and inserted many
    rows per statement."""

    name = "sources"
    schema_class = SourceSchema
    required_keys = key_fields = ("external_id",)
    references = (
        Reference("incident", Incident, "incident", required=True),
        OfficerReference(),
        Reference("derived_from", Source, "source"),
    )

    def transaction_ended(self):
        super().transaction_ended()
        self.known = KnownIncidents()

    def process(self, rows, job):
        for run, needs in self._independent_runs(rows):
            if self.waiting_keys(self._own_keys) & needs:
                self.finish(job)
            run = self.resolve_references(run, job)
            facts = BatchSourceFacts(run, self.known)
            facts.look_up_all()  # (nothing asked of the database while the write goes on)
            # The incidents are locked now: their references need no lookup until the end.
            resolved = self.resolved.setdefault("incident_id", {})
            for row in run:
                resolved[row.refs["incident_id"]] = row.ids["incident_id"]
            self.start_write()
            if facts.existing:  # updates below write at once, never beside another write
                self.wait_written(job)
            new = []
            for row in run:
                existing = facts.existing.get(row.values["external_id"])
                try:
                    if existing is None:
                        values = self.load_new(row)
                        new.append((row, inventory.new_source(values, facts=facts)))
                        continue
                    values = inventory.source_values(self.update_load(row.values))
                    changes = self.changes(existing, values)
                except (ValidationError, DomainError) as exc:
                    job.reject(row.number, problems_of(exc, row.separator))
                    continue
                if changes:
                    row.changed = (existing.id, list(changes))
                    job.attempt(row, self._update, existing, changes, facts, self.role)
                else:
                    job.count("unchanged")
            self.wait_written(job)
            self.write_later(new, job)

    def write_new(self, new):
        """Insert the new sources [(row, source)] at once, with their search index entries
        (the caller notes the counters)."""
        sources = [source for _, source in new]
        insert_records(Source, sources, Source.external_id)
        search.index_sources(sources, new=True)

    def written_new(self, new, job):
        counters.changed(source.incident_id for _, source in new)
        job.count("created", len(new))

    def write_each(self, new, job):
        for row, source in new:
            source.id = None  # (given by the write rolled back)
            job.attempt(row, self._insert_one, source)

    @staticmethod
    def _own_keys(row):
        keys = set()
        external_id = _text_key(row.values, "external_id")
        if external_id:
            keys.add(("external_id", external_id))
        sha256 = _text_key(row.values, "sha256")
        if sha256:
            keys.add(("sha256", sha256.lower()))
        return keys

    def _independent_runs(self, rows):
        """Split a batch where a row depends on an earlier row of the same batch (its
        key, its sha256, the master it was copied from), so that every lookup made
        for a run sees the rows before it written. Yields (run, the keys its rows depend
        on: their own and their masters')."""
        run, seen, run_needs = [], set(), set()
        for row in rows:
            keys = self._own_keys(row)
            copied_from = row.refs.get("derived_from_id")
            needs = keys | ({("external_id", copied_from[1])} if copied_from else set())
            if needs & seen:
                yield run, run_needs
                run, seen, run_needs = [], set(), set()
            run.append(row)
            seen |= keys
            run_needs |= needs
        if run:
            yield run, run_needs

    @staticmethod
    def _update(source, changes, facts, role):
        before = (source.incident_id, source.sha256)
        inventory.update_source(source, changes, facts, role=role)
        facts.moved(source, *before)
        return "updated"

    @staticmethod
    def _insert_one(source):
        source.save(force_insert=True)
        search.index_source(source)
        counters.changed([source.incident_id])
        return "created"


class KnownIncidents:
    """What a source import learnt of the incidents it holds locked in the transaction under
    way (holds.incidents_on_hold locks them; an incident's update, a hold placed on it or
    released wait for the lock): whether a hold covers each, and what the retention rules
    look at. Nobody changes either before the transaction ends, so a batch asks only about
    the incidents new to it (sources of an incident come interleaved across batches: 300,000
    sources of 3,000 incidents, each batch naming some 1,000 of them). Forgotten when the
    transaction ends (`RecordKind.transaction_ended`)."""

    def __init__(self):
        self.locked = set()
        self.held = set()
        self.facts = {}  # {incident id: retention.IncidentFacts}

    def on_hold(self, incident_ids):
        """Those of `incident_ids` a hold covers whole (the new ones asked, and locked)."""
        new = incident_ids - self.locked
        if new:
            self.held |= holds.incidents_on_hold(new)
            self.locked |= new
        return self.held & incident_ids


class BatchSourceFacts(inventory.SourceFacts):
    """The source rules' questions answered from lookups made once for a run of rows
    (falling back to a query for anything not looked up); `known`: what the transaction
    already learnt of the incidents (KnownIncidents)."""

    def __init__(self, rows, known=None):
        known = known or KnownIncidents()
        self.rows = rows
        self.involved = None  # (incident_id, officer_id) pairs, looked up when first asked
        self.incidents = {row.ids["incident_id"] for row in rows}
        self.officers = {row.ids["officer_id"] for row in rows if "officer_id" in row.ids}
        self.masters = {row.ids["derived_from_id"] for row in rows if "derived_from_id" in row.ids}
        self.held = known.on_hold(self.incidents) if self.incidents else set()
        # What the retention rules require of each incident's footage (SourceFacts.retention
        # reads this cache).
        self._retention = (
            retention.requirements_for(self.incidents, known.facts) if self.incidents else {}
        )
        external_ids = [row.values["external_id"] for row in rows]
        self.existing = {}
        if external_ids:
            query = for_update(Source.select().where(one_of(Source.external_id, external_ids)))
            self.existing = {s.external_id: s for s in query}
        self.owners = {
            e: (self.existing[e].id if e in self.existing else None) for e in external_ids
        }
        self.shas = {
            row.values["sha256"].lower()
            for row in rows
            if isinstance(row.values.get("sha256"), str)
        }
        self.sha_owners = {}
        if self.shas and self.incidents:
            # sha256 first: SQLite then searches the sha256 index for each pair, where by
            # (incident, sha256) it would search by incident alone, reading every source of
            # the incident again for each pair.
            pairs = {
                (row.values["sha256"].lower(), row.ids["incident_id"])
                for row in rows
                if isinstance(row.values.get("sha256"), str)
            }
            query = Source.select(Source.id, Source.incident, Source.sha256).where(
                pair_in((Source.sha256, Source.incident), pairs, ("text", "integer"))
            )
            self.sha_owners = {(i, sha): ident for ident, i, sha in query.tuples()}

    def incident_exists(self, incident_id):
        return incident_id in self.incidents or super().incident_exists(incident_id)

    def incident_on_hold(self, incident_id):
        if incident_id in self.incidents:
            return incident_id in self.held
        return super().incident_on_hold(incident_id)

    def officer_exists(self, officer_id):
        return officer_id in self.officers or super().officer_exists(officer_id)

    def look_up_all(self):
        """Make now the lookups made when first needed (the involvements), so that the
        rules ask nothing more of the database about the run's rows."""
        if self.involved is None:
            pairs = {
                (row.ids["incident_id"], row.ids["officer_id"])
                for row in self.rows
                if "officer_id" in row.ids and "incident_id" in row.ids
            }
            self.involved = set()
            for chunk in chunked(sorted(pairs), BATCH_SIZE):
                incidents = {i for i, _ in chunk}
                officers = {o for _, o in chunk}
                query = Involvement.select(Involvement.incident, Involvement.officer).where(
                    Involvement.incident.in_(incidents) & Involvement.officer.in_(officers)
                )
                self.involved |= set(query.tuples())

    def officer_involved(self, incident_id, officer_id):
        self.look_up_all()
        if (incident_id, officer_id) in self.involved:
            return True
        return super().officer_involved(incident_id, officer_id)

    def source_exists(self, source_id):
        return source_id in self.masters or super().source_exists(source_id)

    def external_id_owner(self, external_id, own_id=None):
        if external_id not in self.owners:
            return super().external_id_owner(external_id, own_id)
        owner = self.owners[external_id]
        return None if owner == own_id else owner

    def sha256_owner(self, incident_id, sha256, own_id=None):
        if sha256 not in self.shas or incident_id not in self.incidents:
            return super().sha256_owner(incident_id, sha256, own_id)
        owner = self.sha_owners.get((incident_id, sha256))
        return None if owner == own_id else owner

    def moved(self, source, old_incident_id, old_sha256):
        """An update saved: the sha256 it had is free, the one it has is taken.
        (Incidents outside the run are asked of the database anyway.)"""
        if self.sha_owners.get((old_incident_id, old_sha256)) == source.id:
            del self.sha_owners[(old_incident_id, old_sha256)]
        if source.sha256 and source.incident_id in self.incidents:
            self.shas.add(source.sha256)
            self.sha_owners[(source.incident_id, source.sha256)] = source.id


class CustodyImport(RecordKind):
    """Custody rows append events, in file order, to their sources' hash chains, through the
    API's rules (custody.next_event: the state rules, the time order, the hash chain). A
    batch locks its sources once, looks up the events its rows may name again once, appends
    in memory and saves the events with one COPY/executemany and the sources' chain columns
    with one prepared statement. Events are append-only: a row finds its event again by
    source, action and occurred_at, and is unchanged when it says the same; a row that says
    something else about a recorded event is refused."""

    name = "custody"
    schema_class = CustodyEventSchema
    required_keys = ("occurred_at",)
    references = (Reference("source", Source, "source", required=True),)

    def process(self, rows, job):
        rows = self.resolve_references(rows, job)
        loaded = []
        for row in rows:
            try:
                loaded.append((row, custody.event_values(self.load_new(row))))
            except (ValidationError, DomainError) as exc:
                job.reject(row.number, problems_of(exc, row.separator))
        if not loaded:
            return
        facts = BatchChainFacts({row.ids["source_id"] for row, _ in loaded}, loaded)
        new = []
        for row, event_values in loaded:
            source = facts.sources[row.ids["source_id"]]
            recorded = facts.recorded.get(
                (source.id, event_values["action"], event_values["occurred_at"])
            )
            try:
                if recorded is not None:
                    custody.refuse_other_account(recorded, event_values)
                    job.count("unchanged")
                    continue
                event = custody.next_event(source, event_values, self.actor, facts=facts)
            except DomainError as exc:
                job.reject(row.number, problems_of(exc, row.separator))
                continue
            facts.appended(event)
            new.append(event)
        if new:
            self._save(new, facts)
            job.count("created", len(new))

    def _save(self, events, facts):
        insert_records(CustodyEvent, events)
        touched = {event.source_id for event in events}
        columns = custody.CHAIN_COLUMNS
        execute_many(
            f'UPDATE "{Source._meta.table_name}" SET '
            + ", ".join(f'"{c.column_name}" = {database.param}' for c in columns)
            + f' WHERE "id" = {database.param}',
            [
                [c.db_value(getattr(facts.sources[i], c.name)) for c in columns] + [i]
                for i in sorted(touched)
            ],
        )
        counters.changed(facts.sources[i].incident_id for i in touched)


class BatchChainFacts(custody.ChainFacts):
    """The custody rules' questions about a batch's sources answered from lookups made once
    (their rows locked, their disposals and last events), kept up to date as the batch
    appends events in memory."""

    def __init__(self, source_ids, loaded):
        ids = sorted(source_ids)
        query = Source.select().where(one_of(Source.id, ids)).order_by(Source.id)
        self.sources = {s.id: s for s in for_update(query)}
        self.disposals = dict(
            CustodyEvent.select(CustodyEvent.source, CustodyEvent.seq)
            .where(one_of(CustodyEvent.source, ids) & (CustodyEvent.action == "disposed"))
            .tuples()
        )
        self.last = {}
        heads = [(s.id, s.custody_last_seq) for s in self.sources.values() if s.custody_last_seq]
        if heads:
            query = CustodyEvent.select().where(
                pair_in((CustodyEvent.source, CustodyEvent.seq), heads, ("integer", "integer"))
            )
            self.last = {event.source_id: event for event in query}
        # The events the batch's rows may name again: same source, action and occurred_at.
        self.recorded = {}
        times = sorted({values["occurred_at"] for _, values in loaded})
        query = (
            CustodyEvent.select()
            .where(one_of(CustodyEvent.source, ids) & CustodyEvent.occurred_at.in_(times))
            .order_by(CustodyEvent.id)
        )
        for event in query:
            key = (event.source_id, event.action, event.occurred_at)
            self.recorded.setdefault(key, event)

    def disposal_seq(self, source_id):
        return self.disposals.get(source_id)

    def last_event(self, source):
        return self.last.get(source.id)

    def appended(self, event):
        self.last[event.source_id] = event
        if event.action == "disposed":
            self.disposals.setdefault(event.source_id, event.seq)
        self.recorded.setdefault((event.source_id, event.action, event.occurred_at), event)


KINDS = {
    kind.name: kind
    for kind in (
        AgencyImport,
        OfficerImport,
        IncidentImport,
        InvolvementImport,
        SourceImport,
        CustodyImport,
    )
}


# ---------------------------------------------------------------- the import


def run_import(
    kind,
    stream,
    fmt,
    *,
    dry_run=False,
    partial=False,
    actor=None,
    role=None,
    batch_size=BATCH_SIZE,
    on_error=None,
    on_progress=None,
    audit_fields=None,
    read_aside=False,
):
    """Import the rows of `stream` (binary, format `fmt`) as records of `kind`.

    `audit_fields` (actor, role, method, path, ip): in partial mode each committed batch
    writes an audit entry in its own transaction, so the log always matches the rows
    written, however the import ends.

    `read_aside` (the command line): the rows are read, prepared and loaded by the schema in
    a second process (service.bulk.aside) while this one checks and writes the batches
    before, where the platform can fork. The decisions and messages are the same.

    Returns the ImportJob (counts and errors). In atomic mode a rejected row means
    nothing was written and the counts of written rows are 0. A body that cannot be
    read raises a DomainError (BadRequest, Invalid for a CSV header).
    """
    importer = KINDS[kind](fmt, actor, role)
    job = ImportJob(kind, dry_run, partial, on_error)
    if read_aside and aside.available():
        batches = _batches_read_aside(stream, fmt, importer, job, batch_size)
    else:
        batches = batches_of(_rows(stream, fmt, importer), importer, job, batch_size)
    all_or_nothing = dry_run or not partial
    # All or nothing: one transaction, so the counters are recomputed once, at its end, for
    # every incident the import touched (per batch, they would read an incident's sources
    # again for each batch that adds to it). In partial mode each batch commits its own.
    try:
        with ExitStack() as whole:
            whole.enter_context(fewer_collections())
            if all_or_nothing:
                whole.enter_context(database.atomic())
                whole.enter_context(counters.deferred())
                whole.enter_context(importer.writing_beside())
            import_rows(
                importer,
                job,
                batches,
                committing=not all_or_nothing,
                audit_fields=audit_fields,
                on_progress=on_progress,
            )
            if dry_run or (job.counts["rejected"] and not partial):
                raise _Discard()
    except _Discard:
        pass
    except DomainError as exc:
        if job.committed:
            exc.message += (
                f" ({job.committed} rows before it were written in partial mode; importing "
                "the corrected file again leaves them unchanged)"
            )
        raise
    if job.counts["rejected"] and not partial:
        job.counts.update(created=0, updated=0, unchanged=0)
    return job


# The garbage collector while imports run: Python's defaults (a collection every 700 new
# objects, every 10th of them the older ones too, the oldest scanning the whole heap of the
# application) cost an import 10 to 15% of its CPU time, for the few reference cycles its
# short-lived records make. Collections every 10,000 new objects, and the objects alive when
# the import started (the application's) left out of them until it ends: 3.0 s -> 0.6 s of
# collections for 100,000 incidents. Memory stays flat: what a batch leaves is collected a
# few batches later.
IMPORT_GC_THRESHOLDS = (10_000, 10, 10)
_collections = {"lock": threading.Lock(), "imports": 0, "thresholds": None}


@contextmanager
def fewer_collections():
    """Within the block (an import), the collector set for imports (IMPORT_GC_THRESHOLDS, the
    objects alive at its start frozen); as before once the last import running ends."""
    with _collections["lock"]:
        if _collections["imports"] == 0:
            _collections["thresholds"] = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*IMPORT_GC_THRESHOLDS)
        _collections["imports"] += 1
    try:
        yield
    finally:
        with _collections["lock"]:
            _collections["imports"] -= 1
            if _collections["imports"] == 0:
                gc.set_threshold(*_collections["thresholds"])
                gc.unfreeze()


def import_rows(importer, job, batches, committing=False, audit_fields=None, on_progress=None):
    """Import `batches` (lists of prepared rows: batches_of) one by one (import_batch), then
    report the errors after the last batch. `committing` (partial mode): each batch commits
    its own, with its audit entry when `audit_fields` are given; otherwise the batches are
    savepoints of the caller's one transaction and write no audit entry of their own."""
    batch_audit = audit_fields if committing else None
    for number, batch in enumerate(batches, 1):
        import_batch(importer, job, number, batch, batch_audit)
        if committing:
            job.committed = job.written
        if on_progress:
            on_progress(job)
    importer.finish(job)
    job.end_batch()


def import_batch(importer, job, number, batch, audit_fields=None):
    """Apply one batch of rows in its own transaction (a savepoint inside an atomic import),
    the counters recomputed once for it (or once for the whole import, when it defers them
    further out); with `audit_fields` (partial mode: the batch is
    committed) its audit entry is written in the same transaction."""
    own_transaction = not database.in_transaction()
    try:
        with database.atomic(), counters.deferred():
            before = job.written
            importer.process(batch, job)
            if audit_fields:
                _audit_batch(audit_fields, importer.name, number, batch, job.written - before)
    except BaseException:
        importer.transaction_ended()  # (its savepoint rolled back: its locks may be gone)
        raise
    if own_transaction:
        importer.transaction_ended()
    job.end_batch(importer.unsettled_from())


def _audit_batch(fields, kind, number, batch, written):
    first, last = batch[0].number, batch[-1].number
    audit.record(
        **{
            **fields,
            "path": f"{fields['path']} [batch {number}: rows {first}-{last}, {written} written]"[
                :2000
            ],
            "status": 200,
            "resource": "imports",
            "resource_id": f"{kind}:batch:{number}"[:100],
        }
    )


def _rows(stream, fmt, importer):
    return read_rows(stream, fmt, importer.check_columns if fmt == "csv" else None)


def batches_of(rows, importer, job, size):
    """`rows` ((row number, data) pairs) prepared (RecordKind.prepare), in lists of `size`;
    a row that cannot be prepared is rejected on `job`."""
    batch = []
    for number, data in rows:
        job.counts["received"] += 1
        try:
            batch.append(importer.prepare(number, data))
        except RowRejected as exc:
            job.reject(number, exc.problems)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Tally:
    """What batches_of notes on the job, kept by the process reading aside and handed over
    with each batch: rows received, rows rejected with their problems."""

    def __init__(self):
        self.counts = {"received": 0}
        self.rejected = []

    def reject(self, row_number, problems):
        self.rejected.append((row_number, problems))

    def taken(self):
        noted = (self.counts["received"], self.rejected)
        self.counts["received"], self.rejected = 0, []
        return noted


def _batches_read_aside(stream, fmt, importer, job, size):
    """batches_of(...) computed in a second process, with each row's values preloaded for a
    new record; what it noted is put on `job` before its batch, as batches_of would have."""

    def make():  # (in the child)
        tally = _Tally()
        for batch in batches_of(_rows(stream, fmt, importer), importer, tally, size):
            importer.preload(batch)
            yield tally.taken(), batch
        yield tally.taken(), None  # rows rejected after the last batch

    for (received, rejected), batch in aside.items(make):
        job.counts["received"] += received
        for row_number, problems in rejected:
            job.reject(row_number, problems)
        if batch is not None:
            yield batch
