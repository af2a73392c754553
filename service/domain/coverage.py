"""Coverage: which incidents, officers and moments lack footage (docs/coverage.md).

The list and summary questions are single SQL statements over indexed columns
(NOT EXISTS anti-joins, GROUP BY) that run alike on SQLite and PostgreSQL; only
one page of incidents or one row per group ever reaches Python. Intervals are
merged in Python, for one incident at a time.

Every question uses the clock-corrected spans stored on each source
(`corrected_started_at`/`corrected_ended_at`) and ignores disposed sources;
`counting="in_custody"` narrows the footage to sources actually held.
"""

from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN, SQL, Case, fn

from service.domain import activation, disclosure, inventory
from service.domain.errors import Invalid

# HELD and incident_window are part of this module's answers (defined with `counted`).
from service.domain.footage import HELD, counted, incident_window  # noqa: F401
from service.domain.vocabulary import COUNTING, GROUP_BY, LACKING, SOURCE_KINDS
from service.storage.db import Prepared, is_postgresql
from service.storage.models import (
    Agency,
    Incident,
    IncidentAgency,
    IncidentCounters,
    Involvement,
    Moment,
    Officer,
    Source,
)


def _month_of(column):
    """YYYY-MM of a stored (naive UTC) timestamp, in each backend's dialect."""
    if is_postgresql():
        return fn.to_char(column, "YYYY-MM")
    return fn.strftime("%Y-%m", column)


# ---------------------------------------------------------------- incidents lacking coverage


# On SQLite a lacking list is read by walking incident(started_at) newest first and probing
# each incident's counters when at least one incident in WALK_SHARE lacks (a page then reads
# about page size x WALK_SHARE incidents at most); a rarer one from the counters' partial
# index, sorted (at most one incident in WALK_SHARE of them). See lacking_incidents.
WALK_SHARE = 100


def _lacking_condition(lacking, filters):
    counting = filters.get("counting") or "any"
    counted(counting)  # refuses an unknown `counting`
    held = counting == "in_custody"
    c = IncidentCounters
    # The per-incident counters (service/domain/counters.py) answer without reading
    # sources; each condition matches one of their partial indexes.
    if lacking == "bodycam":
        return (c.bodycam_held if held else c.bodycam_counted) == 0
    if lacking == "any":
        return (c.sources_held if held else c.sources_counted) == 0
    if lacking == "officer_bodycam":
        return (c.uncovered_held if held else c.uncovered_counted) > 0
    raise Invalid("lacking", f"must be one of: {', '.join(LACKING)}", location="query")


def lacking_incidents(lacking, filters):
    """The incidents lacking `lacking` coverage, newest first, as a peewee query of Incident.

    `filters`: `kind`, `state`, `agency`, `from_` (inclusive), `to` (exclusive) on the
    incident, and `counting` ("any" or "in_custody"). Page it, count it (`lacking_counted`
    counts it faster when it can), and turn a page into answers with `represent`.
    """
    condition = _lacking_condition(lacking, filters)
    # Only what `represent` shows; callers wanting more add columns with .select_extend().
    query = inventory.list_incidents(filters).select(
        Incident.id,
        Incident.external_id,
        Incident.title,
        Incident.kind,
        Incident.state,
        Incident.started_at,
    )
    if query._where is None and not is_postgresql() and _at_least(condition, _walk_from()):
        # SQLite's planner would read the whole partial index and sort it; PostgreSQL
        # chooses the walk by itself.
        mine = IncidentCounters.select(SQL("1")).where(
            (IncidentCounters.incident == Incident.id) & condition
        )
        return query.where(fn.EXISTS(mine))
    return query.join(IncidentCounters, on=IncidentCounters.incident == Incident.id).where(
        condition
    )


