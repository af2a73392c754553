"""The dashboard for oversight staff at /dashboard: server-rendered pages over the coverage
engine, the same numbers as the API and the reports.

Sign-in is by API token (service/signin.py). Roles admin, oversight and investigator may use
it; importer tokens are refused (403): they exist for scripts that load data. Every page
view is recorded in the audit log by the app's request hooks, with the signed-in token.
"""

from datetime import date, timedelta

from flask import Blueprint, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from peewee import JOIN

from schemas.backlog import BacklogArgs
from schemas.coverage import LackingArgs, OfficerCoverageArgs, SummaryArgs
from schemas.governance import DisclosureCoverageArgs
from schemas.report import ReportArgs
from service.domain import backlog, coverage, disclosure, disposal, inventory, officer_coverage
from service.domain.auth import authenticate
from service.domain.errors import DomainError
from service.domain.reports import coverage_report
from service.domain.time import utcnow
from service.domain.vocabulary import (
    COUNTING,
    DISCLOSURE_STATUSES,
    INCIDENT_KINDS,
    LACKING,
    SOURCE_KINDS,
)
from service.storage.models import Officer, Source
from service.web import access, reports, signin
from service.web.api.reports import report_response
from service.web.paging import Listing, page_of

blp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
# Every page view is recorded (who looked at which coverage figures, and when).
access.audited_reads(blp)

DASHBOARD_ROLES = frozenset({"admin", "oversight", "investigator"})
PUBLIC_ENDPOINTS = frozenset({"dashboard.login"})
FILTER_FIELDS = ("agency", "state", "kind", "from", "to", "counting")
PAGE_SIZE = 50


def page(template, status=200, **context):
    return render_template(f"dashboard/{template}", **context), status


def error_page(status, title, message):
    return page("error.html", status, title=title, message=message)


@blp.before_request
def require_sign_in():
    """Who is signed in (checked again on every request), the role, and the CSRF token."""
    g.token = signin.signed_in_token()
    if request.method == "POST" and not signin.csrf_ok(request.form.get("csrf_token")):
        if request.endpoint == "dashboard.login":
            return login_page(400, "The form had expired. Please sign in again.")
        return error_page(
            400, "Form expired", "The form had expired; go back, reload the page and try again."
        )
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.token is None:
        return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
    if g.token.role not in DASHBOARD_ROLES:
        return error_page(
            403, "Not for this role", f"Role {g.token.role!r} may not use the dashboard."
        )
    return None


@blp.context_processor
def page_context():
    return {"signed_in": g.get("token"), "csrf_token": signin.csrf_token}


@blp.errorhandler(DomainError)
def domain_error(error):
    return error_page(
        error.status, "Not found" if error.status == 404 else "Cannot show this", error.message
    )


# ---------------------------------------------------------------- signing in and out


def _safe_next(target):
    """Only a dashboard path of ours: never an open redirect to another site."""
    if target and target.startswith("/dashboard") and "//" not in target and "\\" not in target:
        return target
    return url_for("dashboard.overview")


def login_page(status=200, message=None, notice=None):
    return page("login.html", status, message=message, notice=notice, next=request.args.get("next"))


@blp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; POST checks the token (form field `token`) and starts a session."""
    if request.method == "GET":
        if g.token is not None:
            return redirect(_safe_next(request.args.get("next")))
        notice = "You have signed out." if request.args.get("signed_out") else None
        return login_page(notice=notice)
    token = authenticate(request.form.get("token", "").strip())
    if token is None:
        return login_page(401, "That token is not valid (mistyped, revoked or expired).")
    g.token = token  # the audit entry names who signed in
    if token.role not in DASHBOARD_ROLES:
        return login_page(
            403,
            f"Role {token.role!r} may not use the dashboard: it is for "
            "oversight staff, investigators and administrators.",
        )
    signin.sign_in(token)
    return redirect(_safe_next(request.args.get("next")), 303)


@blp.post("/logout")
def logout():
    """End the session (the token itself stays valid for the API)."""
    signin.sign_out()
    return redirect(url_for("dashboard.login", signed_out=1), 303)


# ---------------------------------------------------------------- filters from forms


def _form_values(names):
    """The non-empty query parameters among `names`, as typed."""
    return {
        name: request.args[name].strip() for name in names if request.args.get(name, "").strip()
    }


def _as_timestamp(value, next_day=False):
    """A date input (YYYY-MM-DD, a UTC day) as RFC 3339; anything else is left to the schema."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    if next_day:
        day += timedelta(days=1)
    return f"{day.isoformat()}T00:00:00Z"


