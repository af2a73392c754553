"""Fields and schemas shared by every resource."""

from marshmallow import ValidationError, fields, validate

from service.domain.time import isoformat_z, to_naive_utc
from service.domain.vocabulary import MAX_ID

from .base import Schema

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 1000


class UTCDateTime(fields.AwareDateTime):
    """RFC 3339 with a required offset in; UTC with `Z` out; naive UTC inside."""

    default_error_messages = {
        "invalid": "Not a valid RFC 3339 timestamp (e.g. 2026-01-24T09:05:12-06:00).",
        "invalid_awareness": (
            "Timestamp needs a UTC offset (e.g. 2026-01-24T09:05:12-06:00 or 2026-01-24T15:05:12Z);"
            " evidence times must never be ambiguous."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "2026-01-24T09:05:12-06:00")
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat_z(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > 64:
            raise self.make_error("invalid")
        try:
            return to_naive_utc(super()._deserialize(value, attr, data, **kwargs))
        except OverflowError as exc:  # e.g. year 1 with a positive offset: before year 1 in UTC
            raise self.make_error("invalid") from exc


# Incidents happen between these years: outside is a typo (year 1, 20260), and charts of
# incidents by month span the data's real range.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


def plausible_time(value):
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            f"Must be between {EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31 (UTC); check the year."
        )


class DayDate(fields.Date):
    """A calendar date, YYYY-MM-DD."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > 32:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def Id(**kwargs):
    """An id assigned by the service: a positive integer."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def QueryId(**kwargs):
    """An id in a query string (arrives as text)."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


def storable_text(value):
    """Refuse what no database column can hold: NUL (PostgreSQL rejects it in text) and
    lone UTF-16 surrogates (JSON can spell them, UTF-8 cannot encode them)."""
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")
    if value.isascii():  # (no surrogate is ASCII)
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError("Must be valid Unicode (no lone surrogates).") from exc


def storable_problem(value):
    """The reason `value` (text) cannot be stored, or None: for the checks made outside a
    schema (the importer's keys)."""
    try:
        storable_text(value)
    except ValidationError as exc:
        return exc.messages[0]
    return None


class FullMatch(validate.Regexp):
    """A pattern the whole value must match: re.fullmatch, where validate.Regexp's re.match
    with `$` would let a trailing newline through ("MPD\n" is not an agency code). Text
    that no database can store is refused first. Write the pattern `^...$`: that is what the
    OpenAPI document shows (ECMA-262 regexes, where `$` never matches before a final
    newline), and under fullmatch it means the same as `\\A...\\Z`."""

    def __call__(self, value):
        storable_text(value)
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def bounded_float(low, high, **kwargs):
    """A finite number within [low, high] that both databases store exactly as given (a
    magnitude below 1e-300, subnormal in a double, is refused rather than rounded)."""
    return fields.Float(validate=[validate.Range(low, high), _not_vanishing], **kwargs)


def _not_vanishing(value):
    if value != 0 and abs(value) < 1e-300:
        raise ValidationError(
            "Too small to store exactly: give 0 or a magnitude of 1e-300 or more."
        )


def Text(max_length, min_length=None, **kwargs):
    """Free text of bounded length (PostgreSQL enforces column sizes; SQLite would not)."""
    return fields.String(
        validate=[validate.Length(min=min_length, max=max_length), storable_text], **kwargs
    )


def Choice(choices, metadata=None, **kwargs):
    """One value of an enum; the error lists the allowed values."""
    return fields.String(
        validate=validate.OneOf(choices, error="Must be one of: {choices}."),
        metadata={"enum": list(choices), **(metadata or {})},
        **kwargs,
    )


def FormatChoice(formats, description):
    """`format=`: one of `formats`, the first by default."""
    return Choice(formats, load_default=formats[0], metadata={"description": description})


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE_SIZE))


class KeysetArgs(PageArgs):
    """Paging by cursor beside `page`: `after` is the `next_after` of the previous page's
    X-Pagination header (for a list by id, the last id seen)."""

    after = fields.Integer(
        validate=validate.Range(0, MAX_ID),
        metadata={
            "description": "the page after this cursor (X-Pagination next_after); "
            "faster than page= deep into a big list"
        },
    )


class ListArgs(PageArgs):
    """Paging plus the filters every list shares."""

    external_id = Text(200)
