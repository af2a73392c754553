"""Finding one record, or saying which one is missing."""

from service.domain.errors import NotFound
from service.storage.db import for_update


def get_one(model, condition, missing, lock=False, columns=()):
    """The `model` row matching `condition` (locked for a write when `lock`), or NotFound
    with the message `missing` ("incident 7 not found"). With `columns`, only those are read."""
    query = model.select(*columns).where(condition)
    row = (for_update(query) if lock else query).first()
    if row is None:
        raise NotFound(missing)
    return row
