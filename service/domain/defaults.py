"""The governance rules the service ships: Minnesota and California body-camera law, each
with its citation and a one-line summary (docs/governance.md explains each one and where our
tags differ from the statute's words). `load_defaults` adds the ones missing by name and
leaves existing rules as the operator edited them, so it can run any number of times.

Our tags are fixed: `deadly_force` (a person died from force an officer used),
`firearm_discharge` (an officer fired at a person), `great_bodily_harm`, `complaint`. Where a
statute's trigger differs (Minnesota's "substantial bodily harm", its 14-day rule on a death
from any force) the rule keys on the closest tags and the summary says so.
"""

from service.domain import disclosure, retention
from service.storage.models import DisclosureRule, RetentionRule

STATE_AND_LOCAL = ["state", "county", "municipal"]

RETENTION_DEFAULTS = [
    {
        "name": "MN body camera: base retention",
        "state": "MN",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": [],
        "minimum_days": 90,
        "citation": "Minn. Stat. § 13.825, subd. 3(a)",
        "summary": "Body-camera data that are not criminal investigative data are kept at "
        "least 90 days.",
    },
    {
        "name": "MN body camera: firearm, bodily harm, complaint",
        "state": "MN",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": ["firearm_discharge", "great_bodily_harm", "complaint"],
        "minimum_days": 365,
        "citation": "Minn. Stat. § 13.825, subd. 3(b)",
        "summary": "Kept at least one year when they document a reportable firearm discharge, "
        "force causing substantial bodily harm (statute; tagged great_bodily_harm here), or a "
        "formal complaint against an officer.",
    },
    {
        "name": "MN body camera: deadly force",
        "state": "MN",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": ["deadly_force"],
        "minimum_days": None,
        "citation": "Minn. Stat. § 13.825, subd. 3(c)",
        "summary": "Data documenting a peace officer's use of deadly force are kept indefinitely.",
    },
    {
        "name": "CA body camera: non-evidentiary minimum (advisory)",
        "state": "CA",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": [],
        "minimum_days": 60,
        "citation": "Cal. Penal Code § 832.18(b)(5)(A)",
        "summary": "Best practice agencies must consider, not a mandate: keep non-evidentiary "
        "footage at least 60 days. Shipped inactive; activate it to apply it.",
        "active": False,
    },
]

DISCLOSURE_DEFAULTS = [
    {
        "name": "MN: public release after a death",
        "state": "MN",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": ["deadly_force"],
        "requester_kind": None,
        "deadline_days": 14,
        "counted_from": "incident",
        "citation": "Minn. Stat. § 13.825, subd. 2(d)",
        "summary": "Footage of an officer's use of force that results in a death becomes "
        "public within 14 days of the incident unless the chief law enforcement officer asserts "
        "in writing that release would interfere with an ongoing investigation (record that as "
        "a `delayed` decision). The statute's trigger is a death from any force; deadly_force "
        "is our closest tag.",
    },
    {
        "name": "MN: next of kin inspection",
        "state": "MN",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": ["deadly_force"],
        "requester_kind": "next_of_kin",
        "deadline_days": 5,
        "counted_from": "request",
        "citation": "Minn. Stat. § 13.825, subd. 2(b)",
        "summary": "After a death from officer force, the deceased's next of kin, their legal "
        "representative, or the other parent of the deceased's children may inspect all the "
        "footage within 5 days of asking.",
    },
    {
        "name": "CA: critical incident recordings",
        "state": "CA",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": ["firearm_discharge", "great_bodily_harm", "deadly_force"],
        "requester_kind": "public",
        "deadline_days": 45,
        "counted_from": "incident",
        "citation": "Cal. Gov. Code § 7923.625 (formerly § 6254(f)(4); AB 748)",
        "summary": "Recordings of an officer firing at a person or of force causing death or "
        "great bodily injury may be withheld at most 45 days after the agency knew of the "
        "incident while release would substantially interfere with an active investigation; "
        "longer delays need written reasons, reassessed every 30 days.",
    },
    {
        "name": "CA: public records response",
        "state": "CA",
        "agency_jurisdictions": STATE_AND_LOCAL,
        "tags": [],
        "requester_kind": "public",
        "deadline_days": 10,
        "counted_from": "request",
        "citation": "Cal. Gov. Code § 7922.535(a)-(b)",
        "summary": "Within 10 days of a request the agency says whether it holds disclosable "
        "records and when it will release them (14 more days in unusual circumstances). "
        "Shipped inactive: it is a response, not a release, deadline.",
        "active": False,
    },
]


def load_defaults():
    """Add the default rules missing by name; returns (retention added, disclosure added)."""
    added = [0, 0]
    for n, (model, rules) in enumerate(
        ((RetentionRule, RETENTION_DEFAULTS), (DisclosureRule, DISCLOSURE_DEFAULTS))
    ):
        for values in rules:
            if model.select().where(model.name == values["name"]).exists():
                continue
            model.create(**values)
            added[n] += 1
    if added[0]:
        retention.recompute_all()
    if added[1]:
        disclosure.rules_changed()
    return tuple(added)
