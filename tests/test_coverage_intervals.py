"""Interval arithmetic of one incident's coverage (service.domain.coverage), without a database."""

from datetime import datetime, timedelta

from service.domain.coverage import (
    Interval,
    covered_seconds,
    gaps,
    incident_window,
    merge_intervals,
)

T0 = datetime(2026, 1, 24, 15, 0)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def spans(*triples):
    return [(at(a), at(b), source_id) for a, b, source_id in triples]


def shape(intervals):
    """Intervals as (start minute, end minute, ids) for readable expectations."""
    return [
        (
            (i.start - T0).total_seconds() / 60,
            (i.end - T0).total_seconds() / 60,
            sorted(i.source_ids),
        )
        for i in intervals
    ]


def test_merge_keeps_disjoint_intervals_apart_and_sorted():
    merged = merge_intervals(spans((20, 25, 3), (0, 10, 1)))
    assert shape(merged) == [(0, 10, [1]), (20, 25, [3])]


def test_merge_joins_overlapping_intervals_and_lists_every_source():
    merged = merge_intervals(spans((0, 10, 1), (5, 12, 2), (11, 15, 3)))
    assert shape(merged) == [(0, 15, [1, 2, 3])]


def test_merge_joins_touching_intervals():
    # Spans are closed: one ending at 10:00 and one starting at 10:00 leave no gap.
    assert shape(merge_intervals(spans((0, 10, 1), (10, 18, 2)))) == [(0, 18, [1, 2])]


def test_merge_swallows_an_interval_inside_another():
    assert shape(merge_intervals(spans((0, 30, 1), (5, 10, 2), (12, 14, 3)))) == [
        (0, 30, [1, 2, 3])
    ]


def test_merge_of_nothing_is_nothing():
    assert merge_intervals([]) == []


def test_merge_keeps_an_instant():
    assert shape(merge_intervals(spans((5, 5, 1)))) == [(5, 5, [1])]


def test_gaps_before_between_and_after():
    merged = merge_intervals(spans((5, 10, 1), (15, 20, 2)))
    assert shape(gaps(at(0), at(30), merged)) == [(0, 5, []), (10, 15, []), (20, 30, [])]


def test_gaps_ignore_footage_outside_the_window():
    merged = merge_intervals(spans((-20, -10, 1), (40, 50, 2)))
    assert shape(gaps(at(0), at(30), merged)) == [(0, 30, [])]


def test_no_gaps_when_footage_spans_the_window():
    merged = merge_intervals(spans((-5, 12, 1), (12, 40, 2)))
    assert gaps(at(0), at(30), merged) == []


def test_no_gaps_in_an_instant_window():
    assert gaps(at(0), at(0), []) == []


def test_covered_seconds_clips_to_the_window():
    merged = merge_intervals(spans((-10, 5, 1), (10, 12, 2), (25, 60, 3)))
    # 0-5, 10-12 and 25-30 inside a 0-30 window: 5 + 2 + 5 minutes.
    assert covered_seconds(at(0), at(30), merged) == 12 * 60


def test_covered_seconds_counts_overlaps_once():
    merged = merge_intervals(spans((0, 10, 1), (5, 15, 2)))
    assert covered_seconds(at(0), at(30), merged) == 15 * 60


def test_window_of_an_ended_incident_is_its_own_times():
    assert incident_window(at(0), at(30), spans((-10, 50, 1))) == (at(0), at(30))


def test_window_of_an_open_incident_follows_the_footage():
    assert incident_window(at(0), None, spans((-5, 5, 1), (10, 25, 2))) == (at(-5), at(25))


def test_window_of_an_open_incident_starts_no_later_than_started_at():
    assert incident_window(at(0), None, spans((10, 25, 1))) == (at(0), at(25))


def test_window_of_an_open_incident_never_ends_before_it_started():
    # Footage entirely before started_at (a mistyped time): the window still holds started_at.
    assert incident_window(at(0), None, spans((-30, -20, 1))) == (at(-30), at(0))


def test_window_without_any_span_is_the_start_instant():
    assert incident_window(at(0), None, []) == (at(0), at(0))


def test_interval_seconds():
    assert Interval(at(0), at(2)).seconds == 120
