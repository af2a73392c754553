"""Several `evidence serve` processes on one database: concurrent writes through both are
neither lost nor duplicated, their audit entries are sealed once each into one Merkle tree
(one sequencer at a time), and the whole log verifies."""

import threading
import time

from live import LiveServer, connected, prepare_database

from service.domain import audit
from service.storage.models import AuditEntry, AuditTreeHead, Source

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
