"""Proxies and logs (issue 13, finding 14): the audit `ip` comes from X-Forwarded-For only
through a trusted proxy; unauthenticated requests are rate limited per address (429 with
Retry-After); control characters never reach the access log as themselves."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from service.storage.models import AuditEntry
from service.web.clients import RateLimiter, client_address, trusted_networks
from service.web.server import EscapingLogger, escape_controls


def last_ip():
    return AuditEntry.select().order_by(AuditEntry.id.desc()).first().ip


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(app, api):
    headers = {"X-Forwarded-For": "203.0.113.9"}
    api.get("/audit", role="admin", headers=headers)
    assert last_ip() == "127.0.0.1"  # no proxy trusted: the peer's address
    app.config["TRUSTED_PROXY_NETWORKS"] = trusted_networks("127.0.0.0/8")
    api.get("/audit", role="admin", headers=headers)
    assert last_ip() == "203.0.113.9"
    spoofed = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}
    api.get("/audit", role="admin", headers=spoofed)
    assert last_ip() == "198.51.100.7"  # the address the trusted proxy saw, not the client's claim


def test_client_address_walks_the_chain_from_the_right():
    nets = trusted_networks("10.0.0.0/8, 192.168.1.1")
    assert client_address("10.0.0.2", "1.2.3.4, 192.168.1.1", nets) == "1.2.3.4"
    assert client_address("8.8.8.8", "1.2.3.4", nets) == "8.8.8.8"
    assert client_address("10.0.0.2", "garbage", nets) == "10.0.0.2"
    with pytest.raises(RuntimeError):
        trusted_networks("not-an-address")


def test_unauthenticated_requests_are_limited_per_address(app, api):
    app.config["UNAUTHENTICATED_PER_MINUTE"] = 3
    before = AuditEntry.select().count()
    codes = [api.get("/incidents", role=None).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    r = api.get("/incidents", role=None)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert "retry after" in r.get_json()["message"]
    assert AuditEntry.select().count() == before + 3  # refused by the limit: not logged
    assert api.get("/incidents").status_code == 200  # a valid token is never limited


def test_the_window_slides():
    now = [1000.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    assert limiter.hit("a") is None and limiter.hit("a") is None
    assert limiter.hit("a") == 60 and limiter.hit("b") is None
    now[0] += 59.5
    assert limiter.hit("a") == 1
    now[0] += 1
    assert limiter.hit("a") is None


def test_control_characters_are_escaped_in_the_access_log():
    assert escape_controls("/api/v1/x\nFAKE 200") == "/api/v1/x\\x0aFAKE 200"
    assert escape_controls("a\\x0a") == "a\\\\x0a"
    logger = EscapingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/%0Ainjected",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/api/v1/\ninjected\r\x1b[31m",
        "REMOTE_ADDR": "127.0.0.1",
    }
    resp = SimpleNamespace(status="404 NOT FOUND", sent=10, headers=[])
    atoms = logger.atoms(resp, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=5))
    line = '%(h)s "%(m)s %(U)s" %(s)s' % atoms  # noqa: UP031 (gunicorn's own formatting)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line == '127.0.0.1 "GET /api/v1/\\x0ainjected\\x0d\\x1b[31m" 404'
