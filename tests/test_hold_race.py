"""A hold placed on an incident while a source is being added to it covers that source.

On PostgreSQL (READ COMMITTED) neither transaction would see the other's new row; both take
the incident's row lock first, so they take turns. On SQLite BEGIN IMMEDIATE does the same.
"""

import threading

from service.domain import holds, inventory
from service.storage.db import database
from service.storage.models import Source


def _in_thread(app, fn, results, key):
    def run():
        with app.app_context():
            try:
                results[key] = fn()
            finally:
                database.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_hold_placed_during_a_source_creation_covers_the_new_source(app, make):
    incident = make.incident()
    database.close()
    source_added = threading.Event()
    may_commit = threading.Event()
    results = {}

    def add_source():
        with database.atomic():
            source = inventory.create_source({"kind": "bystander"}, incident_id=incident["id"])
            source_added.set()
            may_commit.wait(10)
        return source.id

    def place_hold():
        with database.atomic():
            return holds.place_hold(
                {"name": "preserve", "incident_id": incident["id"]}, "investigator"
            ).id

    adder = _in_thread(app, add_source, results, "source")
    assert source_added.wait(10)
    placer = _in_thread(app, place_hold, results, "hold")
    placer.join(0.5)
    assert placer.is_alive(), "placing the hold must wait for the source's transaction"
    may_commit.set()
    adder.join(10)
    placer.join(10)
    assert Source.get_by_id(results["source"]).legal_hold is True
