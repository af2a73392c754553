"""Fixtures in the style of the Flask tutorial: an app per test on its own database.

`pytest` runs on SQLite (a temporary file per test). `pytest --database=postgresql`
runs on a database made for this run on EVIDENCE_TEST_POSTGRES_URL's server, dropped
at the end; tables are emptied between tests.
"""

import os
import shutil
import threading
import time

import pytest
from live import LiveServer, prepare_database, throwaway_postgres
from peewee import OperationalError

from service.domain.auth import create_token
from service.domain.vocabulary import ROLES
from service.storage.db import database, make_database
from service.storage.migrations import upgrade
from service.storage.models import ALL_MODELS, create_tables
from service.web import create_app


def pytest_addoption(parser):
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database the suite runs on",
    )


def pytest_report_header(config):
    return f"database: {config.getoption('--database')}"


@pytest.fixture(scope="session")
def postgres_url(request):
    """A fresh PostgreSQL database for this run, or None on SQLite."""
    if request.config.getoption("--database") != "postgresql":
        yield None
        return
    admin_url = os.environ.get("EVIDENCE_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.exit("--database=postgresql needs EVIDENCE_TEST_POSTGRES_URL", returncode=2)
    with throwaway_postgres(admin_url) as url:
        yield url


@pytest.fixture
def database_url(postgres_url, tmp_path):
    return postgres_url or f"sqlite:///{tmp_path / 'evidence.db'}"


def _empty_postgres_tables(attempts=5):
    """Empty every table between tests. TRUNCATE takes every table's strongest lock at once;
    when a connection a previous test left behind (a server or worker thread finishing its
    last request) is reading meanwhile, PostgreSQL may break the deadlock by cancelling the
    TRUNCATE: it is tried again (once the other side is done), never skipped."""
    names = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS)
    for attempt in range(attempts):
        try:
            with database.atomic():
                database.execute_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        except OperationalError as error:
            if "deadlock" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(scope="session")
def _shared_app(tmp_path_factory, postgres_url):
    """One app for the session (building one takes a while); each test binds its own database.

    On SQLite each test gets a copy of a database file whose tables were created once.
    """
    template = tmp_path_factory.mktemp("template") / "evidence.db"
    url = postgres_url or f"sqlite:///{template}"
    # The dashboard's session key file lives with the run, not in the working directory.
    key_file = tmp_path_factory.mktemp("keys") / "secret_key"
    # The unauthenticated rate limit is off for the suite (the role matrix alone sends dozens
    # of requests without a token); tests of the limit turn it on (tests/test_clients.py).
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY_FILE": str(key_file),
            "SIGNING_KEY_FILE": str(key_file.parent / "signing_key.pem"),
            "UNAUTHENTICATED_PER_MINUTE": 0,
        }
    )
    with app.app_context():
        upgrade()  # as `evidence init-db` does
        database.close()
    return app, (None if postgres_url else template)


