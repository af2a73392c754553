"""The real server for tests that need one: `evidence serve` (gunicorn, several worker
processes) in a subprocess on a free loopback port, and a small HTTP client for it.

Used through the `live_server` fixture (tests/conftest.py); the helpers are importable for
tests that start servers of their own (`from live import LiveServer`).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import psycopg

from service.domain.auth import create_token
from service.domain.chains import all_chains_valid
from service.domain.vocabulary import ROLES
from service.storage.db import make_database
from service.storage.migrations import upgrade
from service.storage.transfer import bound_to

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_dbname(url, name):
    return urlunparse(urlparse(url)._replace(path="/" + name))


@contextmanager
def throwaway_postgres(admin_url, prefix="evidence_test"):
    """A new, empty PostgreSQL database on `admin_url`'s server, dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_dbname(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def connected(url):
    """The models bound to the database at `url` for a while (outside any app)."""
    db = make_database(url)
    try:
        with bound_to(db):
            yield db
    finally:
        db.close()
        if hasattr(db, "close_all"):
            db.close_all()


def prepare_database(url):
    """Tables for a new inventory at `url`, and a token per role (named after it)."""
    with connected(url) as db:
        upgrade()
        with db.atomic():
            return {role: create_token(role, role) for role in ROLES}


def verified_chains(url):
    """{"audit": valid, "custody": valid (once custody exists)} for the database at `url`."""
    with connected(url):
        return all_chains_valid()


class Client:
    """One keep-alive HTTP connection to the server (use one per thread)."""

    def __init__(self, base_url, token=None, timeout=30):
        parsed = urlparse(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.token = token
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, parsed JSON or text); paths not starting with / go under /api/v1."""
        if not path.startswith("/"):
            path = "/api/v1/" + path
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        reused = self.conn is not None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            if reused and method == "GET":
                # The server closes idle keep-alive connections; a read is safe to send again
                # (a write is not: it may have been done before the connection dropped).
                return self.request(method, path, body, headers)
            raise
        text = raw.decode("utf-8", "replace")
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = text
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, dict(response.getheaders()), payload

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class LiveServer:
    """`evidence serve` on `database_url`, in its own process group (`module`: another
    `python -m MODULE serve` with the same options, such as a benchmark's variant)."""

    def __init__(
        self,
        database_url,
        tokens,
        workdir,
        workers=3,
        threads=4,
        env=None,
        user=None,
        module="service.cli",
    ):
        self.database_url = database_url
        self.tokens = tokens
        self.workdir = str(workdir)
        self.workers = workers
        self.threads = threads
        self.env = env or {}
        self.user = user
        self.module = module  # run as `python -m MODULE serve ...`
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = os.path.join(self.workdir, f"server-{self.port}.log")

    def client(self, role="investigator"):
        return Client(self.url, self.tokens[role] if role else None)

    def start(self, wait=30):
        env = {**os.environ, "EVIDENCE_DATABASE_URL": self.database_url, **self.env}
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.module,
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self.user,
        )
        log.close()
        deadline = time.monotonic() + wait
        probe = Client(self.url, timeout=2)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.log()}")
            try:
                status, _, _ = probe.request("GET", "/health")
                if status == 200:
                    return self
            except OSError:
                pass
            finally:
                probe.close()
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {wait} s:\n{self.log()}")

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def _signal_group(self, sig):
        try:
            os.killpg(self.process.pid, sig)  # the group of the process this object started
        except ProcessLookupError:
            pass

    def kill(self):
        """SIGKILL the master and its workers at once, as a crash or the OOM killer would."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, grace=20):
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
        # Workers may outlive the master by a moment.
        self._signal_group(signal.SIGKILL)
