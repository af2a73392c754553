"""Settings, read from the environment once per application."""

import os

DEFAULT_DATABASE_URL = "sqlite:///var/evidence.db"
DEFAULT_SECRET_KEY_FILE = "var/secret_key"
DEFAULT_SIGNING_KEY_FILE = "var/signing_key.pem"


def _int_env(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, not {value!r}") from exc


def _flag_env(name, default=False):
    value = (os.environ.get(name) or "").strip().lower()
    if value == "":
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise RuntimeError(f"{name} must be true or false, not {value!r}")


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
        # SQLite: each worker thread keeps its connection, with this page cache (KiB) and
        # memory map (bytes); a commit checkpoints the WAL past this many pages, and a
        # PASSIVE checkpoint also runs every 30 s (docs/operations.md).
        "SQLITE_CACHE_KIB": _int_env("EVIDENCE_SQLITE_CACHE_KIB", 64 * 1024),
        "SQLITE_MMAP_BYTES": _int_env("EVIDENCE_SQLITE_MMAP_BYTES", 256 * 1024 * 1024),
        "SQLITE_WAL_AUTOCHECKPOINT": _int_env("EVIDENCE_SQLITE_WAL_AUTOCHECKPOINT", 1000),
        # The audit log's sequencer seals new entries into its Merkle tree this often (seconds;
        # 0: no thread, run `evidence audit seal` from a timer), signing tree heads with the
        # Ed25519 key in AUDIT_KEY_FILE (default: audit_key.pem beside SECRET_KEY_FILE).
        "AUDIT_SEAL_SECONDS": _int_env("EVIDENCE_AUDIT_SEAL_SECONDS", 1),
        "AUDIT_KEY_FILE": os.environ.get("EVIDENCE_AUDIT_KEY_FILE") or None,
        # Rows a paged list counts exactly before its total becomes an estimate.
        "EXACT_COUNT_LIMIT": _int_env("EVIDENCE_EXACT_COUNT_LIMIT", 100_000),
        # Origins allowed for cross-origin requests; empty means CORS stays off.
        "CORS_ORIGINS": [o for o in os.environ.get("EVIDENCE_CORS_ORIGINS", "").split(",") if o],
        # Signs the dashboard's session cookies. Unset: a random key kept in SECRET_KEY_FILE,
        # made on first use, so sign-ins survive restarts and are shared by the workers of
        # one machine (several machines need the same EVIDENCE_SECRET_KEY). See docs/reports.md.
        "SECRET_KEY": os.environ.get("EVIDENCE_SECRET_KEY") or None,
        "SECRET_KEY_FILE": os.environ.get("EVIDENCE_SECRET_KEY_FILE") or DEFAULT_SECRET_KEY_FILE,
        # A dashboard sign-in lasts this long at most (hours), even with the browser open.
        "SESSION_HOURS": _int_env("EVIDENCE_SESSION_HOURS", 12),
        # Send the session cookie over HTTPS only: set it wherever the service is behind TLS.
        "SESSION_COOKIE_SECURE": _flag_env("EVIDENCE_SESSION_COOKIE_SECURE"),
        # Interchange (docs/interchange.md): the Ed25519 key that signs exported bundles, kept
        # in a file (never in the database); the base IRI of the bundles' node ids (unset: a
        # random instance id kept beside the key); the exporting organisation's name.
        "SIGNING_KEY_FILE": os.environ.get("EVIDENCE_SIGNING_KEY_FILE") or DEFAULT_SIGNING_KEY_FILE,
        "CASE_BASE_URI": os.environ.get("EVIDENCE_CASE_BASE_URI") or None,
        "AGENCY_NAME": os.environ.get("EVIDENCE_AGENCY_NAME") or None,
        "SESSION_COOKIE_NAME": "evidence_session",
        "SESSION_COOKIE_PATH": "/dashboard",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        # Reverse proxies whose X-Forwarded-For is believed (addresses or networks,
        # comma-separated); empty: the peer's address is the client's.
        "TRUSTED_PROXIES": os.environ.get("EVIDENCE_TRUSTED_PROXIES", ""),
        # Requests without a valid token allowed per client address and minute, per process
        # (then 429 with Retry-After); 0 turns the limit off.
        "UNAUTHENTICATED_PER_MINUTE": _int_env("EVIDENCE_UNAUTHENTICATED_PER_MINUTE", 60),
    }
