"""The service around the API: health, OpenAPI, docs UI, CLI set-up commands, demo."""

from service.cli import main
from service.storage.models import Incident, Source


def test_health_names_the_database(client, database_url):
    body = client.get("/health").get_json()
    expected = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert body == {"status": "ok", "database": expected}


def test_openapi_document_describes_the_resources(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/sources",
        "/api/v1/incidents/{incident_id}/officers",
        "/api/v1/agencies/{code}",
    ):
        assert path in spec["paths"], path
    source = spec["components"]["schemas"]["Source"]["properties"]
    assert source["kind"]["enum"][0] == "bodycam"
    assert source["custody_status"]["readOnly"] is True
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_ui_assets_are_served_locally(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page
    assert "//" not in page.split("swagger-ui-bundle.js")[0].rsplit('src="', 1)[1]
    r = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert r.status_code == 200 and len(r.data) > 100_000


def test_init_db_is_idempotent(runner):
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    assert runner.invoke(main, ["init-db"]).exit_code == 0


def test_demo_loads_the_scenario_once(runner):
    result = runner.invoke(main, ["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    pretti = Incident.get(Incident.title == "Pretti shooting")
    good = Incident.get(Incident.title == "Good shooting")
    assert pretti.involvements.count() >= 25
    assert (
        Source.select().where((Source.incident == good) & (Source.kind == "bodycam")).count() == 0
    )
    assert (
        Source.select().where((Source.incident == good) & (Source.kind == "officer_phone")).count()
        == 1
    )
    incidents = Incident.select().count()
    assert runner.invoke(main, ["demo", "--if-empty"]).exit_code == 0
    assert Incident.select().count() == incidents
