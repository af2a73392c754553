"""Files kept in the instance folder beside the database, never in it: the dashboard's
session key, the key that signs exported bundles, the key that signs the audit log's tree
heads. Each is made once, readable by its owner only, and race-free: several workers may
start at once, so a file is written under a name of its own and then linked into place —
exactly one wins and nobody reads a half-written file."""

import os
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def create_once(path, make):
    """The bytes kept in `path`; `make()` gives them (written with mode 0600) when the file
    is missing."""
    try:
        with open(path, "rb") as existing:
            return existing.read()
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    draft = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(make())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its file
    finally:
        os.unlink(draft)
    with open(path, "rb") as existing:
        return existing.read()


def _new_ed25519_pem():
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ed25519_key(path):
    """The Ed25519 private key kept in `path` (PKCS#8 PEM), made when missing."""
    return serialization.load_pem_private_key(create_once(path, _new_ed25519_pem), None)
