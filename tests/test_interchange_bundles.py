"""Signed CASE bundles: the key kept in a file, the detached Ed25519 signature a third party
checks with openssl, the public keys published for rotation (docs/interchange.md)."""

import json
import os
import stat
import subprocess

from service.cli import main
from service.storage.models import AuditEntry


def openssl_verify(folder, incident_id):
    """The contract's command line, run in the bundle's folder."""
    return subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "public_key.pem",
            "-rawin",
            "-in",
            f"incident-{incident_id}.jsonld",
            "-sigfile",
            f"incident-{incident_id}.jsonld.sig",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def export_bundle(runner, incident_id, folder):
    result = runner.invoke(
        main, ["export", "incident", str(incident_id), "-o", str(folder), "--actor", "clerk"]
    )
    assert result.exit_code == 0, result.output
    return result


def test_a_bundle_verifies_with_openssl_and_a_changed_byte_does_not(
    api, make, app, runner, tmp_path
):
    incident = make.incident()
    source = make.source(incident["id"], sha256="ab" * 32)
    make.custody(source["id"], "received")
    folder = tmp_path / "bundle"
    export_bundle(runner, incident["id"], folder)
    names = sorted(os.listdir(folder))
    stem = f"incident-{incident['id']}.jsonld"
    assert names == sorted([stem, f"{stem}.sig", "public_key.pem"])
    assert len((folder / f"{stem}.sig").read_bytes()) == 64
    # The bundle is the API's graph (same ids), and its signature verifies.
    doc = json.loads((folder / stem).read_bytes())
    served = json.loads(api.get(f"/incidents/{incident['id']}/export").data)
    assert doc["@graph"][1:] == served["@graph"][1:]
    good = openssl_verify(folder, incident["id"])
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Signature Verified Successfully" in good.stdout

    # One byte changed (a digit of the file's hash): the signature no longer verifies.
    data = bytearray((folder / stem).read_bytes())
    at = data.index(b"abababab")
    data[at] = ord("c")
    (folder / stem).write_bytes(bytes(data))
    bad = openssl_verify(folder, incident["id"])
    assert bad.returncode != 0
    assert "Signature Verified Successfully" not in bad.stdout

    # The export is in the audit log, like a read through the API.
    entry = AuditEntry.select().where(AuditEntry.method == "CLI").get()
    assert entry.actor.startswith("cli:")
    # The operator is named, and on whose behalf (--actor) the export was made.
    assert (entry.actor.split(" as ")[1], entry.resource, entry.resource_id) == (
        "clerk",
        "incidents",
        str(incident["id"]),
    )


def test_the_key_is_made_once_owner_only_and_served(api, make, app, runner, tmp_path):
    incident = make.incident()
    export_bundle(runner, incident["id"], tmp_path / "one")
    key_file = app.config["SIGNING_KEY_FILE"]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    export_bundle(runner, incident["id"], tmp_path / "two")
    published = (tmp_path / "one" / "public_key.pem").read_text()
    assert published == (tmp_path / "two" / "public_key.pem").read_text()
    assert published.startswith("-----BEGIN PUBLIC KEY-----")
    response = api.get("/signing-key", role="importer")
    assert response.status_code == 200
    assert response.mimetype == "application/x-pem-file"
    assert response.get_data(as_text=True) == published
    # Nothing of the key is in the database.
    private = open(key_file).read()
    for entry in AuditEntry.select():
        assert private not in entry.path


def test_rotation_keeps_the_old_public_key_published_with_its_dates(
    api, make, app, runner, tmp_path
):
    app.config["SIGNING_KEY_FILE"] = str(tmp_path / "instance" / "signing_key.pem")
    incident = make.incident()
    export_bundle(runner, incident["id"], tmp_path / "old")
    old_pem = (tmp_path / "old" / "public_key.pem").read_text()
    result = runner.invoke(main, ["signing-key", "rotate"])
    assert result.exit_code == 0, result.output
    assert result.output != old_pem
    keys = api.get("/signing-key?format=json").get_json()
    assert keys["current"]["public_key"] == result.output
    assert keys["current"]["valid_until"] is None
    (retired,) = keys["retired"]
    assert retired["public_key"] == old_pem
    assert retired["valid_from"] <= retired["valid_until"]
    # A bundle signed before the rotation still verifies with the retired key.
    assert openssl_verify(tmp_path / "old", incident["id"]).returncode == 0
    export_bundle(runner, incident["id"], tmp_path / "new")
    assert (tmp_path / "new" / "public_key.pem").read_text() == result.output
