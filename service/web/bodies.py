"""Request bodies read once, before any view: JSON that cannot be parsed, or that is nested
deeper than anything the API takes, is a 400 saying so for every endpoint alike (the parsers
of Flask and webargs would answer a generic message, or a 500 on a RecursionError)."""

import json

# No request of the API nests deeper than a few levels; the limit is far above that and far
# below what exhausts Python's recursion.
MAX_JSON_DEPTH = 64


def json_depth_exceeded(value, limit=MAX_JSON_DEPTH):
    """Whether a parsed JSON value nests deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def json_body_problem(data):
    """Why `data` (bytes) is not a JSON body the API can take, or None. Empty bodies pass:
    the schemas say what is missing."""
    if not data or not data.strip():
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not valid JSON: it is not UTF-8 ({exc.reason} at byte {exc.start})"
    try:
        value = json.loads(text)
    except RecursionError:
        return f"the body is JSON nested too deeply: at most {MAX_JSON_DEPTH} levels"
    except json.JSONDecodeError as exc:
        return f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    if json_depth_exceeded(value):
        return f"the body is JSON nested too deeply: at most {MAX_JSON_DEPTH} levels"
    return None
