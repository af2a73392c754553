"""`evidence serve`: the app under gunicorn, with its settings in code, not a config file."""

from gunicorn.app.base import BaseApplication


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
            # The request line only: a query string never carries a token, headers are not logged.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "timeout": 120,
            "graceful_timeout": 20,
        }
    ).run()
