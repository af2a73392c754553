"""HTTP throughput and latency of the main read endpoints, and a many-writers run, against
`evidence serve` (gunicorn, several workers) on a seeded database.

    python -m bench http [--backend sqlite|postgresql|both] [--incidents N] [--sources N]
                         [--workers N] [--connections N] [--seconds S]

Each read endpoint is driven by the same closed-loop load (wrk when installed, else threads
with keep-alive http.client connections) and compared with /health on the same server in
the same run: the ratio of requests per second is the figure that matters, the absolute
numbers depend on the machine (printed first). The writes phase creates sources from many
clients at once (and appends custody events to one chain when the custody API exists) and
counts errors: any 5xx or failed connection is one.

A read the service records in the audit log is also measured, in the same round, on a
second server on the same database that records no successful read (bench/unaudited.py, the
same service started by the benchmark with that one change): the ratio of the two is what
the audit entry costs. The report ends each backend with issue 14's targets, met or missed.

PostgreSQL runs need EVIDENCE_BENCH_POSTGRES_URL or EVIDENCE_TEST_POSTGRES_URL (a server
where a throwaway database can be created; it is dropped at the end).
"""

import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import psycopg

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))  # the live-server helpers the tests use

from live import Client, LiveServer, prepare_database, throwaway_postgres  # noqa: E402

from bench.coverage import write_section  # noqa: E402
from bench.generate import generate  # noqa: E402

WRK_SCRIPT = """
local ids = {%(ids)s}
local template = "%(template)s"
request = function()
  local path = template
  if #ids > 0 then path = string.gsub(template, "{id}", ids[math.random(#ids)]) end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "errors": %%d, "non2xx": %%d, '
    .. '"p50_ms": %%f, "p95_ms": %%f, "p99_ms": %%f}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3))
end
"""


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / 2**20
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, load average {load} "
        f"at the end (the machine is shared), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}"
    )


# ---------------------------------------------------------------- the database


def seed(url, incidents, sources, seed_value):
    """The seeded catalogue of bench/generate.py, with tokens and migrations on top."""
    started = time.perf_counter()
    # ANALYZE: planner statistics, as a database in service has them (autovacuum, or the
    # ANALYZE an operator runs after a bulk load).
    counts = generate(url, incidents, sources, seed_value, analyze=True)
    print(f"  seeded {counts} in {time.perf_counter() - started:.0f} s", flush=True)


# ---------------------------------------------------------------- the load


def drive_wrk(server, token, template, ids, connections, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"ids": ", ".join(map(str, ids)), "template": template})
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                "1",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                "-H",
                f"Authorization: Bearer {token}",
                server.url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def drive_threads(server, token, template, ids, connections, seconds):
    """The same closed loop from Python threads (each one keep-alive connection)."""
    latencies, errors, non2xx = [], [0], [0]
    stop = time.monotonic() + seconds

    def loop():
        client = Client(server.url, token)
        rng = random.Random()
        while time.monotonic() < stop:
            path = template.replace("{id}", str(rng.choice(ids))) if ids else template
            started = time.perf_counter()
            try:
                status, _, _ = client.request("GET", path)
            except OSError:
                errors[0] += 1
                continue
            latencies.append(time.perf_counter() - started)
            if status >= 300:
                non2xx[0] += 1
        client.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "errors": errors[0],
        "non2xx": non2xx[0],
        "rps": len(latencies) / elapsed,
        "p50_ms": q[49] * 1e3,
        "p95_ms": q[94] * 1e3,
        "p99_ms": q[98] * 1e3,
    }


def drain(server, limit=120):
    """Wait for the requests a run left in flight (the server finishes them after the
    clients have gone), so that they do not weigh on the next run: until /health answers
    three times in a row within 100 ms."""
    probe = Client(server.url)
    quick, deadline = 0, time.monotonic() + limit
    while quick < 3 and time.monotonic() < deadline:
        started = time.perf_counter()
        probe.request("GET", "/health")
        quick = quick + 1 if time.perf_counter() - started < 0.1 else 0
        time.sleep(0.05)
    probe.close()


