"""Activation: when each officer's body camera started and stopped, against the incident.

For one officer in one incident (docs/coverage.md, "Activation"):

- `activation_delay_seconds`: the corrected start of the officer's earliest counted
  bodycam minus the incident's `started_at`; negative when the camera was already
  recording; null when the officer has no counted bodycam with a known start.
- `recording_at_start`: one of their counted bodycams covers `started_at` (spans closed).
- `deactivated_before_end`: their bodycam coverage ends before the end of the incident's
  window (null without a bodycam span).

`activation_of` computes these from spans already loaded; every place that shows them
calls it (the incident coverage, the officer's incidents, `/coverage/officers`). The
summary's figures and the list of late starts are computed in SQL over the same
definitions (`group_figures`, `late_activations`).
"""

from peewee import JOIN, SQL, Case, fn

from service.domain import inventory
from service.domain.footage import counted, incident_window
from service.storage.counters import earliest_start, seconds_between
from service.storage.db import database, is_postgresql
from service.storage.models import (
    Agency,
    Incident,
    IncidentAgency,
    Involvement,
    InvolvementActivation,
    Officer,
    Source,
    as_datetime,
)

FIELDS = ("activation_delay_seconds", "recording_at_start", "deactivated_before_end")


def activation_of(spans, started_at, window_end):
    """The activation fields of one officer in one incident.

    `spans`: (corrected_start, corrected_end) of the officer's own counted bodycams (either
    end may be None when unknown); `started_at`: the incident's; `window_end`: the end of the
    incident's coverage window (footage.incident_window). Returns a dict of FIELDS.
    """
    starts = [s for s, _ in spans if s is not None]
    known = [(s, e) for s, e in spans if s is not None and e is not None]
    delay = (min(starts) - started_at).total_seconds() if starts else None
    return {
        "activation_delay_seconds": delay,
        "recording_at_start": any(s <= started_at <= e for s, e in known),
        "deactivated_before_end": max(e for _, e in known) < window_end if known else None,
    }


# ---------------------------------------------------------------- in SQL


def _earliest_start(counting):
    """Correlated subquery on an Involvement row: its officer's earliest counted bodycam
    start (the definition the counters keep: service/storage/counters.py)."""
    return earliest_start(counted(counting))


def group_figures(group_by, filters, key):
    """{group key: (involvements recording at the start, median_activation_delay_seconds)} for
    the summary, which divides the first by the group's expected officers (the counters').

    One query, the same on both databases, over the expected involvements of the filtered
    incidents whose officer has a bodycam start, as kept with the counters in
    InvolvementActivation (no source is read; an incident of two agencies counts in both
    agencies' groups, as in the summary; recording at the start implies a start, so the
    others add nothing). It reads a covering partial index (models.py) and gives one row per
    group: how many were recording at started_at, and every delay of the group collected in
    one value (`_collected`), from which the exact median (the middle delay, or the mean of
    the middle two) is taken here: SQL neither sorts every delay nor makes a row per delay.
    """
    counting = filters.get("counting") or "any"
    held = counting == "in_custody"
    kept = InvolvementActivation  # one row per expected involvement
    at_start = kept.at_start_held if held else kept.at_start_counted
    delay = kept.delay_held if held else kept.delay_counted
    query = (
        kept.select(
            key.alias("key"),
            fn.SUM(Case(None, [(at_start == True, 1)], 0)).alias("at_start"),  # noqa: E712
            _collected(delay).alias("delays"),
        )
        .join(Incident, on=kept.incident == Incident.id)
        .where(delay.is_null(False))  # the partial indexes' condition, spelled the same
    )
    if group_by == "agency":
        query = query.join(
            IncidentAgency, JOIN.LEFT_OUTER, on=IncidentAgency.incident == Incident.id
        ).join(Agency, JOIN.LEFT_OUTER, on=Agency.id == IncidentAgency.agency)
    conditions = inventory.incident_conditions(filters)
    if conditions:
        query = query.where(*conditions)
    # Grouped by the output's own name: a month key composed twice would be two different
    # expressions to PostgreSQL (each with its own format parameter). The cursor's plain
    # tuples: peewee's row conversion would only slow them down.
    return {
        k: (int(at or 0), _median(_values(delays)))
        for k, at, delays in database.execute(query.group_by(SQL('"key"')))
    }


