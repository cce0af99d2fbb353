"""The ``forwarder-insure`` command: a Flask CLI group over :func:`create_app`.

Commands are thin: parse options, open a unit of work, call a service, print the result. Output
that scripts read (a new key, a JSON summary) goes alone to stdout; chatter goes to stderr.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from forwarder_insure.db import migrate
from forwarder_insure.domain.access import STAFF_ROLES, Role
from forwarder_insure.domain.clock import parse_instant
from forwarder_insure.domain.errors import DomainError
from forwarder_insure.runtime import EXTENSION_KEY, Runtime
from forwarder_insure.services import credentials
from forwarder_insure.services.ledger_check import check_books

db_cli = AppGroup("db", help="Database schema commands.")
ledger_cli = AppGroup("ledger", help="The books.")


def _runtime() -> Runtime:
    return current_app.extensions[EXTENSION_KEY]


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """A committed unit of work whose domain errors become clean CLI errors (exit 1)."""
    try:
        with _runtime().database.unit_of_work() as session:
            yield session
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} [{exc.code}]") from None


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations to FI_DATABASE_URL."""
    migrate.upgrade(_runtime().settings.database_url, revision=revision)
    click.echo(f"database at {revision}", err=True)


@ledger_cli.command("check")
def ledger_check_command() -> None:
    """Prove the books balance; the last line is the JSON summary, exit 1 on any problem.

    Checks that every transaction has at least two postings that sum to zero per currency,
    that every posting names a known account, transaction and currency, and that each
    currency's balances sum to zero. Each problem is also printed on stderr.
    """
    with _unit_of_work() as session:
        result = check_books(session)
    for problem in result.problems:
        click.echo(f"{problem.kind}: {problem.detail}", err=True)
    click.echo(json.dumps(result.as_json(), sort_keys=True))
    if not result.ok:
        raise click.exceptions.Exit(1)


@click.command("create-api-key")
@with_appcontext
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--seller", "seller_id", help="Seller id (customer code); required for --role seller."
)
@click.option("--name", help="A label to tell keys apart.")
def create_api_key(role: str, seller_id: str | None, name: str | None) -> None:
    """Create an API key and print it alone on stdout (it is shown only this once)."""
    with _unit_of_work() as session:
        issued = credentials.create_api_key(
            session, Role(role), _runtime().clock.now(), seller_id=seller_id, name=name
        )
    click.echo(issued.secret)


@click.command("revoke-api-key")
@with_appcontext
@click.argument("prefix")
def revoke_api_key(prefix: str) -> None:
    """Revoke the key whose public prefix (fik_…) is PREFIX."""
    with _unit_of_work() as session:
        if not credentials.revoke_api_key(session, prefix, _runtime().clock.now()):
            raise click.ClickException(f"no live key with prefix {prefix}")
    _runtime().api_keys.forget()  # this process's cache; writes check the database anyway
    click.echo(f"revoked {prefix}", err=True)


