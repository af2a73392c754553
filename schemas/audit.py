from marshmallow import fields, validate

from service.domain.vocabulary import MAX_ID

from .base import Schema
from .common import Choice, KeysetArgs, PageArgs, Text, UTCDateTime


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = UTCDateTime()
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    method = fields.String()
    path = fields.String()
    status = fields.Integer(metadata={"description": "the HTTP status answered"})
    resource = fields.String(allow_none=True)
    resource_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    prev_hash = fields.String(
        metadata={"description": "the hash chain's link (entries before the Merkle log); empty"}
    )
    hash = fields.String(
        metadata={"description": "the chain hash (older entries) or the Merkle leaf hash"}
    )
    seq = fields.Integer(
        allow_none=True,
        metadata={"description": "the entry's leaf index in the Merkle tree; null until sealed"},
    )


class AuditArgs(KeysetArgs):
    actor = Text(100)
    resource = Text(32)
    resource_id = Text(100, metadata={"description": "entries about this record (its id)"})
    status = fields.Integer(
        validate=validate.Range(100, 599), metadata={"description": "the HTTP status answered"}
    )
    method = Choice(
        ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
        metadata={"description": "the HTTP method"},
    )
    since = UTCDateTime(metadata={"description": "entries at or after"})
    until = UTCDateTime(metadata={"description": "entries before"})


class AuditVerifySchema(Schema):
    valid = fields.Boolean()
    entries = fields.Integer()
    first_invalid_id = fields.Integer(allow_none=True)
    chained = fields.Integer(metadata={"description": "entries of the older hash chain"})
    sealed = fields.Integer(metadata={"description": "entries in the Merkle tree"})
    unsealed = fields.Integer(metadata={"description": "entries waiting for the next seal"})
    tree_heads = fields.Integer(metadata={"description": "signed tree heads checked"})
    first_invalid_tree_size = fields.Integer(allow_none=True)
    subtrees = fields.Integer(
        metadata={"description": "stored perfect subtrees of the Merkle tree checked"}
    )
    first_invalid_subtree = fields.String(
        allow_none=True,
        metadata={"description": "the first stored subtree that differs, or the counts"},
    )


class AuditTreeHeadSchema(Schema):
    tree_size = fields.Integer()
    root_hash = fields.String(metadata={"description": "RFC 6962 Merkle tree hash, hex"})
    sealed_at = UTCDateTime()
    signature = fields.String(
        metadata={
            "description": "Ed25519 over 'evidence-audit-tree-head:v1:{tree_size}:"
            "{root_hash}:{sealed_at}', hex"
        }
    )
    public_key = fields.String(metadata={"description": "the signing key (raw Ed25519), hex"})


class AuditTreeHeadArgs(PageArgs):
    pass


class AuditProofArgs(Schema):
    tree_size = fields.Integer(
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "a signed tree head's size (default: the latest)"},
    )
    since = fields.Integer(
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "also prove this earlier tree head consistent with it"},
    )


class ConsistencySchema(Schema):
    first_tree_head = fields.Nested(AuditTreeHeadSchema)
    proof = fields.List(fields.String(), metadata={"description": "RFC 6962 PROOF(m, D[n])"})


class AuditProofSchema(Schema):
    entry_id = fields.Integer()
    leaf_index = fields.Integer()
    leaf_hash = fields.String()
    tree_head = fields.Nested(AuditTreeHeadSchema)
    audit_path = fields.List(fields.String(), metadata={"description": "RFC 6962 PATH(m, D[n])"})
    consistency = fields.Nested(ConsistencySchema)
