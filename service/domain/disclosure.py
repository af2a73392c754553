"""Disclosure: release deadlines from the rules, records requests, release decisions.

An incident owes an obligation for each active disclosure rule that matches it (the same
matching as retention rules: state, agency jurisdictions, tags). A rule without
`requester_kind` is a proactive public release, due `deadline_days` after the incident; a rule
with one is owed to each request of that kind, counted from the incident or from the request.

Decisions are append-only. An obligation is met by the first `released` or
`released_redacted` decision that reaches it: one answering its request, or a general one (no
request_id). A `delayed` decision whose `until` has not passed (or a `withheld` one) stops an
obligation from being overdue until then; it is reported `due`, its deadline the delay's end.

Statuses: `due` (deadline ahead), `overdue` (deadline passed, nothing released, no valid
delay), `met` (released by the deadline), `late` (released after it), `no_rule` (no active
rule applies to the incident; `reason` says why).
"""

import math
import statistics
from datetime import datetime, timedelta

from service.domain import inventory
from service.domain.errors import Invalid, NotFound
from service.domain.retention import incident_facts, rule_matches
from service.domain.rulebook import RuleBook
from service.domain.time import utcnow
from service.storage.db import one_of
from service.storage.models import (
    Disclosure,
    DisclosureRequest,
    DisclosureRule,
    Incident,
    Source,
)

RELEASES = ("released", "released_redacted")
# Incidents read at a time when a question spans many (the coverage list, a summary's figures).
BATCH = 1000
STATUS_ORDER = {"overdue": 0, "due": 1, "late": 2, "met": 3, "no_rule": 4}

# ---------------------------------------------------------------- rules


RULES = RuleBook(DisclosureRule, "disclosure rule")
get_rule, list_rules, create_rule, update_rule = RULES.get, RULES.list, RULES.create, RULES.update


def rules_changed():
    """Deadlines are computed when asked, so nothing is stored to recompute."""


def active_rules():
    return list(
        DisclosureRule.select().where(DisclosureRule.active == True).order_by(DisclosureRule.id)  # noqa: E712
    )


# ---------------------------------------------------------------- requests and decisions


def _check_sources(incident, source_ids):
    source_ids = list(dict.fromkeys(source_ids or []))
    if source_ids:
        found = {
            s
            for (s,) in Source.select(Source.id)
            .where(Source.id.in_(source_ids) & (Source.incident == incident.id))
            .tuples()
        }
        missing = [s for s in source_ids if s not in found]
        if missing:
            raise Invalid(
                "source_ids",
                f"not sources of incident {incident.id}: {', '.join(map(str, missing))}",
            )
    return [str(s) for s in source_ids]


def create_request(incident_id, values, actor):
    incident = inventory.get_incident(incident_id)
    if values["received_at"] > utcnow() + timedelta(minutes=5):
        raise Invalid("received_at", "must not be in the future")
    return DisclosureRequest.create(
        incident=incident.id,
        requester_kind=values["requester_kind"],
        requester=values.get("requester"),
        received_at=values["received_at"],
        source_ids=_check_sources(incident, values.get("source_ids")),
        created_by=actor,
    )


def record_decision(incident_id, values, actor):
    incident = inventory.get_incident(incident_id)
    if values["decided_at"] > utcnow() + timedelta(minutes=5):
        raise Invalid("decided_at", "must not be in the future")
    request_id = values.get("request_id")
    if request_id is not None:
        request = DisclosureRequest.get_or_none(DisclosureRequest.id == request_id)
        if request is None or request.incident_id != incident.id:
            raise Invalid("request_id", f"incident {incident.id} has no request {request_id}")
    until = values.get("until")
    if values["kind"] == "delayed" and until is None:
        raise Invalid("until", "a delay must say until when")
    if values["kind"] != "delayed" and until is not None:
        raise Invalid("until", "only a delayed decision has an end date")
    if until is not None and until <= values["decided_at"]:
        raise Invalid("until", "must be after decided_at")
    return Disclosure.create(
        incident=incident.id,
        kind=values["kind"],
        decided_at=values["decided_at"],
        basis=values.get("basis"),
        source_ids=_check_sources(incident, values.get("source_ids")),
        request=request_id,
        until=until,
        created_by=actor,
    )


