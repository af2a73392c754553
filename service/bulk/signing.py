"""The service's Ed25519 signing key for bundles, and the instance's own base IRI.

The private key lives in a file of the instance folder (EVIDENCE_SIGNING_KEY_FILE, default
var/signing_key.pem), never in the database: made once, readable by the owner only (0600),
written race-free (a draft file linked into place, so when several workers start at once
exactly one key wins). Rotation (`evidence signing-key rotate`) retires the current key: its
public key, with the dates it was in use, is appended to `<key file>.retired.json`, which
`GET /api/v1/signing-key?format=json` publishes so that old bundles stay verifiable.
"""

import hashlib
import json
import os
import secrets
import uuid
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.domain.errors import Invalid
from service.domain.time import isoformat_z
from service.storage.instance import create_once, ed25519_key


def private_key(path):
    """The signing key kept in `path`, made when missing (service/storage/instance.py)."""
    return ed25519_key(path)


def public_pem(key):
    """The public half of a private or public key, as SubjectPublicKeyInfo PEM (text)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(pem):
    """SHA-256 of the public key's DER form, hex: what to compare over the telephone."""
    key = load_public_key(pem)
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def sign(path, data):
    """The raw 64-byte Ed25519 signature of `data` by the key in `path`."""
    return private_key(path).sign(data)


def load_public_key(pem):
    if isinstance(pem, str):
        pem = pem.encode("ascii", "replace")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise Invalid("public_key", "is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise Invalid("public_key", "is not an Ed25519 public key")
    return key


def verify(public_key_pem, signature, data):
    """True when `signature` (raw 64 bytes) is the key's signature of `data`."""
    key = load_public_key(public_key_pem)
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _key_created_at(path):
    return isoformat_z(datetime.fromtimestamp(os.stat(path).st_mtime, UTC))


def _retired_path(path):
    return f"{path}.retired.json"


def retired_keys(path):
    try:
        with open(_retired_path(path), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def published_keys(path):
    """The current public key and every retired one, with the dates each was in use."""
    pem = public_pem(private_key(path))
    return {
        "current": {
            "public_key": pem,
            "fingerprint_sha256": fingerprint(pem),
            "algorithm": "Ed25519",
            "valid_from": _key_created_at(path),
            "valid_until": None,
        },
        "retired": retired_keys(path),
    }


def rotate(path, now):
    """Retire the current key (its public half stays published with its dates) and make a
    new one. Returns the new key's public PEM."""
    current = published_keys(path)["current"]
    retired = [*retired_keys(path), {**current, "valid_until": isoformat_z(now)}]
    draft = f"{_retired_path(path)}.{os.getpid()}.{secrets.token_hex(4)}"
    with open(draft, "w", encoding="utf-8") as out:
        json.dump(retired, out, indent=1)
    os.replace(draft, _retired_path(path))
    os.replace(path, f"{path}.retired-{now:%Y%m%dT%H%M%SZ}")  # kept, never deleted
    return public_pem(private_key(path))


def instance_base(signing_key_path):
    """The base IRI of this instance's bundles when EVIDENCE_CASE_BASE_URI is unset: a
    random instance id kept beside the signing key, under the reserved .invalid domain."""
    path = os.path.join(os.path.dirname(os.path.abspath(signing_key_path)), "instance_id")
    ident = create_once(path, lambda: (str(uuid.uuid4()) + "\n").encode("ascii"))
    return f"https://evidence-inventory.invalid/{ident.decode('ascii').strip()}/kb/"
