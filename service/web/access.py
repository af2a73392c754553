"""Who may call each endpoint, which of its reads go into the audit log, and whether it runs
its own transactions: declared on the views, next to the code they govern, and read by the
request hooks (service/web/hooks.py). Renaming a route cannot change its access rule.

A view declares nothing to get the contract's default: every role may read, admins and
investigators may write. Declarations go on a MethodView class (all its methods), on one of
its methods, or on a blueprint (all its views); the closest one wins.
"""

from dataclasses import dataclass, replace

from flask import current_app, request

from service.domain.vocabulary import ROLES

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EVERY_ROLE = frozenset(ROLES)
WRITERS = frozenset({"admin", "investigator"})
_ATTRIBUTE = "_evidence_access"


@dataclass(frozen=True)
class Access:
    """What a view declared; None where it declared nothing."""

    roles: frozenset | None = None
    audited_reads: bool | None = None
    self_transacted: bool | None = None

    def over(self, broader):
        """This declaration, falling back on `broader` where it says nothing."""
        return Access(
            **{
                name: getattr(broader, name) if getattr(self, name) is None else getattr(self, name)
                for name in ("roles", "audited_reads", "self_transacted")
            }
        )


def _declare(target, **values):
    # The target's own declaration only (a subclass does not inherit its parent's).
    current = vars(target).get(_ATTRIBUTE, Access()) if hasattr(target, "__dict__") else Access()
    setattr(target, _ATTRIBUTE, replace(current, **values))
    return target


def allow(*roles):
    """Only these roles may call the view (whatever the method)."""
    unknown = set(roles) - EVERY_ROLE
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    return lambda target: _declare(target, roles=frozenset(roles))


def audited_reads(target):
    """Every read of the view is recorded in the audit log (reads of evidence, of reports,
    of the audit log itself); writes and refusals are recorded everywhere anyway."""
    return _declare(target, audited_reads=True)


def self_transacted(target):
    """The view manages its own transactions (bulk imports commit batch by batch), so the
    request hooks open none around it."""
    return _declare(target, self_transacted=True)


def _declared(target):
    return getattr(target, _ATTRIBUTE, None) or Access()


def current():
    """What the view answering this request declared, method over class over blueprint
    (worked out once per app, endpoint and method: the declarations are made with the views)."""
    known = current_app.extensions.setdefault("declared_access", {})
    key = (request.endpoint, request.method)
    found = known.get(key)
    if found is None:
        found = known[key] = _current()
    return found


def _current():
    view = current_app.view_functions.get(request.endpoint)
    blueprint = current_app.blueprints.get(request.blueprint) if request.blueprint else None
    found = _declared(blueprint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        found = _declared(view_class).over(found)
        handler = getattr(view_class, request.method.lower(), None)
        if handler is None and request.method == "HEAD":
            handler = getattr(view_class, "get", None)
        found = _declared(handler).over(found)
    elif view is not None:
        found = _declared(view).over(found)
    return found


def allowed_roles(method, declared):
    """The roles that may call `method` on a view that declared `declared`."""
    if declared.roles is not None:
        return declared.roles
    return EVERY_ROLE if method in READ_METHODS else WRITERS
