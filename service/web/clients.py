"""Who is asking: the client's address (through trusted reverse proxies only) and a limit on
unauthenticated requests per address (docs/security.md)."""

import ipaddress
import math
import threading
import time
from collections import deque

from flask import current_app, request


def trusted_networks(setting):
    """EVIDENCE_TRUSTED_PROXIES: addresses or networks, comma-separated (`10.0.0.5,
    192.168.0.0/24`). Invalid entries raise at start-up, never silently trust."""
    networks = []
    for part in (setting or "").split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise RuntimeError(f"EVIDENCE_TRUSTED_PROXIES: {part!r} is not an address") from exc
    return networks


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks):
    return address is not None and any(address in n for n in networks)


def client_address(remote_addr, forwarded_for, networks):
    """The client's address: the peer's, unless the peer is a trusted proxy, in which case
    X-Forwarded-For is read from the right, skipping trusted proxies, and the first address
    that is not one is the client (what an untrusted client wrote further left is ignored)."""
    peer = _address(remote_addr or "")
    if not forwarded_for or not _trusted(peer, networks):
        return remote_addr
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            return remote_addr  # a malformed chain: trust only what we saw
        if not _trusted(address, networks):
            return str(address)
    return remote_addr


def client_ip():
    networks = current_app.config.get("TRUSTED_PROXY_NETWORKS") or []
    found = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), networks)
    return (found or "")[:64] or None


class RateLimiter:
    """At most `limit` events per `window` seconds per key, in this process (a sliding
    window). `hit(key)` records an event: None when allowed, else the seconds to wait."""

    def __init__(self, limit, window=60.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._events = {}
        self._lock = threading.Lock()

    def hit(self, key):
        if self.limit <= 0:
            return None
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(1, math.ceil(events[0] + self.window - now))
            events.append(now)
            if len(self._events) > 100_000:  # forget idle addresses
                self._events = {k: v for k, v in self._events.items() if v}
            return None


def unauthenticated_wait():
    """Seconds the client must wait before another unauthenticated request, or None."""
    limiter = current_app.extensions.get("evidence_rate_limiter")
    if limiter is None:
        limiter = RateLimiter(current_app.config["UNAUTHENTICATED_PER_MINUTE"])
        current_app.extensions["evidence_rate_limiter"] = limiter
    return limiter.hit(client_ip() or "-")
