"""`evidence serve`: the app under gunicorn, with its settings in code, not a config file."""

import errno
import re
import socket
import sys

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def escape_controls(text):
    """Control characters (a decoded %0A in a path) as \\xNN, and backslashes doubled, so
    one request is one log line and the line can be read back unambiguously."""
    return CONTROL.sub(lambda m: "\\\\" if m.group() == "\\" else f"\\x{ord(m.group()):02x}", text)


class EscapingLogger(Logger):
    """gunicorn's logger, with every text of the access log escaped."""

    def atoms(self, resp, req, environ, request_time):
        found = super().atoms(resp, req, environ, request_time)
        return {k: escape_controls(v) if isinstance(v, str) else v for k, v in found.items()}


class EvidenceServer(BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Each worker builds its own app and database connections (nothing is shared
        # across fork).
        from service.web import create_app

        return create_app()


class PortInUse(Exception):
    """Something already listens on the address `evidence serve` was asked to use."""


# Each worker listens on its own socket (SO_REUSEPORT), and Linux spreads new connections
# over them. With one socket shared by all, the worker that wakes first accepts most of the
# connections a client opens at once, and keeps them while they are kept alive: a client
# (or a proxy) holding 16 connections could have them all served by one worker, on one
# core, while the others idle (an audited source list measured at 104 against 241 requests
# a second, depending on which worker won). Other systems' SO_REUSEPORT does not spread
# connections, so they keep the shared socket.
SPREAD_CONNECTIONS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def check_free(host, port):
    """Raise PortInUse when something listens on (host, port). With SO_REUSEPORT a second
    server by the same user could otherwise bind the same port and silently take a share
    of the connections; a listener of any kind makes this plain bind fail."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (TIME_WAIT is no use)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"{host}:{port} is already in use (another server?)") from exc
            raise


def run(host="127.0.0.1", port=8000, workers=2, threads=4, on_ready=None):
    """Serve until stopped. `on_ready(how)` is told, before gunicorn starts (after the port
    check, where there is one), how the workers listen: gunicorn's own "Listening at" line
    is empty when each worker has its own socket."""
    if SPREAD_CONNECTIONS:
        check_free(host, port)
    if on_ready:
        on_ready("a socket per worker" if SPREAD_CONNECTIONS else "one shared socket")
    EvidenceServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "logger_class": EscapingLogger,
            # The request line only: a query string never carries a token, headers are not logged.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "timeout": 120,
            "graceful_timeout": 20,
            "reuse_port": SPREAD_CONNECTIONS,
        }
    ).run()
