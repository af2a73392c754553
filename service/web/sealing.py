"""The audit log's sequencer in each server: a thread that seals new audit entries into the
Merkle tree about every `AUDIT_SEAL_SECONDS` (service/domain/auditlog.py), and the key that
signs tree heads, kept outside the database (`AUDIT_KEY_FILE`, by default audit_key.pem
beside the session key file: var/audit_key.pem).

Every server runs one; the database lets one seal at a time and the others skip the round,
so N servers seal as one. With `EVIDENCE_AUDIT_SEAL_SECONDS=0` no thread runs: run
`evidence audit seal` from a timer instead.
"""

import logging
import os
import threading

from flask import current_app
from peewee import DatabaseError

from service.domain import auditlog
from service.storage.db import database

log = logging.getLogger("evidence")


def key_path(config):
    return config.get("AUDIT_KEY_FILE") or os.path.join(
        os.path.dirname(config["SECRET_KEY_FILE"]) or ".", "audit_key.pem"
    )


def signer(app=None):
    """The app's tree head signer (its key read, or made, on first use)."""
    app = app or current_app
    found = app.extensions.get("audit_signer")
    if found is None:
        found = app.extensions["audit_signer"] = auditlog.Signer(key_path(app.config))
    return found


class Sequencer(threading.Thread):
    def __init__(self, app, every):
        super().__init__(name="audit-sequencer", daemon=True)
        self.app, self.every = app, every
        self.stop = threading.Event()

    def run(self):
        key = signer(self.app)
        while not self.stop.wait(self.every):
            try:
                while auditlog.seal(key) is not None and not self.stop.is_set():
                    pass  # more than one batch waiting: keep going
            except DatabaseError as error:  # the database is away: try again next round
                log.warning("audit sequencer: %s", error)
                _discard_connection()
            except Exception:  # never let the thread die: the next round tries again
                log.exception("audit sequencer failed; trying again next round")
                _discard_connection()


def _discard_connection():
    try:
        if not database.is_closed():
            database.close()
    except Exception:  # noqa: BLE001 - a broken connection may not even close
        log.debug("audit sequencer: could not close its connection", exc_info=True)


def _ensure_started():
    app = current_app._get_current_object()
    every = app.config.get("AUDIT_SEAL_SECONDS", 0)
    if every <= 0 or app.testing:
        return
    running = app.extensions.get("audit_sequencer")
    if running is None or running[0] != os.getpid() or not running[1].is_alive():
        with _start_lock:
            running = app.extensions.get("audit_sequencer")
            if running is None or running[0] != os.getpid() or not running[1].is_alive():
                thread = Sequencer(app, every)
                app.extensions["audit_sequencer"] = (os.getpid(), thread)
                thread.start()


_start_lock = threading.Lock()


def install(app):
    app.before_request(_ensure_started)