def read_endpoints(server):
    """(label, path template) for the read endpoints this server has."""
    _, _, spec = Client(server.url).request("GET", "/api/v1/openapi.json")
    paths = spec["paths"]
    wanted = [
        ("incident list", "/api/v1/incidents", "/incidents"),
        ("incident list, one state", "/api/v1/incidents?state=MN", "/incidents"),
        ("source list (audited read)", "/api/v1/sources", "/sources"),
        (
            "sources of an incident (audited)",
            "/api/v1/incidents/{id}/sources",
            "/incidents/{incident_id}/sources",
        ),
        ("one incident", "/api/v1/incidents/{id}", "/incidents/{incident_id}"),
        (
            "coverage list (lacking bodycam)",
            "/api/v1/coverage/incidents?lacking=bodycam",
            "/coverage/incidents",
        ),
        (
            "coverage of an incident",
            "/api/v1/incidents/{id}/coverage",
            "/incidents/{incident_id}/coverage",
        ),
    ]
    return [
        (label, template)
        for label, template, path in wanted
        if path in paths or "/api/v1" + path in paths
    ]


def audited_reads(url, templates):
    """The path templates whose successful GET the service records in its audit log, as
    their views declare it (service/web/access.py), asked of the app itself."""
    from service.web import access, create_app

    app = create_app({"DATABASE_URL": url})
    found = set()
    for template in templates:
        with app.test_request_context(template.replace("{id}", "1")):
            if access.current().audited_reads:
                found.add(template)
    return found


def measure_reads(server, unaudited, incident_ids, options, driver):
    """Every endpoint in turn, `rounds` times over (the machine's other load drifts, so each
    round compares an endpoint with /health measured just before it); medians per endpoint.

    An audited read is measured twice in each round: on `server`, then on `unaudited` (the
    same service on the same database, except that it records no successful read: see
    bench/unaudited.py); the second run's `audit_ratio` is the first's requests per second
    over its own, the share of throughput the audit entry leaves."""
    token = server.tokens["oversight"]
    reads = read_endpoints(server)
    twinned = audited_reads(server.database_url, [t for _, t in reads]) if unaudited else set()
    endpoints = [("health (trivial)", "/health", server)]
    for label, template in reads:
        endpoints.append((label, template, server))
        if template in twinned:
            endpoints.append((f"{label}, without its audit entry", template, unaudited))
    runs = {label: [] for label, _, _ in endpoints}
    for round_number in range(1, options.rounds + 1):
        previous = None
        for label, template, target in endpoints:
            ids = incident_ids if "{id}" in template else []
            if round_number == 1:
                driver(target, token, template, ids, options.connections, 2)  # warm up
                drain(target)
            result = driver(target, token, template, ids, options.connections, options.seconds)
            drain(target)
            runs[label].append(result)
            result["ratio"] = result["rps"] / runs["health (trivial)"][-1]["rps"]
            if target is unaudited:
                result["audit_ratio"] = previous["rps"] / result["rps"]
            previous = result
            print(
                f"  round {round_number} {label:34} {result['rps']:7.1f} req/s "
                f"(x{result['ratio']:.2f})  p50 {result['p50_ms']:7.1f} ms  "
                f"p95 {result['p95_ms']:7.1f}  p99 {result['p99_ms']:7.1f}  "
                f"errors {result['errors']} non-2xx {result['non2xx']}",
                flush=True,
            )
    rows = []
    for label, results in runs.items():
        row = {
            key: statistics.median(r[key] for r in results)
            for key in ("rps", "ratio", "p50_ms", "p95_ms", "p99_ms")
        }
        if "audit_ratio" in results[0]:
            row["audit_ratio"] = statistics.median(r["audit_ratio"] for r in results)
            row["audit_ratio_min"] = min(r["audit_ratio"] for r in results)
            row["audit_ratio_max"] = max(r["audit_ratio"] for r in results)
        row.update(
            label=label,
            ratio_min=min(r["ratio"] for r in results),
            ratio_max=max(r["ratio"] for r in results),
            errors=sum(r["errors"] for r in results),
            non2xx=sum(r["non2xx"] for r in results),
            requests=sum(r["requests"] for r in results),
        )
        rows.append(row)
    return rows


