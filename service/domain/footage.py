"""What counts as footage: shared by coverage and activation (docs/coverage.md)."""

from service.domain.errors import Invalid
from service.domain.vocabulary import COUNTING
from service.storage.models import Source

# Custody states in which the service holds the file itself.
HELD = ("in_custody", "checked_out")


def counted(counting="any", source=Source):
    """The condition on `source` (Source or an alias) for footage that counts.

    Disposed sources never count; with counting="in_custody" only sources held do.
    """
    if counting == "in_custody":
        return source.custody_status.in_(HELD)
    if counting == "any":
        return source.custody_status != "disposed"
    raise Invalid("counting", f"must be one of: {', '.join(COUNTING)}", location="query")
