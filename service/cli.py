"""The `evidence` console script: click commands run in the app's context (Flask's
FlaskGroup and with_appcontext).

Each command imports what it uses when it runs, so `evidence --help` loads neither the web
application nor the database layer.
"""

import functools
import os
import sys
import time

import click
from flask.cli import FlaskGroup, with_appcontext

from service.domain.vocabulary import (
    COUNTING,
    GROUP_BY,
    IMPORT_FORMATS,
    IMPORT_KINDS,
    INCIDENT_KINDS,
    REPORT_FORMATS,
    REPORT_TABLES,
    ROLES,
)


def _create_app():
    from service.web import create_app

    return create_app(routes=False)  # (`serve` builds its own, with them)


class EvidenceGroup(FlaskGroup):
    """Our commands only: no `flask run`/`shell`/`routes`, no plugin commands, and no app
    loaded to list them (so `--help` stays fast and works without a database)."""

    def __init__(self, **kwargs):
        super().__init__(
            create_app=_create_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            set_debug_flag=False,
            **kwargs,
        )

    def _load_plugin_commands(self):
        pass

    def get_command(self, ctx, name):
        return click.Group.get_command(self, ctx, name)

    def list_commands(self, ctx):
        return click.Group.list_commands(self, ctx)


def with_database(fn):
    """Run a command in the app's context with the database connected; domain errors
    (a rule refused, a record not found) end it with their message."""

    @with_appcontext
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from service.domain.errors import DomainError
        from service.storage.db import database

        database.connect(reuse_if_open=True)
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            database.close()

    return wrapper


@click.group(cls=EvidenceGroup)
def main():
    """Evidence inventory: video sources per incident, custody and coverage.

    The database comes from EVIDENCE_DATABASE_URL (default sqlite:///var/evidence.db).
    """


@main.command("init-db")
@with_database
def init_db():
    """Create missing tables, then apply pending schema migrations (safe to run again)."""
    from service.storage.migrations import upgrade

    applied = upgrade()
    for name in applied:
        click.echo(f"applied migration {name}", err=True)
    click.echo("database ready", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="worker processes"
)
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="threads per worker"
)
def serve(host, port, workers, threads):
    """Serve the API with gunicorn (a production WSGI server)."""
    from service.web.server import PortInUse, run

    try:
        run(
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            on_ready=lambda how: click.echo(
                f"serving http://{host}:{port} ({workers} workers x {threads} threads; {how})",
                err=True,
            ),
        )
    except PortInUse as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@main.command()