# ---------------------------------------------------------------- many writers


def source_total(client, writers):
    """The sources of the writers' devices: each a short filtered list, counted exactly (the
    whole list's total is an estimate past EXACT_COUNT_LIMIT rows)."""
    total = 0
    for writer in range(writers):
        _, headers, _ = client.request("GET", f"sources?device_id=BENCH-{writer}&page_size=1")
        total += json.loads(headers["X-Pagination"])["total"]
    return total


def measure_writes(server, incident_ids, clients, each):
    """Sources created by many clients at once, then custody appends to one chain."""
    counts = {"created": 0, "errors": 0, "other": {}}
    lock = threading.Lock()
    run_tag = f"{time.time_ns():x}"

    def note(status):
        with lock:
            if status == 201:
                counts["created"] += 1
            elif status >= 500 or status == 0:
                counts["errors"] += 1
            else:
                counts["other"][status] = counts["other"].get(status, 0) + 1

    def create(writer):
        client = server.client("investigator")
        rng = random.Random(writer)
        for n in range(each):
            body = {
                "kind": "bodycam",
                "external_id": f"bench-{run_tag}-{writer}-{n}",
                "device_id": f"BENCH-{writer}",
            }
            try:
                status, _, _ = client.request(
                    "POST", f"incidents/{rng.choice(incident_ids)}/sources", body
                )
            except OSError:
                status = 0
            note(status)
        client.close()

    reader = server.client("oversight")
    before = source_total(reader, clients)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(create, range(clients)))
    elapsed = time.perf_counter() - started
    result = {
        "what": f"source creation, {clients} clients x {each}",
        "requests": clients * each,
        "seconds": elapsed,
        **counts,
        "stored": source_total(reader, clients) - before,
    }
    print(
        f"  {result['what']}: {result['requests'] / elapsed:.1f} writes/s, "
        f"created {counts['created']}, stored {result['stored']}, errors {counts['errors']}, "
        f"other {counts['other']}",
        flush=True,
    )
    results = [result]
    _, _, spec = reader.request("GET", "/api/v1/openapi.json")
    if {"/sources/{source_id}/custody", "/api/v1/sources/{source_id}/custody"} & set(spec["paths"]):
        results.append(measure_custody(server, incident_ids[0], clients, each))
    reader.close()
    return results


def measure_custody(server, incident_id, clients, each):
    """Appends to ONE source's chain from many clients: they must take turns."""
    admin = server.client("investigator")
    _, _, source = admin.request("POST", f"incidents/{incident_id}/sources", {"kind": "bodycam"})
    path = f"sources/{source['id']}/custody"
    admin.request(
        "POST",
        path,
        {"action": "received", "custodian": "Evidence room", "occurred_at": "2026-01-08T10:00:00Z"},
    )
    statuses = []

    def append(writer):
        client = server.client("investigator")
        for _ in range(each):
            try:
                status, _, _ = client.request(
                    "POST",
                    path,
                    {
                        "action": "copied",
                        "custodian": f"clerk {writer}",
                        "occurred_at": "2026-01-08T11:00:00Z",
                    },
                )
            except OSError:
                status = 0
            statuses.append(status)
        client.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(append, range(clients)))
    elapsed = time.perf_counter() - started
    _, _, verdict = admin.request("GET", f"{path}/verify")
    admin.close()
    result = {
        "what": f"custody appends to one chain, {clients} clients x {each}",
        "requests": len(statuses),
        "seconds": elapsed,
        "created": statuses.count(201),
        "errors": sum(1 for s in statuses if s >= 500 or s == 0),
        "other": {s: statuses.count(s) for s in set(statuses) - {201}},
        "chain": verdict,
    }
    print(
        f"  {result['what']}: {len(statuses) / elapsed:.1f} appends/s, created "
        f"{result['created']}, errors {result['errors']}, chain {verdict}",
        flush=True,
    )
    return result


