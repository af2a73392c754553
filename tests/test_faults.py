"""Faults: a server killed in the middle of writes, a database that goes away or turns
read-only. Nothing acknowledged may be lost, answers stay clear, and the service recovers
without a restart once the database is back."""

import http.client
import os
import socket
import sqlite3
import subprocess
import threading
import time
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from live import connected, prepare_database, throwaway_postgres, verified_chains

from service.storage.db import database, make_database
from service.storage.models import Source
from service.web import create_app

WRITERS = 6


def _writer(server, next_request, acknowledged, failures, stop):
    """POSTs `next_request(n)` = (path, body) until stopped; keeps every 201's answer."""
    client = server.client()
    n = 0
    try:
        while not stop.is_set():
            path, body = next_request(n)
            try:
                status, _, answer = client.request("POST", path, body)
            except (OSError, http.client.HTTPException) as exc:  # the server died: unacknowledged
                failures.append(repr(exc))
                return
            if status == 201:
                acknowledged.append((path, answer))
            else:
                failures.append((status, answer))
            n += 1
    finally:
        client.close()


def _new_source(writer, incident_ids):
    def next_request(n):
        return (
            f"incidents/{incident_ids[n % len(incident_ids)]}/sources",
            {
                "kind": "bodycam",
                "external_id": f"w{writer}-{n}",
                "sha256": f"{writer:032x}{n:032x}",
            },
        )

    return next_request


def _custody_copy(chain, writer):
    return lambda n: (chain, {"action": "copied", "note": f"copy {writer}.{n}"})


def _incidents(server, count=3):
    client = server.client()
    ids = []
    for n in range(count):
        status, _, body = client.request(
            "POST",
            "incidents",
            {"title": f"Incident {n}", "started_at": "2026-01-07T10:00:00-06:00"},
        )
        assert status == 201, body
        ids.append(body["id"])
    client.close()
    return ids


def _sqlite_path(url):
    return url[len("sqlite:///") :] if url.startswith("sqlite:///") else None