def _collected(column):
    """An aggregate of every value of `column` in a group: PostgreSQL's array_agg (a list),
    SQLite's group_concat (text, the values comma-separated as SQLite writes a REAL: 15
    significant digits, which gives back the stored double of a delay kept to the
    millisecond)."""
    return fn.array_agg(column) if is_postgresql() else fn.group_concat(column)


def _values(collected):
    if collected is None:
        return []
    if isinstance(collected, str):
        return [float(v) for v in collected.split(",")]
    return [float(v) for v in collected]


def _median(values):
    """The middle value, or the mean of the two middle ones; None when there are none."""
    if not values:
        return None
    values.sort()
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def late_activations(late_by, filters):
    """Officer-incidents whose camera started more than `late_by` seconds after the incident's
    started_at: involvements with camera_expected and a counted bodycam, the earliest of
    which starts that late. Candidates for the `late_activation` review flag. A peewee query
    of Involvement rows, most late first; `represent` turns a page into answers."""
    counting = filters.get("counting") or "any"
    delay = seconds_between(_earliest_start(counting), Incident.started_at)
    query = (
        Involvement.select(
            Involvement.incident,
            Involvement.officer,
            Incident.title,
            Incident.started_at,
            Officer.badge_number,
            Officer.name,
            Agency.code,
            _earliest_start(counting).alias("first_recording_at"),
            delay.alias("delay"),
        )
        .join(Incident, on=Involvement.incident == Incident.id)
        .switch(Involvement)
        .join(Officer, on=Involvement.officer == Officer.id)
        .join(Agency, on=Officer.agency == Agency.id)
        .where((Involvement.camera_expected == True) & (delay > late_by))  # noqa: E712
        .order_by(delay.desc(), Involvement.incident, Involvement.officer)
    )
    conditions = inventory.incident_conditions(filters)
    if conditions:
        query = query.where(*conditions)
    return query


def represent_late(rows, counting="any"):
    """A page of `late_activations` as answers, each with the officer's bodycam source ids."""
    rows = list(rows.dicts() if hasattr(rows, "dicts") else rows)
    pairs = {(r["incident"], r["officer"]) for r in rows}
    own = {pair: [] for pair in pairs}
    if pairs:
        sources = (
            Source.select(Source.incident, Source.officer, Source.id)
            .where(
                Source.incident.in_(sorted({i for i, _ in pairs}))
                & Source.officer.in_(sorted({o for _, o in pairs}))
                & (Source.kind == "bodycam")
                & counted(counting)
            )
            .order_by(Source.id)
            .tuples()
        )
        for incident_id, officer_id, source_id in sources:
            if (incident_id, officer_id) in own:
                own[(incident_id, officer_id)].append(source_id)
    return [
        {
            "incident_id": r["incident"],
            "title": r["title"],
            "started_at": as_datetime(r["started_at"]),
            "officer_id": r["officer"],
            "name": r["name"],
            "badge_number": r["badge_number"],
            "agency": r["code"],
            "first_recording_at": as_datetime(r["first_recording_at"]),
            "activation_delay_seconds": float(r["delay"]),
            "bodycam_source_ids": own[(r["incident"], r["officer"])],
            "suggested_flag": "late_activation",
        }
        for r in rows
    ]


# ---------------------------------------------------------------- one officer's incidents


def officer_involvements(officer_id):
    """The incidents an officer took part in, newest first: a query of Involvement rows
    (with their Incident), paged by the caller and turned into answers by
    `represent_involvements`."""
    inventory.get_officer(officer_id)  # NotFound for an unknown officer
    return (
        Involvement.select(Involvement, Incident)
        .join(Incident, on=Involvement.incident == Incident.id)
        .where(Involvement.officer == officer_id)
        .order_by(Incident.started_at.desc(), Incident.id.desc())
    )