def list_decisions(incident_id):
    inventory.get_incident(incident_id)
    return (
        Disclosure.select()
        .where(Disclosure.incident == incident_id)
        .order_by(Disclosure.decided_at, Disclosure.id)
    )


def get_request(request_id):
    request = DisclosureRequest.get_or_none(DisclosureRequest.id == request_id)
    if request is None:
        raise NotFound(f"disclosure request {request_id} not found")
    return request


# ---------------------------------------------------------------- obligations


def _days_after(later, earlier):
    return math.ceil((later - earlier).total_seconds() / 86400)


def _no_rule_reason(facts, rules):
    state = facts.state or "no state"
    of_state = [r for r in rules if r.state is None or (r.state or "").lower() == state.lower()]
    if not of_state:
        return f"no disclosure rule for {state}"
    wrong_agency = [
        r
        for r in of_state
        if r.agency_jurisdictions and not (set(r.agency_jurisdictions) & facts.jurisdictions)
    ]
    if wrong_agency and len(wrong_agency) == len(of_state):
        agencies = ", ".join(facts.agencies) or "none recorded"
        kinds = ", ".join(sorted(facts.jurisdictions)) or "no"
        covered = sorted({j for r in wrong_agency for j in r.agency_jurisdictions})
        return (
            f"no state rule applies: {state}'s rules bind {', '.join(covered)} agencies, and "
            f"this incident's agencies ({agencies}) are {kinds}"
        )
    tags = ", ".join(sorted(facts.tags)) or "none"
    return f"no {state} disclosure rule matches its tags ({tags})"


class Obligation(dict):
    pass


def _by_incident(ids, query):
    found = {i: [] for i in ids}
    if ids:
        for row in query:
            found[row.incident_id].append(row)
    return found


def _evaluate(obligation, decisions, now):
    """Fill released_at, days_late, status (and a delay's deadline) from the decisions."""
    deadline = obligation["deadline"]
    reaching = [
        d for d in decisions if d.request_id is None or d.request_id == obligation["request_id"]
    ]
    released = [d.decided_at for d in reaching if d.kind in RELEASES]
    released_at = min(released) if released else None
    obligation["released_at"] = released_at
    obligation["days_late"] = None
    if released_at is not None:
        late = released_at > deadline
        obligation["status"] = "late" if late else "met"
        obligation["days_late"] = _days_after(released_at, deadline) if late else None
        return obligation
    delays = [d for d in reaching if d.kind == "withheld" or (d.until and d.until > now)]
    if deadline > now:
        obligation["status"] = "due"
    elif delays:
        last = max(delays, key=lambda d: (d.decided_at, d.id))
        obligation["status"] = "due"
        obligation["deadline"] = last.until
        obligation["reason"] = f"{last.kind} on {last.decided_at:%Y-%m-%d}: {last.basis or ''}"
    else:
        obligation["status"] = "overdue"
        obligation["days_late"] = _days_after(now, deadline)
    return obligation


def obligations(incidents, now=None):
    """Every obligation of these incidents (Incident rows), or a no_rule row for each incident
    no active rule applies to."""
    now = now or utcnow()
    incidents = list(incidents)
    ids = [i.id for i in incidents]
    rules = active_rules()
    facts = incident_facts(ids)
    requests = _by_incident(
        ids,
        DisclosureRequest.select()
        .where(one_of(DisclosureRequest.incident, ids))
        .order_by(DisclosureRequest.id),
    )
    decisions = _by_incident(
        ids,
        Disclosure.select()
        .where(one_of(Disclosure.incident, ids))
        .order_by(Disclosure.decided_at, Disclosure.id),
    )
    rows = []
    for incident in incidents:
        f = facts[incident.id]
        matching = [r for r in rules if rule_matches(r, f)]
        base = {"incident_id": incident.id, "title": incident.title, "reason": None}
        if not matching:
            rows.append(
                Obligation(
                    base,
                    rule_id=None,
                    citation=None,
                    requester_kind=None,
                    request_id=None,
                    deadline=None,
                    released_at=None,
                    days_late=None,
                    status="no_rule",
                    reason=_no_rule_reason(f, rules),
                )
            )
            continue
        for rule in matching:
            if rule.requester_kind is None:
                owed = [(None, incident.started_at)]
            else:
                owed = [
                    (r, r.received_at if rule.counted_from == "request" else incident.started_at)
                    for r in requests[incident.id]
                    if r.requester_kind == rule.requester_kind
                ]
            for request, start in owed:
                obligation = Obligation(
                    base,
                    rule_id=rule.id,
                    citation=rule.citation,
                    requester_kind=rule.requester_kind,
                    request_id=request.id if request else None,
                    deadline=start + timedelta(days=rule.deadline_days),
                )
                rows.append(_evaluate(obligation, decisions[incident.id], now))
    return rows