# ---------------------------------------------------------------- one backend


def incident_sample(server, count=500):
    client = server.client("oversight")
    _, headers, _ = client.request("GET", "incidents?page_size=1")
    total = json.loads(headers["X-Pagination"])["total"]
    ids = []
    for page in range(1, 3):
        _, _, items = client.request("GET", f"incidents?page_size=1000&page={page}")
        ids += [i["id"] for i in items]
    client.close()
    random.Random(7).shuffle(ids)
    return ids[:count], total


def run_backend(backend, url, options, driver, workdir):
    print(
        f"\n== {backend}: seeding {options.incidents} incidents, {options.sources} sources",
        flush=True,
    )
    seed(url, options.incidents, options.sources, options.seed)
    tokens = prepare_database(url)
    servers = [
        LiveServer(
            url,
            tokens,
            workdir,
            workers=options.workers,
            threads=options.threads,
            env={"EVIDENCE_DATABASE_POOL_SIZE": str(options.threads)},
            module=module,
        )
        for module in ("service.cli", "bench.unaudited")
    ]
    server, unaudited = servers
    try:
        for each in servers:
            each.start(wait=120)
        incident_ids, total = incident_sample(server)
        print(
            f"  {total} incidents served by {options.workers} workers x {options.threads} "
            f"threads; {options.connections} connections, {options.seconds} s each",
            flush=True,
        )
        reads = measure_reads(server, unaudited, incident_ids, options, driver)
        unaudited.stop()  # idle from here on
        writes = measure_writes(server, incident_ids, options.writers, options.writes_each)
    finally:
        for each in servers:
            each.stop()
    return {"backend": backend, "reads": reads, "writes": writes}


# Issue 14's targets: (what, the row, the figure of that row, at least).
TARGETS = [
    ("one incident, to /health", "one incident", "ratio", 0.6),
    ("a page of 50 sources, to /health", "source list (audited read)", "ratio", 0.4),
]
AUDIT_TARGET = 0.8


def targets(rows):
    """The targets' lines for one backend's read rows: each figure, met or missed."""
    by_label = {r["label"]: r for r in rows}
    checks = [
        (what, by_label[label][key], least)
        for what, label, key, least in TARGETS
        if label in by_label
    ]
    checks += [
        (
            f"{r['label'].removesuffix(', without its audit entry')}: audited over unaudited",
            r["audit_ratio"],
            AUDIT_TARGET,
        )
        for r in rows
        if "audit_ratio" in r
    ]
    return [
        f"- target {what} >= {least}: {_shown(value, least)}, "
        f"{'met' if value >= least else 'missed'}"
        for what, value, least in checks
    ]


def _shown(value, least):
    """`value` to two decimals, or three where two would round a miss up onto its target
    (0.796 against 0.8 reads "0.80, missed" otherwise)."""
    shown = f"{value:.2f}"
    return f"{value:.3f}" if value < least and float(shown) >= least else shown


