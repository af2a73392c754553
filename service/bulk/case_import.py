"""Another agency's CASE bundle taken in as an incident (docs/interchange.md, "Importing").

`import_bundle(data, signature, public_key, ...)` checks, in this order, and refuses (422,
naming the first broken item) anything that does not hold: the Ed25519 signature over the
exact bytes (unless the caller accepts an unsigned bundle, which is recorded), the graph's
shape and ids (the investigation's and each file's id must be the UUIDv5 of the ids they
carry), every file hash, and every custody chain the bundle holds: each log entry's payload
hashes to its hash, is in canonical form, links to the entry before, counts 1..n, names its
file, agrees with its investigative action, and the chain ends in the head the file records.

Then, in one transaction, through the same domain functions as the API: the agencies (by
code), officers (by agency and badge number), the incident, its involvements and sources;
each source's chains carried over verbatim (CarriedCustodyEvent, re-verifiable as the
sender's), and a `received` event naming the sending agency starting the source's own chain.
The bundle is kept as received. An investigation already imported is matched by its id, so the
same bundle twice changes nothing.

The reader understands the shape this service writes (case_export.py), not every CASE graph.
"""

import hashlib
import json
import re

from marshmallow import ValidationError
from peewee import IntegrityError

from schemas.agency import AgencySchema
from schemas.incident import IncidentSchema
from schemas.involvement import InvolvementSchema
from schemas.officer import OfficerSchema
from schemas.source import SourceSchema
from service.bulk import signing
from service.bulk.case_graph import APP, GENESIS, Ids, payload_hash
from service.domain import custody, hashchain, inventory
from service.domain.errors import Conflict, DomainError
from service.domain.vocabulary import CUSTODY_ACTIONS, MAX_ID
from service.storage.db import database
from service.storage.models import Agency, CarriedCustodyEvent, CaseImport, Officer

HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_EXTERNAL_ID = 200


class BundleRefused(DomainError):
    """The bundle does not verify (or cannot be read): `item` names the first broken item."""

    status = 422

    def __init__(self, item, problem):
        super().__init__(f"{item}: {problem}", {"bundle": {item: [problem]}})
        self.item = item


# ---------------------------------------------------------------- reading the graph


class _Graph:
    def __init__(self, doc):
        if not isinstance(doc, dict) or not isinstance(doc.get("@graph"), list):
            raise BundleRefused("bundle", "is not a JSON-LD document with a @graph")
        context = doc.get("@context")
        self.base = context.get("kb") if isinstance(context, dict) else None
        if not isinstance(self.base, str) or not self.base:
            raise BundleRefused("@context", "names no kb base IRI")
        self.ids = Ids(self.base)
        self.nodes = {}
        for node in doc["@graph"]:
            if not isinstance(node, dict) or not isinstance(node.get("@id"), str):
                raise BundleRefused("@graph", "holds a node without an @id")
            self.nodes[node["@id"]] = node

    def of_type(self, type_):
        return [n for n in self.nodes.values() if n.get("@type") == type_]

    def one(self, type_):
        found = self.of_type(type_)
        if len(found) != 1:
            raise BundleRefused(type_, f"the bundle must hold exactly one ({len(found)} found)")
        return found[0]

    def get(self, link):
        return self.nodes.get(link["@id"]) if isinstance(link, dict) else None


def _list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ext(node, field):
    for reference in _list(node.get("uco-core:externalReference")):
        if reference.get("uco-core:definingContext") == f"{APP}:{field}":
            return reference.get("uco-core:externalIdentifier")
    return None


def _tags(node):
    out = {}
    for tag in _list(node.get("uco-core:tag")):
        if isinstance(tag, str) and "=" in tag:
            name, _, value = tag.partition("=")
            out.setdefault(name, value)
    return out


def _literal(value):
    return value.get("@value") if isinstance(value, dict) else value


def _int(text, item):
    try:
        return int(text)
    except (TypeError, ValueError) as exc:
        raise BundleRefused(item, f"{text!r} is not a whole number") from exc