def filter_args(schema, names=FILTER_FIELDS):
    """(form values, validated args, errors) from the query string.

    Dates are whole UTC days, both included: `to` becomes the start of the next day,
    since the coverage filters take `to` as exclusive.
    """
    form = _form_values(names)
    raw = dict(form)
    if "from" in raw:
        raw["from"] = _as_timestamp(raw["from"])
    if "to" in raw:
        raw["to"] = _as_timestamp(raw["to"], next_day=True)
    try:
        return form, schema.load(raw), None
    except ValidationError as exc:
        return form, None, exc.messages


def list_form(schema, names, **extra):
    """(validated args, or None when the form is wrong; the template's context) of a page
    listing rows a page at a time under a filter form."""
    form, args, errors = filter_args(schema, names)
    query = {k: v for k, v in form.items() if k != "page"}
    return args, {"form": form, "query": query, "errors": errors, "items": None, **extra}


def choices():
    return {
        "agencies": [a.code for a in inventory.list_agencies()],
        "kinds": INCIDENT_KINDS,
        "counting": COUNTING,
        "lacking": LACKING,
    }


# ---------------------------------------------------------------- pages


@blp.get("/")
def overview():
    """Bodycam coverage by agency and month by month."""
    form, args, errors = filter_args(SummaryArgs())
    context = {"form": form, "query": form, "choices": choices(), "errors": errors, "report": None}
    if args is None:
        return page("overview.html", 422, **context)
    context["report"] = coverage_report(args, "agency", g.token.name)
    return page("overview.html", **context, **reports.chart_data(context["report"]))


@blp.get("/incidents")
def lacking():
    """The incidents lacking footage, with filters, a page at a time."""
    args, context = list_form(
        LackingArgs(),
        FILTER_FIELDS + ("lacking", "page"),
        choices=choices(),
        incident_link=incident_link,
    )
    if args is None:
        return page("lacking.html", 422, **context)
    query = coverage.lacking_incidents(args["lacking"], args)
    context.update(
        paged(query, args["page"], lambda rows: coverage.represent(rows, args["counting"]))
    )
    return page("lacking.html", **context)


@blp.get("/officers", endpoint="officers")
def officers_page():
    """The officers without a bodycam source of their own in an incident they were involved
    in (GET /coverage/officers?uncovered=true), with the incident filters, a page at a time."""
    args, context = list_form(
        OfficerCoverageArgs(),
        FILTER_FIELDS + ("page",),
        choices=choices(),
        incident_link=incident_link,
    )
    if args is None:
        return page("officers.html", 422, **context)
    query = officer_coverage.officer_rows({**args, "uncovered": True})
    context.update(
        paged(query, args["page"], lambda rows: officer_coverage.represent(rows, args["counting"]))
    )
    return page("officers.html", **context)


def paged(query, number, represent):
    """One page of `query` (past the end: the last one) for a template: items, total, page,
    pages; the API's pager (service/web/paging.py), PAGE_SIZE a page."""
    found = page_of(Listing(query, represent), number, PAGE_SIZE, clamp=True)
    return {
        "items": found.items,
        "total": found.item_count,
        # a very long list is counted up to a limit, then estimated (docs/api.md, paging)
        "estimated": found.page_params.total_estimated,
        "page": found.page_params.page,
        "pages": found.pages,
    }


def incident_link(incident_id):
    return url_for("dashboard.incident", incident_id=incident_id)


def _who_recorded(source):
    """The officer who wore or held it, else whoever recorded it, else the device."""
    officer = source.officer.name if source.officer_id else None
    return officer or source.recorded_by or source.device_id or ""