@click.option("--if-empty", is_flag=True, help="do nothing when incidents already exist")
@with_database
def demo(if_empty):
    """Load the demo scenario (the Minneapolis shootings of January 2026 and older cases)."""
    from service.demo import load_demo
    from service.storage.migrations import upgrade
    from service.storage.models import Incident

    upgrade()
    if if_empty and Incident.select().exists():
        click.echo("database already has incidents; demo not loaded", err=True)
        return
    summary = load_demo()
    click.echo("demo loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()), err=True)


@main.group()
def rules():
    """Governance rules: retention and disclosure (see docs/governance.md)."""


@rules.command("load-defaults")
@with_database
def rules_load_defaults():
    """Add the shipped Minnesota and California rules missing by name (idempotent; rules an
    operator edited or deactivated are left as they are)."""
    from service.domain.defaults import load_defaults
    from service.storage.db import database
    from service.storage.migrations import upgrade

    upgrade()
    with database.atomic():
        added = load_defaults()
    click.echo(f"default rules loaded: {added[0]} retention, {added[1]} disclosure rule(s) added")


@main.command("verify-custody")
@click.option(
    "--source",
    "source_ids",
    type=int,
    multiple=True,
    help="verify only this source's chain (repeatable); default: every chain",
)
@with_database
def verify_custody(source_ids):
    """Recompute every chain of custody; exit 1 when any is broken."""
    from service.domain import carried
    from service.domain.custody import verify_all

    checked = broken = 0
    for verdict in verify_all(source_ids):
        checked += 1
        if not verdict["valid"]:
            broken += 1
            click.echo(
                f"source {verdict['source_id']}: BROKEN at seq "
                f"{verdict['first_invalid_seq']}: {verdict['problem']}"
            )
    # Chains carried over from other agencies' bundles (docs/interchange.md), as the sender's.
    carried_checked = 0
    for verdict in carried.verify_all(source_ids):
        carried_checked += 1
        if not verdict["valid"]:
            broken += 1
            click.echo(
                f"source {verdict['source_id']}, chain carried from {verdict['origin']}: "
                f"BROKEN at seq {verdict['first_invalid_seq']}: {verdict['problem']}"
            )
    line = f"{checked} chain(s) checked"
    if carried_checked:
        line += f", {carried_checked} carried chain(s) checked"
    click.echo(f"{line}, {broken} broken")
    if broken:
        sys.exit(1)


@main.group()
def tokens():
    """Create, list and revoke API tokens."""


@tokens.command("create")
@click.option("--name", required=True, help="who or what uses the token")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--expires-in", default=None, help="e.g. 30d, 12h; default: no expiry")
@with_database
def tokens_create(name, role, expires_in):
    """Create a token and print it (only the token, on stdout)."""
    from service.domain import auth
    from service.storage.db import database
    from service.storage.migrations import upgrade

    upgrade()
    with database.atomic():
        token = auth.create_token(name, role, expires_in)
    audit_command(["tokens", "create", "--name", name, "--role", role], 201, "tokens", name)
    click.echo(token)


@tokens.command("list")
@with_database
def tokens_list():
    """Show token names, roles and dates (never the tokens)."""
    from service.domain.time import isoformat_z, utcnow
    from service.storage.models import ApiToken

    rows = ApiToken.select().order_by(ApiToken.name)
    click.echo(f"{'name':24} {'role':12} {'created':21} {'expires':21} {'last used':21} state")
    now = utcnow()
    for t in rows:
        state = (
            "revoked"
            if t.revoked_at
            else "expired"
            if t.expires_at is not None and t.expires_at <= now
            else "active"
        )
        click.echo(
            f"{t.name:24} {t.role:12} {isoformat_z(t.created_at):21} "
            f"{isoformat_z(t.expires_at) or '-':21} {isoformat_z(t.last_used_at) or '-':21} "
            f"{state}"
        )


@tokens.command("revoke")
@click.option("--name", required=True)
@with_database
def tokens_revoke(name):
    """Revoke a token; it stops working at once."""
    from service.domain import auth
    from service.storage.db import database

    with database.atomic():
        auth.revoke_token(name)
    audit_command(["tokens", "revoke", "--name", name], 200, "tokens", name)
    click.echo(f"revoked {name}", err=True)


@main.command("migrate-to")
@click.argument("url")
@click.option(
    "--batch-size",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="rows per INSERT",
)
@with_database
def migrate_to(url, batch_size):
    """Copy this inventory into the empty database at URL (e.g. postgresql://...), keeping ids.

    Point EVIDENCE_DATABASE_URL at URL afterwards. Writes to this database wait while it is
    copied (SQLite), so stop the service or expect 503s meanwhile.
    """
    from service.domain.chains import all_chains_valid
    from service.storage.transfer import TransferRefused, copy_inventory

    def progress(table, rows):
        click.echo(f"{table}: {rows} rows", err=True)

    try:
        result = copy_inventory(
            url, batch_size=batch_size, progress=progress, chain_checks=all_chains_valid
        )
    except TransferRefused as exc:
        raise click.ClickException(str(exc)) from exc
    chains = ", ".join(f"{name} chain verified" for name in result["chains"])
    click.echo(
        f"copied {sum(result['tables'].values())} rows in {len(result['tables'])} "
        f"tables; row counts and values match; {chains}"
    )


class ImportProgress:
    """A one-line progress report (rows, rows/s, share of the file) on a terminal."""

    def __init__(self, stream, kind, size):
        self.stream = stream
        self.kind = kind
        self.size = size
        self.started = self.shown = time.monotonic()

    def __call__(self, job, final=False):
        now = time.monotonic()
        if not final and now - self.shown < 0.25:
            return
        self.shown = now
        rows = job.counts["received"]
        rate = rows / max(now - self.started, 1e-6)
        line = f"{self.kind}: {rows:,} rows  {rate:,.0f} rows/s"
        if self.size:
            try:
                line += f"  {min(self.stream.tell() / self.size, 1):.0%}"
            except (OSError, ValueError):
                pass
        click.echo(f"\r{line}\x1b[K", nl=final, err=True)


def _open_import_file(path):
    if path == "-":
        return sys.stdin.buffer, None
    stream = open(path, "rb")  # noqa: SIM115 - closed by the caller
    return stream, os.fstat(stream.fileno()).st_size


def _summary_line(job):
    c = job.counts
    line = (
        f"{job.kind}: {c['received']:,} received, {c['created']:,} created, "
        f"{c['updated']:,} updated, {c['unchanged']:,} unchanged, "
        f"{c['rejected']:,} rejected"
    )
    if job.dry_run:
        line += " (dry run: nothing was written)"
    elif c["rejected"] and not job.partial:
        line += " (atomic: nothing was written; fix the rows or use --partial)"
    return line


def operator(actor=None):
    """Who runs a command, as the records name them: `cli:<login>`, and `cli:<login> as
    <actor>` when --actor names someone else (never the other name alone)."""
    import getpass

    login = f"cli:{getpass.getuser()}"
    return f"{login} as {actor}" if actor else login


def audit_command(words, status, resource=None, resource_id=None, actor=None):
    """An audit entry for a command run from the command line, in its own transaction."""
    from service.domain import audit
    from service.storage.db import database

    with database.atomic():
        audit.record(
            actor=operator(actor)[:100],
            role=None,
            method="CLI",
            path=("evidence " + " ".join(words))[:2000],
            status=status,
            resource=resource,
            resource_id=None if resource_id is None else str(resource_id)[:100],
            ip=None,
        )


@main.command("import")
@click.argument("kind", type=click.Choice([*sorted(IMPORT_KINDS), "case"]))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMPORT_FORMATS),
    help="default: from the file name (.csv, .ndjson or .jsonl, .json)",
)
@click.option("--dry-run", is_flag=True, help="check every row, write nothing")
@click.option(
    "--partial",
    is_flag=True,
    help="write the good rows even if some are rejected (default: all or nothing)",
)
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, writable=True),
    help="write every rejected row's errors to this CSV file (row, field, message)",
)
@click.option(
    "--actor",
    default=None,
    help="on whose behalf you import: recorded as `cli:<login> as <actor>` (default: cli:<login>)",
)
@click.option(
    "--role",
    type=click.Choice(["importer", "admin"]),
    default="importer",
    show_default=True,
    help="the role the rows are imported with (only an admin moves a source under a hold)",
)
@click.option("--batch-size", default=1000, hidden=True, type=click.IntRange(1, 100_000))
@click.option(
    "--signature",
    type=click.Path(dir_okay=False, exists=True),
    help="case: the bundle's detached Ed25519 signature (incident-ID.jsonld.sig)",
)
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, exists=True),
    help="case: the sender's public key (public_key.pem)",
)
@click.option(
    "--accept-unsigned",
    is_flag=True,
    help="case: take in a bundle without a signature (recorded in the audit log)",
)
@with_database
def import_rows(
    kind,
    file,
    fmt,
    dry_run,
    partial,
    errors_path,
    actor,
    role,
    batch_size,
    signature,
    public_key,
    accept_unsigned,
):
    """Import KIND records from FILE (CSV, NDJSON or a JSON array; - for stdin), or
    (KIND case) another agency's CASE bundle (docs/interchange.md).

    Exit status: 0 all rows imported, 1 some rows rejected, 2 the file cannot be read.
    Every import is written to the audit log (each committed batch with --partial).
    """
    if kind == "case":
        _import_case(file, signature, public_key, accept_unsigned, actor)
        return
    from service.bulk.aside import AsideFailed
    from service.bulk.importer import run_import
    from service.bulk.readers import format_of_name
    from service.bulk.spreadsheet import SpreadsheetWriter
    from service.domain.errors import DomainError
    from service.storage.migrations import upgrade

    fmt = fmt or (format_of_name(file) if file != "-" else None)
    if fmt is None:
        raise click.UsageError("cannot tell the format from the file name: give --format")
    try:
        stream, size = _open_import_file(file)
    except OSError as exc:
        raise click.UsageError(f"cannot read {file}: {exc.strerror}") from exc
    upgrade()
    errors_file = open(errors_path, "w", newline="", encoding="utf-8") if errors_path else None  # noqa: SIM115
    on_error = None
    if errors_file:
        writer = SpreadsheetWriter(errors_file, ["row", "field", "message"])
        on_error = writer.write_dict
    progress = ImportProgress(stream, kind, size) if sys.stderr.isatty() else None
    words = ["import", kind, file] + (["--dry-run"] if dry_run else [])
    words += ["--partial"] if partial else []
    audit_fields = {
        "actor": operator(actor)[:100],
        "role": None,
        "method": "CLI",
        "path": " ".join(["evidence", *words])[:2000],
        "ip": None,
    }
    try:
        job = run_import(
            kind,
            stream,
            fmt,
            dry_run=dry_run,
            partial=partial,
            actor=operator(actor),
            role=role,
            batch_size=batch_size,
            on_error=on_error,
            on_progress=progress,
            audit_fields=audit_fields,
            read_aside=True,
        )
    except DomainError as exc:
        audit_command(words, exc.status, "imports", kind, actor)
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    except AsideFailed as exc:
        audit_command(words, 500, "imports", kind, actor)
        click.echo(
            f"error: {exc} (in atomic mode nothing was written; in partial mode the batches "
            "committed before stay, and importing the file again completes it)",
            err=True,
        )
        sys.exit(2)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
        if errors_file:
            errors_file.close()
    if progress:
        progress(job, final=True)
    for error in job.errors[:20]:
        field = f" {error['field']}:" if error["field"] else ""
        click.echo(f"row {error['row']}:{field} {error['message']}", err=True)
    if job.errors_total > 20:
        click.echo(
            f"... and {job.errors_total - 20:,} more errors"
            + (f" (all in {errors_path})" if errors_path else " (see --errors FILE)"),
            err=True,
        )
    click.echo(_summary_line(job))
    status = 422 if job.counts["rejected"] and not partial else 200
    audit_command(words, status, "imports", kind, actor)
    if job.counts["rejected"]:
        sys.exit(1)


