"""The base of the API's schemas: marshmallow's Schema, dumping records faster.

marshmallow reaches each field's value through three layers of accessors (the field's
`get_value`, the schema's `get_attribute`, `marshmallow.utils.get_value`, which tries `x[key]`
before `x.key`) on every field of every record: for a page of 50 sources (28 fields each)
that is most of the time the page takes to dump. A record that cannot be indexed (a peewee
model, any plain object) ends up read by `getattr(record, name)` anyway, so this schema does
that directly, then gives the value to the field's own `_serialize` and the missing value
and the dump default the same treatment as `marshmallow.fields.Field.serialize`. A plain
dict (the domain's answers: coverage, reports) is read the way marshmallow reads one
(`d[key]`, else `getattr(d, key)`), also directly. Anything else (other mappings, dotted
attributes, fields or schemas that change how values are read) goes through marshmallow's
own path. A field whose `_serialize` gives back a null and a value of one exact type
unchanged (marshmallow's String for text, Integer and Float for their numbers, Boolean for
anything) is not called for those (`_given_back`): most of a list page's values.
tests/test_schemas.py checks both give the same output.
"""

import marshmallow
from marshmallow import fields
from marshmallow.utils import missing


class Schema(marshmallow.Schema):
    def _direct_fields(self):
        """[(output key, field name, attribute read, field, read directly?, the type of
        value the field gives back unchanged)], once per instance (its dump fields are fixed
        when it is made)."""
        plan = self.__dict__.get("_dump_plan")
        if plan is None:
            plain_schema = type(self).get_attribute is marshmallow.Schema.get_attribute
            plan = []
            for name, field in self.dump_fields.items():
                attribute = field.attribute if field.attribute is not None else name
                direct = (
                    plain_schema
                    and field._CHECK_ATTRIBUTE
                    and "." not in attribute
                    and type(field).serialize is fields.Field.serialize
                    and type(field).get_value is fields.Field.get_value
                )
                key = field.data_key if field.data_key is not None else name
                plan.append((key, name, attribute, field, direct, _given_back(field)))
            self._dump_plan = plan
        return plan

    def _serialize(self, obj, *, many=False):
        if many and obj is not None:
            return [self._serialize(d, many=False) for d in obj]
        is_dict = type(obj) is dict
        if not is_dict and hasattr(obj, "__getitem__"):
            return super()._serialize(obj, many=False)
        ret = self.dict_class()
        for key, name, attribute, field, direct, same in self._direct_fields():
            if not direct:
                value = field.serialize(name, obj, accessor=self.get_attribute)
            else:
                if is_dict and attribute in obj:
                    value = obj[attribute]
                else:  # marshmallow.utils._get_value_for_key's fallback for a dict too
                    value = getattr(obj, attribute, missing)
                if value is missing:
                    default = field.dump_default
                    value = default() if callable(default) else default
                if value is not missing and (
                    same is None or not (value is None or same is _ANY or type(value) is same)
                ):
                    value = field._serialize(value, name, obj)
            if value is not missing:
                ret[key] = value
        return ret


_ANY = object()  # (a field giving back any value unchanged)


def _given_back(field):
    """The type of value (besides null) that `field._serialize` gives back unchanged, `_ANY`
    for every value, or None when it may change any: for marshmallow's own scalar fields,
    whose `_serialize` answers a null with null and converts a value with its type's
    constructor (str, int, float), and Boolean's, which gives back what it is given."""
    kind = type(field)
    if kind._serialize is fields.Field._serialize:
        return _ANY
    if kind._serialize is fields.String._serialize:
        return str
    if (
        kind._serialize is fields.Number._serialize
        and kind._format_num is fields.Number._format_num
        and not field.as_string
        and field.num_type in (int, float)
    ):
        return field.num_type
    return None
