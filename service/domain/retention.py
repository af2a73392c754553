"""Retention: how long an incident's footage must be kept, from the rules.

A rule matches an incident when its `state` is null or the incident's location.state, its
`agency_jurisdictions` is empty or names the jurisdiction of one of the incident's agencies,
and its `tags` is empty or shares a tag with the incident. A source must be kept until the
incident's `started_at` plus the longest `minimum_days` of the active matching rules, or
indefinitely when one of them says so (`minimum_days` null). A client may extend that date
(kept apart, in `retain_extended_until`), never shorten it.

`recompute_incidents` is called in the same transaction by every write that changes what the
rules see: an incident's tags, agencies, state or start (inventory), a source moved to another
incident or created (inventory, the importer through inventory), an agency's jurisdiction,
and any rule (this module).
"""

from datetime import date, timedelta

from service.domain.errors import Invalid
from service.domain.rulebook import RuleBook
from service.domain.time import utcnow
from service.storage.db import attach, grouped, one_of
from service.storage.models import (
    Agency,
    Incident,
    IncidentAgency,
    IncidentTag,
    RetentionRule,
    Source,
)

RULE_FIELDS = (
    "name",
    "state",
    "agency_jurisdictions",
    "tags",
    "minimum_days",
    "citation",
    "summary",
    "active",
)

# ---------------------------------------------------------------- tags


def tags_by_incident(incident_ids):
    return grouped(
        incident_ids,
        IncidentTag.select(IncidentTag.incident, IncidentTag.tag)
        .where(one_of(IncidentTag.incident, incident_ids))
        .order_by(IncidentTag.tag),
    )


def with_tags(incidents):
    """The incidents, each knowing its tags (one query for them all)."""
    return attach(incidents, "_tags", tags_by_incident)


def set_tags(incident, tags):
    tags = sorted(set(tags or ()))
    IncidentTag.delete().where(IncidentTag.incident == incident.id).execute()
    if tags:
        IncidentTag.insert_many([{"incident": incident.id, "tag": t} for t in tags]).execute()
    incident._tags = tags


def tag_new_incidents(created):
    """The tags of incidents just saved ((incident, values) pairs), in one statement."""
    rows = []
    for incident, values in created:
        incident._tags = sorted(set(values.get("tags") or ()))
        rows += [{"incident": incident.id, "tag": tag} for tag in incident._tags]
    if rows:
        IncidentTag.insert_many(rows).execute()


def tagged(tag):
    """A subquery of the ids of the incidents carrying `tag` (through the tag index)."""
    return IncidentTag.select(IncidentTag.incident).where(IncidentTag.tag == tag)


# ---------------------------------------------------------------- matching


class IncidentFacts:
    """What the governance rules look at: state, agency jurisdictions, tags, start."""

    def __init__(self, incident_id, state, started_at, jurisdictions, tags, agencies=()):
        self.incident_id = incident_id
        self.state = state
        self.started_at = started_at
        self.jurisdictions = set(jurisdictions)
        self.tags = set(tags)
        self.agencies = list(agencies)


def incident_facts(incident_ids):
    """{incident id: IncidentFacts}, three queries for them all."""
    ids = list(incident_ids)
    if not ids:
        return {}
    # Each incident's agencies as (code, jurisdiction) pairs, by code.
    agencies = {i: [] for i in ids}
    query = (
        IncidentAgency.select(IncidentAgency.incident, Agency.code, Agency.jurisdiction)
        .join(Agency)
        .where(one_of(IncidentAgency.incident, ids))
        .order_by(Agency.code)
    )
    for incident_id, code, jurisdiction in query.tuples():
        agencies[incident_id].append((code, jurisdiction))
    tags = tags_by_incident(ids)
    rows = Incident.select(Incident.id, Incident.state, Incident.started_at).where(
        one_of(Incident.id, ids)
    )
    return {
        i: IncidentFacts(
            i,
            state,
            started,
            [jurisdiction for _, jurisdiction in agencies[i]],
            tags[i],
            [code for code, _ in agencies[i]],
        )
        for i, state, started in rows.tuples()
    }


def rule_matches(rule, facts):
    """Whether a retention or disclosure rule applies to an incident."""
    if rule.state is not None and (rule.state or "").lower() != (facts.state or "").lower():
        return False
    if rule.agency_jurisdictions and not (set(rule.agency_jurisdictions) & facts.jurisdictions):
        return False
    return not rule.tags or bool(set(rule.tags) & facts.tags)


def active_rules():
    return list(
        RetentionRule.select().where(RetentionRule.active == True).order_by(RetentionRule.id)  # noqa: E712
    )


