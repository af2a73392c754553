"""What every HTML page of ours gets from Jinja: the CSP nonce and a few filters."""

from flask import g

from service.domain.time import isoformat_z
from service.web import charts


def footage_counts(counts):
    """{kind: n} as '2 bystander, 1 dashcam', or 'none'."""
    present = [f"{n} {kind.replace('_', ' ')}" for kind, n in (counts or {}).items() if n]
    return ", ".join(present) or "none"


def group_label(key):
    """A summary row's key; incidents without one (no agency, no state) read '(none)'."""
    return "(none)" if key in (None, "") else str(key)


def install(app):
    # Inline <style> and <script> run only with this response's nonce (hooks.html_csp).
    app.context_processor(lambda: {"csp_nonce": g.get("csp_nonce", "")})
    app.jinja_env.filters.update(
        utc=isoformat_z,
        percent=charts.percent,
        duration=charts.duration_text,
        footage_counts=footage_counts,
        group_label=group_label,
    )
    app.jinja_env.globals.update(
        rate_bars=charts.rate_bars,
        month_lines=charts.month_lines,
        timeline=charts.timeline,
        distribution_bars=charts.distribution_bars,
    )
