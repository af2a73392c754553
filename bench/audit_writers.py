"""Audited writes per second as writers are added, on PostgreSQL, through one and then two
`evidence serve` processes on the same database.

    python -m bench audit_writers --writers 1,2,4,8,16 --servers 1,2 --seconds 5

Writes are spread over 64 incidents. Every write is audited (its entry inserted in the
write's transaction). Before the Merkle log each audited request took one global advisory
lock through its commit, so adding writers added waiting; now an entry is inserted with its
own leaf hash and the sequencer of one server at a time seals in the background. Each step
creates sources from N keep-alive clients (split evenly between the servers) for the given
time and reports writes per second; after each step every acknowledged source must be
stored exactly once, and at the end every audit entry must be sealed exactly once (no gap,
no repeat in the tree's sequence) and the log must verify.

Needs EVIDENCE_BENCH_POSTGRES_URL or EVIDENCE_TEST_POSTGRES_URL (a throwaway database is
made and dropped).
"""

import os
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))  # the live-server helpers the tests use

from live import LiveServer, connected, prepare_database, throwaway_postgres  # noqa: E402

from bench.coverage import write_section  # noqa: E402

# Writes spread over this many incidents: writes to one incident take turns on its
# coverage counters (as they must), which is not what this measures.
INCIDENTS = 64


def _step(servers, incident_ids, writers, seconds, tag):
    """(writes/s, errors, acknowledged external ids) of `writers` clients, writer w talking
    to servers[w % len(servers)]."""
    acknowledged, errors, stop = [[] for _ in range(writers)], [0], threading.Event()

    def writer(w):
        client = servers[w % len(servers)].client()
        n = 0
        while not stop.is_set():
            external_id = f"{tag}-{w}-{n}"
            status, _, _ = client.request(
                "POST",
                f"incidents/{incident_ids[(w * 7 + n) % len(incident_ids)]}/sources",
                {"kind": "bodycam", "external_id": external_id},
            )
            if status == 201:
                acknowledged[w].append(external_id)
            else:
                errors[0] += 1
            n += 1
        client.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(60)
    done = [e for ids in acknowledged for e in ids]
    return len(done) / (time.perf_counter() - started), errors[0], done


def _stored_once(url, tag, acknowledged):
    """Whether the sources of step `tag` are exactly the acknowledged ones, once each."""
    from service.storage.models import Source

    with connected(url):
        stored = [
            e
            for (e,) in Source.select(Source.external_id)
            .where(Source.external_id.startswith(f"{tag}-"))
            .tuples()
        ]
    return sorted(stored) == sorted(acknowledged)


def _sealed_once(url, timeout=60):
    """(entries, whether each is sealed exactly once with no gap) once the sequencers caught
    up."""
    from service.storage.models import AuditEntry

    with connected(url):
        waiting = AuditEntry.select().where(AuditEntry.seq.is_null() & (AuditEntry.prev_hash == ""))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and waiting.exists():
            time.sleep(0.2)
        sealed = sorted(s for (s,) in AuditEntry.select(AuditEntry.seq).tuples() if s is not None)
        return len(sealed), sealed == list(range(len(sealed)))


def main(*, writers, servers, seconds, workers, threads, write_docs):
    """`python -m bench audit_writers`."""
    from service.domain import audit

    admin_url = os.environ.get("EVIDENCE_BENCH_POSTGRES_URL") or os.environ.get(
        "EVIDENCE_TEST_POSTGRES_URL"
    )
    if not admin_url:
        sys.exit("set EVIDENCE_BENCH_POSTGRES_URL (a PostgreSQL server to make a database on)")
    rows = []
    with throwaway_postgres(admin_url, "evidence_bench") as url:
        tokens = prepare_database(url)
        with tempfile.TemporaryDirectory() as directory:
            running = []
            try:
                for count in servers:
                    while len(running) < count:
                        running.append(
                            LiveServer(url, tokens, directory, workers=workers, threads=threads)
                        )
                        running[-1].start()
                    client = running[0].client()
                    incident_ids = [
                        client.request(
                            "POST",
                            "incidents",
                            {"title": f"bench {i}", "started_at": "2026-01-07T10:00:00Z"},
                        )[2]["id"]
                        for i in range(INCIDENTS)
                    ]
                    client.close()
                    for n in writers:
                        tag = f"aw-{count}-{n}"
                        rate, errors, done = _step(running, incident_ids, n, seconds, tag)
                        once = _stored_once(url, tag, done)
                        rows.append((count, n, rate, errors, len(done), once))
                        print(
                            f"{count} server(s), {n:3d} writers: {rate:7.1f} audited writes/s, "
                            f"errors {errors}, {len(done)} acknowledged, stored once each: {once}"
                        )
                entries, sealed_once = _sealed_once(url)
            finally:
                for server in running:
                    server.stop()
        with connected(url):
            result = audit.verify()
    load = os.getloadavg()[0]
    lines = [
        "## Audited writes as writers and servers are added (PostgreSQL)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench audit_writers`: "
        f"`evidence serve --workers {workers} --threads {threads}`, one and then two of them "
        "on the same database, each writer a keep-alive client (writers split evenly between "
        f"the servers) creating sources for {seconds} s; load average {load:.1f} at the end "
        "(2 shared cores).",
        "",
        "| servers | writers | audited writes/s | errors | acknowledged | stored once each |",
        "|---:|---:|---:|---:|---:|---|",
        *(
            f"| {count} | {n} | {rate:.0f} | {errors} | {done} | {'yes' if once else 'NO'} |"
            for count, n, rate, errors, done, once in rows
        ),
        "",
        f"Afterwards: {entries} audit entries, each sealed exactly once with no gap in the "
        f"tree's sequence: {'yes' if sealed_once else 'NO'}; {result['sealed']} sealed under "
        f"{result['tree_heads']} tree heads, {result['unsealed']} not yet sealed when the "
        f"servers stopped (the next server seals them), log valid: {result['valid']}.",
    ]
    body = "\n".join(lines)
    print(body)
    if write_docs:
        write_section(write_docs, "audit_writers", body)
