"""Settings, read from the environment once per application."""

import os

DEFAULT_DATABASE_URL = "sqlite:///var/evidence.db"


def _int_env(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, not {value!r}") from exc


def from_environment():
    """The configuration a deployed service runs with."""
    return {
        "DATABASE_URL": os.environ.get("EVIDENCE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        # Largest JSON body accepted by ordinary endpoints (bytes).
        "MAX_JSON_BYTES": _int_env("EVIDENCE_MAX_JSON_BYTES", 1024 * 1024),
        # Largest bulk import body (bytes); imports are streamed, so this is a policy limit.
        "MAX_IMPORT_BYTES": _int_env("EVIDENCE_MAX_IMPORT_BYTES", 200 * 1024 * 1024),
        # Connections kept by each app process when running on PostgreSQL.
        "DATABASE_POOL_SIZE": _int_env("EVIDENCE_DATABASE_POOL_SIZE", 8),
        # How long a SQLite writer waits for the write lock before answering 503 (ms).
        "SQLITE_BUSY_TIMEOUT_MS": _int_env("EVIDENCE_SQLITE_BUSY_TIMEOUT_MS", 15000),
        # Origins allowed for cross-origin requests; empty means CORS stays off.
        "CORS_ORIGINS": [o for o in os.environ.get("EVIDENCE_CORS_ORIGINS", "").split(",") if o],
        "SECRET_KEY": os.environ.get("EVIDENCE_SECRET_KEY"),
    }
