"""One incident's evidence record as a CASE 1.5 / UCO 1.5 JSON-LD graph (docs/interchange.md).

`export_incident(incident_id, base, sender)` reads the records (`gather`) and maps them to the
graph (`build_graph`); `to_bytes` gives the exact bytes that are signed and served. The mapping
table is in docs/interchange.md; every node id is a UUIDv5 of the service's ids, so two exports
of the same records give the same ids (the bundle node's own id includes its time).

Each custody event is an InvestigativeAction linked to the one before, with a ProvenanceRecord
(the custody after it) and an EventRecord whose payload is exactly the string the service
hashed (`prev_hash` + canonical JSON), so the bundle alone re-verifies every chain.
"""

import json
import os

from service.bulk import signing
from service.bulk.case_graph import (
    APP,
    CONTEXT,
    DEVICE_CLASS,
    SPEC_VERSION,
    Ids,
    blank,
    dec,
    dt,
    hexbin,
    lint,
    num,
    ref,
)
from service.domain import carried, custody, disclosure, hashchain, holds, inventory
from service.domain.time import isoformat_z, utcnow
from service.storage.models import Agency, CarriedCustodyEvent, Involvement, Officer, Source

MEDIA_TYPE = "application/ld+json"


# ---------------------------------------------------------------- reading the records


def _event_dict(event):
    fields = custody.hashed_fields(event)
    return {**fields, "prev_hash": event.prev_hash, "hash": event.hash}


def _carried_chains(source_ids):
    """{source id: [(origin IRI, [events in seq order])]} of the chains carried from bundles."""
    chains = {}
    query = (
        CarriedCustodyEvent.select()
        .where(CarriedCustodyEvent.source.in_(source_ids))
        .order_by(CarriedCustodyEvent.source, CarriedCustodyEvent.id)
    )
    for event in query:
        per_origin = chains.setdefault(event.source_id, {})
        per_origin.setdefault(event.origin, []).append(
            {**carried.carried_fields(event), "prev_hash": event.prev_hash, "hash": event.hash}
        )
    return {
        sid: [(origin, sorted(evs, key=lambda e: e["seq"])) for origin, evs in per.items()]
        for sid, per in chains.items()
    }


def disclosures_of(incident, sources):
    """The incident's disclosure decisions (append-only, oldest first), as dicts: {id, kind,
    decided_at (RFC 3339), basis, source_ids, decided_by}."""
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "decided_at": isoformat_z(d.decided_at),
            "basis": d.basis,
            "source_ids": [int(s) for s in d.source_ids],
            "decided_by": d.created_by,
        }
        for d in disclosure.list_decisions(incident.id)
    ]


