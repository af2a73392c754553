"""The CASE 1.5 / UCO 1.5 vocabulary of our bundles: the JSON-LD context, stable node ids
and the literal forms the ontology's SHACL shapes insist on (see docs/interchange.md).

Shared by the exporter (case_export.py) and the importer (case_import.py). Pitfalls each of
these helpers avoids, every one of which `case_validate` reports (so `Conforms: False`):
a typed `"SHA256"^^xsd:string` hash method (write a plain string), a hash value not typed
`xsd:hexBinary`, a JSON number where `xsd:decimal` is wanted, an untyped time, and a node id
that does not end in a UUID.
"""

import hashlib
import uuid
from decimal import Decimal

from service.domain import hashchain

APP = "evidence-inventory"  # prefix of our ExternalReference.definingContext values
SPEC_VERSION = "CASE 1.5.0"
GENESIS = hashchain.GENESIS

CONTEXT = {
    "kb": None,  # the deployment's base IRI (set per export)
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-role": "https://ontology.unifiedcyberontology.org/uco/role/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# The device class, from the source's kind (only for sources naming a device_id).
DEVICE_CLASS = {
    "bodycam": "uco-observable:DigitalCamera",
    "dashcam": "uco-observable:DigitalCamera",
    "surveillance": "uco-observable:DigitalCamera",
    "officer_phone": "uco-observable:MobilePhone",
}


class Ids:
    """Stable node ids: kb:<Class>-<UUIDv5(namespace, "<Class>/<record>/<key...>")>.

    The namespace is derived from the deployment's base IRI, so the same record always gets
    the same id from one deployment and two deployments never collide. The class name is in
    the UUID's name so that the action, provenance record and log entry of one custody event
    do not share a UUID."""

    def __init__(self, base):
        self.base = base
        self.ns = uuid.uuid5(uuid.NAMESPACE_URL, base)

    def __call__(self, cls, *key):
        name = "/".join(str(k) for k in (cls, *key))
        return f"kb:{cls}-{uuid.uuid5(self.ns, name)}"

    def full(self, compact):
        """A compact id (kb:...) as the full IRI."""
        return self.base + compact[3:] if compact.startswith("kb:") else compact


def blank(value):
    """The service stores "" as null: so do the bundles."""
    return None if value is None or value == "" else value


def dt(value):
    """An RFC 3339 string (as the API shows it) typed xsd:dateTime."""
    return {"@type": "xsd:dateTime", "@value": value}


def dec(value):
    """location:latitude/longitude are xsd:decimal; a JSON number would be xsd:double, and
    repr() may give "1e-05", which is no decimal lexical form."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return {"@type": "xsd:decimal", "@value": format(number, "f")}


def hexbin(value):
    return {"@type": "xsd:hexBinary", "@value": value.lower()}


def ref(iri):
    return {"@id": iri}


def num(value):
    """A number carried in a tag: repr() gives floats back exactly."""
    return repr(value) if isinstance(value, float) else str(value)


def payload_hash(payload):
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lint(doc):
    """JSON-LD silently drops a key with no known prefix (there is no @vocab) and turns a
    misspelt prefix into a foreign IRI that case_validate does not flag: refuse both."""
    prefixes = set(doc["@context"])

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if not key.startswith("@") and key.split(":", 1)[0] not in prefixes:
                    raise ValueError(f"unknown prefix in key {key!r}")
                if key == "@type":
                    for t in value if isinstance(value, list) else [value]:
                        if t.split(":", 1)[0] not in prefixes:
                            raise ValueError(f"unknown prefix in type {t!r}")
                walk(value)

    walk(doc["@graph"])
