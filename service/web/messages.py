"""Error messages that help: the generic texts of werkzeug and marshmallow replaced by what
was wrong, where, and how to fix it."""

from flask import current_app, request
from marshmallow import Schema

READ_ONLY = "read-only: set by the service"
UNKNOWN = "Unknown field."
WHERE = {
    "json": "field",
    "query": "query parameter",
    "path": "path parameter",
    "headers": "header",
    "body": "body",
}
# path prefix -> the message of a 404 under it (a resource module adds its own)
NOT_FOUND_HINTS = {}
MAX_PARTS = 10


def _flatten(messages, prefix=""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "body"
            yield from _flatten(value, name)
    elif (
        isinstance(messages, list | tuple)
        and messages
        and all(isinstance(m, str) for m in messages)
    ):
        yield prefix, " ".join(messages)
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from _flatten(message, prefix)
    else:
        yield prefix, str(messages)


def summary(errors):
    """One sentence naming every bad field: `field sha256: Must be ...; query parameter
    page: ...`."""
    parts = []
    for location, messages in (errors or {}).items():
        where = WHERE.get(location, location)
        for name, text in _flatten(messages):
            parts.append(f"{where} {name}: {text}" if name else f"{where}: {text}")
    if not parts:
        return None
    more = len(parts) - MAX_PARTS
    text = "; ".join(parts[:MAX_PARTS])
    return text + (f"; and {more} more" if more > 0 else "")


def _argument_schemas():
    """The schemas the view answering this request loads its arguments with."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class else view
    for parameter in getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        schema = parameter.get("schema")
        if isinstance(schema, type) and issubclass(schema, Schema):
            schema = schema()
        if isinstance(schema, Schema):
            yield parameter.get("location", "json"), schema


def mark_read_only(errors):
    """ "Unknown field." for a field the schema shows but does not take becomes READ_ONLY."""
    if not errors:
        return errors
    for location, schema in _argument_schemas():
        messages = errors.get(location)
        if not isinstance(messages, dict):
            continue
        for name, value in messages.items():
            field = schema.fields.get(name) or next(
                (f for f in schema.fields.values() if f.data_key == name), None
            )
            if field is not None and field.dump_only and value == [UNKNOWN]:
                messages[name] = [READ_ONLY]
    return errors


def not_found_hint():
    for prefix, message in NOT_FOUND_HINTS.items():
        if request.path.startswith(prefix):
            return message
    return None


def improve(payload, error):
    """Rewrite a flask-smorest error payload in place."""
    code = payload.get("code")
    if "errors" in payload:
        mark_read_only(payload["errors"])
        said = summary(payload["errors"])
        if said and (payload.get("message") in (None, error.description)):
            payload["message"] = said
    if code == 404 and "message" not in payload:
        hint = not_found_hint()
        if hint:
            payload["message"] = hint
    if code == 400 and payload.get("message", error.description) == type(error).description:
        payload["message"] = "the request could not be read: send a JSON body (see docs/api.md)"
    return payload