def test_sigkill_in_the_middle_of_writes_loses_nothing_acknowledged(live_server):
    incident_ids = _incidents(live_server)
    client = live_server.client()
    _, _, held = client.request("POST", f"incidents/{incident_ids[0]}/sources", {"kind": "other"})
    chain = f"sources/{held['id']}/custody"
    assert client.request("POST", chain, {"action": "received"})[0] == 201
    client.close()
    acknowledged, failures, stop = [], [], threading.Event()
    plans = [_new_source(w, incident_ids) for w in range(WRITERS)]
    plans += [_custody_copy(chain, w) for w in range(2)]
    threads = [
        threading.Thread(target=_writer, args=(live_server, plan, acknowledged, failures, stop))
        for plan in plans
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 80 and time.monotonic() < deadline:
        time.sleep(0.01)
    live_server.kill()  # master and workers, mid-request
    stop.set()
    for t in threads:
        t.join(30)
    assert len(acknowledged) >= 80
    assert not [f for f in failures if isinstance(f, tuple)], "error answers before the kill"
    sources = [answer for path, answer in acknowledged if path != chain]
    events = [answer for path, answer in acknowledged if path == chain]
    assert sources and events

    path = _sqlite_path(live_server.database_url)
    if path:
        with sqlite3.connect(path) as db:  # recovers the WAL, as the next server would
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    live_server.start()
    client = live_server.client()
    for saved in sources:
        status, _, now = client.request("GET", f"sources/{saved['id']}")
        assert status == 200 and now == saved
    _, _, stored_events = client.request("GET", f"{chain}?page_size=1000")
    stored = {e["seq"]: e for e in stored_events}
    # A POST's answer adds the source's resulting custody_status and integrity.
    source_state = ("custody_status", "integrity")
    assert all(
        stored[e["seq"]] == {k: v for k, v in e.items() if k not in source_state} for e in events
    )
    assert client.request("GET", f"{chain}/verify")[2]["valid"]
    client.close()
    with connected(live_server.database_url):
        stored_sources = Source.select().count() - 1  # the one holding the chain
        assert len(sources) <= stored_sources <= len(sources) + WRITERS  # cut off before 201
    chains = verified_chains(live_server.database_url)
    assert chains == {"audit": True, "custody": True}


class Forwarder:
    """A TCP forwarder between the app and PostgreSQL: closing it looks, to the app, like
    the database server going away (without stopping the server other people use)."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.port = None
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()

    def open(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port or 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                inbound, _ = listener.accept()
            except OSError:
                return  # closed
            outbound = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets += [inbound, outbound]
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        """The database is gone: no new connections, and every open one is cut."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets = []


@pytest.fixture
def database_behind_forwarder(request):
    if request.config.getoption("--database") != "postgresql":
        pytest.skip(
            "PostgreSQL going away: runs with --database=postgresql (SQLite has no "
            "server to lose; the kill and read-only tests cover its faults)"
        )
    admin_url = os.environ["EVIDENCE_TEST_POSTGRES_URL"]
    parsed = urlparse(admin_url)
    with throwaway_postgres(admin_url, "evidence_fault") as url:
        tokens = prepare_database(url)
        forwarder = Forwarder((parsed.hostname or "127.0.0.1", parsed.port or 5432))
        forwarder.open()
        via = urlparse(url)
        netloc = via.netloc.rsplit("@", 1)[0] + "@" if "@" in via.netloc else ""
        yield (
            urlunparse(via._replace(netloc=f"{netloc}127.0.0.1:{forwarder.port}")),
            tokens,
            forwarder,
        )
        forwarder.close()


def test_postgresql_going_away_answers_503_and_recovers(database_behind_forwarder):
    url, tokens, forwarder = database_behind_forwarder
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {tokens['investigator']}"}
    incident = {"title": "Pursuit", "started_at": "2026-01-07T10:00:00-06:00"}
    try:
        assert client.get("/api/v1/incidents", headers=auth).status_code == 200
        assert client.post("/api/v1/incidents", headers=auth, json=incident).status_code == 201

        forwarder.close()
        for response in (
            client.get("/api/v1/incidents", headers=auth),
            client.post("/api/v1/incidents", headers=auth, json=incident),
            client.get("/health"),
        ):
            assert response.status_code == 503
            assert response.headers["Retry-After"]
            assert response.get_json()["code"] == 503

        forwarder.open()  # same port: the database is back; the same app recovers
        assert client.get("/health").get_json()["status"] == "ok"
        listed = client.get("/api/v1/incidents", headers=auth)
        assert listed.status_code == 200 and len(listed.get_json()) == 1
        assert client.post("/api/v1/incidents", headers=auth, json=incident).status_code == 201
    finally:
        database.obj.close_all()


@pytest.fixture
def read_only(database_url, postgres_url):
    """`read_only(True/False)` makes the suite's database unwritable and writable again.

    SQLite: `chattr +i` on the file, which stops even root (the tests run as root, so a
    chmod would not stop SQLite). PostgreSQL: new sessions read-only
    (default_transaction_read_only), as on a streaming replica; the pool is emptied so the
    next request opens one.
    """
    state = {"on": False}

    def switch(on):
        if postgres_url:
            name = urlparse(postgres_url).path.lstrip("/")
            with psycopg.connect(os.environ["EVIDENCE_TEST_POSTGRES_URL"], autocommit=True) as conn:
                conn.execute(
                    f'ALTER DATABASE "{name}" SET default_transaction_read_only = '
                    f"{'on' if on else 'off'}"
                )
            database.close()
            database.obj.close_all()
        else:
            subprocess.run(["chattr", "+i" if on else "-i", _sqlite_path(database_url)], check=True)
        state["on"] = on

    yield switch
    if state["on"]:
        switch(False)


def test_a_read_only_database_refuses_writes_and_keeps_reads(api, make, read_only):
    incident = make.incident()
    make.source(incident["id"])
    new = {"title": "x", "started_at": "2026-01-07T10:00:00Z"}

    read_only(True)
    refused = api.post("/incidents", json=new)
    assert refused.status_code == 503
    assert "read-only" in refused.get_json()["message"] and refused.headers["Retry-After"]
    assert api.get(f"/incidents/{incident['id']}").status_code == 200
    assert api.get("/health").status_code == 200
    # A read of evidence must leave an audit entry; it cannot, so it is refused, not hidden.
    assert api.get("/sources").status_code == 503

    read_only(False)  # writable again: no restart needed
    assert api.post("/incidents", json=new).status_code == 201
    assert api.get("/sources").status_code == 200


def test_every_pooled_connection_busy_answers_503(app, api, postgres_url):
    if not postgres_url:
        pytest.skip("a connection pool exists on PostgreSQL only: runs with --database=postgresql")
    pool = make_database(postgres_url, pool_size=1)
    pool._wait_timeout = 0.2  # instead of 10 s
    database.initialize(pool)
    holding, release = threading.Event(), threading.Event()

    def hold_the_only_connection():
        database.connect()
        holding.set()
        release.wait(10)
        database.close()

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    holding.wait(10)
    try:
        busy = api.get("/incidents")
        assert busy.status_code == 503 and busy.headers["Retry-After"]
    finally:
        release.set()
        holder.join()
    assert api.get("/incidents").status_code == 200
    pool.close_all()
