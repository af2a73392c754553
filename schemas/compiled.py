"""Schemas compiled for the bulk path: `Schema.load`'s decisions, a few times faster.

`Schema.load` spends most of a row's time on its machinery, not on the checks: per field an
error store, a getter closure, the `partial`/`unknown` bookkeeping, validators wrapped anew in
an `And` on each call. An import of 300,000 sources runs that 5 million times.

`compile_load(schema)` walks the schema's load fields once and writes one function that
decides them in turn, calling each field's own conversion and validators (the very code
`Schema.load` runs); the function is compiled once. It only ever *accepts*: at the first
thing it is not sure of (a missing required value, a null, a value of another type than the
plain one, a validator's objection, an unknown key) the row is handed to `schema.load`
itself, which accepts it or raises the `ValidationError` the API would answer. So what is
accepted, what is refused and every message are the schema's by construction; the gain is on
valid rows, nearly all of a real import.
tests/test_compiled_schemas.py compares both on the fuzz corpus of the API's request bodies
and on generated rows of every import kind.

What a schema has beyond fields (pre/post-load hooks, `@validates`, `many`) is not compiled:
such a schema loads through `schema.load`, always.
"""

import math

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields
from marshmallow.utils import missing as MISSING


class _Unsure(Exception):
    """The fast path cannot vouch for this row: ask the schema."""


class CompiledLoad:
    """A callable with `schema.load`'s results; `fast` and `asked` count the rows the
    compiled steps accepted and those handed to the schema."""

    def __init__(self, schema):
        self.schema = schema
        self.steps = _steps(schema, schema.partial)
        self.known = _data_keys(schema) if schema.unknown == RAISE else None
        self.fast = self.asked = 0

    def __call__(self, data):
        if self.steps is not None:
            try:
                out = _run(self.steps, self.known, data)
            except _Unsure:
                pass
            else:
                self.fast += 1
                return out
        self.asked += 1
        return self.schema.load(data)


def compile_load(schema):
    """`schema.load` compiled (see the module's docstring)."""
    return CompiledLoad(schema)


def _run(steps, known, data):
    if not isinstance(data, dict):
        raise _Unsure()
    if known is not None and not known.issuperset(data):
        raise _Unsure()  # the schema names the unknown field
    return steps(data)


def _compilable(schema):
    return (
        not schema.many
        and not any(schema._hooks.values())
        and schema.unknown in (RAISE, EXCLUDE)
        and schema.partial in (True, False, None)
    )


def _data_keys(schema):
    return frozenset(
        field.data_key if field.data_key is not None else name
        for name, field in schema.load_fields.items()
    )


def _steps(schema, partial):
    """The schema's load fields decided one after the other by one function, `steps(data)`:
    the loaded values, or _Unsure. Its text is written here, field by field (`_step`), and
    compiled once: a function per field would cost a call per field and row. The text holds
    nothing of the schema's but numbered names; its keys, defaults, conversions and checks
    are bound to those names. None for a schema that is not compiled."""
    if not _compilable(schema):
        return None
    lines = []
    names = {"MISSING": MISSING, "_Unsure": _Unsure}
    for n, (name, field) in enumerate(schema.load_fields.items()):
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute or name
        if "." in attribute:
            return None  # marshmallow nests dotted attributes; not worth compiling
        convert, check = _converter(field, key, partial)
        lines += _step(n, names, field, key, attribute, partial, convert, check)
    text = "def steps(data):\n    get = data.get\n    out = {}\n"
    text += "".join(f"    {line}\n" for line in lines) + "    return out\n"
    exec(compile(text, f"<compiled load of {type(schema).__name__}>", "exec"), names)
    return names["steps"]


def _step(n, names, field, key, attribute, partial, convert, check):
    """The lines deciding field number `n` (its values bound in `names`): absent, the
    default or nothing (or unsure when required); null, accepted only where allowed (a
    field's own pre-load functions see a null before it is judged); a value, converted then
    checked. A plain field's conversion is written out: a value of exactly its type."""
    names.update({f"key{n}": key, f"attribute{n}": attribute})
    default = field.load_default
    if partial is True or (not field.required and default is MISSING):
        absent = "pass"
    elif field.required:
        absent = "raise _Unsure()"
    else:
        names[f"default{n}"] = default
        called = "()" if callable(default) else ""
        absent = f"out[attribute{n}] = default{n}{called}"
    lines = [f"value = get(key{n}, MISSING)", "if value is MISSING:", f"    {absent}"]
    if not field.pre_load:
        lines += [
            "elif value is None:",
            f"    out[attribute{n}] = None" if field.allow_none else "    raise _Unsure()",
        ]
    lines.append("else:")
    plain = getattr(convert, "plain_type", None)
    if plain is not None:
        names[f"plain{n}"] = plain
        lines += [f"    if type(value) is not plain{n}:", "        raise _Unsure()"]
    else:
        names[f"convert{n}"] = convert
        lines.append(f"    value = convert{n}(value, data)")
    if check is None:
        lines.append(f"    out[attribute{n}] = value")
    else:
        names[f"check{n}"] = check
        lines.append(f"    out[attribute{n}] = check{n}(value)")
    return lines