@pytest.fixture
def app(_shared_app, database_url):
    app, template = _shared_app
    saved_config = dict(app.config)
    if template is not None:
        shutil.copyfile(template, database_url[len("sqlite:///") :])
    app.config["DATABASE_URL"] = database_url
    app.extensions.pop("evidence_rate_limiter", None)
    database.initialize(
        make_database(database_url, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    )
    with app.app_context():
        create_tables()
        if template is None:
            _empty_postgres_tables()
        yield app
        if not database.is_closed():
            database.close()
        close_all = getattr(database.obj, "close_all", None)
        if close_all:
            close_all()
    app.config.clear()
    app.config.update(saved_config)


@pytest.fixture
def live_database(postgres_url, tmp_path):
    """A new, empty inventory for a live server: a SQLite file, or (--database=postgresql) a
    PostgreSQL database of its own, since the server's processes write while the test runs."""
    if postgres_url is None:
        yield f"sqlite:///{tmp_path / 'live.db'}"
        return
    with throwaway_postgres(os.environ["EVIDENCE_TEST_POSTGRES_URL"], "evidence_live") as url:
        yield url


@pytest.fixture
def live_server(live_database, tmp_path):
    """`evidence serve --workers 3` on a free 127.0.0.1 port: `.url`, `.tokens` (per role),
    `.client(role)` (a keep-alive HTTP client), `.kill()` (SIGKILL), `.start()` again."""
    server = LiveServer(live_database, prepare_database(live_database), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_audit_sequencer_left_running():
    """A test that starts an audit sequencer thread in this process (an app not in testing
    mode, with AUDIT_SEAL_SECONDS) stops it: one left running seals in whatever database the
    next tests connect to, and once held a write lock on another test's SQLite file."""
    yield
    left = [t for t in threading.enumerate() if t.name == "audit-sequencer" and t.is_alive()]
    assert not left, "the test left an audit sequencer thread running"


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def tokens(app):
    """A token for each role, named after it."""
    with database.atomic():
        return {role: create_token(role, role) for role in ROLES}


class Api:
    """The HTTP API as a client sees it: paths under /api/v1, a token per role."""

    def __init__(self, client, tokens):
        self.client = client
        self.tokens = tokens

    def request(self, method, path, role="investigator", headers=None, **kwargs):
        headers = dict(headers or {})
        if role is not None:
            headers.setdefault("Authorization", f"Bearer {self.tokens[role]}")
        url = path
        if not path.startswith(("/api/", "/health", "/dashboard")):
            url = "/api/v1" + path
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def create(self, path, body, role="investigator"):
        """POST that must succeed with 201; returns the created resource."""
        response = self.post(path, json=body, role=role)
        assert response.status_code == 201, (path, response.status_code, response.get_json())
        return response.get_json()


@pytest.fixture
def api(client, tokens):
    return Api(client, tokens)


@pytest.fixture
def make(api):
    """Builders for a small, valid catalogue through the API."""
    return Builders(api)


class Builders:
    def __init__(self, api):
        self.api = api
        self._n = 0

    def _next(self):
        self._n += 1
        return self._n

    def agency(self, code="CBP", **extra):
        return self.api.create(
            "/agencies",
            {"code": code, "name": f"Agency {code}", "jurisdiction": "federal", **extra},
        )

    def officer(self, agency="CBP", **extra):
        n = self._next()
        return self.api.create(
            "/officers",
            {
                "agency": agency,
                "badge_number": f"B{n}",
                "name": f"Officer {n}",
                "camera_issued": True,
                **extra,
            },
        )

    def incident(self, **extra):
        body = {
            "title": "Test incident",
            "kind": "shooting",
            "started_at": "2026-01-24T09:00:00-06:00",
            **extra,
        }
        return self.api.create("/incidents", body)

    def involve(self, incident_id, officer_id, **extra):
        return self.api.create(
            f"/incidents/{incident_id}/officers", {"officer_id": officer_id, **extra}
        )

    def source(self, incident_id, kind="bodycam", **extra):
        return self.api.create(f"/incidents/{incident_id}/sources", {"kind": kind, **extra})

    def custody(self, source_id, *actions):
        """Custody events in order, e.g. custody(id, "received", "checked_out"); `disposed`
        goes the only way it can: a disposal request approved by an admin."""
        return [
            self.dispose(source_id)
            if action == "disposed"
            else self.api.create(f"/sources/{source_id}/custody", {"action": action})
            for action in actions
        ]

    def dispose(self, source_id, reason="retention period over", requester="investigator"):
        """Dispose of a source: a request, then an admin's approval; the `disposed` event."""
        request = self.api.create(
            f"/sources/{source_id}/disposal-requests", {"reason": reason}, role=requester
        )
        approved = self.api.post(f"/disposal-requests/{request['id']}/approve", role="admin")
        assert approved.status_code == 200, approved.get_json()
        return self.api.get(f"/sources/{source_id}/custody").get_json()[-1]

    def review(self, source_id, status, **extra):
        return self.api.create(f"/sources/{source_id}/reviews", {"status": status, **extra})
