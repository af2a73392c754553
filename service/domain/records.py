"""Finding one record, or saying which one is missing."""

from service.domain.errors import NotFound
from service.storage.db import Prepared, for_update

# A read by id of each model, its SQL composed once (see Prepared): {model: Prepared}.
_BY_ID = {}


def get_one(model, condition, missing, lock=False):
    """The `model` row matching `condition` (locked for a write when `lock`), or NotFound
    with the message `missing` ("incident 7 not found")."""
    query = model.select().where(condition)
    row = (for_update(query) if lock else query).first()
    if row is None:
        raise NotFound(missing)
    return row


def get_by_id(model, ident, missing, lock=False):
    """`get_one(model, model.id == ident, ...)`; a read of a whole-number id runs SQL
    composed once for the model."""
    if lock or type(ident) is not int:
        return get_one(model, model.id == ident, missing, lock)
    prepared = _BY_ID.get(model)
    if prepared is None:
        prepared = _BY_ID[model] = Prepared(
            lambda value: model.select().where(model.id == value), 7_654_321
        )
    row = prepared.first(ident)
    if row is None:
        raise NotFound(missing)
    return row