def _checked(validators):
    """A check running the field's validators as marshmallow does (False or a
    ValidationError is a refusal)."""
    validators = tuple(validators)
    if not validators:
        return None

    def check(value):
        try:
            for validator in validators:
                if validator(value) is False:
                    raise _Unsure()
        except ValidationError as exc:
            raise _Unsure() from exc
        return value

    return check


def _converter(field, key, partial):
    """(convert, check) for a non-null given value: `convert(value, data)` the loaded value,
    `check(loaded)` its validators (None: nothing to check)."""
    if field.pre_load or field.post_load:
        return _generic(field, key, partial), None  # (its null check included)
    check = _checked(field.validators)
    convert = _simple(field)
    if convert is None and type(field) is fields.List:
        if _simple(field.inner) and not field.inner.post_load:
            convert = _list(field.inner)
    elif convert is None and type(field) is fields.Nested:
        if not field.many and isinstance(field.nested, (type, Schema)):
            convert = _nested(field, partial)
    if convert is None and _plain_deserialize(field):
        convert = _own_conversion(field, key, partial)
    if convert is None:
        return _generic(field, key, partial), None  # (its validators included)
    return convert, check


def _simple(field):
    """The conversion of a plain string, whole number, number or boolean field, or None."""
    kind = type(field)
    if field.pre_load:
        return None
    if kind is fields.String:
        return _plain(str)
    if kind is fields.Integer:
        return _plain(int)
    if kind is fields.Float and not field.allow_nan:
        return _finite_float
    if kind is fields.Boolean and (
        not field.truthy or (True in field.truthy and False in field.falsy)
    ):
        return _plain(bool)
    return None


def _list(inner):
    """A list of plain values: each item judged as marshmallow's List judges it (the inner
    field's null check, conversion and validators)."""
    convert = _simple(inner)
    check = _checked(inner.validators)
    allow_none = inner.allow_none

    def convert_list(value, data):
        if type(value) is not list:
            raise _Unsure()
        items = []
        for each in value:
            if each is None:
                if not allow_none:
                    raise _Unsure()
                items.append(None)
                continue
            item = convert(each, data)
            items.append(check(item) if check is not None else item)
        return items

    return convert_list


def _plain(cls):
    """Only values of exactly `cls` (not bool for int, not bytes for str): the rest is
    for the schema to judge."""

    def convert(value, data):
        if type(value) is not cls:
            raise _Unsure()
        return value

    convert.plain_type = cls  # (_step writes this check out)
    return convert


def _finite_float(value, data):
    if value is True or value is False:
        raise _Unsure()
    if type(value) is float:
        number = value
    elif type(value) in (int, str):
        try:
            number = float(value)
        except (ValueError, OverflowError) as exc:
            raise _Unsure() from exc
    else:
        raise _Unsure()
    if not math.isfinite(number):
        raise _Unsure()
    return number


def _nested(field, partial):
    schema = field.schema
    if field.unknown is not None and field.unknown != schema.unknown:
        return None
    nested_partial = partial if partial is not None else schema.partial
    if nested_partial not in (True, False, None):
        return None
    steps = _steps(schema, nested_partial)
    if steps is None:
        return None
    known = _data_keys(schema) if schema.unknown == RAISE else None

    def convert(value, data):
        return _run(steps, known, value)

    return convert


def _plain_deserialize(field):
    """Whether the field loads a non-null value as marshmallow's Field.deserialize does: its
    `_deserialize`, then its validators (nothing of its own around them)."""
    kind = type(field)
    return (
        kind.deserialize is fields.Field.deserialize
        and kind._validate is fields.Field._validate
        and kind._validate_all is fields.Field._validate_all
    )


def _own_conversion(field, key, partial):
    """The field's own `_deserialize` (any field type, e.g. a timestamp), a refusal handed to
    the schema; its validators are the step's check (Field.deserialize would build an `And`
    of them on every call)."""
    kwargs = {"partial": partial} if partial is not None else {}
    deserialize = field._deserialize

    def convert(value, data):
        try:
            return deserialize(value, key, data, **kwargs)
        except ValidationError as exc:
            raise _Unsure() from exc

    return convert


def _generic(field, key, partial):
    """The field's own `deserialize` (any field type), a refusal handed to the schema."""
    kwargs = {"partial": partial} if partial is not None else {}

    def convert(value, data):
        try:
            return field.deserialize(value, key, data, **kwargs)
        except ValidationError as exc:
            raise _Unsure() from exc

    return convert