def gather(incident_id):
    """The incident's records as plain values (timestamps as the API shows them)."""
    incident = inventory.get_incident(incident_id)
    sources = list(Source.select().where(Source.incident == incident.id).order_by(Source.id))
    source_ids = [s.id for s in sources]
    chains = custody.events_by_source(source_ids)
    carried = _carried_chains(source_ids)
    involvements = {
        inv.officer_id: inv
        for inv in Involvement.select().where(Involvement.incident == incident.id)
    }
    officer_ids = set(involvements) | {s.officer_id for s in sources if s.officer_id}
    officers = list(
        Officer.select(Officer, Agency)
        .join(Agency)
        .where(Officer.id.in_(sorted(officer_ids)))
        .order_by(Officer.id)
    )
    codes = set(incident.agencies) | {o.agency.code for o in officers}
    agencies = list(Agency.select().where(Agency.code.in_(sorted(codes))).order_by(Agency.code))
    hold_list = holds.with_listed_sources(list(holds.covering_incident(incident.id)))
    return {
        "incident": {
            "id": incident.id,
            "external_id": incident.external_id,
            "case_number": incident.case_number,
            "cad_event_id": incident.cad_event_id,
            "title": incident.title,
            "kind": incident.kind,
            "started_at": isoformat_z(incident.started_at),
            "ended_at": isoformat_z(incident.ended_at),
            "location": incident.location,
            "agencies": incident.agencies,
            "status": incident.status,
            "description": incident.description,
        },
        "agencies": [
            {"code": a.code, "name": a.name, "jurisdiction": a.jurisdiction} for a in agencies
        ],
        "officers": [
            {
                "id": o.id,
                "external_id": o.external_id,
                "agency": o.agency.code,
                "badge_number": o.badge_number,
                "name": o.name,
                "camera_issued": o.camera_issued,
                "involvement": (
                    {
                        "role": involvements[o.id].role,
                        "camera_expected": involvements[o.id].camera_expected,
                        "not_recorded_reason": involvements[o.id].not_recorded_reason,
                    }
                    if o.id in involvements
                    else None
                ),
            }
            for o in officers
        ],
        "sources": [
            {
                "id": s.id,
                "external_id": s.external_id,
                "kind": s.kind,
                "officer_id": s.officer_id,
                "device_id": s.device_id,
                "recorded_by": s.recorded_by,
                "recording_started_at": isoformat_z(s.recording_started_at),
                "recording_ended_at": isoformat_z(s.recording_ended_at),
                "clock_offset_seconds": s.clock_offset_seconds,
                "duration_seconds": s.duration_seconds,
                "sha256": s.sha256,
                "size_bytes": s.size_bytes,
                "storage_uri": s.storage_uri,
                "obtained_via": s.obtained_via,
                "derived_from_id": s.derived_from_id,
                "retain_until": s.retain_until.isoformat() if s.retain_until else None,
                "notes": s.notes,
                "custody_status": s.custody_status,
                "review_status": s.review_status,
                "integrity": s.integrity,
                "legal_hold": s.legal_hold,
                "custody_last_seq": s.custody_last_seq,
                "custody_head_hash": s.custody_head_hash,
                "custody": [_event_dict(e) for e in chains[s.id]],
                "carried": carried.get(s.id, []),
            }
            for s in sources
        ],
        "holds": [
            {
                "id": h.id,
                "name": h.name,
                "authority": h.authority,
                "reason": h.reason,
                "incident_id": h.incident_id,
                "source_ids": h.source_ids,
                "active": h.active,
                "created_by": h.created_by,
                "released_by": h.released_by,
                "created_at": isoformat_z(h.created_at),
                "released_at": isoformat_z(h.released_at),
            }
            for h in hold_list
        ],
        "disclosures": disclosures_of(incident, sources),
    }


# ---------------------------------------------------------------- the mapping


