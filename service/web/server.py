"""`evidence serve`: the app under gunicorn, with its settings in code, not a config file."""

import re

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


def run(host="127.0.0.1", port=8000, workers=2, threads=4):
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
        }
    ).run()