@main.command("verify-audit")
@with_database
def verify_audit():
    """Recompute the audit log's hash chain; exit 1 when it is broken."""
    from service.domain import audit
    from service.web.sealing import signer

    result = audit.verify(signer())
    summary = (
        f"{result['entries']} entries: {result['chained']} hash-chained, {result['sealed']} "
        f"sealed under {result['tree_heads']} signed tree heads, {result['unsealed']} unsealed"
    )
    if result["valid"]:
        click.echo(f"audit log intact: {summary}")
        return
    if result["first_invalid_id"] is not None:
        where = f"entry {result['first_invalid_id']}"
    elif result["first_invalid_tree_size"] is not None:
        where = f"the tree head of size {result['first_invalid_tree_size']}"
    else:
        where = f"the stored subtree {result['first_invalid_subtree']}"
    click.echo(f"audit log BROKEN at {where} ({summary})", err=True)
    sys.exit(1)


@main.command("check-counters")
@click.option("--repair", is_flag=True, help="store the recomputed counters after reporting")
@with_database
def check_counters(repair):
    """Recompute every incident's coverage counters from its sources and involvements and
    report any drift; exit 1 when some differ (after --repair too, having fixed them)."""
    from service.domain import counters
    from service.storage.db import database

    result = counters.check()
    if not result["drifted"]:
        click.echo(f"counters agree: {result['incidents']} incidents")
        return
    for d in result["differences"]:
        click.echo(
            f"incident {d['incident_id']}: {d['field']} stored {d['stored']}, "
            f"computed {d['computed']}",
            err=True,
        )
    click.echo(
        f"counters DRIFTED on {result['drifted']} of {result['incidents']} incidents", err=True
    )
    if repair:
        with database.atomic():
            counters.rebuild()
        click.echo("counters recomputed and stored", err=True)
    sys.exit(1)


