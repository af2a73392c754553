"""Audited writes per second as writers are added, on PostgreSQL, through `evidence serve`.

    python -m bench audit_writers --writers 1,2,4,8,16 --seconds 5

Writes are spread over 64 incidents. Every write is audited (its entry inserted in the
write's transaction). Before the Merkle log each audited request took one global advisory
lock through its commit, so adding writers added waiting; now an entry is inserted with its
own leaf hash and the sequencer seals in the background. Each step creates sources from N
keep-alive clients for the given time and reports writes per second; at the end the log must
verify.

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


def _step(server, incident_ids, writers, seconds):
    counts, errors, stop = [0] * writers, [0], threading.Event()

    def writer(w):
        client = server.client()
        n = 0
        while not stop.is_set():
            status, _, _ = client.request(
                "POST",
                f"incidents/{incident_ids[(w * 7 + n) % len(incident_ids)]}/sources",
                {"kind": "bodycam", "external_id": f"aw-{writers}-{w}-{n}"},
            )
            if status == 201:
                counts[w] += 1
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
    return sum(counts) / (time.perf_counter() - started), errors[0]


def main(*, writers, seconds, workers, threads, write_docs):
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
            server = LiveServer(url, tokens, directory, workers=workers, threads=threads)
            server.start()
            try:
                client = server.client()
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
                    rate, errors = _step(server, incident_ids, n, seconds)
                    rows.append((n, rate, errors))
                    print(f"{n:3d} writers: {rate:7.1f} audited writes/s, errors {errors}")
            finally:
                server.stop()
        with connected(url):
            result = audit.verify()
    load = os.getloadavg()[0]
    lines = [
        "## Audited writes as writers are added (PostgreSQL)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench audit_writers`: "
        f"`evidence serve --workers {workers} --threads {threads}`, each writer a keep-alive "
        f"client creating sources for {seconds} s; load average {load:.1f} at the end "
        "(2 shared cores).",
        "",
        "| writers | audited writes/s | errors |",
        "|---:|---:|---:|",
        *(f"| {n} | {rate:.0f} | {errors} |" for n, rate, errors in rows),
        "",
        f"Afterwards: {result['sealed']} entries sealed under {result['tree_heads']} tree heads, "
        f"{result['unsealed']} not yet sealed when the server stopped (the next server seals "
        f"them), log valid: {result['valid']}.",
    ]
    body = "\n".join(lines)
    print(body)
    if write_docs:
        write_section(write_docs, "audit_writers", body)