def _float(text):
    return None if text is None else float(text)


def _text(value):
    return value if isinstance(value, str) else None


def _name(graph, link):
    node = graph.get(link)
    return node.get("uco-core:name") if node else None


# ---------------------------------------------------------------- the records


def _agencies(graph):
    out = {}
    for node in graph.of_type("uco-identity:Organization"):
        code = _ext(node, "agency.code")
        if code is not None:
            out[node["@id"]] = {
                "code": code,
                "name": node.get("uco-core:name"),
                "jurisdiction": _tags(node).get("jurisdiction", "other"),
            }
    return out


def _officers(graph, agencies):
    relations = {}
    for rel in graph.of_type("uco-core:Relationship"):
        source = rel.get("uco-core:source", {}).get("@id")
        relations[(source, rel.get("uco-core:kindOfRelationship"))] = rel["uco-core:target"]
    officers = {}
    for node in graph.of_type("uco-identity:Person"):
        item = f"officer {node['@id']}"
        agency = agencies.get(relations.get((node["@id"], "Member_Of"), {}).get("@id"))
        if agency is None:
            raise BundleRefused(item, "is a member of no agency in the bundle")
        officer = {
            "item": item,
            "iri": graph.ids.full(node["@id"]),
            "sender_id": _ext(node, "officer.id"),
            "agency": agency["code"],
            "badge_number": _ext(node, "officer.badge_number"),
            "name": node.get("uco-core:name"),
            "camera_issued": _tags(node).get("camera_issued") == "true",
            "involvement": None,
        }
        role = graph.get(relations.get((node["@id"], "Has_Role")))
        if role:
            officer["involvement"] = {
                "role": role.get("uco-core:name"),
                "camera_expected": _tags(role).get("camera_expected") == "true",
                "not_recorded_reason": role.get("uco-core:description"),
            }
        officers[node["@id"]] = officer
    return officers


def _incident(graph, investigation, agencies):
    event = graph.one("uco-core:Event")
    values = {
        "external_id": graph.ids.full(investigation["@id"]),
        "case_number": _ext(investigation, "incident.case_number"),
        "cad_event_id": _ext(investigation, "incident.cad_event_id"),
        "title": investigation.get("uco-core:name"),
        "kind": event.get("uco-core:eventType"),
        "started_at": _literal(event.get("uco-core:startTime")),
        "ended_at": _literal(event.get("uco-core:endTime")),
        "status": investigation.get("case-investigation:investigationStatus"),
        "description": investigation.get("uco-core:description"),
        "agencies": [],
    }
    for link in _list(event.get("uco-core:eventContext")):
        if link["@id"] in agencies:
            values["agencies"].append(agencies[link["@id"]]["code"])
        node = graph.get(link)
        if node and node.get("@type") == "uco-location:Location":
            location = {}
            for facet in _list(node.get("uco-core:hasFacet")):
                for name, prop in (
                    ("address", "uco-location:street"),
                    ("city", "uco-location:locality"),
                    ("state", "uco-location:region"),
                ):
                    if prop in facet:
                        location[name] = facet[prop]
                for name in ("latitude", "longitude"):
                    if f"uco-location:{name}" in facet:
                        location[name] = float(_literal(facet[f"uco-location:{name}"]))
            values["location"] = location
    return {k: v for k, v in values.items() if v is not None}


def _chains(graph):
    """{(file id, origin or None): [(seq, payload, hash, action node, entry id)]}."""
    chains = {}
    for action in graph.of_type("case-investigation:InvestigativeAction"):
        for link in _list(action.get("uco-action:result")):
            entry = graph.get(link)
            if not entry or entry.get("@type") != "uco-observable:EventRecord":
                continue
            objects = _list(action.get("uco-action:object"))
            file_id = objects[0]["@id"] if objects else None
            content = next(
                (
                    f
                    for f in _list(entry.get("uco-core:hasFacet"))
                    if f.get("@type") == "uco-observable:ContentDataFacet"
                ),
                None,
            )
            item = f"custody log entry {entry['@id']}"
            if content is None or file_id is None:
                raise BundleRefused(item, "has no payload or names no file")
            payload = content.get("uco-observable:dataPayload")
            hashes = _list(content.get("uco-observable:hash"))
            if not isinstance(payload, str) or len(hashes) != 1:
                raise BundleRefused(item, "needs one payload and one hash")
            origin = _tags(entry).get("carried_from")
            value = _literal(hashes[0].get("uco-types:hashValue"))
            chains.setdefault((file_id, origin), []).append((payload, value, action, entry["@id"]))
    return chains


