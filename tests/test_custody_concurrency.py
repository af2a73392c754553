"""Concurrent appends to one chain through the real server (gunicorn, several worker
processes and threads) never fork or break the chain. Runs on whichever database the
suite runs on: BEGIN IMMEDIATE on SQLite, row locks on PostgreSQL."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
THREADS = 4
EVENTS_PER_THREAD = 5


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, token=None, body=None, timeout=30):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def server(app, database_url, tmp_path):
    """`evidence serve` in a subprocess on a free local port, on the test's database."""
    port = _free_port()
    env = {**os.environ, "EVIDENCE_DATABASE_URL": database_url}
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
                "--threads",
                "4",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _request(base + "/health", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("server did not start:\n" + log_path.read_text())
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_concurrent_appends_keep_one_unbroken_chain(server, api, make, tokens):
    incident = make.incident()
    source = make.source(incident["id"], "bodycam", sha256="ef" * 32)
    chain_url = f"{server}/api/v1/sources/{source['id']}/custody"
    status, first = _request(chain_url, tokens["investigator"], {"action": "received"})
    assert status == 201 and first["seq"] == 1

    start = threading.Barrier(THREADS)
    answers = []
    lock = threading.Lock()

    def append_many(thread):
        start.wait()
        for i in range(EVENTS_PER_THREAD):
            answer = _request(
                chain_url,
                tokens["investigator"],
                {
                    "action": "verified",
                    "sha256_observed": "ef" * 32,
                    "note": f"thread {thread} event {i}",
                },
            )
            with lock:
                answers.append(answer)

    workers = [threading.Thread(target=append_many, args=(t,)) for t in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers)

    total = 1 + THREADS * EVENTS_PER_THREAD
    assert [status for status, _ in answers] == [201] * (THREADS * EVENTS_PER_THREAD), answers
    assert sorted(event["seq"] for _, event in answers) == list(range(2, total + 1))

    status, chain = _request(chain_url + "?page_size=1000", tokens["oversight"])
    assert status == 200
    assert [e["seq"] for e in chain] == list(range(1, total + 1))
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(chain, chain[1:], strict=False))
    notes = {e["note"] for e in chain[1:]}
    assert len(notes) == THREADS * EVENTS_PER_THREAD  # every append stored once
    status, verdict = _request(chain_url + "/verify", tokens["oversight"])
    verdict.pop("expected"), verdict.pop("recorded")
    assert verdict == {
        "source_id": source["id"],
        "valid": True,
        "events": total,
        "first_invalid_seq": None,
        "head_hash": chain[-1]["hash"],
        "problem": None,
    }
    assert api.get(f"/sources/{source['id']}").get_json()["integrity"] == "verified"
