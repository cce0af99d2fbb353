"""The ``forwarder-insure`` command: a Flask CLI group over :func:`create_app`.

Commands are thin: parse options, open a unit of work, call a service, print the result. Output
that scripts read (a new key, a JSON summary) goes alone to stdout; chatter goes to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

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
from forwarder_insure.services import credentials, demo

db_cli = AppGroup("db", help="Database schema commands.")


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


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo_command(host: str, port: int) -> None:
    """Migrate, load demo data, print the demo API keys, and serve everything in one process."""
    runtime = _runtime()
    migrate.upgrade(runtime.settings.database_url)
    with _unit_of_work() as session:
        keys = demo.load_demo(session, runtime.settings.secret_key, runtime.clock.now())
    for role, key in keys:
        click.echo(f"api-key {role.value} {key}")
    click.echo(f"serving http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    sys.stdout.flush()
    # Flask refuses app.run() inside its own CLI; werkzeug's threaded server is what it would run.
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


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
    runtime = _runtime()
    try:
        instant = parse_instant(as_of) if as_of else runtime.clock.now()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    click.echo(json.dumps(run_job(runtime.database, name, instant), sort_keys=True))


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    for command in (
        create_api_key,
        revoke_api_key,
        create_staff_user,
        demo_command,
        run_job_command,
    ):
        app.cli.add_command(command)


def _make_app() -> Flask:
    """Build the app; a bad setting or rule file ends the command with its one-line reason."""
    from config.settings import SettingsError
    from forwarder_insure import create_app
    from forwarder_insure.domain.config_tables import ConfigFileError

    try:
        return create_app()
    except (SettingsError, ConfigFileError) as exc:
        raise click.ClickException(f"cannot start: {exc}") from None


main = FlaskGroup(
    name="forwarder-insure",
    create_app=_make_app,
    help="Shipment insurance and claims: serve, migrate, run jobs, manage keys.",
)
