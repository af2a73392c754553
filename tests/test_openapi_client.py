"""OpenAPI for generated clients (issue 13, finding 13): the document validates, every
operation has a short stable operationId, nullable enums list null, and a client generated
by openapi-python-client from it works: incidents, a source with every optional field null,
custody events and the coverage answers, all through the generated code (over WSGI, no
network)."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate

from service.web.openapi import OPERATION_IDS

METHODS = ("get", "post", "patch", "put", "delete")


@pytest.fixture
def spec(api):
    r = api.get("/openapi.json", role=None)
    assert r.status_code == 200
    return r.get_json()


def operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in METHODS:
                yield method, path, op


def test_the_document_validates(spec):
    validate(spec)  # raises on any violation of OpenAPI 3.0.3


def test_every_operation_has_a_short_stable_operation_id(spec):
    ids = {(m, p): op.get("operationId") for m, p, op in operations(spec)}
    assert all(ids.values()), [k for k, v in ids.items() if not v]
    assert len(set(ids.values())) == len(ids)
    assert ids[("get", "/api/v1/coverage/incidents")] == "listLackingIncidents"
    assert ids[("post", "/api/v1/sources")] == "createSource"
    for key, operation_id in ids.items():
        assert operation_id == OPERATION_IDS[key]
        assert operation_id.isalnum() and operation_id[0].islower() and len(operation_id) <= 30


def test_nullable_enums_list_null(spec):
    found = 0
    for schema in spec["components"]["schemas"].values():
        for prop in schema.get("properties", {}).values():
            if prop.get("nullable") and "enum" in prop:
                found += 1
                assert None in prop["enum"], prop
    assert found >= 1
    obtained_via = spec["components"]["schemas"]["Source"]["properties"]["obtained_via"]
    assert None in obtained_via["enum"]


@pytest.fixture
def generated(spec, tmp_path):
    """The client openapi-python-client generates from our document, importable."""
    spec_file = tmp_path / "openapi.json"
    spec_file.write_text(json.dumps(spec))
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\npackage_name_override: evidence_client\n")
    tool = Path(sys.executable).parent / "openapi-python-client"
    out = tmp_path / "evidence_client"
    result = subprocess.run(
        [tool, "generate", "--path", spec_file, "--output-path", out, "--meta", "none"]
        + ["--config", config],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        for name in [m for m in sys.modules if m.startswith("evidence_client")]:
            del sys.modules[name]
        yield importlib.import_module("evidence_client")
    finally:
        sys.path.remove(str(tmp_path))


def test_a_generated_client_records_and_reads_evidence(app, tokens, generated, make):
    client = generated.AuthenticatedClient(
        base_url="http://localhost",
        token=tokens["investigator"],
        httpx_args={"transport": httpx.WSGITransport(app=app)},
        raise_on_unexpected_status=True,
    )
    api = importlib.import_module("evidence_client.api")
    models = importlib.import_module("evidence_client.models")

    def call(group, name, **kwargs):
        module = importlib.import_module(f"evidence_client.api.{group}.{name}")
        response = module.sync_detailed(client=client, **kwargs)
        assert response.status_code < 300, (name, response.status_code, response.content)
        return response.parsed

    assert api is not None
    incident = call(
        "incidents",
        "create_incident",
        body=models.Incident.from_dict(
            {"title": "Generated client", "started_at": "2026-01-24T09:00:00Z"}
        ),
    )
    read = call("incidents", "get_incident", incident_id=incident.id)
    assert read.title == "Generated client"
    optional = {
        name: None
        for name in (
            "external_id",
            "officer_id",
            "device_id",
            "recorded_by",
            "recording_started_at",
            "recording_ended_at",
            "duration_seconds",
            "sha256",
            "size_bytes",
            "storage_uri",
            "obtained_via",
            "derived_from_id",
            "retain_until",
            "notes",
        )
    }
    body = models.Source.from_dict({"incident_id": incident.id, "kind": "bodycam", **optional})
    source = call("sources", "create_source", body=body)
    again = call("sources", "get_source", source_id=source.id)
    assert again.obtained_via is None and again.sha256 is None and again.officer_id is None
    assert str(again.custody_status.value) == "identified"
    event = call(
        "custody",
        "create_custody_event",
        source_id=source.id,
        body=models.CustodyEvent.from_dict({"action": "received", "custodian": None}),
    )
    assert event.seq == 1 and str(event.custody_status.value) == "in_custody"
    chain = call("custody", "list_custody_events", source_id=source.id)
    assert [e.seq for e in chain] == [1]
    assert call("custody", "verify_custody", source_id=source.id).valid is True
    coverage = call("coverage", "get_incident_coverage", incident_id=incident.id)
    assert coverage.incident_id == incident.id
    lacking = call("coverage", "list_lacking_incidents")
    assert [i.id for i in lacking] == []  # it has a bodycam source now
    officers = call("coverage", "list_officer_coverage")
    assert officers == []
    summary = call("coverage", "get_coverage_summary")
    assert summary and summary[0].incidents == 1