def _walk_from():
    """How many lacking incidents make the walk worth it: one in WALK_SHARE (the highest id
    stands for the number of incidents: an upper bound, read from the primary key alone)."""
    return max(1, (Incident.select(fn.MAX(Incident.id)).scalar() or 0) // WALK_SHARE)


def _at_least(condition, n):
    capped = IncidentCounters.select(SQL("1")).where(condition).limit(n)
    return IncidentCounters.select(fn.COUNT(SQL("*"))).from_(capped.alias("c")).scalar() >= n


def lacking_counted(lacking, filters):
    """The same rows as lacking_incidents' to count, when the counters alone say it (no
    filter on the incident): one partial index's entries. None otherwise."""
    condition = _lacking_condition(lacking, filters)
    if inventory.list_incidents(filters)._where is not None:
        return None
    return IncidentCounters.select(SQL("1")).where(condition)


def source_counts_by_incident(incident_ids, counting="any"):
    """{incident id: {kind: number of counted sources}} with every kind present (0 if none)."""
    counts = {i: dict.fromkeys(SOURCE_KINDS, 0) for i in incident_ids}
    if incident_ids:
        query = (
            Source.select(Source.incident, Source.kind, fn.COUNT(SQL("1")))
            .where(Source.incident.in_(list(incident_ids)) & counted(counting))
            .group_by(Source.incident, Source.kind)
            .tuples()
        )
        for incident_id, kind, n in query:
            counts[incident_id][kind] = n
    return counts


def disposed_by_incident(incident_ids):
    """{incident id: (disposed sources per kind, the disposed bodycams' ids)}: destroyed
    footage stays visible in every answer about coverage."""
    found = {i: (dict.fromkeys(SOURCE_KINDS, 0), []) for i in incident_ids}
    if incident_ids:
        query = (
            Source.select(Source.incident, Source.id, Source.kind)
            .where(Source.incident.in_(list(incident_ids)) & (Source.custody_status == "disposed"))
            .order_by(Source.id)
            .tuples()
        )
        for incident_id, source_id, kind in query:
            found[incident_id][0][kind] += 1
            if kind == "bodycam":
                found[incident_id][1].append(source_id)
    return found


def represent(incidents, counting="any"):
    """A page of `lacking_incidents` as answers: id, title, agencies, source counts..."""
    incidents = list(incidents)
    ids = [i.id for i in incidents]
    agencies = inventory.agency_codes_by_incident(ids)
    counts = source_counts_by_incident(ids, counting)
    disposed = disposed_by_incident(ids)
    return [
        {
            "id": i.id,
            "external_id": i.external_id,
            "title": i.title,
            "kind": i.kind,
            "state": i.state,
            "started_at": i.started_at,
            "agencies": agencies[i.id],
            "source_counts": counts[i.id],
            "disposed_counts": disposed[i.id][0],
            "disposed_bodycam_source_ids": disposed[i.id][1],
        }
        for i in incidents
    ]


# ---------------------------------------------------------------- summary


def _group_key(group_by):
    if group_by == "agency":
        return Agency.code
    if group_by == "state":
        return Incident.state
    if group_by == "month":
        return _month_of(Incident.started_at)
    if group_by == "kind":
        return Incident.kind
    raise Invalid("group_by", f"must be one of: {', '.join(GROUP_BY)}", location="query")


def _per_incident_figures(held):
    """The summary's figures of one incident, from its counters (no source or involvement is
    read), as columns of a query joined to IncidentCounters."""
    c = IncidentCounters
    bodycams = c.bodycam_held if held else c.bodycam_counted
    return [
        Case(None, [(bodycams > 0, 1)], 0).alias("has_bodycam"),
        (c.sources_held if held else c.sources_counted).alias("sources"),
        (c.reviewed_held if held else c.reviewed_counted).alias("reviewed"),
        c.officers_expected.alias("officers_expected"),
        (c.uncovered_held if held else c.uncovered_counted).alias("officers_uncovered"),
        c.sources_disposed.alias("disposed"),
    ]


def _grouped(per_incident):
    """One row per `key` of a query of (key, _per_incident_figures) rows: key, incidents,
    with_bodycam, sources, reviewed, officers_expected, officers_uncovered, disposed_sources."""
    per_incident = per_incident.alias("per_incident")
    c = per_incident.c
    return per_incident.select_from(
        c.key,
        fn.COUNT(SQL("1")).alias("incidents"),
        fn.SUM(c.has_bodycam).alias("with_bodycam"),
        fn.SUM(c.sources).alias("sources"),
        fn.SUM(c.reviewed).alias("reviewed"),
        fn.SUM(c.officers_expected).alias("officers_expected"),
        fn.SUM(c.officers_uncovered).alias("officers_uncovered"),
        fn.SUM(c.disposed).alias("disposed_sources"),
    ).group_by(c.key)


def _filtered(query, filters, joined_on):
    """`query` narrowed by the incident filters (joining Incident on `joined_on` for them)."""
    conditions = inventory.incident_conditions(filters)
    if not conditions:
        return query
    return query.join(Incident, on=Incident.id == joined_on).where(*conditions)


def summary_rows(group_by, filters):
    """One dict per group, ordered by key, the group without a value (None) last: key,
    incidents, with_bodycam, sources, reviewed, officers_expected, officers_uncovered,
    disposed_sources, each summed from the filtered incidents' counters.

    By agency an incident counts once in each of its agencies' rows: the rows are read from
    the links (incident_agency, in agency order, each probing its incident's counters) and
    the incidents of no agency apart; agencies are named by code afterwards.
    """
    counting = filters.get("counting") or "any"
    counted(counting)  # refuses an unknown `counting`
    figures = _per_incident_figures(counting == "in_custody")
    if group_by != "agency":
        per_incident = Incident.select(_group_key(group_by).alias("key"), *figures).join(
            IncidentCounters, on=IncidentCounters.incident == Incident.id
        )
        conditions = inventory.incident_conditions(filters)
        if conditions:
            per_incident = per_incident.where(*conditions)
        rows = list(_grouped(per_incident).dicts())
    else:
        links = IncidentAgency.select(IncidentAgency.agency.alias("key"), *figures).join(
            IncidentCounters, on=IncidentCounters.incident == IncidentAgency.incident
        )
        linked = _filtered(links, filters, IncidentAgency.incident)
        codes = dict(Agency.select(Agency.id, Agency.code).tuples())
        rows = [{**row, "key": codes[row["key"]]} for row in _grouped(linked).dicts()]
        alone = IncidentCounters.select(SQL("NULL").alias("key"), *figures).where(
            ~fn.EXISTS(
                IncidentAgency.select(SQL("1")).where(
                    IncidentAgency.incident == IncidentCounters.incident
                )
            )
        )
        rows += list(_grouped(_filtered(alone, filters, IncidentCounters.incident)).dicts())
    return sorted(rows, key=lambda row: (row["key"] is None, row["key"] or ""))


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def summary(group_by, filters):
    """Coverage per agency, state, month (YYYY-MM of started_at, UTC) or incident kind.

    A list of row dicts, ordered by key, the group of incidents without a value
    (no agency, no state) last with key None. With group_by="agency" an incident of
    two agencies counts in both rows.
    """
    rows = []
    activations = activation.group_figures(group_by, filters, _group_key(group_by))
    for row in summary_rows(group_by, filters):
        incidents = row["incidents"]
        with_bodycam = int(row["with_bodycam"] or 0)
        sources = int(row["sources"] or 0)
        expected = int(row["officers_expected"] or 0)
        at_start, median_delay = activations.get(row["key"], (0, None))
        rows.append(
            {
                "key": row["key"],
                "incidents": incidents,
                "with_bodycam": with_bodycam,
                "without_bodycam": incidents - with_bodycam,
                "bodycam_rate": _rate(with_bodycam, incidents),
                "sources": sources,
                "officers_expected": expected,
                "officers_covered": expected - int(row["officers_uncovered"] or 0),
                "reviewed_rate": _rate(int(row["reviewed"] or 0), sources),
                "disposed_sources": int(row["disposed_sources"] or 0),
                "activation_rate": _rate(at_start, expected),
                "median_activation_delay_seconds": median_delay,
            }
        )
    figures = _disclosure_figures(group_by, filters)
    for row in rows:
        row.update(figures.get(row["key"], disclosure.NO_FIGURES))
    return rows


def _disclosure_figures(group_by, filters):
    """{key: disclosure figures} over the incidents an active disclosure rule may apply to
    (by state: the rules are matched on the rest in Python, see disclosure.figures)."""
    states = disclosure.rule_states()
    if not states:
        return {}
    key = _group_key(group_by)
    query = Incident.select(key.alias("key"), Incident.id)
    if group_by == "agency":
        query = query.join(IncidentAgency, JOIN.LEFT_OUTER).join(Agency, JOIN.LEFT_OUTER)
    conditions = inventory.incident_conditions(filters)
    if None not in states:
        conditions.append(fn.UPPER(Incident.state).in_([s.upper() for s in states]))
    if conditions:
        query = query.where(*conditions)
    groups = {}
    for group, incident_id in query.tuples():
        groups.setdefault(str(group) if group is not None else None, []).append(incident_id)
    return {group: disclosure.figures(ids) for group, ids in groups.items()}


# ---------------------------------------------------------------- intervals (one incident)


@dataclass
class Interval:
    """A stretch of true time, and the sources recording during it."""

    start: datetime
    end: datetime
    source_ids: list = field(default_factory=list)

    @property
    def seconds(self):
        return (self.end - self.start).total_seconds()


def merge_intervals(spans):
    """Merge (start, end, source_id) spans into disjoint intervals, sorted by start.

    Spans are closed: two that overlap or touch (one ends when the next starts)
    become one interval, which lists the ids of every source in it.
    """
    merged = []
    for start, end, source_id in sorted(spans, key=lambda s: (s[0], s[1])):
        if merged and start <= merged[-1].end:
            last = merged[-1]
            last.end = max(last.end, end)
            last.source_ids.append(source_id)
        else:
            merged.append(Interval(start, end, [source_id]))
    return merged


def gaps(window_start, window_end, merged):
    """The parts of [window_start, window_end] that no merged interval covers."""
    found = []
    cursor = window_start
    for interval in merged:
        if interval.end <= cursor:
            continue
        if interval.start >= window_end:
            break
        if interval.start > cursor:
            found.append(Interval(cursor, interval.start))
        cursor = max(cursor, interval.end)
    if cursor < window_end:
        found.append(Interval(cursor, window_end))
    return found


def covered_seconds(window_start, window_end, merged):
    """How many seconds of the window the merged intervals cover."""
    total = 0.0
    for interval in merged:
        start, end = max(interval.start, window_start), min(interval.end, window_end)
        if end > start:
            total += (end - start).total_seconds()
    return total


def _interval_dict(interval, with_sources=True):
    data = {"start": interval.start, "end": interval.end}
    if with_sources:
        data["source_ids"] = sorted(interval.source_ids)
    return data


# ---------------------------------------------------------------- one incident


def _officers(incident, sources, window_end, disposed_bodycams=()):
    bodycams = {}
    spans = {}
    for source in sources:
        if source.kind == "bodycam" and source.officer_id is not None:
            bodycams.setdefault(source.officer_id, []).append(source.id)
            spans.setdefault(source.officer_id, []).append(
                (source.corrected_started_at, source.corrected_ended_at)
            )
    destroyed = {}
    for source in disposed_bodycams:
        if source.officer_id is not None:
            destroyed.setdefault(source.officer_id, []).append(source.id)
    return [
        officer_entry(
            officer,
            sorted(bodycams.get(officer["officer_id"], [])),
            sorted(destroyed.get(officer["officer_id"], [])),
            activation.activation_of(
                spans.get(officer["officer_id"], []), incident.started_at, window_end
            ),
        )
        for officer in _OFFICERS.rows(incident.id)
    ]


# Who an officer entry is about, as columns of an involvement joined to its officer and agency.
OFFICER_COLUMNS = (
    Involvement.officer.alias("officer_id"),
    Officer.name,
    Officer.badge_number,
    Agency.code.alias("agency"),
    Involvement.role,
    Involvement.camera_expected,
    Involvement.not_recorded_reason,
)


_OFFICERS = Prepared(
    lambda incident_id: inventory.involvements_query(incident_id).select(*OFFICER_COLUMNS).dicts(),
    8_765_432,
)


def officer_fields(involvement):
    """OFFICER_COLUMNS of an Involvement model (its officer and agency loaded)."""
    officer = involvement.officer
    return {
        "officer_id": officer.id,
        "name": officer.name,
        "badge_number": officer.badge_number,
        "agency": officer.agency.code,
        "role": involvement.role,
        "camera_expected": involvement.camera_expected,
        "not_recorded_reason": involvement.not_recorded_reason,
    }


def officer_entry(officer, own, disposed, activation_fields):
    """An officer's part in an incident's coverage, as every answer shows it: who, their
    role (`officer`: a dict of OFFICER_COLUMNS), their own counted bodycams (`own`) and
    disposed ones, and their activation."""
    return {
        **officer,
        "bodycam_source_ids": own,
        "covered": bool(own),
        "disposed_bodycam_source_ids": disposed,
        **activation_fields,
    }


_MOMENTS = Prepared(
    lambda incident_id: (
        Moment.select(Moment.id, Moment.label, Moment.at)
        .where(Moment.incident == incident_id)
        .order_by(Moment.at, Moment.id)
    ),
    8_765_433,
)


def _moments(incident, sources, officers):
    """Each moment of the incident with the sources and expected officers recording at it."""
    answers = []
    for moment in _MOMENTS.rows(incident.id):
        recording = [
            s
            for s in sources
            if _has_span(s) and s.corrected_started_at <= moment.at <= s.corrected_ended_at
        ]
        wearing = {s.officer_id for s in recording if s.kind == "bodycam"}
        expected = [o["officer_id"] for o in officers if o["camera_expected"]]
        answers.append(
            {
                "id": moment.id,
                "label": moment.label,
                "at": moment.at,
                "recording_source_ids": [s.id for s in recording],
                "officers_recording": sorted(o for o in expected if o in wearing),
                "officers_not_recording": sorted(o for o in expected if o not in wearing),
            }
        )
    return answers


def _has_span(source):
    return source.corrected_started_at is not None and source.corrected_ended_at is not None


# A source as the coverage of one incident reads it.
Footage = namedtuple(
    "Footage", "id kind officer_id corrected_started_at corrected_ended_at is_counted"
)


def _footage_query(counting):
    """A Prepared read of an incident's sources, the counting's counted ones and the disposed
    ones, whether a row counts being decided in SQL by `counted` itself."""
    is_counted = counted(counting)
    disposed = Source.custody_status == "disposed"
    return Prepared(
        lambda incident_id: (
            Source.select(
                Source.id,
                Source.kind,
                Source.officer,
                Source.corrected_started_at,
                Source.corrected_ended_at,
                is_counted,
            )
            .where((Source.incident == incident_id) & (is_counted | disposed))
            .order_by(Source.id)
            .tuples()
        ),
        8_765_431,
    )


_FOOTAGE = {counting: _footage_query(counting) for counting in COUNTING}


def _footage(incident_id, counting):
    """(counted sources, disposed sources) of an incident, each ordered by id, in one query of
    light rows (Footage), composed once (storage.db.Prepared)."""
    counted(counting)  # refuses an unknown `counting`
    counted_rows, disposed_rows = [], []
    for row in _FOOTAGE[counting].rows(incident_id):
        row = Footage._make(row)
        (counted_rows if row.is_counted else disposed_rows).append(row)
    return counted_rows, disposed_rows


def incident_coverage(incident_id, counting="any"):
    """The coverage of one incident: its window, officers, timeline per kind, gaps, ratio.

    Raises NotFound for an unknown incident. Sources without a recorded span count
    as footage (source_counts, officers) but cannot be placed on the timeline; their
    ids are listed in `sources_without_span`.
    """
    incident = inventory.get_incident(incident_id)  # a read composed once (by id)
    sources, disposed = _footage(incident.id, counting)
    spans = [(s.corrected_started_at, s.corrected_ended_at, s.id) for s in sources if _has_span(s)]
    start, end = incident_window(incident.started_at, incident.ended_at, spans)
    by_kind = {}
    for source in sources:
        if _has_span(source):
            by_kind.setdefault(source.kind, []).append(
                (source.corrected_started_at, source.corrected_ended_at, source.id)
            )
    merged = merge_intervals(spans)
    counts = dict.fromkeys(SOURCE_KINDS, 0)
    for source in sources:
        counts[source.kind] = counts.get(source.kind, 0) + 1
    covered = covered_seconds(start, end, merged)
    window_seconds = (end - start).total_seconds()
    disposed_counts = dict.fromkeys(SOURCE_KINDS, 0)
    for source in disposed:
        disposed_counts[source.kind] += 1
    disposed_bodycams = [s for s in disposed if s.kind == "bodycam"]
    officers = _officers(incident, sources, end, disposed_bodycams)
    return {
        "incident_id": incident.id,
        "counting": counting,
        "window": {"start": start, "end": end},
        "officers": officers,
        "moments": _moments(incident, sources, officers),
        "source_counts": counts,
        "disposed_counts": disposed_counts,
        "disposed_bodycam_source_ids": [s.id for s in disposed_bodycams],
        "timeline": {
            kind: [_interval_dict(i) for i in merge_intervals(by_kind[kind])]
            for kind in SOURCE_KINDS
            if kind in by_kind
        },
        "gaps": [_interval_dict(g, with_sources=False) for g in gaps(start, end, merged)],
        "covered_seconds": covered,
        "window_seconds": window_seconds,
        "coverage_ratio": _rate(covered, window_seconds),
        "sources_without_span": [s.id for s in sources if not _has_span(s)],
    }


def sources_at(incident_id, t, counting="any"):
    """The counted sources of an incident recording at instant `t` (spans include both ends).

    Also lists the counted sources whose span is unknown: they may have been recording.
    """
    incident = inventory.get_incident(incident_id)
    in_incident = (Source.incident == incident.id) & counted(counting)
    recording = (
        Source.select()
        .where(in_incident & (Source.corrected_started_at <= t) & (Source.corrected_ended_at >= t))
        .order_by(Source.corrected_started_at, Source.id)
    )
    unknown = (
        Source.select(Source.id)
        .where(
            in_incident
            & (Source.corrected_started_at.is_null() | Source.corrected_ended_at.is_null())
        )
        .order_by(Source.id)
    )
    return {
        "incident_id": incident.id,
        "t": t,
        "counting": counting,
        "sources": list(recording),
        "sources_without_span": [s.id for s in unknown],
    }
