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
own path. tests/test_schemas.py checks both give the same output.
"""

import marshmallow
from marshmallow import fields
from marshmallow.utils import missing


class Schema(marshmallow.Schema):
    def _direct_fields(self):
        """[(output key, field name, attribute read, field, read directly?)], once per
        instance (its dump fields are fixed when it is made)."""
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
                plan.append((key, name, attribute, field, direct))
            self._dump_plan = plan
        return plan

    def _serialize(self, obj, *, many=False):
        if many and obj is not None:
            return [self._serialize(d, many=False) for d in obj]
        is_dict = type(obj) is dict
        if not is_dict and hasattr(obj, "__getitem__"):
            return super()._serialize(obj, many=False)
        ret = self.dict_class()
        for key, name, attribute, field, direct in self._direct_fields():
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
                if value is not missing:
                    value = field._serialize(value, name, obj)
            if value is not missing:
                ret[key] = value
        return ret
