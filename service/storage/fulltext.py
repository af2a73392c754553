"""Writing the full-text index (models.IncidentSearch, models.SourceSearch).

Words are folded here, in Python, before they are indexed and before they are searched
for: lower case (casefold) and without accents (NFKD, combining marks dropped), so
"Café", "CAFE" and "cafe" are one word on both databases. PostgreSQL's `unaccent`
extension would do the same on the server, but it is not installable everywhere (managed
servers, restricted roles); folding in Python needs nothing and makes SQLite and
PostgreSQL agree exactly. FTS5's `unicode61 remove_diacritics 2` folds again, harmlessly.
"""

import re
import unicodedata

from peewee import chunked

from service.storage.db import database, execute_many, is_postgresql, one_of, unnest
from service.storage.models import Incident, IncidentSearch, Source, SourceSearch

WORD = re.compile(r"\w+")


def fold(text):
    """`text` in lower case without accents ("Éric Ñandú" -> "eric nandu")."""
    if not text:
        return ""
    if text.isascii():  # (nothing to decompose; casefold is lower)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text):
    """The folded words of `text`, in order (what a query searches for)."""
    return WORD.findall(fold(text))


def incident_document(title, description):
    return " ".join(words(" ".join(t for t in (title, description) if t)))


def source_document(notes, recorded_by):
    return " ".join(words(" ".join(t for t in (notes, recorded_by) if t)))


DOCUMENTS = {
    IncidentSearch: (Incident, (Incident.title, Incident.description), incident_document),
    SourceSearch: (Source, (Source.notes, Source.recorded_by), source_document),
}


def write(index, entries, new=False):
    """Replace the index rows of `entries` [(id, document text)], inside the caller's
    transaction (the write that changed the records), 500 at a time in one statement: the
    rows as arrays on PostgreSQL (one round trip), one prepared statement on SQLite
    (composing a many-row INSERT through the ORM would cost more than the insert). `new`:
    records just inserted, which have no index rows to replace (records are never deleted,
    so their ids are new)."""
    table = index._meta.table_name
    for chunk in chunked(entries, 500):
        if not new:
            index.delete().where(one_of(index.rowid, [rowid for rowid, _ in chunk])).execute()
        if is_postgresql():
            rows, params = unnest(("bigint", "text"), chunk)
            database.execute_sql(
                f'INSERT INTO "{table}" (rowid, document) '
                f"SELECT r, to_tsvector('simple', d) FROM {rows} AS u(r, d)",
                params,
            )
        else:
            execute_many(f'INSERT INTO "{table}" (rowid, document) VALUES (?, ?)', chunk)


def reindex(index, batch_size=2000):
    """(Re)build the index rows of every record, reading them a batch at a time."""
    model, columns, document = DOCUMENTS[index]
    query = model.select(model.id, *columns).order_by(model.id)
    last = 0
    while True:
        rows = list(query.where(model.id > last).limit(batch_size).tuples())
        if not rows:
            return
        write(index, [(row[0], document(*row[1:])) for row in rows])
        last = rows[-1][0]


def rebuild_all():
    """Every record indexed again (a migration; after migrate-to)."""
    with database.atomic():
        for index in DOCUMENTS:
            index.delete().execute()
            reindex(index)