class _Builder:
    def __init__(self, data, base, sender):
        self.data = data
        self.id = Ids(base)
        self.sender = sender
        self.nodes = {}  # top-level UcoObjects by id, in order

    def add(self, node):
        self.nodes.setdefault(node["@id"], node)
        return node["@id"]

    def ext_refs(self, record, key, fields):
        """Our identifiers as core:ExternalReference (inherent things, never UcoObjects)."""
        out = []
        for field, value in fields.items():
            if blank(value) is None:
                continue
            out.append(
                {
                    "@id": self.id("ExternalReference", record, key, field),
                    "@type": "uco-core:ExternalReference",
                    "uco-core:definingContext": f"{APP}:{record}.{field}",
                    "uco-core:externalIdentifier": str(value),
                }
            )
        return out

    def identity(self, name):
        """A party known only by a name (custodian, actor, authority, recorded_by)."""
        return self.add(
            {
                "@id": self.id("Identity", "name", name),
                "@type": "uco-identity:Identity",
                "uco-core:name": name,
            }
        )

    def text_location(self, text):
        return self.add(
            {
                "@id": self.id("Location", "text", text),
                "@type": "uco-location:Location",
                "uco-core:name": text,
            }
        )

    def hash_node(self, value):
        value = value.lower()
        return {
            "@id": self.id("Hash", "SHA256", value),
            "@type": "uco-types:Hash",
            "uco-types:hashMethod": "SHA256",  # a plain string: typed, it gives an Info
            "uco-types:hashValue": hexbin(value),
        }

    # -- records

    def agency(self, a):
        node = {
            "@id": self.id("Organization", "agency", a["code"]),
            "@type": "uco-identity:Organization",
            "uco-core:name": a["name"],
            "uco-core:externalReference": self.ext_refs("agency", a["code"], {"code": a["code"]}),
        }
        if blank(a.get("jurisdiction")) is not None:
            node["uco-core:tag"] = [f"jurisdiction={a['jurisdiction']}"]
        return self.add(node)

    def officer(self, o):
        pid = self.id("Person", "officer", o["id"])
        node = {
            "@id": pid,
            "@type": "uco-identity:Person",
            "uco-core:tag": [f"camera_issued={'true' if o.get('camera_issued') else 'false'}"],
            "uco-core:externalReference": self.ext_refs(
                "officer",
                o["id"],
                {
                    "id": o["id"],
                    "external_id": o.get("external_id"),
                    "badge_number": o.get("badge_number"),
                },
            ),
        }
        if blank(o.get("name")) is not None:
            node["uco-core:name"] = o["name"]
        self.add(node)
        self.add(
            {
                "@id": self.id("Relationship", "member-of", o["id"], o["agency"]),
                "@type": "uco-core:Relationship",
                "uco-core:kindOfRelationship": "Member_Of",
                "uco-core:isDirectional": True,
                "uco-core:source": ref(pid),
                "uco-core:target": ref(self.id("Organization", "agency", o["agency"])),
            }
        )
        inv = o.get("involvement")
        if inv:
            incident_id = self.data["incident"]["id"]
            role = {
                "@id": self.id("Role", "involvement", incident_id, o["id"]),
                "@type": "uco-role:Role",
                "uco-core:name": inv["role"],
                "uco-core:tag": [
                    f"camera_expected={'true' if inv.get('camera_expected') else 'false'}"
                ],
            }
            if blank(inv.get("not_recorded_reason")) is not None:
                role["uco-core:description"] = inv["not_recorded_reason"]
            self.add(role)
            self.add(
                {
                    "@id": self.id("Relationship", "has-role", incident_id, o["id"]),
                    "@type": "uco-core:Relationship",
                    "uco-core:kindOfRelationship": "Has_Role",
                    "uco-core:isDirectional": True,
                    "uco-core:source": ref(pid),
                    "uco-core:target": ref(role["@id"]),
                }
            )
        return pid

    def source(self, s):
        sid = s["id"]
        fid = self.id("File", "source", sid)
        tags = [f"kind={s['kind']}"]
        for field in ("obtained_via", "custody_status", "review_status", "integrity"):
            if blank(s.get(field)) is not None:
                tags.append(f"{field}={s[field]}")
        for field in ("clock_offset_seconds", "duration_seconds"):
            if s.get(field) is not None:
                tags.append(f"{field}={num(s[field])}")
        if s.get("retain_until"):
            tags.append(f"retain_until={s['retain_until']}")
        tags.append(f"legal_hold={'true' if s.get('legal_hold') else 'false'}")
        tags.append(f"custody_last_seq={s.get('custody_last_seq') or 0}")
        if blank(s.get("custody_head_hash")) is not None:
            tags.append(f"custody_head_hash={s['custody_head_hash']}")
        for origin, events in s.get("carried") or []:
            tags.append(f"carried_head={origin} {events[-1]['hash']}")

        content = {
            "@id": self.id("ContentDataFacet", "source", sid),
            "@type": "uco-observable:ContentDataFacet",
        }
        if s.get("size_bytes") is not None:
            content["uco-observable:sizeInBytes"] = int(s["size_bytes"])
        if blank(s.get("sha256")) is not None:
            content["uco-observable:hash"] = [self.hash_node(s["sha256"])]
        if blank(s.get("storage_uri")) is not None:
            url = self.add(
                {
                    "@id": self.id("URL", "storage", sid),
                    "@type": "uco-observable:URL",
                    "uco-core:hasFacet": [
                        {
                            "@id": self.id("URLFacet", "storage", sid),
                            "@type": "uco-observable:URLFacet",
                            "uco-observable:fullValue": s["storage_uri"],
                        }
                    ],
                }
            )
            content["uco-observable:dataPayloadReferenceURL"] = ref(url)
        node = {
            "@id": fid,
            "@type": "uco-observable:File",
            "uco-core:tag": tags,
            "uco-core:externalReference": self.ext_refs(
                "source", sid, {"id": sid, "external_id": s.get("external_id")}
            ),
        }
        if len(content) > 2:
            node["uco-core:hasFacet"] = [content]
        if blank(s.get("notes")) is not None:
            node["uco-core:description"] = s["notes"]
        if s.get("derived_from_id") is not None:
            node["case-investigation:wasDerivedFrom"] = ref(
                self.id("File", "source", s["derived_from_id"])
            )
        self.add(node)
        self.recording(s, fid)
        self.chain(sid, fid, s.get("custody") or [], ("custody", sid), None)
        for origin, events in s.get("carried") or []:
            self.chain(sid, fid, events, ("carried", sid, origin), origin)
        return fid

    def recording(self, s, fid):
        """The act of recording: performer recorded_by, participant the officer, instrument
        the device, start and end the recording times, result the file."""
        sid = s["id"]
        act = {
            "@id": self.id("Action", "recording", sid),
            "@type": "uco-action:Action",
            "uco-core:name": "recording",
            "uco-action:result": [ref(fid)],
        }
        if blank(s.get("recorded_by")) is not None:
            act["uco-action:performer"] = ref(self.identity(s["recorded_by"]))
        if s.get("officer_id") is not None:
            act["uco-action:participant"] = [ref(self.id("Person", "officer", s["officer_id"]))]
        if blank(s.get("device_id")) is not None:
            device = {
                "@id": self.id("Device", "device", s["device_id"]),
                "@type": DEVICE_CLASS.get(s["kind"], "uco-observable:Device"),
                "uco-core:externalReference": self.ext_refs(
                    "source", f"device:{s['device_id']}", {"device_id": s["device_id"]}
                ),
                "uco-core:hasFacet": [
                    {
                        "@id": self.id("DeviceFacet", "device", s["device_id"]),
                        "@type": "uco-observable:DeviceFacet",
                        "uco-observable:deviceType": s["kind"],
                    }
                ],
            }
            act["uco-action:instrument"] = [ref(self.add(device))]
        if blank(s.get("recording_started_at")) is not None:
            act["uco-action:startTime"] = dt(s["recording_started_at"])
        if blank(s.get("recording_ended_at")) is not None:
            act["uco-action:endTime"] = dt(s["recording_ended_at"])
        self.add(act)

    def chain(self, sid, fid, events, key, origin):
        """One custody chain: the source's own (origin None) or one carried from a bundle."""
        prev = (None, None, None)
        for event in events:
            prev = self.custody_event(sid, fid, event, key, origin, *prev)

    def custody_event(self, sid, fid, ev, key, origin, prev_action, prev_record, prev_entry):
        seq = ev["seq"]
        aid = self.id("InvestigativeAction", *key, seq)
        prid = self.id("ProvenanceRecord", *key, seq)
        erid = self.id("EventRecord", *key, seq)
        whose = f"carried from {origin}" if origin else "of this service"
        self.add(
            {
                "@id": prid,
                "@type": "case-investigation:ProvenanceRecord",
                "uco-core:description": f"Custody of source {sid} after custody event {seq} "
                f"({ev['action']}), {whose}",
                "uco-core:object": [ref(fid)],
            }
        )
        # The hash-chained log entry verbatim: its payload is the string that was hashed.
        fields = {k: ev[k] for k in custody.HASHED_FIELDS}
        fields.update({k: ev[k] for k in custody.OPTIONAL_HASHED_FIELDS if ev.get(k) is not None})
        payload = ev["prev_hash"] + hashchain.canonical_json(fields)
        entry = {
            "@id": erid,
            "@type": "uco-observable:EventRecord",
            "uco-core:hasFacet": [
                {
                    "@id": self.id("EventRecordFacet", *key, seq),
                    "@type": "uco-observable:EventRecordFacet",
                    "uco-observable:eventRecordID": f"{ev['source_id']}:{seq}",
                    "uco-observable:eventType": ev["action"],
                    "uco-observable:observableCreatedTime": dt(ev["recorded_at"]),
                },
                {
                    "@id": self.id("ContentDataFacet", *key, seq),
                    "@type": "uco-observable:ContentDataFacet",
                    "uco-observable:mimeType": "application/json",
                    "uco-observable:dataPayload": payload,
                    "uco-observable:sizeInBytes": len(payload.encode("utf-8")),
                    "uco-observable:hash": [self.hash_node(ev["hash"])],
                },
            ],
        }
        if origin:
            entry["uco-core:tag"] = [f"carried_from={origin}"]
        if prev_entry:
            entry["case-investigation:wasDerivedFrom"] = ref(prev_entry)
        self.add(entry)
        results = [ref(prid), ref(erid)]
        if blank(ev.get("sha256_observed")) is not None:
            results.append(
                ref(
                    self.add(
                        {
                            "@id": self.id("ContentData", "observed", *key, seq),
                            "@type": "uco-observable:ContentData",
                            "uco-core:description": f"Content of source {sid} as observed at "
                            f"custody event {seq}",
                            "uco-core:hasFacet": [
                                {
                                    "@id": self.id("ContentDataFacet", "observed", *key, seq),
                                    "@type": "uco-observable:ContentDataFacet",
                                    "uco-observable:hash": [self.hash_node(ev["sha256_observed"])],
                                }
                            ],
                        }
                    )
                )
            )
        act = {
            "@id": aid,
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": ev["action"],
            "uco-action:startTime": dt(ev["occurred_at"]),
            "uco-action:endTime": dt(ev["occurred_at"]),
            "uco-action:object": [ref(fid)] + ([ref(prev_record)] if prev_record else []),
            "uco-action:result": results,
            "uco-action:performer": ref(self.identity(ev["actor"])),
            "uco-core:createdBy": ref(self.identity(ev["actor"])),
            "uco-core:objectCreatedTime": dt(ev["recorded_at"]),
        }
        if blank(ev.get("custodian")) is not None:
            act["uco-action:participant"] = [ref(self.identity(ev["custodian"]))]
        if blank(ev.get("location")) is not None:
            act["uco-action:location"] = [ref(self.text_location(ev["location"]))]
        if blank(ev.get("note")) is not None:
            act["uco-core:description"] = ev["note"]
        if prev_action:
            act["case-investigation:wasInformedBy"] = [ref(prev_action)]
        self.add(act)
        return aid, prid, erid

    def hold(self, h, investigation):
        hid = h["id"]
        auth = {
            "@id": self.id("Authorization", "legal-hold", hid),
            "@type": "case-investigation:Authorization",
            "case-investigation:authorizationType": "legal_hold",
            "uco-core:name": h["name"],
            "uco-core:startTime": dt(h["created_at"]),
            "uco-core:tag": [f"active={'true' if h.get('active') else 'false'}"],
            "uco-core:externalReference": self.ext_refs("legal_hold", hid, {"id": hid}),
        }
        if blank(h.get("reason")) is not None:
            auth["uco-core:description"] = h["reason"]
        if blank(h.get("released_at")) is not None:
            auth["uco-core:endTime"] = dt(h["released_at"])
        self.add(auth)
        covered = (
            [ref(investigation)]
            if h.get("incident_id") is not None
            else [ref(self.id("File", "source", x)) for x in h.get("source_ids") or []]
        )
        placed = {
            "@id": self.id("InvestigativeAction", "legal-hold-placed", hid),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": "legal_hold_placed",
            "uco-action:startTime": dt(h["created_at"]),
            "uco-action:object": covered,
            "uco-action:result": [ref(auth["@id"])],
        }
        if blank(h.get("authority")) is not None:
            placed["uco-action:performer"] = ref(self.identity(h["authority"]))
        if blank(h.get("created_by")) is not None:
            placed["uco-core:createdBy"] = ref(self.identity(h["created_by"]))
        self.add(placed)
        if blank(h.get("released_at")) is not None:
            released = {
                "@id": self.id("InvestigativeAction", "legal-hold-released", hid),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": "legal_hold_released",
                "uco-action:startTime": dt(h["released_at"]),
                "uco-action:object": [ref(auth["@id"])],
                "case-investigation:wasInformedBy": [ref(placed["@id"])],
            }
            if blank(h.get("released_by")) is not None:
                released["uco-core:createdBy"] = ref(self.identity(h["released_by"]))
            self.add(released)
        return auth["@id"]

    def disclosure(self, d, investigation):
        did = d["id"]
        objects = [ref(self.id("File", "source", x)) for x in d.get("source_ids") or []]
        objects = objects or [ref(investigation)]
        annotation = {
            "@id": self.id("Annotation", "disclosure", did),
            "@type": "uco-core:Annotation",
            "uco-core:statement": d["kind"],
            "uco-core:tag": ["disclosure_decision"],
            "uco-core:object": objects,
            "uco-core:objectCreatedTime": dt(d["decided_at"]),
            "uco-core:externalReference": self.ext_refs("disclosure", did, {"id": did}),
        }
        if blank(d.get("basis")) is not None:
            annotation["uco-core:description"] = d["basis"]
        self.add(annotation)
        act = {
            "@id": self.id("InvestigativeAction", "disclosure", did),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": "disclosure_decision",
            "uco-action:endTime": dt(d["decided_at"]),
            "uco-action:object": objects,
            "uco-action:result": [ref(annotation["@id"])],
        }
        if blank(d.get("decided_by")) is not None:
            act["uco-action:performer"] = ref(self.identity(d["decided_by"]))
        self.add(act)

    def location(self, inc):
        loc = inc.get("location") or {}
        facets = []
        address = {
            prop: loc.get(name)
            for name, prop in (
                ("address", "uco-location:street"),
                ("city", "uco-location:locality"),
                ("state", "uco-location:region"),
            )
            if blank(loc.get(name)) is not None
        }
        if address:
            facets.append(
                {
                    "@id": self.id("SimpleAddressFacet", "incident", inc["id"]),
                    "@type": "uco-location:SimpleAddressFacet",
                    **address,
                }
            )
        if loc.get("latitude") is not None and loc.get("longitude") is not None:
            facets.append(
                {
                    "@id": self.id("LatLongCoordinatesFacet", "incident", inc["id"]),
                    "@type": "uco-location:LatLongCoordinatesFacet",
                    "uco-location:latitude": dec(loc["latitude"]),
                    "uco-location:longitude": dec(loc["longitude"]),
                }
            )
        if not facets:
            return None
        return self.add(
            {
                "@id": self.id("Location", "incident", inc["id"]),
                "@type": "uco-location:Location",
                "uco-core:hasFacet": facets,
            }
        )

    def build(self, exported_at):
        inc = self.data["incident"]
        iid = inc["id"]
        investigation = self.id("Investigation", "incident", iid)
        for a in self.data["agencies"]:
            self.agency(a)
        for o in self.data["officers"]:
            self.officer(o)
        # The incident as it happened: a core:Event, with its place and its agencies.
        event = {
            "@id": self.id("Event", "incident", iid),
            "@type": "uco-core:Event",
            "uco-core:name": inc["title"],
            "uco-core:eventType": inc["kind"],
            "uco-core:startTime": dt(inc["started_at"]),
        }
        if blank(inc.get("ended_at")) is not None:
            event["uco-core:endTime"] = dt(inc["ended_at"])
        context = []
        place = self.location(inc)
        if place:
            context.append(ref(place))
        context += [ref(self.id("Organization", "agency", c)) for c in inc.get("agencies") or []]
        if context:
            event["uco-core:eventContext"] = context
        self.add(event)

        exported = set()
        for s in self.data["sources"]:
            self.source(s)
            exported.add(s["id"])
        # A parent outside this export: a stub File carrying only its id (UUIDv5s cannot
        # be inverted, so the reference stays resolvable to our id).
        for s in self.data["sources"]:
            parent = s.get("derived_from_id")
            if parent is not None and parent not in exported:
                exported.add(parent)
                self.add(
                    {
                        "@id": self.id("File", "source", parent),
                        "@type": "uco-observable:File",
                        "uco-core:description": f"Source {parent} (not part of this export)",
                        "uco-core:externalReference": self.ext_refs(
                            "source", parent, {"id": parent}
                        ),
                    }
                )
        authorizations = [self.hold(h, investigation) for h in self.data["holds"]]
        for d in self.data["disclosures"]:
            self.disclosure(d, investigation)

        node = {
            "@id": investigation,
            "@type": "case-investigation:Investigation",
            "case-investigation:investigationForm": "incident",
            "case-investigation:focus": [inc["kind"]],
            "uco-core:name": inc["title"],
            "uco-core:externalReference": self.ext_refs(
                "incident",
                iid,
                {
                    "id": iid,
                    "external_id": inc.get("external_id"),
                    "case_number": inc.get("case_number"),
                    "cad_event_id": inc.get("cad_event_id"),
                },
            ),
            "uco-core:object": [ref(i) for i in self.nodes],
        }
        if blank(inc.get("status")) is not None:
            node["case-investigation:investigationStatus"] = inc["status"]
        if blank(inc.get("description")) is not None:
            node["uco-core:description"] = inc["description"]
        if authorizations:
            node["case-investigation:relevantAuthorization"] = [ref(a) for a in authorizations]
        sender = self.identity(self.sender)
        bundle = {
            "@id": self.id("Bundle", "export", iid, exported_at),
            "@type": "uco-core:Bundle",
            "uco-core:name": f"{APP} export of incident {iid}",
            "uco-core:specVersion": SPEC_VERSION,
            "uco-core:createdBy": ref(sender),
            "uco-core:objectCreatedTime": dt(exported_at),
            "uco-core:object": [ref(investigation)] + [ref(i) for i in self.nodes],
        }
        return {
            "@context": dict(CONTEXT, kb=self.id.base),
            "@graph": [bundle, node, *self.nodes.values()],
        }