class Requirement:
    """What the rules require of one incident's footage: `until` (a date or None),
    `indefinite`, and `rule` (the rule that sets it, or None when none applies)."""

    def __init__(self, until=None, indefinite=False, rule=None):
        self.until = until
        self.indefinite = indefinite
        self.rule = rule

    def describe(self):
        if self.rule is None:
            return "no retention rule"
        citation = f" ({self.rule.citation})" if self.rule.citation else ""
        return f"retention rule {self.rule.id} {self.rule.name!r}{citation}"


def requirement(facts, rules):
    """The longest requirement of the `rules` that match `facts`."""
    best = Requirement()
    for rule in rules:
        if not rule_matches(rule, facts):
            continue
        if rule.minimum_days is None:
            return Requirement(None, True, rule)
        until = (facts.started_at + timedelta(days=rule.minimum_days)).date()
        if best.until is None or until > best.until:
            best = Requirement(until, False, rule)
    return best


def requirement_for(incident_id):
    return requirements_for([incident_id]).get(incident_id, Requirement())


def requirements_for(incident_ids, known=None):
    """{incident id: Requirement} for the incidents that exist, four queries for them all.

    `known` ({incident id: IncidentFacts}, kept by the caller): the facts of incidents in it
    are taken from it, and those read now are added to it (a bulk import, which holds its
    incidents locked, reads each one's facts once, not once per batch). The rules are read
    every time."""
    if known is None:
        facts = incident_facts(incident_ids)
    else:
        ids = list(incident_ids)
        known.update(incident_facts([i for i in ids if i not in known]))
        facts = {i: known[i] for i in ids if i in known}
    rules = active_rules() if facts else []
    return {incident_id: requirement(f, rules) for incident_id, f in facts.items()}


def _later(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def apply_to_source(source, req):
    """Set a (not yet saved) source's retain_until from the requirement and its extension."""
    source.retain_indefinitely = req.indefinite
    extended = source.retain_extended_until
    source.retain_until = None if req.indefinite else _later(req.until, extended)


def recompute_incidents(incident_ids):
    """Write every source's retain_until of these incidents from the current rules.

    Incidents the rules give the same requirement are written together (their ids bound as
    one parameter): a batch costs a few statements per distinct requirement, not two per
    incident."""
    ids = list(dict.fromkeys(incident_ids))
    if not ids:
        return
    alike = {}
    for incident_id, req in requirements_for(ids).items():
        alike.setdefault((req.indefinite, req.until), []).append(incident_id)
    for (indefinite, until), members in alike.items():
        of_incidents = one_of(Source.incident, members)
        if indefinite:
            Source.update(retain_until=None, retain_indefinitely=True).where(of_incidents).execute()
            continue
        extended_later = Source.retain_extended_until.is_null(False)
        if until is not None:
            extended_later &= Source.retain_extended_until > until
        Source.update(retain_until=Source.retain_extended_until, retain_indefinitely=False).where(
            of_incidents & extended_later
        ).execute()
        Source.update(retain_until=until, retain_indefinitely=False).where(
            of_incidents & ~extended_later
        ).execute()


def recompute_all(batch_size=500):
    """After a rule changed: every incident that has sources, a batch at a time."""
    last = 0
    while True:
        ids = [
            i
            for (i,) in Incident.select(Incident.id)
            .where((Incident.id > last) & Incident.id.in_(Source.select(Source.incident)))
            .order_by(Incident.id)
            .limit(batch_size)
            .tuples()
        ]
        if not ids:
            return
        recompute_incidents(ids)
        last = ids[-1]


def recompute_for_agency(agency_id):
    recompute_incidents(
        i
        for (i,) in IncidentAgency.select(IncidentAgency.incident)
        .where(IncidentAgency.agency == agency_id)
        .tuples()
    )


def extend(source, wanted, req=None):
    """A client's retain_until for `source` (not yet saved): a later date than the rules
    require is kept as an extension; an earlier one is refused naming the rule."""
    req = req or requirement_for(source.incident_id)
    if wanted is not None and req.indefinite:
        raise Invalid(
            "retain_until",
            f"the footage is kept indefinitely by {req.describe()}; it cannot be given an end date",
        )
    if wanted is not None and req.until is not None and wanted < req.until:
        raise Invalid(
            "retain_until",
            f"must not be before {req.until.isoformat()}, the date {req.describe()} requires "
            "(a client may extend retention, never shorten it)",
        )
    source.retain_extended_until = wanted
    apply_to_source(source, req)


# ---------------------------------------------------------------- rules


# A change of rules recomputes every source's retain_until, in the same transaction.
RULES = RuleBook(RetentionRule, "retention rule", RULE_FIELDS, after_change=recompute_all)
get_rule, list_rules, create_rule, update_rule = RULES.get, RULES.list, RULES.create, RULES.update


def today():
    return utcnow().date()


def is_before(day: date | None):
    return day is not None and today() <= day