def own_footage(involvements, counting="any"):
    """{(incident id, officer id): (their counted bodycam sources, their activation fields)}
    for a page of involvements whose incidents are loaded, from one query of the incidents'
    counted sources (each incident's window needs all of them when it has no end)."""
    involvements = list(involvements)
    incident_ids = sorted({i.incident_id for i in involvements})
    spans = {i: [] for i in incident_ids}
    own = {(i.incident_id, i.officer_id): [] for i in involvements}
    if incident_ids:
        sources = (
            Source.select(
                Source.id,
                Source.incident,
                Source.officer,
                Source.kind,
                Source.corrected_started_at,
                Source.corrected_ended_at,
            )
            .where(Source.incident.in_(incident_ids) & counted(counting))
            .order_by(Source.id)
        )
        for s in sources:
            if s.corrected_started_at is not None and s.corrected_ended_at is not None:
                spans[s.incident_id].append((s.corrected_started_at, s.corrected_ended_at))
            if s.kind == "bodycam" and (s.incident_id, s.officer_id) in own:
                own[(s.incident_id, s.officer_id)].append(s)
    found = {}
    for involvement in involvements:
        incident = involvement.incident
        key = (incident.id, involvement.officer_id)
        _, window_end = incident_window(incident.started_at, incident.ended_at, spans[incident.id])
        cams = own[key]
        found[key] = (
            cams,
            activation_of(
                [(s.corrected_started_at, s.corrected_ended_at) for s in cams],
                incident.started_at,
                window_end,
            ),
        )
    return found


def represent_involvements(involvements, counting="any"):
    """A page of `officer_involvements` with each incident's coverage of the officer:
    their own bodycams, covered, and the activation fields (as in the incident coverage)."""
    involvements = list(involvements)
    footage = own_footage(involvements, counting)
    answers = []
    for involvement in involvements:
        incident = involvement.incident
        cams, fields = footage[(incident.id, involvement.officer_id)]
        answers.append(
            {
                "incident_id": incident.id,
                "title": incident.title,
                "kind": incident.kind,
                "started_at": incident.started_at,
                "ended_at": incident.ended_at,
                "role": involvement.role,
                "camera_expected": involvement.camera_expected,
                "not_recorded_reason": involvement.not_recorded_reason,
                "bodycam_source_ids": [s.id for s in cams],
                "covered": bool(cams),
                **fields,
            }
        )
    return answers


# ---------------------------------------------------------------- the distribution per agency

# How late each expected officer's camera started: (name, upper bound in seconds or None).
# A delay falls in the first bucket whose bound it does not exceed; "no bodycam" last.
DELAY_BUCKETS = (
    ("already recording", 0),
    ("up to 30 s", 30),
    ("30 s to 2 min", 120),
    ("2 to 5 min", 300),
    ("5 to 15 min", 900),
    ("over 15 min", None),
)
NO_BODYCAM = "no bodycam"
BUCKET_NAMES = tuple(name for name, _ in DELAY_BUCKETS) + (NO_BODYCAM,)


def delay_distribution(filters):
    """[(agency code, {bucket name: officers})] A to Z: how late the cameras of the officers
    expected to wear one started, per the officer's own agency (an officer of CBP at an
    incident of several agencies counts once, for CBP). One aggregate query."""
    counting = filters.get("counting") or "any"
    per_officer = (
        Involvement.select(
            Agency.code.alias("agency"),
            seconds_between(_earliest_start(counting), Incident.started_at).alias("delay"),
        )
        .join(Incident, on=Involvement.incident == Incident.id)
        .switch(Involvement)
        .join(Officer, on=Involvement.officer == Officer.id)
        .join(Agency, on=Officer.agency == Agency.id)
        .where(Involvement.camera_expected == True)  # noqa: E712
    )
    conditions = inventory.incident_conditions(filters)
    if conditions:
        per_officer = per_officer.where(*conditions)
    per_officer = per_officer.alias("per_officer")
    delay = per_officer.c.delay
    cases = [(delay.is_null(), NO_BODYCAM)]
    cases += [(delay <= bound, name) for name, bound in DELAY_BUCKETS if bound is not None]
    bucket = Case(None, cases, DELAY_BUCKETS[-1][0])
    query = (
        per_officer.select_from(
            per_officer.c.agency, bucket.alias("bucket"), fn.COUNT(SQL("1")).alias("n")
        )
        # by position: PostgreSQL does not match a CASE with bound parameters to its copy
        .group_by(SQL("1"), SQL("2"))
        .order_by(SQL("1"))
        .tuples()
    )
    found = {}
    for agency, name, n in query:
        found.setdefault(agency, dict.fromkeys(BUCKET_NAMES, 0))[name] = n
    return sorted(found.items())