@main.group("audit")
def audit_group():
    """The audit log."""


@audit_group.command("seal")
@with_database
def audit_seal():
    """Seal the audit entries recorded since the last seal into the Merkle tree and sign a
    tree head (each server does this every second; run it from a timer when
    EVIDENCE_AUDIT_SEAL_SECONDS=0)."""
    from service.domain import auditlog
    from service.web.sealing import signer

    key, head, sealed = signer(), None, 0
    while (written := auditlog.seal(key)) is not None:
        head, sealed = written, sealed + 1
    if head is None:
        click.echo("nothing to seal")
    else:
        click.echo(f"sealed: tree size {head.tree_size}, root {head.root_hash}")


@audit_group.command("export")
@click.option("--since", default=None, help="RFC 3339 timestamp with offset")
@click.option("--until", default=None, help="RFC 3339 timestamp with offset")
@click.option("--actor", default=None)
@click.option("--resource", default=None)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="file to write (default: stdout)",
)
@with_database
def audit_export(since, until, actor, resource, fmt, output):
    """Export the audit log (oldest first) for a court or an inspector."""
    from marshmallow import ValidationError

    from schemas.audit import AuditArgs
    from service.bulk.exports import export_audit

    raw = {
        k: v
        for k, v in {"since": since, "until": until, "actor": actor, "resource": resource}.items()
        if v is not None
    }
    try:
        filters = AuditArgs().load(raw)
    except ValidationError as exc:
        raise click.BadParameter(str(exc.messages)) from exc
    export_audit(filters, fmt, output)