def sort_key(row):
    return (
        STATUS_ORDER[row["status"]],
        -(row["days_late"] or 0),
        row["deadline"] or datetime.max,
        row["incident_id"],
    )


def coverage(filters, status=None, now=None):
    """The obligations of the incidents matching the coverage filters: overdue first (most
    days late first), then due (nearest deadline first), late, met, no_rule."""
    # `status` here is the obligation's, not the incident's (open, closed...)
    query = inventory.list_incidents({k: v for k, v in filters.items() if k != "status"})
    rows = []
    for batch_start in range(0, 10**9, BATCH):
        batch = list(query.paginate(batch_start // BATCH + 1, BATCH))
        if not batch:
            break
        rows += obligations(batch, now)
    if status:
        rows = [r for r in rows if r["status"] == status]
    return sorted(rows, key=sort_key)


def request_status(request, now=None):
    """A request's own status: the worst of its obligations (no_rule when none applies)."""
    incident = Incident.get_by_id(request.incident_id)
    mine = [r for r in obligations([incident], now) if r.get("request_id") == request.id]
    if not mine:
        return {"status": "no_rule", "deadline": None}
    worst = min(mine, key=sort_key)
    return {"status": worst["status"], "deadline": worst["deadline"]}


def with_status(requests, now=None):
    requests = list(requests)
    for request in requests:
        found = request_status(request, now)
        request.status = found["status"]
        request.deadline = found["deadline"]
    return requests


def list_requests(filters, now=None):
    query = DisclosureRequest.select().order_by(DisclosureRequest.id.desc())
    if filters.get("incident_id") is not None:
        query = query.where(DisclosureRequest.incident == filters["incident_id"])
    requests = with_status(query, now)
    if filters.get("status"):
        requests = [r for r in requests if r.status == filters["status"]]
    if filters.get("overdue") is not None:
        requests = [r for r in requests if (r.status == "overdue") == filters["overdue"]]
    return requests


NO_FIGURES = {"disclosure_on_time_rate": None, "median_days_to_release": None}


def rule_states():
    """The states of the active disclosure rules (None among them: a rule for any state)."""
    return {r.state for r in active_rules()}


def figures(incident_ids, now=None):
    """For summary rows: on-time rate of the obligations whose deadline has passed or that
    were released (met / (met + late + overdue)), and the median days from the incident to
    the first release. The incidents are read BATCH at a time (a summary row may stand for
    every incident of the catalogue)."""
    ids = list(incident_ids)
    if not ids:
        return dict(NO_FIGURES)
    met = decided = 0
    days = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        incidents = list(Incident.select().where(one_of(Incident.id, batch)))
        for row in obligations(incidents, now):
            if row["status"] in ("met", "late", "overdue"):
                decided += 1
                met += row["status"] == "met"
        started = {i.id: i.started_at for i in incidents}
        first_release = {}
        releases = Disclosure.select(Disclosure.incident, Disclosure.decided_at).where(
            one_of(Disclosure.incident, batch) & Disclosure.kind.in_(RELEASES)
        )
        for incident_id, at in releases.tuples():
            earlier = first_release.get(incident_id)
            first_release[incident_id] = at if earlier is None else min(earlier, at)
        days += [(at - started[i]).total_seconds() / 86400 for i, at in first_release.items()]
    return {
        "disclosure_on_time_rate": round(met / decided, 4) if decided else None,
        "median_days_to_release": round(statistics.median(days), 1) if days else None,
    }


class ListQuery:
    """A computed list with the two methods the pager uses (count, paginate)."""

    def __init__(self, rows):
        self.rows = rows

    def count(self):
        return len(self.rows)

    def paginate(self, page, page_size):
        return self.rows[(page - 1) * page_size : page * page_size]
