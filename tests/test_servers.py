"""Several `evidence serve` processes on one database: concurrent writes through both are
neither lost nor duplicated, their audit entries are sealed once each into one Merkle tree
(one sequencer at a time), and the whole log verifies."""

import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from live import REPO, Client, LiveServer, connected, prepare_database

from service.domain import audit
from service.storage.models import AuditEntry, AuditTreeHead, Source
from service.web import server as serving

WRITERS_PER_SERVER = 3
WRITES_EACH = 15


def test_two_servers_on_one_database_lose_and_duplicate_nothing(live_database, tmp_path):
    tokens = prepare_database(live_database)
    servers = [
        LiveServer(live_database, tokens, tmp_path, workers=2, threads=2).start() for _ in range(2)
    ]
    try:
        client = servers[0].client()
        status, _, incident = client.request(
            "POST", "incidents", {"title": "Shared", "started_at": "2026-01-07T10:00:00Z"}
        )
        assert status == 201
        client.close()
        acknowledged, failures = [], []

        def writer(server, w):
            client = server.client()
            try:
                for n in range(WRITES_EACH):
                    status, _, body = client.request(
                        "POST",
                        f"incidents/{incident['id']}/sources",
                        {"kind": "bodycam", "external_id": f"p{server.port}-w{w}-{n}"},
                    )
                    (acknowledged if status == 201 else failures).append(body)
                    # reads of evidence are audited too
                    client.request("GET", f"sources/{body['id']}" if status == 201 else "sources")
            finally:
                client.close()

        threads = [
            threading.Thread(target=writer, args=(server, w))
            for server in servers
            for w in range(WRITERS_PER_SERVER)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not failures
        assert len(acknowledged) == 2 * WRITERS_PER_SERVER * WRITES_EACH

        with connected(live_database):
            stored = [s.external_id for s in Source.select(Source.external_id)]
            assert sorted(stored) == sorted(a["external_id"] for a in acknowledged)
            deadline = time.monotonic() + 60  # the sequencers seal about every second
            while (
                time.monotonic() < deadline
                and AuditEntry.select().where(AuditEntry.seq.is_null()).exists()
            ):
                time.sleep(0.2)
            entries = AuditEntry.select().count()
            seqs = sorted(e.seq for e in AuditEntry.select(AuditEntry.seq))
            assert seqs == list(range(entries))  # each entry sealed once, no gaps
            assert AuditTreeHead.select().count() >= 1
            assert entries >= 2 * len(acknowledged)
            result = audit.verify()
            assert result["valid"] and result["sealed"] == entries, result
        # ...and each server reads what the other wrote
        for server in servers:
            client = server.client()
            status, headers, _ = client.request("GET", "sources?page_size=1")
            client.close()
            assert status == 200 and f'"total": {len(acknowledged)}' in headers["X-Pagination"]
    finally:
        for server in servers:
            server.stop()


# ---------------------------------------------------------------- connections over workers


def _socket_inodes(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _tcp_sockets(port, state):
    """Inodes of the IPv4 sockets on local `port` in `state` (0A listening, 01 established)."""
    found = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
                found.add(fields[9])
    return found


def _workers(server):
    with open(f"/proc/{server.process.pid}/task/{server.process.pid}/children") as f:
        return [int(pid) for pid in f.read().split()]


@pytest.mark.skipif(not serving.SPREAD_CONNECTIONS, reason="SO_REUSEPORT spreads only on Linux")
def test_connections_opened_at_once_are_spread_over_the_workers(live_database, tmp_path):
    """Each worker listens on its own socket, so the connections a client opens together
    (and keeps alive) are not all taken by the worker that woke first; and a second server
    on the same port is refused instead of silently taking a share of them."""
    tokens = prepare_database(live_database)
    server = LiveServer(live_database, tokens, tmp_path, workers=3, threads=2).start()
    clients = []
    try:
        deadline = time.monotonic() + 30  # the workers bind as they boot
        while len(_tcp_sockets(server.port, "0A")) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_tcp_sockets(server.port, "0A")) == 3
        assert f"serving http://127.0.0.1:{server.port} (3 workers x 2 threads; a socket per" in (
            server.log()
        )
        clients = [Client(server.url) for _ in range(16)]
        for client in clients:  # 16 keep-alive connections, each answered once
            assert client.request("GET", "/health")[0] == 200
        established = _tcp_sockets(server.port, "01")
        held = [len(_socket_inodes(pid) & established) for pid in _workers(server)]
        assert sum(held) == 16, held
        assert max(held) < 16 and sum(1 for n in held if n) >= 2, held

        second = subprocess.run(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(server.port)],
            cwd=REPO,
            env={**os.environ, "EVIDENCE_DATABASE_URL": live_database},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert f"127.0.0.1:{server.port} is already in use" in second.stderr
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_a_port_something_listens_on_is_refused():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(serving.PortInUse, match=f"127.0.0.1:{port} is already in use"):
            serving.check_free("127.0.0.1", port)
    serving.check_free("127.0.0.1", port)  # closed: free again
