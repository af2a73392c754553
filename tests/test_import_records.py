"""Imports that keep edits and leave a trail (issue 13, findings 6 and 8): each committed
batch audited with its rows, CLI imports and token commands audited with the operator named,
`--actor` never impersonating, empty CSV cells leaving fields unchanged, `changes` listed."""

import getpass
import io

import pytest

from service.bulk.importer import run_import
from service.cli import main as cli
from service.storage.models import AuditEntry, CustodyEvent, Incident

LOGIN = f"cli:{getpass.getuser()}"


def csv_post(api, kind, text, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return api.post(
        f"/imports/{kind}?{q}", data=text.encode(), content_type="text/csv", role="importer"
    )


def test_an_empty_cell_keeps_an_investigators_edit(api):
    header = "external_id,title,started_at,description,location_city\n"
    first = csv_post(api, "incidents", header + "i-1,Stop,2026-01-24T09:00:00Z,from CAD,Austin\n")
    assert first.status_code == 200, first.get_json()
    incident = Incident.get(Incident.external_id == "i-1")
    api.patch(f"/incidents/{incident.id}", json={"description": "edited by an investigator"})
    again = csv_post(api, "incidents", header + "i-1,Stop renamed,2026-01-24T09:00:00Z,,\n")
    body = again.get_json()
    assert body["updated"] == 1
    assert body["changes"] == [{"row": 1, "id": incident.id, "fields": ["title"]}]
    assert body["changes_total"] == 1
    shown = api.get(f"/incidents/{incident.id}").get_json()
    assert shown["description"] == "edited by an investigator"
    assert shown["location"]["city"] == "Austin" and shown["title"] == "Stop renamed"
    cleared = csv_post(api, "incidents", header + "i-1,Stop renamed,2026-01-24T09:00:00Z,\\N,\n")
    assert cleared.get_json()["changes"][0]["fields"] == ["description"]
    assert api.get(f"/incidents/{incident.id}").get_json()["description"] is None


def test_json_imports_report_changes_too(api):
    rows = [{"external_id": "i-1", "title": "A", "started_at": "2026-01-24T09:00:00Z"}]
    api.post("/imports/incidents", json=rows, role="importer")
    rows[0]["title"] = "B"
    body = api.post("/imports/incidents", json=rows, role="importer").get_json()
    assert [c["fields"] for c in body["changes"]] == [["title"]]


def _rows(n):
    head = "external_id,title,started_at\n"
    return head + "".join(f"i-{k},T{k},2026-01-24T09:00:00Z\n" for k in range(n))


class Killed(BaseException):
    """Stands for the process dying between two batches."""


def test_a_killed_partial_import_leaves_an_audit_entry_for_every_committed_batch(app):
    fields = {"actor": "importer", "role": "importer", "method": "POST", "path": "/x", "ip": None}

    def die_after_two(job):
        if job.written >= 4:
            raise Killed

    with pytest.raises(Killed):
        run_import(
            "incidents",
            io.BytesIO(_rows(7).encode()),
            "csv",
            partial=True,
            actor="importer",
            batch_size=2,
            on_progress=die_after_two,
            audit_fields=fields,
        )
    entries = list(AuditEntry.select().where(AuditEntry.resource == "imports"))
    assert Incident.select().count() == 4
    assert len(entries) == 2
    assert sum(int(e.path.split(", ")[1].split()[0]) for e in entries) == 4
    assert [e.resource_id for e in entries] == ["incidents:batch:1", "incidents:batch:2"]


def test_cli_imports_and_token_commands_are_audited_with_the_operator(app, runner, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(_rows(3))
    result = runner.invoke(cli, ["import", "incidents", str(path), "--actor", "Ana Ruiz"])
    assert result.exit_code == 0, result.output
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert entry.actor == f"{LOGIN} as Ana Ruiz" and entry.method == "CLI"
    assert entry.resource == "imports" and "import incidents" in entry.path
    assert (
        runner.invoke(cli, ["tokens", "create", "--name", "bot", "--role", "importer"]).exit_code
        == 0
    )
    assert runner.invoke(cli, ["tokens", "revoke", "--name", "bot"]).exit_code == 0
    entries = list(
        AuditEntry.select().where(AuditEntry.resource == "tokens").order_by(AuditEntry.id)
    )
    assert [(e.actor, e.resource_id, e.status) for e in entries] == [
        (LOGIN, "bot", 201),
        (LOGIN, "bot", 200),
    ]
    assert runner.invoke(cli, ["verify-audit"]).exit_code == 0


def test_actor_never_impersonates(app, runner, make, tmp_path):
    incident = make.incident()
    source = make.source(incident["id"], "bodycam", external_id="s-1")
    path = tmp_path / "custody.csv"
    path.write_text("source_external_id,action,occurred_at\ns-1,received,2026-01-24T10:00:00Z\n")
    result = runner.invoke(cli, ["import", "custody", str(path), "--actor", "Sgt. Lee"])
    assert result.exit_code == 0, result.output
    event = CustodyEvent.get(CustodyEvent.source == source["id"])
    assert event.actor == f"{LOGIN} as Sgt. Lee"


def test_tokens_list_shows_expired_tokens(app, runner):
    from freezegun import freeze_time

    with freeze_time("2026-01-01T00:00:00Z"):
        runner.invoke(
            cli,
            ["tokens", "create", "--name", "short", "--role", "oversight", "--expires-in", "1d"],
        )
    with freeze_time("2026-01-03T00:00:00Z"):
        listed = runner.invoke(cli, ["tokens", "list"]).output
    line = next(x for x in listed.splitlines() if x.startswith("short"))
    assert line.split()[-1] == "expired"