@main.group("report")
def report_group():
    """Reports to file, made offline straight from the database."""


@report_group.command("coverage")
@click.option(
    "--format", "fmt", type=click.Choice(REPORT_FORMATS), default="html", show_default=True
)
@click.option(
    "--table",
    type=click.Choice(REPORT_TABLES),
    default="incidents",
    show_default=True,
    help="CSV only: which table",
)
@click.option("--group-by", default="agency", show_default=True, type=click.Choice(GROUP_BY))
@click.option("--agency", default=None, help="agency code")
@click.option("--state", default=None)
@click.option("--kind", default=None, type=click.Choice(INCIDENT_KINDS), help="incident kind")
@click.option(
    "--from", "from_", default=None, help="incidents started at or after (RFC 3339 with offset)"
)
@click.option("--to", default=None, help="incidents started before (RFC 3339 with offset)")
@click.option("--counting", type=click.Choice(COUNTING), default="any", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="file to write (default: stdout)",
)
@with_database
def report_coverage(fmt, table, group_by, output, **filters):
    """The coverage report (as GET /api/v1/reports/coverage answers it)."""
    from marshmallow import ValidationError

    from schemas.report import ReportArgs
    from service.domain.reports import coverage_report
    from service.web import reports

    raw = {
        "from" if name == "from_" else name: value
        for name, value in filters.items()
        if value is not None
    }
    try:
        args = ReportArgs().load({**raw, "format": fmt, "table": table, "group_by": group_by})
    except ValidationError as exc:
        raise click.BadParameter(str(exc.messages)) from exc
    report = coverage_report(args, group_by, "command line")
    chunks = reports.document(report, fmt, table)
    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    with open(output, "w", encoding="utf-8", newline="") as out:
        out.writelines(chunks)
    click.echo(f"wrote {output}", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


# ---------------------------------------------------------------- interchange (CASE bundles)


@main.group("export")
def export_group():
    """Signed bundles for other agencies and courts (docs/interchange.md)."""


@export_group.command("incident")
@click.argument("incident_id", type=click.IntRange(1))
@click.option(
    "-o",
    "--output-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="folder to write incident-ID.jsonld, incident-ID.jsonld.sig and public_key.pem into",
)
@click.option("--format", "fmt", type=click.Choice(["case"]), default="case", show_default=True)
@click.option("--actor", default=None, help="who is exporting (default: the login name)")
@with_database
def export_incident(incident_id, output_dir, fmt, actor):
    """Write INCIDENT_ID as a signed CASE bundle: the graph, its Ed25519 signature, the key."""
    from flask import current_app

    from service.bulk.case_export import write_signed_bundle

    paths, fingerprint = write_signed_bundle(incident_id, output_dir, current_app.config)
    audit_command(
        ["export", "incident", str(incident_id), "-o", str(output_dir)],
        200,
        "incidents",
        incident_id,
        actor,
    )
    for path in paths:
        click.echo(path)
    click.echo(f"signed with Ed25519 key SHA-256 {fingerprint}", err=True)


@main.group("signing-key")
def signing_key_group():
    """The key that signs exported bundles (kept in EVIDENCE_SIGNING_KEY_FILE)."""


@signing_key_group.command("show")
@with_database
def signing_key_show():
    """Print the current public key (PEM) and its fingerprint."""
    from flask import current_app

    from service.bulk import signing

    current = signing.published_keys(current_app.config["SIGNING_KEY_FILE"])["current"]
    click.echo(current["public_key"], nl=False)
    click.echo(f"SHA-256 {current['fingerprint_sha256']}", err=True)


@signing_key_group.command("rotate")
@with_database
def signing_key_rotate():
    """Retire the current key (its public half stays published with its dates), make a new one."""
    from flask import current_app

    from service.bulk import signing
    from service.domain.time import utcnow

    click.echo(signing.rotate(current_app.config["SIGNING_KEY_FILE"], utcnow()), nl=False)


def _import_case(file, signature_path, public_key_path, accept_unsigned, actor):
    """`evidence import case FILE`: exit 0 imported (or imported before), 2 refused."""

    from flask import current_app

    from service.bulk import case_export, case_import
    from service.domain.errors import DomainError
    from service.storage.migrations import upgrade

    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as exc:
            raise click.UsageError(f"cannot read {path}: {exc.strerror}") from exc

    if file == "-":
        raise click.UsageError("a CASE bundle is read from a file (its exact bytes are signed)")
    if bool(signature_path) != bool(public_key_path):
        raise click.UsageError("--signature and --public-key go together")
    if signature_path and accept_unsigned:
        raise click.UsageError("--accept-unsigned is for bundles without a signature")
    upgrade()
    words = ["import", "case", file]
    if signature_path:
        words += ["--signature", signature_path, "--public-key", public_key_path]
    elif accept_unsigned:
        words.append("--accept-unsigned")
    base, _ = case_export.instance_settings(current_app.config)
    try:
        summary = case_import.import_bundle(
            read(file),
            read(signature_path) if signature_path else None,
            read(public_key_path).decode("ascii", "replace") if public_key_path else None,
            accept_unsigned=accept_unsigned,
            actor=operator(actor),
            receiver=current_app.config["AGENCY_NAME"],
            own_base=base,
        )
    except DomainError as exc:
        audit_command(words, exc.status, "imports", None, actor)
        click.echo(f"refused: {exc.message}", err=True)
        sys.exit(2)
    audit_command(
        words, 201 if summary["created"] else 200, "imports", summary["incident_id"], actor
    )
    how = "signed, key SHA-256 " + summary["key_fingerprint"] if summary["signed"] else "UNSIGNED"
    if summary["created"]:
        click.echo(
            f"incident {summary['incident_id']} created from {summary['sender']}'s bundle "
            f"({how}): {summary['sources']} sources, {summary['carried_events']} custody "
            "events carried"
        )
    else:
        click.echo(
            f"unchanged: investigation {summary['investigation']} was imported before as "
            f"incident {summary['incident_id']}"
        )
