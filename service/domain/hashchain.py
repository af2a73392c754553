"""Hash chains: each record's hash covers its fields and the hash of the record before it.

`hash = sha256(prev_hash + canonical JSON of the record's fields)`, the first prev_hash being
64 zeros. Canonical JSON: keys sorted, no whitespace (separators "," and ":"), UTF-8, non-ASCII
kept as is, timestamps as RFC 3339 UTC with `Z` (microseconds only when non-zero), dates as
YYYY-MM-DD, absent values as null. Anyone holding an exported chain can recompute it.
"""

import hashlib
import json
from datetime import date, datetime

from service.domain.time import isoformat_z

GENESIS = "0" * 64


def _plain(value):
    if isinstance(value, datetime):
        return isoformat_z(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_json(fields):
    return json.dumps(
        {k: _plain(v) for k, v in fields.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def link_hash(prev_hash, fields):
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


def verify(records, fields_of):
    """Walk records in chain order: (how many there are, the first that breaks the chain or None).

    `records` yields objects with `prev_hash` and `hash`; `fields_of(record)` gives the fields
    the hash covers. A changed field, and a removed, inserted or reordered record, each break
    a link. Records are only iterated, so a long chain can be streamed.
    """
    prev = GENESIS
    count = 0
    first_bad = None
    for record in records:
        count += 1
        if first_bad is None:
            if record.prev_hash != prev or record.hash != link_hash(prev, fields_of(record)):
                first_bad = record
            prev = record.hash
    return count, first_bad
