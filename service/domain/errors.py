"""Domain errors. Domain modules raise these; the app turns them into JSON answers.

They know nothing of HTTP beyond the status each one stands for, so the CLI can
report them too.
"""


class DomainError(Exception):
    """`message` for people; `errors` names the fields at fault; `details` are more
    figures for the answer's body (an import's counts)."""

    status = 400

    def __init__(self, message, errors=None, details=None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.details = details or {}


class NotFound(DomainError):
    status = 404


class Invalid(DomainError):
    """Invalid field values: `errors` maps each field to its problems."""

    status = 422

    def __init__(self, field, problem, location="json"):
        super().__init__(f"{field}: {problem}", {location: {field: [problem]}})
        self.field = field
        self.problem = problem


class Conflict(DomainError):
    """The request is well formed but the current state forbids it."""

    status = 409


class PreconditionFailed(DomainError):
    status = 412


class BadRequest(DomainError):
    """The request as a whole cannot be read (an empty or malformed body)."""

    status = 400


class TooLarge(DomainError):
    status = 413


class UnsupportedMediaType(DomainError):
    status = 415


class RowsRejected(DomainError):
    """Rows of a bulk import were refused, so nothing was written (all or nothing):
    `details` is the import's answer, its errors listing the rows."""

    status = 422