@blp.get("/incidents/<int:incident_id>")
def incident(incident_id):
    """One incident: its officers (covered or not, why) and its timeline with the gaps."""
    counting = request.args.get("counting") or "any"
    if counting not in COUNTING:
        counting = "any"
    found = coverage.incident_coverage(incident_id, counting)
    record = inventory.get_incident(incident_id)
    # The sources the coverage engine counted, each drawn on its own row.
    counted = set(found["sources_without_span"])
    for intervals in found["timeline"].values():
        for interval in intervals:
            counted.update(interval["source_ids"])
    rows = []
    if counted:
        query = (
            Source.select(Source, Officer)
            .join(Officer, JOIN.LEFT_OUTER, on=Source.officer == Officer.id)
            .where(Source.id.in_(sorted(counted)))
            .order_by(Source.corrected_started_at, Source.id)
        )
        rows = list(query)
    for source in rows:
        source.who = _who_recorded(source)
    sources = rows
    timeline_rows = [
        {
            "id": s.id,
            "kind": s.kind,
            "label": f"#{s.id} {s.kind.replace('_', ' ')}" + (f" - {s.who}" if s.who else ""),
            "spans": [(s.corrected_started_at, s.corrected_ended_at)],
        }
        for s in sources
        if s.corrected_started_at and s.corrected_ended_at
    ]
    expected = [o for o in found["officers"] if o["camera_expected"]]
    covered = sum(1 for o in expected if o["covered"])
    # Destroyed footage stays visible: greyed, with who asked, who approved and when.
    disposed = list(disposal.disposals({}).where(Source.incident == incident_id))
    window = (found["window"]["start"], found["window"]["end"])
    return page(
        "incident.html",
        disposed=disposed,
        incident=record,
        coverage=found,
        counting=counting,
        sources=sources,
        timeline_rows=timeline_rows,
        gap_spans=[(gap["start"], gap["end"]) for gap in found["gaps"]],
        lanes=officer_lanes(expected, sources, record.started_at, window),
        officers_expected=len(expected),
        officers_covered=covered,
        officers_uncovered=len(expected) - covered,
    )


def officer_lanes(officers, sources, started_at, window):
    """One timeline lane per officer expected to wear a camera: their bodycam spans, the
    stretch from the incident's start to a late first recording, and from an early last
    stop to the window's end (the activation fields of the coverage say which)."""
    lanes = []
    for officer in officers:
        own = set(officer["bodycam_source_ids"])
        spans = sorted(
            (s.corrected_started_at, s.corrected_ended_at)
            for s in sources
            if s.id in own and s.corrected_started_at and s.corrected_ended_at
        )
        delay = officer["activation_delay_seconds"]
        late = None
        if delay is not None and delay > 0 and spans:
            late = (started_at, spans[0][0])
        early = None
        if officer["deactivated_before_end"] and spans:
            early = (max(end for _, end in spans), window[1])
        name = officer["name"] or f"officer {officer['officer_id']}"
        lanes.append(
            {
                "officer_id": officer["officer_id"],
                "label": name + ("" if spans else " - no bodycam"),
                "spans": spans,
                "late": late,
                "early": early,
            }
        )
    return lanes


@blp.get("/backlog", endpoint="backlog")
def backlog_page():
    """Footage waiting for someone: unreviewed, never received, due for disposal."""
    args, context = list_form(
        BacklogArgs(),
        ("older_than_days", "reason", "kind", "page"),
        reasons=backlog.REASONS,
        kinds=SOURCE_KINDS,
    )
    if args is None:
        return page("backlog.html", 422, **context)
    now = utcnow()
    context["counts"] = backlog.counts(args, now)
    context["older_than_days"] = args["older_than_days"]
    context.update(
        paged(
            backlog.backlog(args, now), args["page"], lambda rows: backlog.with_reasons(rows, now)
        )
    )
    return page("backlog.html", **context)


@blp.get("/disclosure", endpoint="disclosure")
def disclosure_page():
    """Release deadlines: overdue first (most days late first), then due, late, met, and the
    incidents no rule applies to, with the reason."""
    args, context = list_form(
        DisclosureCoverageArgs(),
        ("agency", "state", "kind", "from", "to", "status", "page"),
        statuses=DISCLOSURE_STATUSES,
        incident_link=incident_link,
    )
    if args is None:
        return page("disclosure.html", 422, **context)
    rows = disclosure.coverage(args, args.get("status"))
    context["counts"] = {s: sum(1 for r in rows if r["status"] == s) for s in DISCLOSURE_STATUSES}
    context.update(paged(disclosure.ListQuery(rows), args["page"], list))
    return page("disclosure.html", **context)


@blp.get("/reports/coverage")
def report():
    """The coverage report (html, csv, json) for the filters on screen."""
    _, args, errors = filter_args(ReportArgs(), FILTER_FIELDS + ("format", "table", "group_by"))
    if args is None:
        return error_page(
            422,
            "Cannot make this report",
            "; ".join(
                f"{name}: {' '.join(map(str, problems))}" for name, problems in errors.items()
            ),
        )
    return report_response(args, g.token.name)