# The carried columns' limits (models.CarriedCustodyEvent).
TEXT_LIMITS = {
    "custodian": 300,
    "location": 300,
    "sha256_observed": 64,
    "note": None,
    "actor": 200,
    "occurred_at": 40,
    "recorded_at": 40,
    "late_entry_reason": None,
}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")


def _check_event_fields(fields, item):
    """The values a custody event can hold, so that a carried event is stored as it is."""
    for name in ("source_id", "seq"):
        value = fields[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
            raise BundleRefused(item, f"{name} must be a whole number from 1 to {MAX_ID}")
    if fields["action"] not in CUSTODY_ACTIONS:
        raise BundleRefused(item, f"action must be one of: {', '.join(CUSTODY_ACTIONS)}")
    for name, limit in TEXT_LIMITS.items():
        value = fields.get(name)
        required = name in ("actor", "occurred_at", "recorded_at")
        if value is None and not required:
            continue
        if not isinstance(value, str) or (limit is not None and len(value) > limit):
            raise BundleRefused(item, f"{name} must be text of at most {limit} characters")
    for name in ("occurred_at", "recorded_at"):
        if not RFC3339.match(fields[name]):
            raise BundleRefused(item, f"{name} is not an RFC 3339 time")


def _verify_chain(graph, file_id, origin, entries, head, expected_source_id):
    """The chain's events as carried rows, or BundleRefused at the first broken item."""
    whose = f"carried chain from {origin}" if origin else "custody chain"
    parsed = []
    for payload, value, action, entry_id in entries:
        item = f"{whose} of file {file_id}, entry {entry_id}"
        if not isinstance(value, str) or not HEX64.match(value):
            raise BundleRefused(item, "its hash is not 64 lower-case hex digits")
        if payload_hash(payload) != value:
            raise BundleRefused(item, "its payload does not hash to its hash (it was changed)")
        try:
            fields = json.loads(payload[64:])
        except ValueError as exc:
            raise BundleRefused(item, "its payload is not prev_hash + JSON") from exc
        if not isinstance(fields, dict) or not (
            set(custody.HASHED_FIELDS)
            <= set(fields)
            <= set(custody.HASHED_FIELDS) | set(custody.OPTIONAL_HASHED_FIELDS)
        ):
            raise BundleRefused(item, "its payload does not hold the custody event's fields")
        if hashchain.canonical_json(fields) != payload[64:]:
            raise BundleRefused(item, "its payload is not in canonical form")
        _check_event_fields(fields, item)
        if action.get("uco-core:name") != fields["action"]:
            raise BundleRefused(item, "its investigative action names another action")
        if _literal(action.get("uco-action:startTime")) != fields["occurred_at"]:
            raise BundleRefused(item, "its investigative action gives another time")
        parsed.append((fields["seq"], payload[:64], value, fields, item))
    parsed.sort(key=lambda p: p[0] if isinstance(p[0], int) else -1)
    prev = GENESIS
    rows = []
    for n, (seq, prev_hash, value, fields, item) in enumerate(parsed, start=1):
        if seq != n:
            raise BundleRefused(item, f"is event {seq} where event {n} was expected")
        if prev_hash != prev:
            raise BundleRefused(item, f"event {n} does not link to event {n - 1}")
        if expected_source_id is not None and fields["source_id"] != expected_source_id:
            raise BundleRefused(item, "belongs to another source")
        rows.append({**fields, "prev_hash": prev_hash, "hash": value})
        prev = value
    if head is not None and prev != head:
        raise BundleRefused(
            f"{whose} of file {file_id}", "does not end in the head hash the file records"
        )
    if head is None and rows:
        raise BundleRefused(f"{whose} of file {file_id}", "the file records no head hash")
    return rows


def _sources(graph, officers, chains):
    recordings = {}
    for action in graph.of_type("uco-action:Action"):
        if action.get("uco-core:name") == "recording":
            for link in _list(action.get("uco-action:result")):
                recordings[link["@id"]] = action
    sources = []
    for node in graph.of_type("uco-observable:File"):
        tags = _tags(node)
        if "kind" not in tags:
            continue  # a stub for a parent outside the export
        item = f"file {node['@id']}"
        sender_id = _int(_ext(node, "source.id"), item)
        if node["@id"] != graph.ids("File", "source", sender_id):
            raise BundleRefused(item, "its id is not the one its source id gives (edited?)")
        content = next(iter(_list(node.get("uco-core:hasFacet"))), {})
        hashes = _list(content.get("uco-observable:hash"))
        sha256 = _literal(hashes[0].get("uco-types:hashValue")) if hashes else None
        if sha256 is not None and not HEX64.match(str(sha256)):
            raise BundleRefused(item, "its SHA-256 is not 64 lower-case hex digits")
        url = graph.get(content.get("uco-observable:dataPayloadReferenceURL"))
        storage_uri = None
        if url:
            storage_uri = _list(url.get("uco-core:hasFacet"))[0].get("uco-observable:fullValue")
        recording = recordings.get(node["@id"], {})
        instrument = graph.get(next(iter(_list(recording.get("uco-action:instrument"))), None))
        officer = next(iter(_list(recording.get("uco-action:participant"))), {}).get("@id")
        values = {
            "external_id": graph.ids.full(node["@id"]),
            "kind": tags["kind"],
            "device_id": _ext(instrument, "source.device_id") if instrument else None,
            "recorded_by": _name(graph, recording.get("uco-action:performer")),
            "recording_started_at": _literal(recording.get("uco-action:startTime")),
            "recording_ended_at": _literal(recording.get("uco-action:endTime")),
            "clock_offset_seconds": _float(tags.get("clock_offset_seconds")) or 0.0,
            "duration_seconds": _float(tags.get("duration_seconds")),
            "sha256": sha256,
            "size_bytes": content.get("uco-observable:sizeInBytes"),
            "storage_uri": storage_uri,
            "obtained_via": tags.get("obtained_via"),
            "notes": node.get("uco-core:description"),
        }
        own = _verify_chain(
            graph,
            node["@id"],
            None,
            chains.pop((node["@id"], None), []),
            tags.get("custody_head_hash"),
            sender_id,
        )
        carried = {"origin": graph.ids.full(node["@id"]), "events": own} if own else None
        chains_out = [carried] if carried else []
        heads = {}
        for tag in _list(node.get("uco-core:tag")):
            if isinstance(tag, str) and tag.startswith("carried_head="):
                origin, _, head = tag[len("carried_head=") :].rpartition(" ")
                heads[origin] = head
        for origin, head in heads.items():
            events = _verify_chain(
                graph, node["@id"], origin, chains.pop((node["@id"], origin), []), head, None
            )
            chains_out.append({"origin": origin, "events": events})
        sources.append(
            {
                "item": item,
                "id": node["@id"],
                "values": {k: v for k, v in values.items() if v is not None},
                "officer": officers.get(officer),
                "derived_from": node.get("case-investigation:wasDerivedFrom", {}).get("@id"),
                "chains": chains_out,
            }
        )
    if chains:
        (file_id, origin), _ = next(iter(chains.items()))
        raise BundleRefused(
            f"custody chain of {file_id}", f"belongs to no source of the bundle ({origin})"
        )
    # Masters before their copies, so a copy can point at the master imported with it.
    ordered, placed, waiting = [], set(), sources
    in_bundle = {s["id"] for s in sources}
    while waiting:
        ready = [
            s for s in waiting if s["derived_from"] not in in_bundle or s["derived_from"] in placed
        ]
        if not ready:
            raise BundleRefused(waiting[0]["item"], "is derived from itself (a cycle of copies)")
        ordered += ready
        placed |= {s["id"] for s in ready}
        waiting = [s for s in waiting if s["id"] not in placed]
    return ordered


def read_bundle(data):
    """The bundle's records, every hash and chain checked (BundleRefused otherwise)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleRefused("bundle", f"is not JSON in UTF-8 ({exc})") from exc
    try:
        return _read(doc)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        # A node of an unexpected shape (a list where an object belongs...): not a bundle
        # this service wrote, whatever the exact slip.
        raise BundleRefused(
            "bundle", f"is not in the shape this service writes ({type(exc).__name__}: {exc})"
        ) from exc


def _read(doc):
    graph = _Graph(doc)
    bundle = graph.one("uco-core:Bundle")
    investigation = graph.one("case-investigation:Investigation")
    sender_incident = _int(_ext(investigation, "incident.id"), "investigation")
    if investigation["@id"] != graph.ids("Investigation", "incident", sender_incident):
        raise BundleRefused(
            f"investigation {investigation['@id']}",
            "its id is not the one its incident id gives (edited, or not from this software)",
        )
    agencies = _agencies(graph)
    officers = _officers(graph, agencies)
    sources = _sources(graph, officers, _chains(graph))
    return {
        "base": graph.base,
        "investigation": graph.ids.full(investigation["@id"]),
        "sender": _text(_name(graph, bundle.get("uco-core:createdBy"))) or graph.base,
        "agencies": list(agencies.values()),
        "officers": list(officers.values()),
        "incident": _incident(graph, investigation, agencies),
        "sources": sources,
    }


# ---------------------------------------------------------------- writing


def _load(schema, values, item):
    try:
        return schema.load(values)
    except ValidationError as exc:
        field, problems = next(iter(exc.messages.items()))
        raise BundleRefused(item, f"{field}: {problems}") from exc


def _checked_external_id(iri, item):
    if len(iri) > MAX_EXTERNAL_ID:
        raise BundleRefused(item, f"its IRI is longer than {MAX_EXTERNAL_ID} characters")
    return iri


def _write(records, data, signature, public_key, actor, receiver, records_sha256):
    for agency in records["agencies"]:
        if Agency.get_or_none(Agency.code == agency["code"]) is None:
            inventory.create_agency(_load(AgencySchema(), agency, f"agency {agency['code']}"))
    officer_ids = {}
    for officer in records["officers"]:
        found = (
            Officer.select()
            .join(Agency)
            .where(
                (Agency.code == officer["agency"])
                & (Officer.badge_number == officer["badge_number"])
            )
            .first()
        )
        if found is None:
            values = {
                "external_id": _checked_external_id(officer["iri"], officer["item"]),
                "agency": officer["agency"],
                "badge_number": officer["badge_number"],
                "name": officer["name"],
                "camera_issued": officer["camera_issued"],
            }
            found = inventory.create_officer(_load(OfficerSchema(), values, officer["item"]))
        officer_ids[officer["iri"]] = found.id
    incident_values = records["incident"]
    _checked_external_id(incident_values["external_id"], "investigation")
    incident = inventory.create_incident(_load(IncidentSchema(), incident_values, "investigation"))
    for officer in records["officers"]:
        if officer["involvement"]:
            values = {"officer_id": officer_ids[officer["iri"]], **officer["involvement"]}
            values = {k: v for k, v in values.items() if v is not None}
            inventory.involve_officer(incident, _load(InvolvementSchema(), values, officer["item"]))
    kept = CaseImport.create(
        investigation=records["investigation"],
        incident=incident.id,
        sender=records["sender"][:300],
        bundle_sha256=hashlib.sha256(data).hexdigest(),
        records_sha256=records_sha256,
        bundle=data.decode("utf-8"),
        signature=signature.hex() if signature else None,
        public_key=public_key if signature else None,
        signed=signature is not None,
        actor=actor,
    )
    created = {}
    carried_count = 0
    for source in records["sources"]:
        values = dict(source["values"])
        _checked_external_id(values["external_id"], source["item"])
        if source["officer"]:
            values["officer_id"] = officer_ids[source["officer"]["iri"]]
        if source["derived_from"] in created:
            values["derived_from_id"] = created[source["derived_from"]]
        row = inventory.create_source(_load(SourceSchema(), values, source["item"]), incident.id)
        created[source["id"]] = row.id
        for chain in source["chains"]:
            for event in chain["events"]:
                CarriedCustodyEvent.create(
                    source=row.id,
                    case_import=kept.id,
                    origin=_checked_external_id(chain["origin"], source["item"]),
                    sender_source_id=event["source_id"],
                    **{k: v for k, v in event.items() if k != "source_id"},
                )
                carried_count += 1
        own = [c["events"] for c in source["chains"] if c["origin"] == values["external_id"]]
        note = (
            f"received from {records['sender']} in a CASE bundle "
            f"(investigation {records['investigation']})"
        )
        if own:
            note += (
                f"; the sender's chain ({len(own[0])} events, head {own[0][-1]['hash']}) is carried"
            )
        custody.append_event(
            row, {"action": "received", "custodian": receiver, "note": note}, actor
        )
    return kept, incident, len(created), carried_count


def import_bundle(
    data,
    signature=None,
    public_key=None,
    accept_unsigned=False,
    actor="importer",
    receiver=None,
    own_base=None,
):
    """Take in a bundle (its exact bytes); returns a summary. `signature`: the raw 64-byte
    Ed25519 signature, checked with `public_key` (PEM text), or None with
    `accept_unsigned`. `receiver`: who holds the evidence now (the custodian of the
    `received` events). `own_base`: this instance's base IRI (its own bundles are refused)."""
    fingerprint = None
    if signature is None:
        if not accept_unsigned:
            raise BundleRefused(
                "signature",
                "the bundle comes without a signature: give its signature and the sender's "
                "public key, or accept it unsigned explicitly",
            )
    else:
        if not public_key:
            raise BundleRefused("public_key", "a signature needs the sender's public key")
        fingerprint = signing.fingerprint(public_key)
        if not signing.verify(public_key, signature, data):
            raise BundleRefused(
                "signature",
                f"does not verify over the bundle's bytes with the key SHA-256 {fingerprint}",
            )
    records = read_bundle(data)
    if own_base is not None and records["base"] == own_base:
        raise Conflict("this bundle was exported by this service: it holds the records already")
    records_sha256 = hashlib.sha256(
        json.dumps(records, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    summary = {
        "investigation": records["investigation"],
        "sender": records["sender"],
        "signed": signature is not None,
        "key_fingerprint": fingerprint,
        "bundle_sha256": hashlib.sha256(data).hexdigest(),
    }
    with database.atomic():
        before = CaseImport.get_or_none(CaseImport.investigation == records["investigation"])
        if before is not None:
            if before.records_sha256 != records_sha256:
                raise Conflict(
                    f"investigation {records['investigation']} was imported before as incident "
                    f"{before.incident_id} with other records; a bundle with changed records "
                    "is not merged into it"
                )
            count = CarriedCustodyEvent.select().where(CarriedCustodyEvent.case_import == before.id)
            return {
                **summary,
                "incident_id": before.incident_id,
                "created": False,
                "sources": len(records["sources"]),
                "carried_events": count.count(),
            }
        try:
            with database.atomic():
                kept, incident, sources, carried = _write(
                    records, data, signature, public_key, actor, receiver, records_sha256
                )
        except IntegrityError as exc:
            # The same investigation (or one of its records) saved at the same time.
            raise Conflict(
                "conflicts with an import saved at the same time; import the bundle again"
            ) from exc
    return {
        **summary,
        "incident_id": incident.id,
        "created": True,
        "sources": sources,
        "carried_events": carried,
    }
