"""Tables of rules that operators keep (retention rules, disclosure rules): each rule named
once, listed, read, added and changed the same way; what a change sets off (recomputing every
source's retain_until) is each kind's own."""

from service.domain.errors import Conflict
from service.domain.records import get_one
from service.domain.time import utcnow


class RuleBook:
    """The rules of `model` ("retention rule", "disclosure rule": `what`). `fields`: the
    columns a new rule takes from its values (default: all of them); `after_change()` runs in
    the same transaction as every addition and change."""

    def __init__(self, model, what, fields=None, after_change=None):
        self.model = model
        self.what = what
        self.fields = fields
        self.after_change = after_change or (lambda: None)

    def get(self, rule_id, lock=False):
        return get_one(
            self.model, self.model.id == rule_id, f"{self.what} {rule_id} not found", lock
        )

    def list(self, filters):
        query = self.model.select().order_by(self.model.id)
        for name in ("active", "state"):
            if filters.get(name) is not None:
                query = query.where(getattr(self.model, name) == filters[name])
        return query

    def create(self, values):
        self._name_free(values["name"])
        if self.fields is not None:
            values = {k: values[k] for k in self.fields if k in values}
        rule = self.model.create(**values)
        self.after_change()
        return rule

    def update(self, rule, changes):
        if "name" in changes:
            self._name_free(changes["name"], rule.id)
        for key, value in changes.items():
            setattr(rule, key, value)
        rule.updated_at = utcnow()
        rule.save()
        self.after_change()
        return rule

    def _name_free(self, name, own_id=None):
        query = self.model.select(self.model.id).where(self.model.name == name)
        if own_id is not None:
            query = query.where(self.model.id != own_id)
        existing = query.first()
        if existing is not None:
            raise Conflict(
                f"a rule named {name!r} already exists (rule {existing.id})",
                {"json": {"name": [f"already used by rule {existing.id}"]}},
            )
