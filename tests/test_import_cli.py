"""`evidence import`: the same importer from the command line, and what a kill -9 leaves."""

import csv
import importlib.util
import io
import os
import signal
import subprocess
import sys
import time

import pytest

from service.cli import main
from service.storage.db import database, is_postgresql
from service.storage.models import Source

AGENCIES_CSV = "code,name,jurisdiction\nCBP,Customs and Border Protection,federal\n"
INCIDENTS_CSV = (
    "external_id,title,kind,started_at,location_city,agencies\n"
    "i-1,Shooting,shooting,2026-01-24T09:00:00-06:00,Minneapolis,CBP\n"
    "i-2,Arrest,arrest,2026-01-25T10:00:00Z,St. Paul,\n"
)


@pytest.fixture
def files(tmp_path):
    def write(name, text, mode="w"):
        path = tmp_path / name
        if mode == "w":
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(text)
        return str(path)

    return write


def test_import_from_files_with_a_summary(runner, api, files):
    result = runner.invoke(main, ["import", "agencies", files("agencies.csv", AGENCIES_CSV)])
    assert result.exit_code == 0, result.output
    assert "agencies: 1 received, 1 created, 0 updated, 0 unchanged, 0 rejected" in result.output
    path = files("incidents.csv", INCIDENTS_CSV)
    assert runner.invoke(main, ["import", "incidents", path]).exit_code == 0
    again = runner.invoke(main, ["import", "incidents", path])
    assert "2 unchanged" in again.output and again.exit_code == 0
    assert api.get("/incidents?external_id=i-1").get_json()[0]["agencies"] == ["CBP"]
    # No progress bar when stderr is not a terminal.
    assert "rows/s" not in again.output


def test_the_format_comes_from_the_name_or_the_option(runner, api, files):
    ndjson = files("agencies.jsonl", '{"code": "ICE", "name": "ICE"}\n')
    assert runner.invoke(main, ["import", "agencies", ndjson]).exit_code == 0
    unnamed = files("agencies.txt", '[{"code": "HSI", "name": "HSI"}]')
    refused = runner.invoke(main, ["import", "agencies", unnamed])
    assert refused.exit_code == 2 and "--format" in refused.output
    assert runner.invoke(main, ["import", "agencies", unnamed, "--format", "json"]).exit_code == 0
    assert {a["code"] for a in api.get("/agencies").get_json()} == {"ICE", "HSI"}


def test_stdin_needs_a_format(runner, api):
    result = runner.invoke(main, ["import", "agencies", "-", "--format", "csv"], input=AGENCIES_CSV)
    assert result.exit_code == 0, result.output
    assert api.get("/agencies/CBP").status_code == 200


