"""`evidence serve` for `python -m bench http`'s audit comparison, not a benchmark of its own:
the same service, except that a successful read is not recorded in the audit log (writes and
refusals still are). Run beside the real server on the same database, it serves the same
audited read without its entry, so that the benchmark can give the entry's cost as a ratio.

    python -m bench.unaudited serve --port N --workers N --threads N

The change is made here, in the benchmark's process, before gunicorn forks its workers: no
setting or option of the service turns auditing off.
"""

from flask import request

from service.cli import main
from service.web import access, hooks

_recorded = hooks._is_audited


def _is_audited(status):
    if request.method in access.READ_METHODS and status < 400:
        return False
    return _recorded(status)


hooks._is_audited = _is_audited

if __name__ == "__main__":
    main()
