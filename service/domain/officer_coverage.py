"""Officer coverage: one row per involvement of an officer in an incident, saying whether the
officer's own bodycam footage exists (docs/coverage.md, "Officer coverage").

One SQL statement over the involvements (an EXISTS for the officer's own counted bodycam), and
for a page of rows one query for the bodycam sources of its (incident, officer) pairs.
"""

from peewee import SQL, fn

from service.domain import activation, coverage, inventory
from service.storage.models import Agency, Incident, Involvement, Officer, Source


def _own_bodycam(counting):
    return Source.select(SQL("1")).where(
        (Source.incident == Involvement.incident)
        & (Source.officer == Involvement.officer)
        & (Source.kind == "bodycam")
        & coverage.counted(counting)
    )


def officer_rows(filters):
    """The involvements matching `filters`, newest incident first, as a peewee query.

    `filters`: the incident filters of the coverage questions (kind, state, agency, from_,
    to), `counting`, `officer_id`, `role`, and `uncovered` (True: only officers without a
    counted bodycam source of their own in the incident; False: only those with one).
    """
    counting = filters.get("counting") or "any"
    covered = fn.EXISTS(_own_bodycam(counting))
    query = (
        Involvement.select(Involvement, Incident, Officer, Agency, covered.alias("covered"))
        .join(Incident)
        .switch(Involvement)
        .join(Officer)
        .join(Agency)
        .order_by(Incident.started_at.desc(), Incident.id.desc(), Officer.id)
    )
    conditions = inventory.incident_conditions(filters)
    if filters.get("officer_id") is not None:
        conditions.append(Involvement.officer == filters["officer_id"])
    if filters.get("role") is not None:
        conditions.append(Involvement.role == filters["role"])
    if filters.get("uncovered") is True:
        conditions.append(~covered)
    elif filters.get("uncovered") is False:
        conditions.append(covered)
    return query.where(*conditions) if conditions else query


def after(query, last):
    """`query` (officer_rows) past the involvement `last`, read from it: a keyset cursor on
    the rows' order (incident newest first, then incident id, then officer)."""
    started_at, incident_id, officer_id = (
        last.incident.started_at,
        last.incident.id,
        last.officer.id,
    )
    return query.where(
        (Incident.started_at < started_at)
        | (
            (Incident.started_at == started_at)
            & (
                (Incident.id < incident_id)
                | ((Incident.id == incident_id) & (Officer.id > officer_id))
            )
        )
    )


def represent(involvements, counting="any"):
    """A page of officer_rows as answers."""
    involvements = list(involvements)
    pairs = {(i.incident_id, i.officer_id) for i in involvements}
    own, disposed = {}, {}
    if pairs:
        sources = Source.select(
            Source.id, Source.incident, Source.officer, Source.custody_status
        ).where(
            (Source.kind == "bodycam")
            & Source.incident.in_(sorted({p[0] for p in pairs}))
            & Source.officer.in_(sorted({p[1] for p in pairs}))
        )
        counted_ids = {s.id for s in sources.where(coverage.counted(counting)).select(Source.id)}
        for source in sources.order_by(Source.id):
            key = (source.incident_id, source.officer_id)
            if source.id in counted_ids:
                own.setdefault(key, []).append(source.id)
            if source.custody_status == "disposed":
                disposed.setdefault(key, []).append(source.id)
    footage = activation.own_footage(involvements, counting)
    rows = []
    for involvement in involvements:
        key = (involvement.incident_id, involvement.officer_id)
        incident = involvement.incident
        rows.append(
            {
                "incident_id": incident.id,
                "incident_title": incident.title,
                "started_at": incident.started_at,
                **coverage.officer_entry(
                    coverage.officer_fields(involvement),
                    own.get(key, []),
                    disposed.get(key, []),
                    footage[key][1],
                ),
            }
        )
    return rows