def test_rejected_rows_exit_1_and_go_to_the_errors_file(runner, api, files, tmp_path):
    path = files("agencies.csv", AGENCIES_CSV + "bad code,x,federal\nMPD,,municipal\n")
    errors = tmp_path / "errors.csv"
    result = runner.invoke(main, ["import", "agencies", path, "--errors", str(errors)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "row 2: code:" in result.output
    with open(errors, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["row"], r["field"]) for r in rows] == [("2", "code"), ("3", "name")]
    assert api.get("/agencies").get_json() == []

    partial = runner.invoke(main, ["import", "agencies", path, "--partial"])
    assert partial.exit_code == 1
    assert "1 created" in partial.output and "2 rejected" in partial.output
    assert [a["code"] for a in api.get("/agencies").get_json()] == ["CBP"]


def test_a_dry_run_writes_nothing(runner, api, files):
    result = runner.invoke(main, ["import", "agencies", files("a.csv", AGENCIES_CSV), "--dry-run"])
    assert result.exit_code == 0
    assert "1 created" in result.output and "dry run: nothing was written" in result.output
    assert api.get("/agencies").get_json() == []


def test_an_unreadable_file_exits_2_with_the_reason(runner, files):
    for name, body, reason in (
        ("empty.csv", b"", "the body is empty"),
        ("latin1.csv", b"code,name\nCBP,Caf\xe9\n", "not UTF-8"),
        ("columns.csv", b"code\nCBP\n", "missing column(s): name"),
    ):
        result = runner.invoke(main, ["import", "agencies", files(name, body, "wb")])
        assert result.exit_code == 2, name
        assert reason in result.output, (name, result.output)
    missing = runner.invoke(main, ["import", "agencies", "/nonexistent/x.csv"])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_a_reading_process_that_dies_stops_the_import_with_exit_2(runner, api, files, monkeypatch):
    """The rows are read in a second process (service.bulk.aside): if it dies, the import
    says so and, atomic, writes nothing."""
    from service.bulk import aside, importer

    if not aside.available():
        pytest.skip("this platform cannot fork")
    monkeypatch.setattr(aside, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(importer.IncidentImport, "preload", lambda self, rows: os._exit(9))
    assert runner.invoke(main, ["import", "agencies", files("a.csv", AGENCIES_CSV)]).exit_code == 0
    result = runner.invoke(main, ["import", "incidents", files("i.csv", INCIDENTS_CSV)])
    assert result.exit_code == 2, result.output
    assert "exit code 9" in result.output and "nothing was written" in result.output
    assert api.get("/incidents").get_json() == []


# ---------------------------------------------------------------- killed midway

ROWS = 300
BATCH = 50


def _sources_csv(rows):
    lines = [
        "external_id,incident_external_id,kind,sha256,recording_started_at,"
        "recording_ended_at,clock_offset_seconds"
    ]
    for n in range(rows):
        lines.append(
            f"s-{n},i-{1 + n % 2},bodycam,{n:064x},2026-01-24T09:00:00-06:00,"
            "2026-01-24T09:10:00-06:00,60"
        )
    return [line + "\n" for line in lines]


def _evidence(database_url, *args, **popen):
    env = {**os.environ, "EVIDENCE_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _count_sources():
    database.close()  # a fresh snapshot each time
    return Source.select().count()


def _wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _consistent():
    """Only whole rows, each complete with its derived columns; the database intact."""
    database.close()
    if not is_postgresql():
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    for source in Source.select():
        assert source.corrected_started_at is not None
        assert source.incident_id in (1, 2)
        assert source.sha256 == f"{int(source.external_id[2:]):064x}"


@pytest.mark.parametrize("partial", [True, False], ids=["partial", "atomic"])
def test_an_import_killed_midway_leaves_the_database_consistent(
    runner, files, tmp_path, database_url, partial
):
    runner.invoke(main, ["import", "agencies", files("a.csv", AGENCIES_CSV)])
    runner.invoke(main, ["import", "incidents", files("i.csv", INCIDENTS_CSV)])
    database.close()
    lines = _sources_csv(ROWS)
    fifo = str(tmp_path / "sources.fifo")
    os.mkfifo(fifo)
    mode = ["--partial"] if partial else []
    child = _evidence(
        database_url,
        "import",
        "sources",
        fifo,
        "--format",
        "csv",
        "--batch-size",
        str(BATCH),
        *mode,
    )
    try:
        # The rows arrive through a pipe that never ends: the import cannot finish, and is
        # killed while it waits for the rest of its third batch.
        with open(fifo, "w") as pipe:
            pipe.writelines(lines[: 1 + 2 * BATCH + 10])
            pipe.flush()
            if partial:
                _wait_for(lambda: _count_sources() == 2 * BATCH)
            else:
                time.sleep(1.5)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
    except BrokenPipeError:
        pass
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    assert _count_sources() == (2 * BATCH if partial else 0)
    _consistent()

    complete = files("sources.csv", "".join(lines))
    rerun = _evidence(
        database_url, "import", "sources", complete, "--batch-size", str(BATCH), *mode
    )
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    done_before = 2 * BATCH if partial else 0
    assert (
        f"{ROWS} received, {ROWS - done_before} created, 0 updated, "
        f"{done_before} unchanged, 0 rejected"
    ) in out
    assert _count_sources() == ROWS
    _consistent()


# ---------------------------------------------------------------- the documented examples

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "docs", "examples")
EXAMPLE_ORDER = [
    "agencies.csv",
    "officers.csv",
    "incidents.csv",
    "incidents.ndjson",
    "involvements.csv",
    "sources.csv",
    "sources.json",
    "custody.csv",
]


def test_the_example_files_of_docs_import_md_import_cleanly(runner, api):
    documented = {name for name in os.listdir(EXAMPLES) if not name.endswith(".py")}
    assert documented <= set(EXAMPLE_ORDER)
    for name in EXAMPLE_ORDER:
        kind = name.split(".")[0]
        result = runner.invoke(main, ["import", kind, os.path.join(EXAMPLES, name)])
        assert result.exit_code == 0, (name, result.output)
        assert " 0 rejected" in result.output and " 0 unchanged" in result.output, name
    copy = api.get("/sources?external_id=ex-source-3").get_json()[0]
    master = api.get("/sources?external_id=ex-source-2").get_json()[0]
    assert copy["derived_from_id"] == master["id"]
    bodycam = api.get("/sources?external_id=ex-source-1").get_json()[0]
    assert (bodycam["custody_status"], bodycam["integrity"]) == ("in_custody", "verified")


def _wapo_converter():
    path = os.path.join(os.path.dirname(__file__), "..", "bench", "wapo_to_import.py")
    spec = importlib.util.spec_from_file_location("wapo_to_import", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.convert


def test_the_wapo_converter_makes_importable_files(runner, api, files, tmp_path):
    convert = _wapo_converter()

    data = files(
        "wapo.csv",
        (
            "id,name,date,manner_of_death,armed,age,gender,race,city,state,"
            "signs_of_mental_illness,threat_level,flee,body_camera\n"
            "3,Tim  Elliot,2015-01-02,shot,gun,53,M,A,Shelton,WA,True,attack,Not fleeing,False\n"
            "5,TK TK,2015-01-03,shot,,,,,Wichita,KS,False,other,,True\n"
        ),
    )
    out = tmp_path / "out"
    assert convert(data, str(out)) == (2, 1)
    for kind in ("incidents", "sources"):
        result = runner.invoke(main, ["import", kind, str(out / f"{kind}.csv")])
        assert result.exit_code == 0, result.output
    first = api.get("/incidents?external_id=wapo-3").get_json()[0]
    assert first["title"] == "Fatal police shooting of Tim Elliot"
    assert first["started_at"] == "2015-01-02T12:00:00Z"
    assert first["location"]["city"] == "Shelton"
    unnamed = api.get("/incidents?external_id=wapo-5").get_json()[0]
    assert unnamed["title"] == "Fatal police shooting of an unnamed person"
    [bodycam] = api.get(f"/incidents/{unnamed['id']}/sources").get_json()
    assert bodycam["kind"] == "bodycam" and bodycam["custody_status"] == "identified"


def test_the_progress_line_shows_rows_rate_and_share_of_the_file(capsys):
    from service.bulk.importer import ImportJob
    from service.cli import ImportProgress

    stream = io.BytesIO(b"x" * 1000)
    stream.seek(250)
    job = ImportJob("sources", dry_run=False, partial=False)
    job.counts["received"] = 1234
    ImportProgress(stream, "sources", 1000)(job, final=True)
    line = capsys.readouterr().err
    assert line.startswith("\rsources: 1,234 rows ")
    assert "rows/s" in line and "25%" in line
