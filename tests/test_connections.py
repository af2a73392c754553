"""Warm connections: a worker thread keeps its SQLite connection from request to request
(PostgreSQL's go back to the pool), yet sees what others commit, and starts afresh after a
database error."""

import threading
import time

import psycopg
import pytest
from peewee import OperationalError

from service.domain import inventory
from service.storage import db as storage
from service.storage.db import database


def _conn():
    return None if database.is_closed() else database.connection()


def test_sqlite_requests_of_one_thread_share_a_connection(api, make, postgres_url):
    make.incident()
    api.get("/incidents")
    first = _conn()
    api.get("/incidents")
    if postgres_url:
        assert first is None  # given back to the pool after each request
    else:
        assert first is not None and _conn() is first
        pragmas = {
            name: database.execute_sql(f"PRAGMA {name}").fetchone()[0]
            for name in ("cache_size", "mmap_size", "journal_mode")
        }
        assert pragmas["cache_size"] < -2000 and pragmas["mmap_size"] > 0
        assert pragmas["journal_mode"] == "wal"


def test_a_warm_connection_sees_what_other_threads_commit(api, make):
    incident = make.incident()
    assert api.get(f"/incidents/{incident['id']}/sources").get_json() == []
    done = []

    def other_thread():
        done.append(api.post(f"/incidents/{incident['id']}/sources", json={"kind": "dashcam"}))

    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert done[0].status_code == 201
    listed = api.get(f"/incidents/{incident['id']}/sources").get_json()
    assert [s["kind"] for s in listed] == ["dashcam"]


def test_a_database_error_discards_the_connection(api, make, monkeypatch, postgres_url):
    make.incident()
    api.get("/incidents")
    before = _conn()

    def connection_lost(filters):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(inventory, "list_incidents", connection_lost)
        response = api.get("/incidents")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert _conn() is None  # not kept, not given back to the pool
    listed = api.get("/incidents")
    assert listed.status_code == 200 and len(listed.get_json()) == 1
    if not postgres_url:
        assert _conn() is not None and _conn() is not before


def test_scheduled_checkpoint_runs_at_most_once_a_period(tmp_path):
    # A SQLite file of its own (a WAL checkpoint is SQLite's), whatever the suite's backend.
    db = storage.make_database(f"sqlite:///{tmp_path / 'wal.db'}")
    db.connect()
    try:
        db.execute_sql("CREATE TABLE t (x)")
        db.execute_sql("INSERT INTO t VALUES (1)")
        assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        assert storage.checkpoint_if_due(db, every=0) is True
        assert storage.checkpoint_if_due(db, every=3600) is False
    finally:
        db.close()


def test_a_connection_left_inside_a_transaction_is_not_kept(app, api, make):
    make.incident()
    with app.app_context():
        storage.open_connection()
        left_open = database.atomic()
        left_open.__enter__()
        database.execute_sql("UPDATE incident SET title = 'never committed'")
        connection = database.connection()
        storage.release_connection()
        assert database.is_closed()
        storage.open_connection()
        assert database.connection() is not connection  # thrown away, not kept nor pooled
    # rolled back, and the next request is not blocked by a held write lock
    assert api.get("/incidents").get_json()[0]["title"] == "Test incident"
    assert (
        api.post(
            "/incidents", json={"title": "t", "started_at": "2026-01-01T00:00:00Z"}
        ).status_code
        == 201
    )


def test_a_prepared_read_is_composed_once_and_takes_its_values_anywhere(app, make):
    """storage.db.Prepared: the values may sit among constant parameters (a condition in
    the select list before the WHERE); the SQL is composed once; a sample value the query
    does not take exactly once is refused when it is composed."""
    from service.storage.db import Prepared
    from service.storage.models import Source

    make.agency("CBP")
    incident = make.incident(agencies=["CBP"])
    other = make.incident(agencies=["CBP"])
    kept = make.source(incident["id"])
    make.source(other["id"])
    built = []

    def build(incident_id):
        built.append(incident_id)
        live = Source.custody_status != "disposed"  # a constant parameter before the value
        return Source.select(Source.id, live).where(Source.incident == incident_id).tuples()

    prepared = Prepared(build, 9_999_991)
    assert [row[0] for row in prepared.rows(incident["id"])] == [kept["id"]]
    assert prepared.first(10**9) is None
    assert built == [9_999_991]  # composed once, with the sample
    twice = Prepared(lambda v: Source.select().where((Source.id == v) | (Source.incident == v)), 7)
    with pytest.raises(ValueError, match="once"):
        twice.first(1)


def test_a_pooled_connection_is_checked_only_after_sitting_idle(
    api, make, postgres_url, monkeypatch
):
    """PostgreSQL's pool asks the server whether a connection is still there (a `SELECT 1`)
    only when it was given back more than ALIVE_WITHOUT_CHECK_SECONDS ago. One that died
    within that time is found by the request's first statement: that request answers 503,
    the connection is thrown away, and the next request works."""
    if not postgres_url:
        pytest.skip("a connection pool exists on PostgreSQL only: runs with --database=postgresql")
    pool = database.obj
    checked = []
    check = pool._adapter.is_connection_closed
    monkeypatch.setattr(
        pool._adapter, "is_connection_closed", lambda conn: checked.append(conn) or check(conn)
    )
    path = f"/incidents/{make.incident()['id']}"

    monkeypatch.setattr(storage, "ALIVE_WITHOUT_CHECK_SECONDS", 60)
    assert api.get(path).status_code == 200
    checked.clear()
    assert api.get(path).status_code == 200
    assert checked == []  # given back a moment ago: handed out as it is

    monkeypatch.setattr(storage, "ALIVE_WITHOUT_CHECK_SECONDS", 0)
    assert api.get(path).status_code == 200
    assert len(checked) == 1  # idle for longer than the window: checked first

    monkeypatch.setattr(storage, "ALIVE_WITHOUT_CHECK_SECONDS", 60)
    (idle,) = [conn for _, _, conn in pool._connections]
    pid = idle.info.backend_pid
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        ):
            time.sleep(0.05)
    lost = api.get(path)
    assert lost.status_code == 503 and lost.headers["Retry-After"]
    assert all(conn is not idle for _, _, conn in pool._connections)
    assert api.get(path).status_code == 200