@click.command("create-staff-user")
@with_appcontext
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(sorted(r.value for r in STAFF_ROLES)))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_staff_user(email: str, role: str, password_stdin: bool) -> None:
    """Create a console login for ops staff."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _unit_of_work() as session:
        user = credentials.create_staff_user(
            session, email, Role(role), password, _runtime().clock.now()
        )
    click.echo(f"created {user.role} {user.email}", err=True)


@click.command("set-staff-password")
@with_appcontext
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_staff_password(email: str, password_stdin: bool) -> None:
    """Give a console login a new password; every console session of that user ends."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with _unit_of_work() as session:
        user = credentials.set_staff_password(session, email, password, _runtime().clock.now())
    click.echo(f"new password for {user.email}; its console sessions have ended", err=True)


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo_command(host: str, port: int) -> None:
    """Migrate, load demo data, print the demo API keys, and serve everything in one process.

    Refused with ``FI_ENV=production`` (exit 2, nothing touched): the demo's keys and logins
    are derived from the secret key and printed, and werkzeug's server is not for the public.
    """
    runtime = _runtime()
    if runtime.settings.is_production:
        click.echo(
            "forwarder-insure demo refuses to run with FI_ENV=production: it would seed demo API "
            "keys and console logins and serve with a development server. Nothing was changed. "
            "In production run 'db upgrade', create keys with 'create-api-key' and logins with "
            "'create-staff-user', and serve with gunicorn (see docs/OPERATIONS.md).",
            err=True,
        )
        raise click.exceptions.Exit(2)
    # The demo's story lives outside the core package; only this command imports it.
    from demo.claims_story import load_demo_claims
    from demo.seed import DEMO_STAFF, demo_password, load_demo

    migrate.upgrade(runtime.settings.database_url)
    with _unit_of_work() as session:
        keys = load_demo(session, runtime.settings.secret_key, runtime.clock.now())
    filed = load_demo_claims(current_app, dict(keys), runtime.clock)
    if filed:
        click.echo(f"demo claims filed: {filed}", err=True)
    for role, key in keys:
        click.echo(f"api-key {role.value} {key}")
    for role, email in DEMO_STAFF:
        password = demo_password(runtime.settings.secret_key, email)
        click.echo(f"console-login {role.value} {email} {password}")
    from jobs.scheduler import build_scheduler

    scheduler = build_scheduler(runtime, background=True)
    scheduler.start()
    click.echo(f"serving http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    seller_key = dict(keys).get(Role.SELLER)
    if seller_key:
        # The key rides in the fragment, which browsers never send: it stays out of access logs.
        click.echo(f"order entry demo: http://{host}:{port}/demo/order-entry#key={seller_key}")
    click.echo(f"ops console: http://{host}:{port}/ops/ (log in with a console-login above)")
    sys.stdout.flush()
    # Flask refuses app.run() inside its own CLI; werkzeug's threaded server is what it would run.
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
    finally:
        scheduler.shutdown(wait=False)


@click.command("run-job")
@click.argument("name")
@click.option(
    "--as-of", help="ISO 8601 instant to run as (default: now), e.g. 2026-11-21T02:00:00Z."
)
@with_appcontext
def run_job_command(name: str, as_of: str | None) -> None:
    """Run one job now; the last line printed is its JSON summary."""
    from jobs.registry import JOBS, run_job

    if name not in JOBS:
        raise click.BadParameter(
            f"unknown job; jobs are {', '.join(sorted(JOBS))}", param_hint="NAME"
        )
    click.echo(json.dumps(run_job(_runtime().database, name, _as_of(as_of)), sort_keys=True))


@click.command("sweep")
@click.option("--as-of", help="ISO 8601 instant to sweep as (default: now).")
@with_appcontext
def sweep_command(as_of: str | None) -> None:
    """The tracking sweep; the last line is {"opened": n, "presumed_lost": n, "resolved": n}."""
    from jobs.registry import run_job

    summary = run_job(_runtime().database, "tracking-sweep", _as_of(as_of))
    summary.pop("job", None)
    click.echo(json.dumps(summary, sort_keys=True))


@click.command("import-tracking")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@with_appcontext
def import_tracking_command(file: str) -> None:
    """Import carrier events from a CSV file (same effect as POST /tracking/events).

    Columns: event_id, carrier, tracking_number, occurred_at, code, description, location.
    The file is streamed in batches; bad rows are reported with their line number on stderr and
    do not stop the good ones. The last line printed is the JSON summary.
    """
    from blueprints.tracking import read_events
    from forwarder_insure.services.tracking_import import import_csv

    runtime = _runtime()
    show_progress = sys.stderr.isatty()

    def progress(lines: int, summary: dict) -> None:
        if show_progress:
            click.echo(f"\r{lines:,} lines: {summary}", err=True, nl=False)

    def problem(line: int, errors: list[dict]) -> None:
        details = "; ".join(f"{e['pointer'].removeprefix('#/')}: {e['detail']}" for e in errors)
        click.echo(f"line {line}: {details}", err=True)

    opened = (
        contextlib.nullcontext(sys.stdin)
        if file == "-"
        else open(file, encoding="utf-8", newline="")  # noqa: SIM115 (closed by the with below)
    )
    with opened as handle:
        try:
            summary = import_csv(
                runtime.database,
                handle,
                runtime.clock,
                read_events,
                on_progress=progress,
                on_error=problem,
                max_future=runtime.settings.tracking_max_future,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if show_progress:
        click.echo(err=True)
    click.echo(json.dumps(summary, sort_keys=True))


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduled jobs until stopped (one process, plus an optional standby)."""
    from jobs.scheduler import build_scheduler

    scheduler = build_scheduler(_runtime(), background=False)
    for job in scheduler.get_jobs():
        click.echo(f"scheduled {job.id}: {job.trigger}", err=True)
    scheduler.start()


def _as_of(text: str | None) -> datetime:
    runtime = _runtime()
    if not text:
        return runtime.clock.now()
    try:
        return parse_instant(text)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None


export_cli = AppGroup("export", help="Reports for underwriters and finance.")


@export_cli.command("bordereau")
@click.option("--underwriter", "underwriter_id", required=True, help="Underwriter id (uw_...).")
@click.option("--month", required=True, help="Calendar month in UTC, e.g. 2026-11.")
@click.option("--kind", required=True, type=click.Choice(["premium", "claims"]))
def export_bordereau(underwriter_id: str, month: str, kind: str) -> None:
    """The monthly premium or claims bordereau of an underwriter, as CSV on stdout."""
    from forwarder_insure.services import reports

    try:
        period = reports.Month.parse(month)
    except DomainError as error:
        raise click.BadParameter(error.detail, param_hint="--month") from None
    with _unit_of_work() as session:
        try:
            reports.write_bordereau(sys.stdout, session, kind, underwriter_id, period)
        except DomainError as error:
            raise click.ClickException(error.detail) from None


@export_cli.command("loss-ratio")
@click.option("--month", required=True, help="Calendar month in UTC, e.g. 2026-11.")
def export_loss_ratio(month: str) -> None:
    """Premium written, claims incurred and paid, and the loss ratio per underwriter and
    currency for the month, as CSV on stdout."""
    from forwarder_insure.services import reports

    try:
        period = reports.Month.parse(month)
    except DomainError as error:
        raise click.BadParameter(error.detail, param_hint="--month") from None
    with _unit_of_work() as session:
        reports.write_loss_ratios(sys.stdout, session, period)


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(export_cli)
    for command in (
        create_api_key,
        revoke_api_key,
        create_staff_user,
        set_staff_password,
        demo_command,
        run_job_command,
        sweep_command,
        import_tracking_command,
        scheduler_command,
    ):
        app.cli.add_command(command)


def _make_app() -> Flask:
    """Build the app; a bad setting or rule file ends the command with its one-line reason."""
    from config.settings import SettingsError
    from forwarder_insure import create_app
    from forwarder_insure.domain.config_tables import ConfigFileError

    try:
        return create_app()
    except (SettingsError, ConfigFileError, ValueError) as exc:
        raise click.ClickException(f"cannot start: {exc}") from None


main = FlaskGroup(
    name="forwarder-insure",
    create_app=_make_app,
    help="Shipment insurance and claims: serve, migrate, run jobs, manage keys.",
)
