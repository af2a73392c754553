"""Property-based fuzzing driven by our own OpenAPI document (schemathesis).

Valid and invalid inputs for every operation; the service must never answer 5xx and its
answers must match the documented schemas. Bounded here (EVIDENCE_FUZZ_EXAMPLES per
operation and mode, default 6); `make fuzz` runs it longer.
"""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

EXAMPLES = int(os.environ.get("EVIDENCE_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _fuzz(operation, mode, headers):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case):
        case.headers = {**(case.headers or {}), **headers}
        case.call_and_validate(checks=CHECKS)

    run()


def test_no_server_errors_and_answers_match_the_schema(app, tokens, make):
    # A little data, so that ids in paths sometimes exist.
    make.agency("CBP")
    officer = make.officer("CBP")
    incident = make.incident(agencies=["CBP"])
    make.involve(incident["id"], officer["id"])
    make.source(incident["id"], officer_id=officer["id"], sha256="c" * 64)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, headers)
            except Exception as exc:  # collect every operation's failure, then report all
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
