"""A source import remembers what it learnt of its incidents for as long as it holds them
locked (one transaction), and forgets it when a batch commits on its own (partial mode): the
sources of one incident spread over many batches get the same legal hold and retention as
the API would give them, and a partial import sees what changed between its batches."""

import gc
import io
from datetime import date

import pytest

from service.bulk.importer import IMPORT_GC_THRESHOLDS, run_import
from service.storage.models import Incident, LegalHold, RetentionRule, Source

INCIDENTS = (
    "external_id,title,started_at,location_state,agencies\n"
    "i-held,Held,2026-01-24T09:00:00-06:00,MN,MPD\n"
    "i-kept,Kept,2026-01-24T09:00:00-06:00,MN,MPD\n"
    "i-free,Free,2026-01-24T09:00:00-06:00,IL,MPD\n"
)


@pytest.fixture
def incidents(app, make):
    make.agency("MPD", jurisdiction="municipal")
    assert _import("incidents", INCIDENTS).counts["created"] == 3
    RetentionRule.create(name="MN", state="MN", minimum_days=90)
    held = Incident.get(Incident.external_id == "i-held")
    LegalHold.create(name="preservation order", incident=held.id)
    return {i.external_id: i for i in Incident.select()}


def _import(kind, text, **options):
    return run_import(kind, io.BytesIO(text.encode()), "csv", actor="test", **options)


def _sources(n, incidents=("i-held", "i-kept", "i-free")):
    """`n` sources, their incidents taking turns (each batch names each incident again)."""
    rows = "".join(f"s-{k},{incidents[k % len(incidents)]},bystander\n" for k in range(n))
    return "external_id,incident_external_id,kind\n" + rows


def _stored():
    return {
        s.external_id: (s.incident.external_id, s.legal_hold, s.retain_until, s.retain_indefinitely)
        for s in Source.select().order_by(Source.id)
    }


@pytest.mark.parametrize("batch_size", [1, 2, 5, 1000])
def test_sources_over_many_batches_get_their_incidents_hold_and_retention(incidents, batch_size):
    job = _import("sources", _sources(12), batch_size=batch_size)
    assert job.counts["created"] == 12, job.errors
    until = date(2026, 4, 24)  # 24 January 2026 + 90 days
    for incident, legal_hold, retain_until, indefinitely in _stored().values():
        assert legal_hold is (incident == "i-held")
        assert retain_until == (None if incident == "i-free" else until)
        assert indefinitely is False


def test_the_same_as_one_at_a_time(incidents):
    """Batches of 5 and batches of 1 (each row its own lookups) store the same sources."""
    assert _import("sources", _sources(9), batch_size=5).counts["created"] == 9
    many = _stored()
    Source.delete().execute()
    assert _import("sources", _sources(9), batch_size=1, partial=True).counts["created"] == 9
    assert _stored() == many


def _partial_changed_after_first_batch(change):
    """Four sources of i-kept in batches of 2, committed each, `change(incident id)` made
    after the first; their stored (legal_hold, retained?) by external id."""

    def after_first_batch(job):
        if job.committed == 2:
            change(Incident.get(Incident.external_id == "i-kept").id)

    job = _import(
        "sources",
        _sources(4, ("i-kept",)),
        batch_size=2,
        partial=True,
        on_progress=after_first_batch,
    )
    assert job.counts["created"] == 4
    return {name: (held, until is not None) for name, (_, held, until, _) in _stored().items()}


def test_a_partial_import_sees_a_hold_placed_between_its_batches(incidents):
    stored = _partial_changed_after_first_batch(
        lambda incident: LegalHold.create(name="new order", incident=incident)
    )
    assert [held for held, _ in stored.values()] == [False, False, True, True]


def test_a_partial_import_sees_an_incident_changed_between_its_batches(incidents):
    stored = _partial_changed_after_first_batch(
        lambda incident: Incident.update(state="IL").where(Incident.id == incident).execute()
    )
    assert [kept for _, kept in stored.values()] == [True, True, False, False]


def test_the_collector_is_set_for_an_import_and_given_back(incidents):
    before = gc.get_threshold()
    during = []
    job = _import(
        "sources",
        _sources(4),
        batch_size=2,
        on_progress=lambda job: during.append((gc.get_threshold(), gc.get_freeze_count() > 0)),
    )
    assert job.counts["created"] == 4
    assert during == [(IMPORT_GC_THRESHOLDS, True)] * 2
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