def build_graph(data, base, sender, exported_at):
    """Map `gather`'s records to the CASE JSON-LD document (a dict)."""
    doc = _Builder(data, base, sender).build(exported_at)
    lint(doc)
    return doc


def export_incident(incident_id, base, sender):
    """The incident's CASE JSON-LD document. `base`: the deployment's base IRI (ids are
    UUIDv5s in its namespace); `sender`: the name of the exporting organisation."""
    return build_graph(gather(incident_id), base, sender, isoformat_z(utcnow()))


def to_bytes(doc):
    """The bytes served, written and signed (UTF-8, keys in the order built)."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def instance_settings(config):
    """(base IRI, sender name) of this instance's bundles, from the app's configuration."""
    base = config["CASE_BASE_URI"] or signing.instance_base(config["SIGNING_KEY_FILE"])
    return base, config["AGENCY_NAME"] or base


def bundle_names(incident_id):
    stem = f"incident-{incident_id}.jsonld"
    return stem, f"{stem}.sig", "public_key.pem"


def write_signed_bundle(incident_id, directory, config):
    """Write the incident's bundle into `directory`: the graph's exact bytes, the detached
    Ed25519 signature of those bytes (raw, 64 bytes) and the public key (PEM). Returns the
    three paths and the key's fingerprint."""
    base, sender = instance_settings(config)
    data = to_bytes(export_incident(incident_id, base, sender))
    key_path = config["SIGNING_KEY_FILE"]
    signature = signing.sign(key_path, data)
    pem = signing.public_pem(signing.private_key(key_path))
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, name) for name in bundle_names(incident_id)]
    for path, content in zip(paths, (data, signature, pem.encode("ascii")), strict=True):
        with open(path, "wb") as out:
            out.write(content)
    return paths, signing.fingerprint(pem)