def report(results, options, driver_name):
    lines = [
        f"Machine: {machine()}. Load: {driver_name}, {options.connections} connections, "
        f"{options.rounds} rounds of {options.seconds} s per endpoint (medians; the ratio "
        f"is to /health measured just before, in the same round) after 2 s of warm-up; "
        f"between runs the server finishes what was in flight; "
        f"server: `evidence serve "
        f"--workers {options.workers} --threads {options.threads}`; data: "
        f"{options.incidents} incidents, {options.sources} sources (seed {options.seed}).",
        "",
    ]
    for result in results:
        lines += [
            f"**{result['backend']}**",
            "",
            "| endpoint | req/s | ratio to /health (rounds' range) | p50 ms | p95 ms | "
            "p99 ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in result["reads"]:
            audit = (
                f"; audited/unaudited {r['audit_ratio']:.2f} "
                f"({r['audit_ratio_min']:.2f}-{r['audit_ratio_max']:.2f})"
                if "audit_ratio" in r
                else ""
            )
            lines.append(
                f"| {r['label']} | {r['rps']:.0f} | {r['ratio']:.2f} "
                f"({r['ratio_min']:.2f}-{r['ratio_max']:.2f}){audit} | "
                f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                f"{r['errors'] + r['non2xx']} |"
            )
        lines += [""] + targets(result["reads"]) + [""]
        for w in result["writes"]:
            extra = (
                f", chain valid: {w['chain'].get('valid')}"
                if "chain" in w
                else (f", rows stored {w['stored']}")
            )
            lines.append(
                f"- {w['what']}: {w['requests'] / w['seconds']:.0f} per second, "
                f"{w['created']} created, errors {w['errors']}, other answers "
                f"{w['other'] or 'none'}{extra}"
            )
        lines.append("")
    return "\n".join(lines)


def main(
    *,
    backend,
    incidents,
    sources,
    seed,
    workers,
    threads,
    connections,
    seconds,
    rounds,
    writers,
    writes_each,
    driver,
    json_path,
    write_docs,
):
    """`python -m bench http`: seeds, serves and loads each of `backend` ("sqlite",
    "postgresql" or "both"), prints the report (and writes it into `write_docs`, the raw
    results into `json_path`)."""
    # The options as the report and the raw results name them.
    options = SimpleNamespace(
        backend=backend,
        incidents=incidents,
        sources=sources,
        seed=seed,
        workers=workers,
        threads=threads,
        connections=connections,
        seconds=seconds,
        rounds=rounds,
        writers=writers,
        writes_each=writes_each,
        driver=driver,
        json=json_path,
        write_docs=write_docs,
    )
    # Stopped with SIGTERM: still stop the server and drop the throwaway database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    use_wrk = options.driver == "wrk" or (options.driver == "auto" and shutil.which("wrk"))
    driver, driver_name = (
        (drive_wrk, "wrk (1 thread)")
        if use_wrk
        else (drive_threads, "Python threads with keep-alive connections")
    )
    backends = ["sqlite", "postgresql"] if options.backend == "both" else [options.backend]
    admin_url = os.environ.get("EVIDENCE_BENCH_POSTGRES_URL") or os.environ.get(
        "EVIDENCE_TEST_POSTGRES_URL"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-http-") as workdir:
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:///{os.path.join(workdir, 'bench.db')}"
                results.append(run_backend(backend, url, options, driver, workdir))
                continue
            if not admin_url:
                print(
                    "\n== postgresql: skipped (set EVIDENCE_BENCH_POSTGRES_URL or "
                    "EVIDENCE_TEST_POSTGRES_URL)"
                )
                continue
            with throwaway_postgres(admin_url, "evidence_bench") as url:
                with psycopg.connect(url) as conn:
                    version = conn.execute("SHOW server_version").fetchone()[0]
                results.append(run_backend(f"postgresql {version}", url, options, driver, workdir))
    text = report(results, options, driver_name)
    print("\n" + text)
    if options.write_docs:
        write_section(
            options.write_docs, "http", "## HTTP: the API under concurrent clients\n\n" + text
        )
        print(f"written to {options.write_docs}")
    if options.json:
        with open(options.json, "w") as f:
            json.dump(
                {"machine": machine(), "options": vars(options), "results": results}, f, indent=2
            )
